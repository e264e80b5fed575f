namespace Monitoring.Mqtt.Broker;

/// <summary>Something that receives routed messages: a client session or an in-process handler.</summary>
internal abstract class BrokerSubscriber
{
    protected BrokerSubscriber(string id) => Id = id;

    /// <summary>Client id (or a local handler's id).</summary>
    public string Id { get; }

    /// <summary>Whether it can take a message now (shared subscriptions prefer online members).</summary>
    public abstract bool IsOnline { get; }

    /// <summary>Hands one message over; must not block.</summary>
    public abstract void Deliver(BrokerMessage message, byte qos, bool retain, IReadOnlyList<uint>? subscriptionIds);
}

/// <summary>One topic filter of one subscriber with its subscription options.</summary>
internal sealed class Subscription
{
    public Subscription(BrokerSubscriber subscriber, string filter, byte qos)
    {
        Subscriber = subscriber;
        Filter = filter;
        QoS = qos;
        IsShared = TopicRules.TrySplitShared(filter, out var group, out var inner);
        ShareGroup = group;
        TopicFilter = inner;
    }

    public BrokerSubscriber Subscriber { get; }

    /// <summary>The filter as subscribed (with a <c>$share/group/</c> prefix when shared).</summary>
    public string Filter { get; }

    /// <summary>The filter matched against topics.</summary>
    public string TopicFilter { get; }

    public bool IsShared { get; }

    public string ShareGroup { get; }

    /// <summary>Maximum QoS granted.</summary>
    public byte QoS { get; }

    public bool NoLocal { get; init; }

    public bool RetainAsPublished { get; init; }

    /// <summary>0 send retained on subscribe, 1 only if the subscription is new, 2 never.</summary>
    public byte RetainHandling { get; init; }

    /// <summary>5.0 subscription identifier (0: none).</summary>
    public uint SubscriptionId { get; init; }
}
