namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>SUBACK: one reason code per filter, in order (3.1.1 allows 0, 1, 2 and 0x80).</summary>
public sealed record MqttSubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.SubAck;

    public ushort PacketId { get; init; }
    public IReadOnlyList<MqttReasonCode> ReasonCodes { get; init; } = [];
    public MqttProperties? Properties { get; init; }

    internal override int GetBodySize(MqttProtocolVersion version)
    {
        RequirePacketId(PacketId, Type);
        return 2 + (IsV5(version) ? MqttProperties.GetSizeWithPrefix(Properties) : 0) + ReasonCodes.Count;
    }

    internal override void WriteBody(ref MqttSpanWriter w, MqttProtocolVersion version)
    {
        w.WriteUInt16(PacketId);
        if (IsV5(version))
        {
            MqttProperties.WriteWithPrefix(ref w, Properties);
        }

        foreach (var code in ReasonCodes)
        {
            w.WriteByte(IsV5(version) || (int)code <= 2 ? (byte)code : (byte)0x80);
        }
    }

    internal static MqttSubAckPacket? Decode(ref MqttSpanReader r, MqttProtocolVersion version)
    {
        var packetId = ReadPacketId(ref r);
        var properties = IsV5(version) ? MqttProperties.Read(ref r, MqttPacketType.SubAck) : null;
        var codes = r.ReadRest();
        if (r.Failed)
        {
            return null;
        }

        var list = new MqttReasonCode[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            if (!IsV5(version) && codes[i] is not (0 or 1 or 2 or 0x80))
            {
                r.Fail(MqttDecodeError.Malformed($"SUBACK return code 0x{codes[i]:X2} is not allowed in 3.1.1"));
                return null;
            }

            list[i] = (MqttReasonCode)codes[i];
        }

        return new MqttSubAckPacket { PacketId = packetId, ReasonCodes = list, Properties = properties };
    }
}
