namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>CONNACK. In 3.1.1 the reason code travels as the closest return code (<see cref="ReturnCode"/>).</summary>
public sealed record MqttConnAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.ConnAck;

    public bool SessionPresent { get; init; }
    public MqttReasonCode ReasonCode { get; init; }
    public MqttProperties? Properties { get; init; }

    /// <summary>The 3.1.1 return code this CONNACK carries (or would carry).</summary>
    public MqttConnectReturnCode ReturnCode => MqttReasonCodes.ToConnectReturnCode(ReasonCode);

    internal override int GetBodySize(MqttProtocolVersion version) =>
        2 + (IsV5(version) ? MqttProperties.GetSizeWithPrefix(Properties) : 0);

    internal override void WriteBody(ref MqttSpanWriter w, MqttProtocolVersion version)
    {
        w.WriteByte(SessionPresent ? (byte)1 : (byte)0);
        if (IsV5(version))
        {
            w.WriteByte((byte)ReasonCode);
            MqttProperties.WriteWithPrefix(ref w, Properties);
        }
        else
        {
            w.WriteByte((byte)ReturnCode);
        }
    }

    internal static MqttConnAckPacket? Decode(ref MqttSpanReader r, MqttProtocolVersion version)
    {
        var ackFlags = r.ReadByte();
        var code = r.ReadByte();
        if (r.Failed)
        {
            return null;
        }

        if ((ackFlags & 0xFE) != 0)
        {
            r.Fail(MqttDecodeError.Malformed("CONNACK reserved acknowledge flags are set"));
            return null;
        }

        MqttReasonCode reason;
        if (IsV5(version))
        {
            reason = (MqttReasonCode)code;
        }
        else if (code <= 5)
        {
            reason = MqttReasonCodes.FromConnectReturnCode((MqttConnectReturnCode)code);
        }
        else
        {
            r.Fail(MqttDecodeError.Malformed($"CONNACK return code {code} is reserved in 3.1.1"));
            return null;
        }

        var properties = IsV5(version) ? MqttProperties.Read(ref r, MqttPacketType.ConnAck) : null;
        return r.Failed ? null : new MqttConnAckPacket { SessionPresent = (ackFlags & 1) != 0, ReasonCode = reason, Properties = properties };
    }
}
