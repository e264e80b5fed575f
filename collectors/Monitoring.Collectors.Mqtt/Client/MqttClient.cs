using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Client;

/// <summary>
/// MQTT 3.1.1 / 5.0 client over TCP or TLS. Publishes at QoS 0, 1 and 2 within an in-flight window; receives into
/// <see cref="Messages"/> (bounded: a slow consumer slows the socket, nothing is dropped); keeps the connection alive
/// with PINGREQ; and when the connection drops, reconnects with exponential backoff and jitter, re-sends what the
/// broker had not acknowledged and resubscribes when the broker kept no session.
/// </summary>
public sealed class MqttClient : IAsyncDisposable
{
    private const int MaxQueuedQoS0 = 4096;

    private readonly MqttClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _endPoint;
    private readonly Channel<MqttMessage> _inbound;
    private readonly Lock _gate = new();
    private readonly Dictionary<ushort, PendingOperation> _pending = [];
    private readonly Dictionary<string, MqttTopicSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly HashSet<ushort> _inboundQoS2 = [];
    private readonly InFlightWindow _window;
    private readonly SemaphoreSlim _qos0Credits = new(MaxQueuedQoS0, MaxQueuedQoS0);
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MqttClientConnection? _connection;
    private CancellationTokenSource? _lifetime;
    private Task? _supervisor;
    private string _clientId;
    private ushort _lastPacketId;
    private long _sequence;
    private int _connectCount;
    private bool _disposed;

    public MqttClient(MqttClientOptions options, TimeProvider? timeProvider = null, ILogger<MqttClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ProtocolVersion is not (MqttProtocolVersion.V311 or MqttProtocolVersion.V500))
        {
            throw new ArgumentException("ProtocolVersion must be V311 or V500.", nameof(options));
        }

        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _endPoint = $"{options.Host}:{options.Port}";
        _clientId = options.ClientId;
        _window = new InFlightWindow(options.MaxInFlight);
        _inbound = Channel.CreateBounded<MqttMessage>(new BoundedChannelOptions(Math.Max(1, options.InboundCapacity))
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Messages from the broker, in the order received. Completed when the client is disposed.</summary>
    public ChannelReader<MqttMessage> Messages => _inbound.Reader;

    public bool IsConnected
    {
        get
        {
            lock (_gate)
            {
                return _connection is not null && _ready.Task.IsCompleted;
            }
        }
    }

    /// <summary>How many times a connection was established (1 after the first connect, 2 after one reconnect...).</summary>
    public int ConnectCount => Volatile.Read(ref _connectCount);

    /// <summary>The client identifier in use (the broker's when it assigned one).</summary>
    public string ClientId => _clientId;

    /// <summary>QoS 1/2 publishes currently waiting for their acknowledgement.</summary>
    public int InFlight => _window.InUse;

    /// <summary>
    /// Connects once and returns the broker's CONNACK. Throws <see cref="MqttConnectException"/> when the broker refuses
    /// (bad password...) and <see cref="SocketException"/>/<see cref="IOException"/> when it cannot be reached. Once
    /// connected, lost connections are re-established in the background when <see cref="MqttClientOptions.AutoReconnect"/> is set.
    /// </summary>
    public async Task<MqttConnectResult> ConnectAsync(CancellationToken cancellationToken)
    {
        var lifetime = BeginLifetime();
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.Token);
            var (connection, result) = await EstablishAsync(firstConnect: ConnectCount == 0, linked.Token).ConfigureAwait(false);
            lock (_gate)
            {
                _supervisor = SuperviseAsync(connection, lifetime.Token);
            }

            return result;
        }
        catch
        {
            EndLifetime(lifetime);
            throw;
        }
    }

    /// <summary>Connects in the background, retrying with backoff until it succeeds; never throws for a broker that is down.</summary>
    public void Start()
    {
        var lifetime = BeginLifetime();
        lock (_gate)
        {
            _supervisor = SuperviseAsync(null, lifetime.Token);
        }
    }

    /// <summary>Waits until the client is connected (and resubscribed).</summary>
    public async Task WaitUntilConnectedAsync(CancellationToken cancellationToken) =>
        await WaitConnectedAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Publishes a message. QoS 0 completes once queued for the socket; QoS 1 on PUBACK; QoS 2 on PUBCOMP. Returns the
    /// broker's reason code (5.0; always Success in 3.1.1). While disconnected it waits for the reconnect; QoS 1/2
    /// messages already sent are re-sent after a reconnect.
    /// </summary>
    public async Task<MqttReasonCode> PublishAsync(
        string topic,
        ReadOnlyMemory<byte> payload,
        MqttQualityOfService qos = MqttQualityOfService.AtMostOnce,
        bool retain = false,
        MqttProperties? properties = null,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!MqttTopic.IsValidTopicName(topic))
        {
            throw new ArgumentException($"'{topic}' is not a valid topic name.", nameof(topic));
        }

        if (qos == MqttQualityOfService.AtMostOnce)
        {
            var packet = new MqttPublishPacket { Topic = topic, Payload = payload, Retain = retain, Properties = properties };
            await _qos0Credits.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                while (true)
                {
                    var connection = await WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
                    if (connection.TryEnqueue(packet, releasesCredit: true))
                    {
                        return MqttReasonCode.Success;
                    }
                }
            }
            catch
            {
                _qos0Credits.Release();
                throw;
            }
        }

        await _window.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var codes = await SendTrackedAsync(
                id => new MqttPublishPacket { Topic = topic, Payload = payload, QoS = qos, Retain = retain, PacketId = id, Properties = properties },
                cancellationToken).ConfigureAwait(false);
            return codes[0];
        }
        finally
        {
            _window.Release();
        }
    }

    /// <summary>
    /// Subscribes and returns one reason code per filter (granted QoS, or a failure). The filters are remembered and
    /// subscribed again after a reconnect that found no session on the broker.
    /// </summary>
    public async Task<IReadOnlyList<MqttReasonCode>> SubscribeAsync(IReadOnlyList<MqttTopicSubscription> subscriptions, MqttProperties? properties = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(subscriptions);
        if (subscriptions.Count == 0)
        {
            throw new ArgumentException("Subscribe to at least one topic filter.", nameof(subscriptions));
        }

        foreach (var s in subscriptions)
        {
            if (!MqttTopic.IsValidTopicFilter(s.TopicFilter))
            {
                throw new ArgumentException($"'{s.TopicFilter}' is not a valid topic filter.", nameof(subscriptions));
            }
        }

        lock (_gate)
        {
            foreach (var s in subscriptions)
            {
                _subscriptions[s.TopicFilter] = s;
            }
        }

        var copy = subscriptions.ToArray();
        var codes = await SendTrackedAsync(id => new MqttSubscribePacket { PacketId = id, Subscriptions = copy, Properties = properties }, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            for (var i = 0; i < copy.Length && i < codes.Count; i++)
            {
                if (MqttReasonCodes.IsFailure(codes[i]))
                {
                    _subscriptions.Remove(copy[i].TopicFilter);
                }
            }
        }

        return codes;
    }

    public Task<IReadOnlyList<MqttReasonCode>> SubscribeAsync(string topicFilter, MqttQualityOfService qos, CancellationToken cancellationToken = default) =>
        SubscribeAsync([new MqttTopicSubscription(topicFilter, qos)], null, cancellationToken);

    /// <summary>Unsubscribes; the filters are forgotten for resubscription. Returns the 5.0 reason codes (empty in 3.1.1).</summary>
    public async Task<IReadOnlyList<MqttReasonCode>> UnsubscribeAsync(IReadOnlyList<string> topicFilters, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(topicFilters);
        lock (_gate)
        {
            foreach (var f in topicFilters)
            {
                _subscriptions.Remove(f);
            }
        }

        var copy = topicFilters.ToArray();
        return await SendTrackedAsync(id => new MqttUnsubscribePacket { PacketId = id, TopicFilters = copy }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends DISCONNECT and closes; no reconnect follows. Session state (unacknowledged publishes, subscriptions) is kept,
    /// so a later <see cref="ConnectAsync"/> resumes it.
    /// </summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        CancellationTokenSource? lifetime;
        Task? supervisor;
        MqttClientConnection? connection;
        lock (_gate)
        {
            lifetime = _lifetime;
            supervisor = _supervisor;
            connection = _connection;
            _lifetime = null;
            _supervisor = null;
        }

        if (lifetime is null)
        {
            return;
        }

        await lifetime.CancelAsync().ConfigureAwait(false);
        if (connection is not null)
        {
            await connection.CloseGracefullyAsync(new MqttDisconnectPacket(), cancellationToken).ConfigureAwait(false);
        }

        if (supervisor is not null)
        {
            await supervisor.ConfigureAwait(false);
        }

        lifetime.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await DisconnectAsync(CancellationToken.None).ConfigureAwait(false);
        _disposed = true;
        _inbound.Writer.TryComplete();
        lock (_gate)
        {
            foreach (var op in _pending.Values)
            {
                op.Done.TrySetException(new ObjectDisposedException(nameof(MqttClient)));
            }

            _pending.Clear();
        }

        _qos0Credits.Dispose();
    }

    private CancellationTokenSource BeginLifetime()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            if (_lifetime is not null)
            {
                throw new InvalidOperationException("The client is already connected or connecting.");
            }

            _lifetime = new CancellationTokenSource();
            return _lifetime;
        }
    }

    private void EndLifetime(CancellationTokenSource lifetime)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_lifetime, lifetime))
            {
                _lifetime = null;
            }
        }

        lifetime.Dispose();
    }

    private async Task<IReadOnlyList<MqttReasonCode>> SendTrackedAsync(Func<ushort, MqttPacket> build, CancellationToken cancellationToken)
    {
        PendingOperation op;
        MqttClientConnection? connection;
        ushort id;
        lock (_gate)
        {
            id = NextPacketIdLocked();
            op = new PendingOperation(build(id), ++_sequence);
            _pending[id] = op;
            connection = _connection;
        }

        connection?.TryEnqueue(op.Packet);
        try
        {
            return await op.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_gate)
            {
                if (_pending.TryGetValue(id, out var current) && ReferenceEquals(current, op))
                {
                    _pending.Remove(id);
                }
            }

            throw;
        }
    }

    private ushort NextPacketIdLocked()
    {
        for (var i = 0; i < ushort.MaxValue; i++)
        {
            _lastPacketId = _lastPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastPacketId + 1);
            if (!_pending.ContainsKey(_lastPacketId))
            {
                return _lastPacketId;
            }
        }

        throw new InvalidOperationException("All 65,535 packet identifiers are in use.");
    }

    private async Task<MqttClientConnection> WaitConnectedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task ready;
            lock (_gate)
            {
                if (_connection is { } c && _ready.Task.IsCompleted)
                {
                    return c;
                }

                ready = _ready.Task;
            }

            await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(MqttClientConnection Connection, MqttConnectResult Result)> EstablishAsync(bool firstConnect, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var token = linked.Token;
        var stream = await OpenStreamAsync(token).ConfigureAwait(false);
        var connection = new MqttClientConnection(stream, _options.ProtocolVersion, _options.MaxPacketSize, _time, _logger, _endPoint, () => _qos0Credits.Release());
        try
        {
            var v5 = _options.ProtocolVersion == MqttProtocolVersion.V500;
            var connect = new MqttConnectPacket
            {
                ProtocolVersion = _options.ProtocolVersion,
                ClientId = _clientId,
                CleanStart = v5 ? firstConnect && _options.CleanStart : _options.CleanStart,
                KeepAliveSeconds = (ushort)Math.Clamp(_options.KeepAlive.TotalSeconds, 0, ushort.MaxValue),
                UserName = _options.UserName,
                Password = _options.Password is null ? (ReadOnlyMemory<byte>?)null : Encoding.UTF8.GetBytes(_options.Password),
                Will = _options.Will,
                Properties = v5
                    ? new MqttProperties
                    {
                        SessionExpiryInterval = _options.SessionExpiryInterval == 0 ? null : _options.SessionExpiryInterval,
                        ReceiveMaximum = _options.ReceiveMaximum == 0 ? null : _options.ReceiveMaximum,
                        MaximumPacketSize = (uint)_options.MaxPacketSize,
                    }
                    : null,
            };
            await connection.SendDirectAsync(connect, token).ConfigureAwait(false);
            var reply = await connection.ReadDirectAsync(token).ConfigureAwait(false);
            if (reply.Packet is not MqttConnAckPacket ack)
            {
                throw reply.IsEndOfStream
                    ? new MqttConnectException(MqttReasonCode.UnspecifiedError, "The broker closed the connection before CONNACK.")
                    : new MqttConnectException(MqttReasonCode.ProtocolError, $"Expected CONNACK, got {reply.Packet?.Type.ToString() ?? reply.Error.ToString()}.");
            }

            if (MqttReasonCodes.IsFailure(ack.ReasonCode))
            {
                var returnCode = v5 ? string.Empty : $", 3.1.1 return code {(int)ack.ReturnCode} {ack.ReturnCode}";
                throw new MqttConnectException(ack.ReasonCode, $"The broker refused the connection: {ack.ReasonCode} (0x{(int)ack.ReasonCode:X2}{returnCode}).");
            }

            var serverProps = ack.Properties;
            if (serverProps?.AssignedClientIdentifier is { Length: > 0 } assigned)
            {
                _clientId = assigned;
            }

            _window.SetLimit(Math.Min(_options.MaxInFlight, serverProps?.ReceiveMaximum ?? ushort.MaxValue));
            var keepAlive = serverProps?.ServerKeepAlive is { } serverKeepAlive ? TimeSpan.FromSeconds(serverKeepAlive) : TimeSpan.FromSeconds(connect.KeepAliveSeconds);
            if (!ack.SessionPresent)
            {
                _inboundQoS2.Clear();
            }

            connection.Start(HandleAsync, keepAlive);
            Resend(connection, ack.SessionPresent);
            if (!ack.SessionPresent)
            {
                await ResubscribeAsync(connection, token).ConfigureAwait(false);
            }

            lock (_gate)
            {
                if (ReferenceEquals(_connection, connection))
                {
                    _ready.TrySetResult();
                }
            }

            Interlocked.Increment(ref _connectCount);
            MqttClientLog.Connected(_logger, _endPoint, _clientId, _options.ProtocolVersion, ack.SessionPresent, _options.UserName);
            return (connection, new MqttConnectResult(ack.SessionPresent, ack.ReasonCode, serverProps));
        }
        catch
        {
            lock (_gate)
            {
                if (ReferenceEquals(_connection, connection))
                {
                    _connection = null;
                }
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<Stream> OpenStreamAsync(CancellationToken token)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_options.Host, _options.Port, token).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_options.Tls is { } tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                var sslOptions = new SslClientAuthenticationOptions
                {
                    TargetHost = tls.TargetHost ?? _options.Host,
                    RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback,
                    ClientCertificates = tls.ClientCertificates,
                    EnabledSslProtocols = tls.EnabledSslProtocols,
                    CertificateRevocationCheckMode = tls.CertificateRevocationCheckMode,
                    CertificateChainPolicy = tls.CertificateChainPolicy,
                };
                try
                {
                    await ssl.AuthenticateAsClientAsync(sslOptions, token).ConfigureAwait(false);
                }
                catch
                {
                    await ssl.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                stream = ssl;
            }

            return stream;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Re-sends unacknowledged packets in their original order on a new connection.</summary>
    private void Resend(MqttClientConnection connection, bool sessionPresent)
    {
        List<PendingOperation> snapshot;
        lock (_gate)
        {
            _connection = connection;
            if (_ready.Task.IsCompleted)
            {
                _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            snapshot = [.. _pending.Values];
        }

        if (snapshot.Count == 0)
        {
            return;
        }

        snapshot.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
        MqttClientLog.Resending(_logger, _endPoint, snapshot.Count);
        foreach (var op in snapshot)
        {
            switch (op.Packet)
            {
                case MqttPublishPacket publish when op.Released:
                    if (sessionPresent)
                    {
                        connection.TryEnqueue(new MqttPubRelPacket { PacketId = publish.PacketId });
                    }
                    else
                    {
                        // The broker had the message (it sent PUBREC) and has forgotten the exchange with its session.
                        Complete(publish.PacketId, MqttReasonCode.Success);
                    }

                    break;
                case MqttPublishPacket publish:
                    connection.TryEnqueue(sessionPresent ? publish with { Dup = true } : publish);
                    break;
                default:
                    connection.TryEnqueue(op.Packet);
                    break;
            }
        }
    }

    private async Task ResubscribeAsync(MqttClientConnection connection, CancellationToken token)
    {
        MqttTopicSubscription[] all;
        lock (_gate)
        {
            all = [.. _subscriptions.Values];
        }

        if (all.Length == 0)
        {
            return;
        }

        PendingOperation op;
        lock (_gate)
        {
            var id = NextPacketIdLocked();
            op = new PendingOperation(new MqttSubscribePacket { PacketId = id, Subscriptions = all }, ++_sequence);
            _pending[id] = op;
        }

        connection.TryEnqueue(op.Packet);
        await op.Done.Task.WaitAsync(token).ConfigureAwait(false);
        MqttClientLog.Resubscribed(_logger, _endPoint, all.Length);
    }

    private async Task SuperviseAsync(MqttClientConnection? connection, CancellationToken lifetime)
    {
        var firstAttemptNow = connection is null;
        while (!lifetime.IsCancellationRequested)
        {
            if (connection is not null)
            {
                var reason = await connection.Completion.ConfigureAwait(false);
                lock (_gate)
                {
                    if (ReferenceEquals(_connection, connection))
                    {
                        _connection = null;
                    }

                    if (_ready.Task.IsCompleted)
                    {
                        _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }

                await connection.DisposeAsync().ConfigureAwait(false);
                connection = null;
                if (lifetime.IsCancellationRequested || !_options.AutoReconnect)
                {
                    if (!lifetime.IsCancellationRequested)
                    {
                        MqttClientLog.ConnectionLost(_logger, _endPoint, reason);
                    }

                    return;
                }

                MqttClientLog.ConnectionLost(_logger, _endPoint, reason);
            }

            for (var attempt = 0; connection is null; attempt++)
            {
                var delay = firstAttemptNow && attempt == 0 ? TimeSpan.Zero : BackoffDelay(attempt);
                try
                {
                    if (delay > TimeSpan.Zero)
                    {
                        await Task.Delay(delay, _time, lifetime).ConfigureAwait(false);
                    }

                    (connection, _) = await EstablishAsync(firstConnect: firstAttemptNow && _connectCount == 0, lifetime).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or MqttConnectException or OperationCanceledException
                    or System.Security.Authentication.AuthenticationException)
                {
                    // any of these ends this attempt, never the reconnecting: a probe keeps trying until it is stopped
                    MqttClientLog.ReconnectFailed(_logger, _endPoint, attempt + 1, ex.Message, BackoffDelay(attempt + 1));
                }
            }

            firstAttemptNow = false;
        }

        if (connection is not null)
        {
            await connection.CloseGracefullyAsync(new MqttDisconnectPacket(), CancellationToken.None).ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Exponential backoff from the minimum to the maximum delay, with "equal jitter" (half fixed, half random).</summary>
    private TimeSpan BackoffDelay(int attempt)
    {
        var min = _options.ReconnectMinDelay.TotalMilliseconds;
        var max = Math.Max(min, _options.ReconnectMaxDelay.TotalMilliseconds);
        var ceiling = Math.Min(max, min * Math.Pow(2, Math.Min(attempt, 30)));
#pragma warning disable CA5394 // Jitter needs no cryptographic randomness.
        var jittered = (ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2);
#pragma warning restore CA5394
        return TimeSpan.FromMilliseconds(jittered);
    }

    private async ValueTask HandleAsync(MqttClientConnection connection, MqttPacket packet, CancellationToken token)
    {
        switch (packet)
        {
            case MqttPublishPacket publish:
                await OnPublishAsync(connection, publish, token).ConfigureAwait(false);
                break;
            case MqttPubRelPacket release:
                _inboundQoS2.Remove(release.PacketId);
                connection.TryEnqueue(new MqttPubCompPacket { PacketId = release.PacketId });
                break;
            case MqttPubAckPacket ack:
                Complete(ack.PacketId, ack.ReasonCode);
                break;
            case MqttPubRecPacket received:
                OnPubRec(connection, received);
                break;
            case MqttPubCompPacket complete:
                Complete(complete.PacketId, complete.ReasonCode);
                break;
            case MqttSubAckPacket subAck:
                CompleteWith(subAck.PacketId, subAck.ReasonCodes);
                break;
            case MqttUnsubAckPacket unsubAck:
                CompleteWith(unsubAck.PacketId, unsubAck.ReasonCodes);
                break;
            case MqttPingRespPacket:
                break;
            case MqttDisconnectPacket disconnect:
                MqttClientLog.ServerDisconnect(_logger, _endPoint, disconnect.ReasonCode, disconnect.Properties?.ReasonString);
                break;
            default:
                MqttClientLog.BadPacket(_logger, _endPoint, MqttReasonCode.ProtocolError, $"unexpected {packet.Type} from the broker");
                connection.Abort($"protocol error: {packet.Type} from the broker");
                break;
        }
    }

    private async ValueTask OnPublishAsync(MqttClientConnection connection, MqttPublishPacket publish, CancellationToken token)
    {
        var deliver = publish.QoS != MqttQualityOfService.ExactlyOnce || _inboundQoS2.Add(publish.PacketId);
        if (deliver)
        {
            var message = new MqttMessage(publish.Topic, publish.Payload, publish.QoS, publish.Retain, publish.Properties) { PacketId = publish.PacketId, Connection = connection };
            if (!_inbound.Writer.TryWrite(message))
            {
                connection.DeliveryBlocked = true;
                try
                {
                    await _inbound.Writer.WriteAsync(message, token).ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    return;
                }
                finally
                {
                    connection.DeliveryBlocked = false;
                }
            }
        }

        if (deliver && _options.ManualAcknowledge)
        {
            return; // the consumer acknowledges once it has kept the message
        }

        SendAcknowledgement(connection, publish.QoS, publish.PacketId);
    }

    /// <summary>
    /// With <see cref="MqttClientOptions.ManualAcknowledge"/>: acknowledges a received message once the consumer has
    /// kept it (PUBACK for QoS 1, PUBREC for QoS 2; nothing for QoS 0). Returns false when the connection it came on is
    /// gone: the broker re-sends it on a resumed session, or dropped it with a clean one.
    /// </summary>
    public bool Acknowledge(in MqttMessage message)
    {
        if (message.QoS == MqttQualityOfService.AtMostOnce)
        {
            return true;
        }

        MqttClientConnection? current;
        lock (_gate)
        {
            current = _connection;
        }

        if (message.Connection is not { } connection || !ReferenceEquals(connection, current))
        {
            return false;
        }

        return SendAcknowledgement(connection, message.QoS, message.PacketId);
    }

    private static bool SendAcknowledgement(MqttClientConnection connection, MqttQualityOfService qos, ushort packetId)
    {
        switch (qos)
        {
            case MqttQualityOfService.AtLeastOnce:
                return connection.TryEnqueue(new MqttPubAckPacket { PacketId = packetId });
            case MqttQualityOfService.ExactlyOnce:
                return connection.TryEnqueue(new MqttPubRecPacket { PacketId = packetId });
            default:
                return true;
        }
    }

    private void OnPubRec(MqttClientConnection connection, MqttPubRecPacket received)
    {
        if (MqttReasonCodes.IsFailure(received.ReasonCode))
        {
            Complete(received.PacketId, received.ReasonCode);
            return;
        }

        lock (_gate)
        {
            if (_pending.TryGetValue(received.PacketId, out var op))
            {
                op.Released = true;
            }
        }

        connection.TryEnqueue(new MqttPubRelPacket { PacketId = received.PacketId });
    }

    private void Complete(ushort packetId, MqttReasonCode code)
    {
        PendingOperation? op;
        lock (_gate)
        {
            if (_pending.Remove(packetId, out op) is false)
            {
                return;
            }
        }

        op.Complete(code);
    }

    private void CompleteWith(ushort packetId, IReadOnlyList<MqttReasonCode> codes)
    {
        PendingOperation? op;
        lock (_gate)
        {
            if (_pending.Remove(packetId, out op) is false)
            {
                return;
            }
        }

        op.Done.TrySetResult(codes);
    }
}
