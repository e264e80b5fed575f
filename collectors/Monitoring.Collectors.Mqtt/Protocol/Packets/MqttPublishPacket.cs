namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>PUBLISH. The decoder copies the payload out of the receive buffer once; nothing copies it again.</summary>
public sealed record MqttPublishPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Publish;

    /// <summary>Topic name; empty only in 5.0 when a Topic Alias property stands for it.</summary>
    public string Topic { get; init; } = string.Empty;
    public ReadOnlyMemory<byte> Payload { get; init; }
    public MqttQualityOfService QoS { get; init; }
    public bool Retain { get; init; }
    public bool Dup { get; init; }

    /// <summary>Non-zero for QoS 1 and 2, 0 for QoS 0.</summary>
    public ushort PacketId { get; init; }
    public MqttProperties? Properties { get; init; }

    internal override byte FixedHeaderFlags => (byte)((Dup ? 0x08 : 0) | ((int)QoS << 1) | (Retain ? 0x01 : 0));

    internal override int GetBodySize(MqttProtocolVersion version)
    {
        if (!(MqttTopic.IsValidTopicName(Topic) || (IsV5(version) && Topic.Length == 0 && Properties?.TopicAlias is not null)))
        {
            throw new InvalidOperationException($"'{Topic}' is not a valid topic name.");
        }

        if (QoS != MqttQualityOfService.AtMostOnce)
        {
            RequirePacketId(PacketId, Type);
        }

        return StringSize(Topic, nameof(Topic))
            + (QoS == MqttQualityOfService.AtMostOnce ? 0 : 2)
            + (IsV5(version) ? MqttProperties.GetSizeWithPrefix(Properties) : 0)
            + Payload.Length;
    }

    internal override void WriteBody(ref MqttSpanWriter w, MqttProtocolVersion version)
    {
        w.WriteString(Topic);
        if (QoS != MqttQualityOfService.AtMostOnce)
        {
            w.WriteUInt16(PacketId);
        }

        if (IsV5(version))
        {
            MqttProperties.WriteWithPrefix(ref w, Properties);
        }

        w.WriteBytes(Payload.Span);
    }

    internal static MqttPublishPacket? Decode(ref MqttSpanReader r, byte flags, MqttProtocolVersion version)
    {
        var qos = (flags >> 1) & 0x03;
        var dup = (flags & 0x08) != 0;
        if (qos == 3)
        {
            r.Fail(MqttDecodeError.Malformed("PUBLISH with QoS 3"));
            return null;
        }

        if (qos == 0 && dup)
        {
            r.Fail(MqttDecodeError.Malformed("PUBLISH with QoS 0 and DUP set"));
            return null;
        }

        var topic = r.ReadString();
        var packetId = qos > 0 ? ReadPacketId(ref r) : (ushort)0;
        var properties = IsV5(version) ? MqttProperties.Read(ref r, MqttPacketType.Publish) : null;
        if (r.Failed)
        {
            return null;
        }

        var aliased = topic.Length == 0 && properties?.TopicAlias is not null;
        if (!aliased && !MqttTopic.IsValidTopicName(topic))
        {
            r.Fail(MqttReasonCode.TopicNameInvalid, topic.Length == 0 ? "PUBLISH with an empty topic name" : "PUBLISH topic name holds a wildcard");
            return null;
        }

        var payload = r.ReadRest();
        return new MqttPublishPacket
        {
            Topic = topic,
            Payload = payload.IsEmpty ? ReadOnlyMemory<byte>.Empty : payload.ToArray(),
            QoS = (MqttQualityOfService)qos,
            Retain = (flags & 0x01) != 0,
            Dup = dup,
            PacketId = packetId,
            Properties = properties,
        };
    }
}
