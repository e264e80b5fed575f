namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>UNSUBSCRIBE: one or more topic filters.</summary>
public sealed record MqttUnsubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Unsubscribe;

    public ushort PacketId { get; init; }
    public IReadOnlyList<string> TopicFilters { get; init; } = [];
    public MqttProperties? Properties { get; init; }

    internal override byte FixedHeaderFlags => 0x02;

    internal override int GetBodySize(MqttProtocolVersion version)
    {
        RequirePacketId(PacketId, Type);
        if (TopicFilters.Count == 0)
        {
            throw new InvalidOperationException("UNSUBSCRIBE needs at least one topic filter.");
        }

        var size = 2 + (IsV5(version) ? MqttProperties.GetSizeWithPrefix(Properties) : 0);
        foreach (var f in TopicFilters)
        {
            size += StringSize(f, nameof(TopicFilters));
        }

        return size;
    }

    internal override void WriteBody(ref MqttSpanWriter w, MqttProtocolVersion version)
    {
        w.WriteUInt16(PacketId);
        if (IsV5(version))
        {
            MqttProperties.WriteWithPrefix(ref w, Properties);
        }

        foreach (var f in TopicFilters)
        {
            w.WriteString(f);
        }
    }

    internal static MqttUnsubscribePacket? Decode(ref MqttSpanReader r, MqttProtocolVersion version)
    {
        var packetId = ReadPacketId(ref r);
        var properties = IsV5(version) ? MqttProperties.Read(ref r, MqttPacketType.Unsubscribe) : null;
        if (r.Failed)
        {
            return null;
        }

        if (r.Remaining == 0)
        {
            r.Fail(MqttDecodeError.Protocol("UNSUBSCRIBE without a topic filter"));
            return null;
        }

        var list = new List<string>(1);
        while (r.Remaining > 0 && !r.Failed)
        {
            list.Add(r.ReadString());
        }

        return r.Failed ? null : new MqttUnsubscribePacket { PacketId = packetId, TopicFilters = list, Properties = properties };
    }
}

/// <summary>UNSUBACK: in 5.0 one reason code per filter; in 3.1.1 only the packet identifier.</summary>
public sealed record MqttUnsubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.UnsubAck;

    public ushort PacketId { get; init; }

    /// <summary>5.0 only; empty in 3.1.1.</summary>
    public IReadOnlyList<MqttReasonCode> ReasonCodes { get; init; } = [];
    public MqttProperties? Properties { get; init; }

    internal override int GetBodySize(MqttProtocolVersion version)
    {
        RequirePacketId(PacketId, Type);
        return IsV5(version) ? 2 + MqttProperties.GetSizeWithPrefix(Properties) + ReasonCodes.Count : 2;
    }

    internal override void WriteBody(ref MqttSpanWriter w, MqttProtocolVersion version)
    {
        w.WriteUInt16(PacketId);
        if (IsV5(version))
        {
            MqttProperties.WriteWithPrefix(ref w, Properties);
            foreach (var code in ReasonCodes)
            {
                w.WriteByte((byte)code);
            }
        }
    }

    internal static MqttUnsubAckPacket? Decode(ref MqttSpanReader r, MqttProtocolVersion version)
    {
        var packetId = ReadPacketId(ref r);
        if (!IsV5(version))
        {
            if (r.Remaining != 0)
            {
                r.Fail(MqttDecodeError.Malformed("UNSUBACK longer than 2 bytes in 3.1.1"));
            }

            return r.Failed ? null : new MqttUnsubAckPacket { PacketId = packetId };
        }

        var properties = MqttProperties.Read(ref r, MqttPacketType.UnsubAck);
        var codes = r.ReadRest();
        if (r.Failed)
        {
            return null;
        }

        var list = new MqttReasonCode[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            list[i] = (MqttReasonCode)codes[i];
        }

        return new MqttUnsubAckPacket { PacketId = packetId, ReasonCodes = list, Properties = properties };
    }
}
