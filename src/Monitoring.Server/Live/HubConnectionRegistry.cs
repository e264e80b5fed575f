using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Claims;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using Monitoring.Core.Inventory;
using Monitoring.Server.Hosting;
using Monitoring.Server.Security;

namespace Monitoring.Server.Live;

/// <summary>Who a broadcast is for: every console may get status; alarms and tickets need the right to read them.</summary>
public enum HubAudience
{
    /// <summary>"alarm" and "mute": connections whose user (or token) may read alarms (Capability.Read).</summary>
    Alarms,

    /// <summary>"ticket": connections whose user (or token) may read tickets (Capability.ReadTickets).</summary>
    Tickets,
}

/// <summary>
/// One open connection to /hubs/live: who opened it (user name and session stamp, or API token id), the rooms its
/// user may see (its room groups, fixed for the connection's life: a change of role or team closes it), the rooms it
/// shows (JoinRoom), the devices whose values it subscribed to, and its bounded send queue.
/// </summary>
public sealed class LiveConnection
{
    private readonly HubConnectionContext _connection;
    private readonly HubConnectionRegistry _owner;
    private readonly Lock _gate = new();
    private readonly Queue<(SerializedHubMessage Message, int Bytes)> _queue = new();
    private readonly HashSet<string> _shown = new(StringComparer.Ordinal);
    private readonly HashSet<int> _subscribed = [];
    private long _queuedBytes;
    private long _peakQueuedBytes;
    private long _largestMessage;
    private long _resyncs;
    private long _sentBytes;
    private bool _pumping;
    private bool _resyncDue;
    private bool _closed;
    private Task _pump = Task.CompletedTask;

    internal LiveConnection(HubConnectionContext connection, HubConnectionRegistry owner, Inventory inventory)
    {
        _connection = connection;
        _owner = owner;
        User = connection.User ?? new ClaimsPrincipal();
        if (User.FindFirst(Permissions.ClaimTokenId)?.Value is { } tokenId && long.TryParse(tokenId, System.Globalization.CultureInfo.InvariantCulture, out var id))
        {
            TokenId = id;
        }
        else
        {
            UserName = User.FindFirst(Permissions.ClaimName)?.Value;
            Stamp = User.FindFirst(Permissions.ClaimStamp)?.Value;
        }

        CanReadAlarms = HubGuard.Allows(User, Capability.Read);
        CanReadTickets = HubGuard.Allows(User, Capability.ReadTickets);
        SeesEveryRoom = Principals.SeesEveryRoom(User);
        VisibleRooms = inventory.Rooms.Where(r => Principals.MaySee(User, r)).Select(r => r.Id).ToFrozenSet(StringComparer.Ordinal);
    }

    public string ConnectionId => _connection.ConnectionId;

    /// <summary>The hub protocol the client chose ("json" or "messagepack").</summary>
    public string Protocol => _connection.Protocol.Name;

    public ClaimsPrincipal User { get; }

    /// <summary>The signed-in user's name; null for an API token.</summary>
    public string? UserName { get; }

    public string? Stamp { get; }

    public long? TokenId { get; }

    public bool CanReadAlarms { get; }

    public bool CanReadTickets { get; }

    /// <summary>False for a trainee: only training rooms.</summary>
    public bool SeesEveryRoom { get; }

    /// <summary>The room groups this connection belongs to: the rooms its user may see.</summary>
    public FrozenSet<string> VisibleRooms { get; }

    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return !_closed;
            }
        }
    }

    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>Messages waiting in this connection's send queue (not counting the one being written).</summary>
    public int QueuedMessages
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>The most bytes ever waiting for this connection: at most the bound plus one message.</summary>
    public long PeakQueuedBytes => Interlocked.Read(ref _peakQueuedBytes);

    /// <summary>The largest single message queued for this connection.</summary>
    public long LargestMessage => Interlocked.Read(ref _largestMessage);

    /// <summary>Times this connection's queue was dropped and the client told to resync.</summary>
    public long Resyncs => Interlocked.Read(ref _resyncs);

    /// <summary>Bytes of hub messages written to this connection by the broadcasts (not counting method completions and pings).</summary>
    public long SentBytes => Interlocked.Read(ref _sentBytes);

    public bool MaySee(string? roomId) => roomId is not null && VisibleRooms.Contains(roomId) || (roomId is null && SeesEveryRoom);

    public bool Shows(string roomId)
    {
        lock (_gate)
        {
            return _shown.Contains(roomId);
        }
    }

    internal void Show(string roomId)
    {
        lock (_gate)
        {
            _shown.Add(roomId);
        }
    }

    internal void Hide(string roomId)
    {
        lock (_gate)
        {
            _shown.Remove(roomId);
        }
    }

    internal string[] ShownRooms()
    {
        lock (_gate)
        {
            return _shown.Count == 0 ? [] : [.. _shown];
        }
    }

    internal int[] SubscribedDevices()
    {
        lock (_gate)
        {
            return _subscribed.Count == 0 ? [] : [.. _subscribed];
        }
    }

    /// <summary>Adds devices (by index); refuses the whole call when the total would pass <paramref name="max"/>. Returns the ones newly added.</summary>
    internal List<int>? Subscribe(IReadOnlyList<int> devices, int max)
    {
        lock (_gate)
        {
            if (_closed)
            {
                // gone meanwhile (Remove has already let its subscriptions go): nothing to count
                return [];
            }

            var added = devices.Where(d => !_subscribed.Contains(d)).Distinct().ToList();
            if (_subscribed.Count + added.Count > max)
            {
                return null;
            }

            foreach (var device in added)
            {
                _subscribed.Add(device);
            }

            return added;
        }
    }

    internal List<int> Unsubscribe(IEnumerable<int> devices)
    {
        lock (_gate)
        {
            return [.. devices.Where(_subscribed.Remove)];
        }
    }

    internal int SubscriptionCount
    {
        get
        {
            lock (_gate)
            {
                return _subscribed.Count;
            }
        }
    }

    /// <summary>
    /// Queues a message for this connection without waiting for it. When what is queued would pass the bound, the
    /// queue is emptied (every message counted as dropped) and the client is sent "resync" before anything newer:
    /// it then reads the room, its alarms and tickets again over REST. A single message larger than the bound is still
    /// sent when nothing else waits, so memory per connection stays within the bound plus one message.
    /// </summary>
    internal void Enqueue(SerializedHubMessage message, long maxQueuedBytes)
    {
        int bytes;
        try
        {
            bytes = message.GetSerializedMessage(_connection.Protocol).Length;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _owner.SerializationFailed(this, ex);
            return;
        }

        var start = false;
        var dropped = 0;
        long droppedBytes = 0;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if (_queuedBytes > 0 && _queuedBytes + bytes > maxQueuedBytes)
            {
                Interlocked.Increment(ref _resyncs);
                dropped = _queue.Count + 1;
                droppedBytes = _queuedBytes + bytes;
                _queue.Clear();
                Interlocked.Exchange(ref _queuedBytes, 0);
                _resyncDue = true;
            }
            else
            {
                _queue.Enqueue((message, bytes));
                var queued = Interlocked.Add(ref _queuedBytes, bytes);
                if (queued > _peakQueuedBytes)
                {
                    Interlocked.Exchange(ref _peakQueuedBytes, queued);
                }

                if (bytes > _largestMessage)
                {
                    Interlocked.Exchange(ref _largestMessage, bytes);
                }
            }

            if (!_pumping)
            {
                _pumping = true;
                start = true;
            }
        }

        if (dropped > 0)
        {
            _owner.Overflowed(this, dropped, droppedBytes);
        }

        if (start)
        {
            _pump = PumpAsync();
        }
    }

    /// <summary>Stops queuing and aborts the connection; returns false when it was closed already.</summary>
    internal bool Close()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            _closed = true;
            _queue.Clear();
            Interlocked.Exchange(ref _queuedBytes, 0);
        }

        _connection.Abort();
        return true;
    }

    /// <summary>Marks the connection gone (it closed by itself); pending messages are let go.</summary>
    internal void Forget()
    {
        lock (_gate)
        {
            _closed = true;
            _queue.Clear();
            Interlocked.Exchange(ref _queuedBytes, 0);
        }
    }

    internal Task Pump => _pump;

    private async Task PumpAsync()
    {
        while (true)
        {
            SerializedHubMessage next;
            int bytes;
            lock (_gate)
            {
                if (_closed)
                {
                    _pumping = false;
                    return;
                }

                if (_resyncDue)
                {
                    _resyncDue = false;
                    next = HubConnectionRegistry.ResyncMessage;
                    bytes = 0;
                }
                else if (_queue.TryDequeue(out var item))
                {
                    next = item.Message;
                    bytes = item.Bytes;
                    Interlocked.Add(ref _queuedBytes, -bytes);
                }
                else
                {
                    _pumping = false;
                    return;
                }
            }

            try
            {
                await _connection.WriteAsync(next, _connection.ConnectionAborted).ConfigureAwait(false);
                Interlocked.Add(ref _sentBytes, bytes == 0 ? next.GetSerializedMessage(_connection.Protocol).Length : bytes);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // the connection went away (or was aborted): nothing more to send to it
                Forget();
                lock (_gate)
                {
                    _pumping = false;
                }

                return;
            }
        }
    }
}

/// <summary>
/// Every open /hubs/live connection, by connection id, user and API token. The broadcasts go through here: status
/// changes to the consoles showing a room, values to the connections that subscribed to the device, alarms and
/// tickets to the room groups (connections whose user may see the room and read alarms/tickets). Each connection
/// has a bounded queue (<see cref="LiveOptions.MaxQueuedBytesPerClient"/>): a slow one is told to resync instead of
/// growing the server's memory. Security changes close connections at once (<see cref="Disconnect"/>,
/// <see cref="DisconnectToken"/>, <see cref="DisconnectStale"/>).
/// </summary>
public sealed partial class HubConnectionRegistry(
    Inventory inventory, UserDirectory users, TokenDirectory tokens, IOptions<MonitoringOptions> options, ILogger<HubConnectionRegistry> logger)
{
    public const string ResyncMethod = "resync";

    internal static readonly SerializedHubMessage ResyncMessage = new(new InvocationMessage(
        ResyncMethod, [new ResyncMessage("the server dropped messages this console was too slow to read: read the room, alarms and tickets again")]));

    private readonly ConcurrentDictionary<string, LiveConnection> _connections = new(StringComparer.Ordinal);
    private readonly int[] _subscribers = new int[inventory.Devices.Count];
    private long _resyncs;
    private long _droppedMessages;
    private long _droppedBytes;
    private long _closedBySecurity;
    private long _peakQueuedBytes;

    public int Count => _connections.Count;

    public ICollection<LiveConnection> Connections => _connections.Values;

    public long MaxQueuedBytesPerClient => Math.Max(64 * 1024, options.Value.Live.MaxQueuedBytesPerClient);

    public int MaxSubscriptionsPerClient => Math.Max(1, options.Value.Live.MaxSubscriptionsPerClient);

    /// <summary>Times a slow console was told to resync; the messages and bytes it missed.</summary>
    public long Resyncs => Interlocked.Read(ref _resyncs);

    public long DroppedMessages => Interlocked.Read(ref _droppedMessages);

    public long DroppedBytes => Interlocked.Read(ref _droppedBytes);

    /// <summary>Connections closed because their session or token ended (revoked, disabled, signed out, password/role/team changed).</summary>
    public long ClosedBySecurity => Interlocked.Read(ref _closedBySecurity);

    /// <summary>The most bytes ever queued for one connection (never more than the bound).</summary>
    public long PeakQueuedBytes => Interlocked.Read(ref _peakQueuedBytes);

    public LiveConnection? Find(string connectionId) => _connections.GetValueOrDefault(connectionId);

    /// <summary>How many connections want the values of the device with this index.</summary>
    public bool HasSubscribers(int deviceIndex) => (uint)deviceIndex < (uint)_subscribers.Length && Volatile.Read(ref _subscribers[deviceIndex]) > 0;

    /// <summary>True while the connection's session (user enabled, same stamp) or API token (not revoked, not expired) is still valid.</summary>
    public bool IsCurrent(LiveConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.TokenId is { } id ? tokens.IsActive(id) : users.IsCurrent(connection.UserName, connection.Stamp);
    }

    /// <summary>Closes every hub connection of this user (sign-out, disabled, password or role changed). Returns how many.</summary>
    public int Disconnect(string userName) =>
        CloseWhere(c => c.UserName is not null && string.Equals(c.UserName, userName, StringComparison.OrdinalIgnoreCase), "user " + userName);

    /// <summary>Closes every hub connection opened with this API token (revoked). Returns how many.</summary>
    public int DisconnectToken(long tokenId) => CloseWhere(c => c.TokenId == tokenId, "token " + tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Closes the user's connections whose session is no longer current (after a change to the user); a display-name change closes none.</summary>
    public int DisconnectStale(string userName) =>
        CloseWhere(c => c.UserName is not null && string.Equals(c.UserName, userName, StringComparison.OrdinalIgnoreCase) && !IsCurrent(c), "user " + userName);

    /// <summary>Closes every connection whose session or token has ended (expired tokens, and any change made elsewhere).</summary>
    public int DisconnectAllStale() => CloseWhere(c => !IsCurrent(c), "ended sessions");

    /// <summary>
    /// Cluster mode (Monitoring:Cluster:Redis): what this node publishes goes to the other nodes' consoles too, and
    /// theirs arrive through <see cref="Deliver"/>. Null on a single node.
    /// </summary>
    internal IHubBackplane? Backplane { get; set; }

    /// <summary>Sends to every connection that may read this kind of message, whatever rooms it sees (the console mute).</summary>
    public void PublishEverywhere(HubAudience audience, string method, object message)
    {
        if (Backplane is { } backplane)
        {
            var serialized = backplane.Forward(null, audience, everywhere: true, method, message);
            Deliver(null, audience, everywhere: true, serialized);
            return;
        }

        SerializedHubMessage? lazy = null;
        foreach (var connection in _connections.Values)
        {
            if (audience == HubAudience.Alarms ? connection.CanReadAlarms : connection.CanReadTickets)
            {
                lazy ??= new SerializedHubMessage(new InvocationMessage(method, [message]));
                Send(connection, lazy);
            }
        }
    }

    /// <summary>Sends to the room group: every connection that may see <paramref name="roomId"/> (null: rooms of no room, all but trainees) and read this kind of message.</summary>
    public void Publish(string? roomId, HubAudience audience, string method, object message)
    {
        if (Backplane is { } backplane)
        {
            Deliver(roomId, audience, everywhere: false, backplane.Forward(roomId, audience, everywhere: false, method, message));
            return;
        }

        // a room the inventory does not know (a ticket typed by hand) goes where a message of no room goes
        var room = roomId is not null && inventory.FindRoom(roomId) is not null ? roomId : null;
        SerializedHubMessage? serialized = null;
        foreach (var connection in _connections.Values)
        {
            var allowed = audience == HubAudience.Alarms ? connection.CanReadAlarms : connection.CanReadTickets;
            if (!allowed || !connection.MaySee(room))
            {
                continue;
            }

            serialized ??= new SerializedHubMessage(new InvocationMessage(method, [message]));
            Send(connection, serialized);
        }
    }

    /// <summary>Delivers a message already serialized (by this node or, through the backplane, another) to this node's connections, with the same audience rules as <see cref="Publish"/>.</summary>
    internal void Deliver(string? roomId, HubAudience audience, bool everywhere, SerializedHubMessage message)
    {
        var room = roomId is not null && inventory.FindRoom(roomId) is not null ? roomId : null;
        foreach (var connection in _connections.Values)
        {
            var allowed = audience == HubAudience.Alarms ? connection.CanReadAlarms : connection.CanReadTickets;
            if (allowed && (everywhere || connection.MaySee(room)))
            {
                Send(connection, message);
            }
        }
    }

    /// <summary>Queues one message for one connection (bounded).</summary>
    public void Send(LiveConnection connection, SerializedHubMessage message)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Enqueue(message, MaxQueuedBytesPerClient);
        Monitoring.Core.Diagnostics.MonitoringInstruments.HubMessageQueued(connection.QueuedBytes); // metrics hook: hub send queue depth
        var queued = connection.PeakQueuedBytes;
        if (queued > Interlocked.Read(ref _peakQueuedBytes))
        {
            Interlocked.Exchange(ref _peakQueuedBytes, queued);
        }
    }

    /// <summary>Subscribes the connection to device values; null when the total would pass the bound.</summary>
    internal List<int>? Subscribe(LiveConnection connection, IReadOnlyList<int> devices)
    {
        var added = connection.Subscribe(devices, MaxSubscriptionsPerClient);
        foreach (var device in added ?? [])
        {
            Interlocked.Increment(ref _subscribers[device]);
        }

        return added;
    }

    internal void Unsubscribe(LiveConnection connection, IEnumerable<int> devices)
    {
        foreach (var device in connection.Unsubscribe(devices))
        {
            Interlocked.Decrement(ref _subscribers[device]);
        }
    }

    internal LiveConnection Add(HubConnectionContext context)
    {
        var connection = new LiveConnection(context, this, inventory);
        _connections[context.ConnectionId] = connection;
        // revoked between the authentication of the request and now: closed straight away
        if (!IsCurrent(connection) && connection.Close())
        {
            Interlocked.Increment(ref _closedBySecurity);
        }

        return connection;
    }

    internal void Remove(string connectionId)
    {
        if (_connections.TryRemove(connectionId, out var connection))
        {
            connection.Forget();
            Unsubscribe(connection, connection.SubscribedDevices());
        }
    }

    internal void Overflowed(LiveConnection connection, int dropped, long bytes)
    {
        Interlocked.Increment(ref _resyncs);
        Interlocked.Add(ref _droppedMessages, dropped);
        Interlocked.Add(ref _droppedBytes, bytes);
        LogOverflow(logger, connection.ConnectionId, connection.UserName ?? "token", dropped, bytes, MaxQueuedBytesPerClient);
    }

    internal void SerializationFailed(LiveConnection connection, Exception exception) => LogSerializationFailed(logger, exception, connection.ConnectionId);

    /// <summary>Counters for /healthz ("live" component).</summary>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["connections"] = Count,
        ["resyncs"] = Resyncs,
        ["droppedMessages"] = DroppedMessages,
        ["droppedBytes"] = DroppedBytes,
        ["peakQueuedBytes"] = PeakQueuedBytes,
        ["maxQueuedBytesPerClient"] = MaxQueuedBytesPerClient,
        ["closedBySecurity"] = ClosedBySecurity,
    };

    private int CloseWhere(Func<LiveConnection, bool> match, string why)
    {
        var closed = 0;
        foreach (var connection in _connections.Values)
        {
            if (match(connection) && connection.Close())
            {
                closed++;
            }
        }

        if (closed > 0)
        {
            Interlocked.Add(ref _closedBySecurity, closed);
            LogClosed(logger, closed, why);
        }

        return closed;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Hub connection {ConnectionId} ({User}) is too slow: {Dropped} queued message(s), {Bytes} bytes, dropped at the bound of {Max} bytes; it is told to resync")]
    private static partial void LogOverflow(ILogger logger, string connectionId, string user, int dropped, long bytes, long max);

    [LoggerMessage(Level = LogLevel.Error, Message = "A hub message for connection {ConnectionId} could not be serialized")]
    private static partial void LogSerializationFailed(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Count} hub connection(s) of {Who}: the session or token ended")]
    private static partial void LogClosed(ILogger logger, int count, string who);
}

/// <summary>Carries hub messages between server nodes (cluster mode): <see cref="Forward"/> answers the message serialized for every hub protocol, already sent on to the other nodes.</summary>
internal interface IHubBackplane
{
    SerializedHubMessage Forward(string? roomId, HubAudience audience, bool everywhere, string method, object message);
}

/// <summary>What "resync" carries: the console reads its state again over REST.</summary>
public sealed record ResyncMessage(string Reason);

/// <summary>The default lifetime manager, plus every connection registered with <see cref="HubConnectionRegistry"/> for its life.</summary>
internal sealed class LiveHubLifetimeManager(ILogger<DefaultHubLifetimeManager<LiveHub>> logger, HubConnectionRegistry registry)
    : DefaultHubLifetimeManager<LiveHub>(logger)
{
    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await base.OnConnectedAsync(connection).ConfigureAwait(false);
        registry.Add(connection);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        registry.Remove(connection.ConnectionId);
        await base.OnDisconnectedAsync(connection).ConfigureAwait(false);
    }
}

/// <summary>Before every hub method: the connection's session or token must still be valid, else it is closed and the call refused.</summary>
internal sealed class LiveSessionFilter(HubConnectionRegistry registry) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        if (registry.Find(invocationContext.Context.ConnectionId) is not { IsOpen: true } connection || !registry.IsCurrent(connection))
        {
            invocationContext.Context.Abort();
            throw new HubException("401 the session or API token of this connection has ended: sign in again");
        }

        return await next(invocationContext).ConfigureAwait(false);
    }
}

/// <summary>Every few seconds: closes connections whose session or token ended by a path that did not close them (a token's expiry).</summary>
internal sealed class HubSessionSweeper(HubConnectionRegistry registry, IOptions<MonitoringOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.Live.SessionCheckSeconds)), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                registry.DisconnectAllStale();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
