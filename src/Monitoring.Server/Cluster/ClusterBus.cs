using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Monitoring.Server.Live;
using Monitoring.Server.Security;
using StackExchange.Redis;

namespace Monitoring.Server.Cluster;

/// <summary>
/// The nodes' Redis pub/sub channel, in the way SignalR's own Redis backplane works but under the live hub's registry
/// (its bounded per-connection queues and room audiences stay): a hub message published on one node is serialized
/// once per hub protocol (JSON, MessagePack), delivered to this node's consoles and published to the others, which
/// deliver the same bytes to theirs. Security changes travel the same way: a user or token changed on one node makes
/// the others reload them from the shared store (and close hub connections whose session ended), a sign-out is kept
/// by every node, and so is a remote collector's heartbeat (a zone's health is the same on every node). Pub/sub is at most once: a message published while Redis is unreachable is counted as dropped
/// (shown in /healthz "cluster", logged); consoles read the state again over REST when they reconnect.
/// </summary>
internal sealed partial class ClusterBus : BackgroundService, IHubBackplane
{
    private const byte Version = 1;
    private const byte KindHub = 1;
    private const byte KindUsers = 2;
    private const byte KindTokens = 3;
    private const byte KindRevoked = 4;
    private const byte KindHeartbeat = 5;

    private readonly RedisConnection _redis;
    private readonly HubConnectionRegistry _hubs;
    private readonly IHubProtocolResolver _protocols;
    private readonly UserDirectory _users;
    private readonly TokenDirectory _tokens;
    private readonly SessionRevocations _revocations;
    private readonly RemoteCollectors.RemoteCollectorHealth _collectors;
    private readonly ComponentHealth _health;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterBus> _logger;
    private readonly RedisChannel _channel;
    private readonly byte[] _node = Guid.NewGuid().ToByteArray();
    private readonly Action _usersChanged;
    private readonly Action _tokensChanged;
    private readonly Action<string, DateTimeOffset> _revoked;
    private readonly Action<string, RemoteCollectors.CollectorHeartbeat> _heard;
    private CancellationToken _stopping;
    private volatile bool _subscribed;
    private long _published;
    private long _received;
    private long _dropped;
    private long _receiveFailures;

    public ClusterBus(
        RedisConnection redis, ClusterOptions options, HubConnectionRegistry hubs, IHubProtocolResolver protocols, UserDirectory users, TokenDirectory tokens,
        SessionRevocations revocations, RemoteCollectors.RemoteCollectorHealth collectors, ComponentHealth health, TimeProvider time, ILogger<ClusterBus> logger)
    {
        _collectors = collectors;
        _redis = redis;
        _hubs = hubs;
        _protocols = protocols;
        _users = users;
        _tokens = tokens;
        _revocations = revocations;
        _health = health;
        _time = time;
        _logger = logger;
        _channel = RedisChannel.Literal(options.Prefix + ":bus");
        _usersChanged = () => Publish(Frame(KindUsers, _ => { }));
        _tokensChanged = () => Publish(Frame(KindTokens, _ => { }));
        _revoked = (id, until) => Publish(Frame(KindRevoked, w =>
        {
            w.Write(id);
            w.Write(until.ToUnixTimeMilliseconds());
        }));
        _heard = (zone, heartbeat) => Publish(Frame(KindHeartbeat, w =>
        {
            w.Write(zone);
            w.Write(System.Text.Json.JsonSerializer.Serialize(heartbeat, System.Text.Json.JsonSerializerOptions.Web));
        }));
    }

    public const string Component = "cluster";

    public long Published => Interlocked.Read(ref _published);

    public long Received => Interlocked.Read(ref _received);

    public long Dropped => Interlocked.Read(ref _dropped);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _hubs.Backplane = this;
        _users.Changed += _usersChanged;
        _tokens.Changed += _tokensChanged;
        _revocations.Revoked += _revoked;
        _collectors.Heard += _heard;
        LogClusterMode(_logger, _redis.NodeName);
        Report();
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _users.Changed -= _usersChanged;
        _tokens.Changed -= _tokensChanged;
        _revocations.Revoked -= _revoked;
        _collectors.Heard -= _heard;
        _hubs.Backplane = null;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Serializes the message for every hub protocol and publishes it to the other nodes; answers it for this node's delivery.</summary>
    public SerializedHubMessage Forward(string? roomId, HubAudience audience, bool everywhere, string method, object message)
    {
        var invocation = new InvocationMessage(method, [message]);
        var serialized = new List<SerializedMessage>(2);
        foreach (var protocol in _protocols.AllProtocols)
        {
            serialized.Add(new SerializedMessage(protocol.Name, protocol.GetMessageBytes(invocation)));
        }

        Publish(Frame(KindHub, w =>
        {
            w.Write((byte)audience);
            w.Write(everywhere);
            w.Write(roomId is not null);
            if (roomId is not null)
            {
                w.Write(roomId);
            }

            w.Write(serialized.Count);
            foreach (var item in serialized)
            {
                w.Write(item.ProtocolName);
                w.Write(item.Serialized.Length);
                w.Write(item.Serialized.Span);
            }
        }));
        return new SerializedHubMessage(serialized);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2), _time);
        try
        {
            do
            {
                if (!_subscribed)
                {
                    await SubscribeAsync().ConfigureAwait(false);
                }

                Report();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SubscribeAsync()
    {
        try
        {
            var queue = await _redis.Multiplexer.GetSubscriber().SubscribeAsync(_channel).ConfigureAwait(false);
            queue.OnMessage(OnMessageAsync);
            _subscribed = true;
            LogSubscribed(_logger, _redis.NodeName);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSubscribeFailed(_logger, ex.Message);
        }
    }

    private void Publish(byte[] frame)
    {
        try
        {
            _redis.Multiplexer.GetSubscriber().Publish(_channel, frame, CommandFlags.FireAndForget);
            Interlocked.Increment(ref _published);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Interlocked.Increment(ref _dropped);
            LogPublishDropped(_logger, ex.Message);
        }
    }

    private byte[] Frame(byte kind, Action<BinaryWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Version);
            writer.Write(_node);
            writer.Write(kind);
            body(writer);
        }

        return buffer.ToArray();
    }

    private async Task OnMessageAsync(ChannelMessage message)
    {
        try
        {
            byte[] frame = message.Message!;
            using var reader = new BinaryReader(new MemoryStream(frame), Encoding.UTF8);
            if (reader.ReadByte() != Version || reader.ReadBytes(16).AsSpan().SequenceEqual(_node))
            {
                return; // another release's frame, or this node's own
            }

            Interlocked.Increment(ref _received);
            switch (reader.ReadByte())
            {
                case KindHub:
                    var audience = (HubAudience)reader.ReadByte();
                    var everywhere = reader.ReadBoolean();
                    var room = reader.ReadBoolean() ? reader.ReadString() : null;
                    var count = reader.ReadInt32();
                    var serialized = new List<SerializedMessage>(count);
                    for (var i = 0; i < count; i++)
                    {
                        var protocol = reader.ReadString();
                        serialized.Add(new SerializedMessage(protocol, reader.ReadBytes(reader.ReadInt32())));
                    }

                    _hubs.Deliver(room, audience, everywhere, new SerializedHubMessage(serialized));
                    break;
                case KindUsers:
                    await _users.LoadAsync(_stopping).ConfigureAwait(false);
                    _hubs.DisconnectAllStale();
                    break;
                case KindTokens:
                    await _tokens.LoadAsync(_stopping).ConfigureAwait(false);
                    _hubs.DisconnectAllStale();
                    break;
                case KindRevoked:
                    var id = reader.ReadString();
                    var until = DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64());
                    await _revocations.RememberAsync(id, until, _stopping).ConfigureAwait(false);
                    break;
                case KindHeartbeat:
                    // a remote collector reached another node: every node shows the zone's last contact and backlog
                    var zone = reader.ReadString();
                    if (System.Text.Json.JsonSerializer.Deserialize<RemoteCollectors.CollectorHeartbeat>(reader.ReadString(), System.Text.Json.JsonSerializerOptions.Web) is { } heartbeat)
                    {
                        _collectors.Record(zone, heartbeat, relayed: true);
                    }

                    break;
                default:
                    break;
            }
        }
#pragma warning disable CA1031 // one bad or failed message is counted and logged; the subscription keeps running
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _receiveFailures);
            LogReceiveFailed(_logger, ex);
        }
    }

    private void Report()
    {
        var connected = _redis.IsConnected;
        _health.Report(
            Component,
            connected && _subscribed ? ComponentState.Ok : ComponentState.Degraded,
            connected ? (_subscribed ? $"node {_redis.NodeName}: Redis connected" : "Redis connected, subscribing") : "Redis unreachable: hub messages of other nodes are not seen",
            new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["node"] = _redis.NodeName,
                ["redisConnected"] = connected,
                ["subscribed"] = _subscribed,
                ["published"] = Published,
                ["received"] = Received,
                ["dropped"] = Dropped,
                ["receiveFailures"] = Interlocked.Read(ref _receiveFailures),
            });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster mode: node {Node}, hub backplane and key ring in Redis")]
    private static partial void LogClusterMode(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster bus subscribed on node {Node}")]
    private static partial void LogSubscribed(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster bus: could not subscribe ({Reason}); trying again")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster bus: a message for the other nodes was dropped ({Reason})")]
    private static partial void LogPublishDropped(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cluster bus: a message from another node could not be handled")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception);
}
