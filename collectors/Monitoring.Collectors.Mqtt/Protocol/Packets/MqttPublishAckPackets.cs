namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>
/// The QoS 1 and 2 acknowledgements: PUBACK, PUBREC, PUBREL, PUBCOMP. A packet identifier, and in 5.0 a reason code
/// and properties that may be left out when they are Success and empty.
/// </summary>
public abstract record MqttPublishAckPacket : MqttPacket
{
    public ushort PacketId { get; init; }
    public MqttReasonCode ReasonCode { get; init; }
    public MqttProperties? Properties { get; init; }

    internal override int GetBodySize(MqttProtocolVersion version)
    {
        RequirePacketId(PacketId, Type);
        if (!IsV5(version))
        {
            return 2;
        }

        if (Properties is null)
        {
            return ReasonCode == MqttReasonCode.Success ? 2 : 3;
        }

        return 3 + MqttProperties.GetSizeWithPrefix(Properties);
    }

    internal override void WriteBody(ref MqttSpanWriter w, MqttProtocolVersion version)
    {
        w.WriteUInt16(PacketId);
        if (!IsV5(version) || (Properties is null && ReasonCode == MqttReasonCode.Success))
        {
            return;
        }

        w.WriteByte((byte)ReasonCode);
        if (Properties is not null)
        {
            MqttProperties.WriteWithPrefix(ref w, Properties);
        }
    }

    internal static MqttPublishAckPacket? Decode(ref MqttSpanReader r, MqttPacketType type, MqttProtocolVersion version)
    {
        var packetId = ReadPacketId(ref r);
        var reason = MqttReasonCode.Success;
        MqttProperties? properties = null;
        if (IsV5(version))
        {
            if (r.Remaining > 0)
            {
                reason = (MqttReasonCode)r.ReadByte();
            }

            if (r.Remaining > 0)
            {
                properties = MqttProperties.Read(ref r, type);
            }
        }

        if (r.Failed)
        {
            return null;
        }

        return type switch
        {
            MqttPacketType.PubAck => new MqttPubAckPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
            MqttPacketType.PubRec => new MqttPubRecPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
            MqttPacketType.PubRel => new MqttPubRelPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
            _ => new MqttPubCompPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
        };
    }
}

/// <summary>PUBACK: QoS 1 delivered.</summary>
public sealed record MqttPubAckPacket : MqttPublishAckPacket
{
    public override MqttPacketType Type => MqttPacketType.PubAck;
}

/// <summary>PUBREC: QoS 2 received, part 1.</summary>
public sealed record MqttPubRecPacket : MqttPublishAckPacket
{
    public override MqttPacketType Type => MqttPacketType.PubRec;
}

/// <summary>PUBREL: QoS 2 release, part 2 (fixed header flags 0010).</summary>
public sealed record MqttPubRelPacket : MqttPublishAckPacket
{
    public override MqttPacketType Type => MqttPacketType.PubRel;

    internal override byte FixedHeaderFlags => 0x02;
}

/// <summary>PUBCOMP: QoS 2 complete, part 3.</summary>
public sealed record MqttPubCompPacket : MqttPublishAckPacket
{
    public override MqttPacketType Type => MqttPacketType.PubComp;
}
