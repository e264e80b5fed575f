namespace Monitoring.Mqtt.Broker;

/// <summary>
/// One application message as the broker routes it: immutable and shared by every subscriber it goes to
/// (the payload is copied once, when it is received).
/// </summary>
public sealed class BrokerMessage
{
    public BrokerMessage(string topic, ReadOnlyMemory<byte> payload, byte qos, bool retain, BrokerMessageProperties? properties = null)
    {
        Topic = topic;
        Payload = payload;
        QoS = qos;
        Retain = retain;
        Properties = properties;
    }

    public string Topic { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>QoS it was published with.</summary>
    public byte QoS { get; }

    /// <summary>Retain flag it was published with.</summary>
    public bool Retain { get; }

    /// <summary>5.0 properties passed through to subscribers (null when there are none).</summary>
    public BrokerMessageProperties? Properties { get; }

    /// <summary>Client id of the publisher (for 5.0 no-local); null for the in-process publisher.</summary>
    public string? PublisherId { get; init; }

    /// <summary>When the broker received it (TimeProvider timestamp ticks), for 5.0 message expiry.</summary>
    public long ReceivedTimestamp { get; init; }

    internal BrokerMessage WithRetain(bool retain) =>
        retain == Retain ? this : new BrokerMessage(Topic, Payload, QoS, retain, Properties) { PublisherId = PublisherId, ReceivedTimestamp = ReceivedTimestamp };
}

/// <summary>The MQTT 5.0 publish properties that travel with a message from publisher to subscribers.</summary>
public sealed class BrokerMessageProperties
{
    public byte? PayloadFormatIndicator { get; init; }

    /// <summary>Seconds; the message is discarded when it has waited longer than this.</summary>
    public uint? MessageExpiryInterval { get; init; }

    public string? ContentType { get; init; }

    public string? ResponseTopic { get; init; }

    public ReadOnlyMemory<byte>? CorrelationData { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>>? UserProperties { get; init; }
}
