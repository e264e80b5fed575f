namespace Monitoring.Mqtt.Broker;

/// <summary>A snapshot of the embedded broker's state and counters (for /healthz).</summary>
public sealed record BrokerStats
{
    public bool Listening { get; init; }

    public int Port { get; init; }

    public int ConnectedClients { get; init; }

    public int Sessions { get; init; }

    public int Subscriptions { get; init; }

    public int RetainedMessages { get; init; }

    /// <summary>QoS 1/2 messages waiting in session queues now (beyond those in flight).</summary>
    public long QueuedMessages { get; init; }

    /// <summary>The bound on <see cref="QueuedMessages"/> per session.</summary>
    public int QueueBoundPerSession { get; init; }

    /// <summary>The bound on <see cref="QueuedMessages"/> over all sessions.</summary>
    public int QueueBoundTotal { get; init; }

    /// <summary>QoS 1/2 messages dropped because a session queue (or the total) was full.</summary>
    public long QueueDrops { get; init; }

    /// <summary>QoS 0 messages dropped for slow subscribers.</summary>
    public long Qos0Drops { get; init; }

    /// <summary>Queued messages discarded because their 5.0 message expiry passed.</summary>
    public long ExpiredMessages { get; init; }

    /// <summary>Clients disconnected because their QoS 1/2 queue overflowed.</summary>
    public long SlowClientDisconnects { get; init; }

    public long MessagesIn { get; init; }

    public long MessagesOut { get; init; }

    public long ConnectionsAccepted { get; init; }

    /// <summary>CONNECTs refused (bad credentials, bad client id, too many clients, unsupported version).</summary>
    public long ConnectionsRefused { get; init; }

    /// <summary>Connections closed for a malformed packet or a protocol error.</summary>
    public long ProtocolErrors { get; init; }

    public long KeepAliveTimeouts { get; init; }

    /// <summary>Packets decoded from clients (any type).</summary>
    public long PacketsReceived { get; init; }

    public long WillsPublished { get; init; }

    /// <summary>CONNECTs refused because the user name or the client address is locked out after failed passwords (also in <see cref="ConnectionsRefused"/>).</summary>
    public long ConnectionsLockedOut { get; init; }

    /// <summary>Lock-outs started (a user name or an address reached its limit of failed passwords).</summary>
    public long Lockouts { get; init; }

    /// <summary>Publishes (and wills) not delivered because the user may not publish to the topic.</summary>
    public long PublishesDenied { get; init; }

    /// <summary>Subscriptions refused because the user may not subscribe to the filter.</summary>
    public long SubscriptionsDenied { get; init; }
}

/// <summary>Counters updated from many threads.</summary>
internal sealed class BrokerCounters
{
    public long QueueDrops;
    public long Qos0Drops;
    public long ExpiredMessages;
    public long SlowClientDisconnects;
    public long MessagesIn;
    public long MessagesOut;
    public long ConnectionsAccepted;
    public long ConnectionsRefused;
    public long ProtocolErrors;
    public long KeepAliveTimeouts;
    public long PacketsReceived;
    public long WillsPublished;
    public long ConnectionsLockedOut;
    public long Lockouts;
    public long PublishesDenied;
    public long SubscriptionsDenied;
}
