namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>PINGREQ: no variable header, no payload.</summary>
public sealed record MqttPingReqPacket : MqttPacket
{
    public static readonly MqttPingReqPacket Instance = new();

    public override MqttPacketType Type => MqttPacketType.PingReq;

    internal override int GetBodySize(MqttProtocolVersion version) => 0;

    internal override void WriteBody(ref MqttSpanWriter writer, MqttProtocolVersion version)
    {
    }
}

/// <summary>PINGRESP: no variable header, no payload.</summary>
public sealed record MqttPingRespPacket : MqttPacket
{
    public static readonly MqttPingRespPacket Instance = new();

    public override MqttPacketType Type => MqttPacketType.PingResp;

    internal override int GetBodySize(MqttProtocolVersion version) => 0;

    internal override void WriteBody(ref MqttSpanWriter writer, MqttProtocolVersion version)
    {
    }
}

/// <summary>DISCONNECT: empty in 3.1.1; in 5.0 a reason code and properties, both omissible when Normal and empty.</summary>
public sealed record MqttDisconnectPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Disconnect;

    public MqttReasonCode ReasonCode { get; init; }
    public MqttProperties? Properties { get; init; }

    internal override int GetBodySize(MqttProtocolVersion version)
    {
        if (!IsV5(version))
        {
            return 0;
        }

        if (Properties is null)
        {
            return ReasonCode == MqttReasonCode.NormalDisconnection ? 0 : 1;
        }

        return 1 + MqttProperties.GetSizeWithPrefix(Properties);
    }

    internal override void WriteBody(ref MqttSpanWriter w, MqttProtocolVersion version)
    {
        if (!IsV5(version) || (Properties is null && ReasonCode == MqttReasonCode.NormalDisconnection))
        {
            return;
        }

        w.WriteByte((byte)ReasonCode);
        if (Properties is not null)
        {
            MqttProperties.WriteWithPrefix(ref w, Properties);
        }
    }

    internal static MqttDisconnectPacket? Decode(ref MqttSpanReader r, MqttProtocolVersion version)
    {
        var reason = MqttReasonCode.NormalDisconnection;
        MqttProperties? properties = null;
        if (IsV5(version))
        {
            if (r.Remaining > 0)
            {
                reason = (MqttReasonCode)r.ReadByte();
            }

            if (r.Remaining > 0)
            {
                properties = MqttProperties.Read(ref r, MqttPacketType.Disconnect);
            }
        }

        return r.Failed ? null : new MqttDisconnectPacket { ReasonCode = reason, Properties = properties };
    }
}

/// <summary>AUTH (5.0 only): enhanced authentication exchange.</summary>
public sealed record MqttAuthPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Auth;

    public MqttReasonCode ReasonCode { get; init; }
    public MqttProperties? Properties { get; init; }

    internal override int GetBodySize(MqttProtocolVersion version)
    {
        RequireV5(version, Type);
        if (Properties is null)
        {
            return ReasonCode == MqttReasonCode.Success ? 0 : 1;
        }

        return 1 + MqttProperties.GetSizeWithPrefix(Properties);
    }

    internal override void WriteBody(ref MqttSpanWriter w, MqttProtocolVersion version)
    {
        if (Properties is null && ReasonCode == MqttReasonCode.Success)
        {
            return;
        }

        w.WriteByte((byte)ReasonCode);
        if (Properties is not null)
        {
            MqttProperties.WriteWithPrefix(ref w, Properties);
        }
    }

    internal static MqttAuthPacket? Decode(ref MqttSpanReader r)
    {
        var reason = MqttReasonCode.Success;
        MqttProperties? properties = null;
        if (r.Remaining > 0)
        {
            reason = (MqttReasonCode)r.ReadByte();
            if (!r.Failed && reason is not (MqttReasonCode.Success or MqttReasonCode.ContinueAuthentication or MqttReasonCode.ReAuthenticate))
            {
                r.Fail(MqttDecodeError.Protocol($"AUTH reason code 0x{(int)reason:X2}"));
            }
        }

        if (r.Remaining > 0)
        {
            properties = MqttProperties.Read(ref r, MqttPacketType.Auth);
        }

        return r.Failed ? null : new MqttAuthPacket { ReasonCode = reason, Properties = properties };
    }
}
