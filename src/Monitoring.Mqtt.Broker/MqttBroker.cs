using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Monitoring.Mqtt.Broker;

/// <summary>
/// The embedded MQTT 3.1.1 / 5.0 broker: a TCP listener with one task per client connection, sessions (clean,
/// persistent, 5.0 expiry) with bounded queues, a topic tree with wildcards and shared subscriptions, retained
/// messages, wills and keep-alive. The server's own collector subscribes and publishes in-process with
/// <see cref="SubscribeLocal"/> and <see cref="PublishLocal"/>, without a socket.
/// </summary>
public sealed partial class MqttBroker : IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, BrokerConnection> _connections = new();
    private readonly Lock _sessionLock = new();
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private ITimer? _sweepTimer;
    private long _nextConnectionId;
    private long _nextLocalId;
    private int _connectedClients;
    private int _disposed;

    [ThreadStatic]
    private static List<Delivery>? t_deliveries;

    public MqttBroker(MqttBrokerOptions options, ILogger<MqttBroker> logger, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        Options = options;
        Logger = logger;
        Time = timeProvider ?? TimeProvider.System;
        Sessions = new SessionStore(options, Counters, Time);
        Authenticator = new UserAuthenticator(options);
        Guard = new ConnectGuard(options, Time);
    }

    /// <summary>Where the listener is bound once started (port 0 resolved).</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    internal MqttBrokerOptions Options { get; }

    internal ILogger Logger { get; }

    internal TimeProvider Time { get; }

    internal BrokerCounters Counters { get; } = new();

    internal SessionStore Sessions { get; }

    internal SubscriptionIndex Index { get; } = new();

    internal RetainedStore Retained { get; } = new();

    internal UserAuthenticator Authenticator { get; }

    internal ConnectGuard Guard { get; }

    internal CancellationToken Stopping => _stop.Token;

    /// <summary>Starts the sweep (keep-alive, session expiry, delayed wills) and, when enabled, the TCP listener.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _sweepTimer ??= Time.CreateTimer(static state => ((MqttBroker)state!).Sweep(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        if (Options.Enabled && _listener == null)
        {
            var listener = new TcpListener(Options.ParseBindAddress(), Options.Port);
            listener.Server.NoDelay = true;
            listener.Start(1024);
            _listener = listener;
            LocalEndPoint = (IPEndPoint)listener.LocalEndpoint;
            _acceptLoop = AcceptLoopAsync(listener, _stop.Token);
            if (Logger.IsEnabled(LogLevel.Information))
            {
                Logger.LogInformation("MQTT broker listening on {EndPoint}", LocalEndPoint);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops accepting, closes every connection (wills of persistent sessions are not sent) and waits for them.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        _listener?.Stop();
        if (_acceptLoop != null)
        {
            await _acceptLoop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var running = _connections.Values.Select(c => c.Completion).ToArray();
        await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_sweepTimer != null)
        {
            await _sweepTimer.DisposeAsync().ConfigureAwait(false);
            _sweepTimer = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Logger.LogWarning("MQTT broker: connections did not close within 10 s of stopping");
        }

        _stop.Dispose();
        Index.Dispose();
    }

    /// <summary>
    /// Subscribes in-process: <paramref name="handler"/> gets every message matching <paramref name="filter"/>
    /// (retained ones first, at once), on the publisher's thread, so it must be quick and must not block.
    /// Dispose the result to unsubscribe.
    /// </summary>
    public IDisposable SubscribeLocal(string filter, Action<MqttLocalMessage> handler, byte maxQos = 2)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(handler);
        if (!TopicRules.IsValidFilter(filter))
        {
            throw new ArgumentException($"'{filter}' is not a valid MQTT topic filter.", nameof(filter));
        }

        var subscriber = new LocalSubscriber("$local/" + Interlocked.Increment(ref _nextLocalId), handler, Logger);
        var subscription = new Subscription(subscriber, filter, Math.Min(maxQos, (byte)2));
        Index.Add(subscription);
        if (!subscription.IsShared)
        {
            DeliverRetained(subscription);
        }

        return new LocalSubscription(this, subscriber, filter);
    }

    /// <summary>Publishes in-process as if a client had. Returns how many subscribers it was routed to.</summary>
    public int PublishLocal(string topic, ReadOnlyMemory<byte> payload, byte qos = 0, bool retain = false, BrokerMessageProperties? properties = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (!TopicRules.IsValidTopicName(topic))
        {
            throw new ArgumentException($"'{topic}' is not a valid MQTT topic name.", nameof(topic));
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(qos, (byte)2);
        return Route(new BrokerMessage(topic, payload.ToArray(), qos, retain, properties) { ReceivedTimestamp = Time.GetTimestamp() });
    }

    /// <summary>Current state and counters.</summary>
    public BrokerStats GetStats() => new()
    {
        Listening = _listener != null && !_stop.IsCancellationRequested,
        Port = LocalEndPoint?.Port ?? Options.Port,
        ConnectedClients = Volatile.Read(ref _connectedClients),
        Sessions = Sessions.Count,
        Subscriptions = Index.Count,
        RetainedMessages = Retained.Count,
        QueuedMessages = Sessions.Queued,
        QueueBoundPerSession = Options.MaxQueuedPerSession,
        QueueBoundTotal = Options.MaxQueuedTotal,
        QueueDrops = Interlocked.Read(ref Counters.QueueDrops),
        Qos0Drops = Interlocked.Read(ref Counters.Qos0Drops),
        ExpiredMessages = Interlocked.Read(ref Counters.ExpiredMessages),
        SlowClientDisconnects = Interlocked.Read(ref Counters.SlowClientDisconnects),
        MessagesIn = Interlocked.Read(ref Counters.MessagesIn),
        MessagesOut = Interlocked.Read(ref Counters.MessagesOut),
        ConnectionsAccepted = Interlocked.Read(ref Counters.ConnectionsAccepted),
        ConnectionsRefused = Interlocked.Read(ref Counters.ConnectionsRefused),
        ProtocolErrors = Interlocked.Read(ref Counters.ProtocolErrors),
        KeepAliveTimeouts = Interlocked.Read(ref Counters.KeepAliveTimeouts),
        PacketsReceived = Interlocked.Read(ref Counters.PacketsReceived),
        WillsPublished = Interlocked.Read(ref Counters.WillsPublished),
        ConnectionsLockedOut = Interlocked.Read(ref Counters.ConnectionsLockedOut),
        Lockouts = Interlocked.Read(ref Counters.Lockouts),
        PublishesDenied = Interlocked.Read(ref Counters.PublishesDenied),
        SubscriptionsDenied = Interlocked.Read(ref Counters.SubscriptionsDenied),
    };

    /// <summary>Routes one message to every matching subscriber (and the retained store). Returns the delivery count.</summary>
    internal int Route(BrokerMessage message)
    {
        Interlocked.Increment(ref Counters.MessagesIn);
        if (message.Retain)
        {
            Retained.Set(message);
        }

        // a local handler may publish from inside a delivery: then this thread's list is in use
        var deliveries = t_deliveries ?? [];
        t_deliveries = null;
        try
        {
            Index.Match(message.Topic, message.PublisherId, deliveries);
            foreach (var delivery in deliveries)
            {
                var qos = Math.Min(message.QoS, delivery.QoS);
                delivery.Subscriber.Deliver(message, (byte)qos, delivery.RetainAsPublished && message.Retain, delivery.SubscriptionIds);
            }

            return deliveries.Count;
        }
        finally
        {
            var big = deliveries.Count > 1024;
            deliveries.Clear();
            t_deliveries = big ? null : deliveries;
        }
    }

    internal void DeliverRetained(Subscription subscription)
    {
        var found = new List<BrokerMessage>();
        Retained.Match(subscription.TopicFilter, found);
        foreach (var message in found)
        {
            if (Sessions.IsExpired(message))
            {
                continue;
            }

            subscription.Subscriber.Deliver(message, Math.Min(message.QoS, subscription.QoS), true, subscription.SubscriptionId != 0 ? [subscription.SubscriptionId] : null);
        }
    }

    internal void PublishWill(BrokerMessage will, string clientId)
    {
        Interlocked.Increment(ref Counters.WillsPublished);
        if (Logger.IsEnabled(LogLevel.Information))
        {
            Logger.LogInformation("MQTT broker: publishing the will of {ClientId} on {Topic}", clientId, will.Topic);
        }
        Route(will);
    }

    internal bool TryReserveClientSlot()
    {
        if (Interlocked.Increment(ref _connectedClients) > Options.MaxClients)
        {
            Interlocked.Decrement(ref _connectedClients);
            return false;
        }

        return true;
    }

    internal void ReleaseClientSlot() => Interlocked.Decrement(ref _connectedClients);

    /// <summary>
    /// A CONNECT was accepted: finds or creates the session (discarding it for a clean start), takes it over from
    /// an earlier connection with the same client id, and attaches the new connection. Returns whether a session was present.
    /// </summary>
    internal bool OpenSession(string clientId, bool cleanStart, uint expiryInterval, IBrokerOutbound outbound, out BrokerSession session, Action<bool>? beforeAttach = null)
    {
        lock (_sessionLock)
        {
            var present = Sessions.TryGet(clientId, out var existing);
            if (present)
            {
                foreach (var connection in _connections.Values)
                {
                    if (connection.Session == existing && !ReferenceEquals(connection, outbound))
                    {
                        _ = connection.Abort(0x8E); // session taken over
                    }
                }

                if (cleanStart)
                {
                    DiscardLocked(existing);
                    present = false;
                }
            }

            session = present ? existing : Sessions.GetOrAdd(clientId);
            session.ExpiryInterval = expiryInterval;
            beforeAttach?.Invoke(present); // the CONNACK goes out before anything the session resends
            session.Attach(outbound);
            return present;
        }
    }

    /// <summary>
    /// A connection ended. The will goes out now, or after its 5.0 delay if the session outlives the connection;
    /// a session with expiry 0 ends here.
    /// </summary>
    internal void CloseSession(BrokerSession session, IBrokerOutbound outbound, BrokerMessage? will, uint willDelay)
    {
        var publishNow = false;
        lock (_sessionLock)
        {
            var attached = session.IsAttachedTo(outbound);
            var now = Time.GetTimestamp();
            session.Detach(outbound, now);
            if (attached && will != null && willDelay > 0 && session.ExpiryInterval > 0)
            {
                session.DelayedWill = will;
                session.DelayedWillDue = now + (long)(Math.Min(willDelay, session.ExpiryInterval) * (double)Time.TimestampFrequency);
            }
            else
            {
                publishNow = will != null;
            }

            if (attached && session.ExpiryInterval == 0)
            {
                DiscardLocked(session);
            }
        }

        if (publishNow)
        {
            PublishWill(will!, session.Id);
        }
    }

    internal bool Subscribe(BrokerSession session, Subscription subscription)
    {
        bool isNew;
        lock (session.Sync)
        {
            if (!session.Alive)
            {
                return false;
            }

            session.Subscriptions[subscription.Filter] = subscription;
            isNew = Index.Add(subscription);
        }

        return isNew;
    }

    internal bool Unsubscribe(BrokerSession session, string filter)
    {
        lock (session.Sync)
        {
            session.Subscriptions.Remove(filter);
            return Index.Remove(session, filter);
        }
    }

    internal void Register(BrokerConnection connection) => _connections[connection.Id] = connection;

    internal void Unregister(BrokerConnection connection) => _connections.TryRemove(connection.Id, out _);

    internal long NextConnectionId() => Interlocked.Increment(ref _nextConnectionId);

    /// <summary>Once a second: keep-alive and CONNECT timeouts, delayed wills that are due, expired sessions.</summary>
    internal void Sweep()
    {
        try
        {
            var now = Time.GetTimestamp();
            foreach (var connection in _connections.Values)
            {
                connection.CheckTimeouts(now);
            }

            List<(BrokerMessage Will, string ClientId)>? wills = null;
            lock (_sessionLock)
            {
                foreach (var session in Sessions.All)
                {
                    if (session.IsOnline)
                    {
                        continue;
                    }

                    var expired = session.ExpiryInterval != uint.MaxValue
                        && Time.GetElapsedTime(session.DisconnectedAt, now).TotalSeconds >= session.ExpiryInterval;
                    if (session.DelayedWill is { } will && (expired || now >= session.DelayedWillDue))
                    {
                        session.DelayedWill = null;
                        (wills ??= []).Add((will, session.Id));
                    }

                    if (expired)
                    {
                        DiscardLocked(session);
                    }
                }
            }

            if (wills != null)
            {
                foreach (var (will, clientId) in wills)
                {
                    PublishWill(will, clientId);
                }
            }
        }
#pragma warning disable CA1031 // the timer callback must never throw
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Logger.LogError(ex, "MQTT broker: sweep failed");
        }
    }

    private void DiscardLocked(BrokerSession session)
    {
        lock (session.Sync)
        {
            foreach (var filter in session.Subscriptions.Keys)
            {
                Index.Remove(session, filter);
            }

            session.Subscriptions.Clear();
        }

        session.Clear();
        Sessions.Remove(session);
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                Logger.LogWarning("MQTT broker: accept failed: {Error}", ex.SocketErrorCode);
                continue;
            }

            Interlocked.Increment(ref Counters.ConnectionsAccepted);
            socket.NoDelay = true;
            var connection = new BrokerConnection(this, socket, NextConnectionId());
            Register(connection);
            connection.Start(cancellationToken);
        }
    }

    private sealed class LocalSubscription(MqttBroker broker, LocalSubscriber subscriber, string filter) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                broker.Index.Remove(subscriber, filter);
            }
        }
    }
}
