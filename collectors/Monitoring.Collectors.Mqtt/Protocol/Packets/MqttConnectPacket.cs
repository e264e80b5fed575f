namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>The Will of a CONNECT: the message the server publishes if the client goes away without DISCONNECT.</summary>
public sealed record MqttWill
{
    public required string Topic { get; init; }
    public ReadOnlyMemory<byte> Payload { get; init; }
    public MqttQualityOfService QoS { get; init; }
    public bool Retain { get; init; }

    /// <summary>Will Properties (5.0 only).</summary>
    public MqttProperties? Properties { get; init; }
}

/// <summary>CONNECT (3.1.1 section 3.1, 5.0 section 3.1). The protocol version is read from the packet itself.</summary>
public sealed record MqttConnectPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Connect;

    public MqttProtocolVersion ProtocolVersion { get; init; } = MqttProtocolVersion.V311;
    public string ClientId { get; init; } = string.Empty;

    /// <summary>Clean Session in 3.1.1, Clean Start in 5.0.</summary>
    public bool CleanStart { get; init; } = true;

    public ushort KeepAliveSeconds { get; init; }
    public string? UserName { get; init; }
    public ReadOnlyMemory<byte>? Password { get; init; }
    public MqttWill? Will { get; init; }
    public MqttProperties? Properties { get; init; }

    /// <summary>Never prints the password.</summary>
    public override string ToString() =>
        $"CONNECT {{ Version = {ProtocolVersion}, ClientId = {ClientId}, CleanStart = {CleanStart}, KeepAlive = {KeepAliveSeconds}, UserName = {UserName}, Password = {(Password.HasValue ? "***" : "none")}, Will = {Will?.Topic} }}";

    internal override int GetBodySize(MqttProtocolVersion version)
    {
        var v5 = IsV5(ProtocolVersion);
        var size = 6 + 1 + 1 + 2; // "MQTT", level, flags, keep alive
        if (v5)
        {
            size += MqttProperties.GetSizeWithPrefix(Properties);
        }

        size += StringSize(ClientId, nameof(ClientId));
        if (Will is { } will)
        {
            if (v5)
            {
                size += MqttProperties.GetSizeWithPrefix(will.Properties);
            }

            size += StringSize(will.Topic, "Will Topic") + BinarySize(will.Payload, "Will Payload");
        }

        if (UserName is not null)
        {
            size += StringSize(UserName, nameof(UserName));
        }
        else if (Password.HasValue && !v5)
        {
            throw new InvalidOperationException("MQTT 3.1.1 allows a password only with a user name.");
        }

        if (Password is { } password)
        {
            size += BinarySize(password, nameof(Password));
        }

        return size;
    }

    internal override void WriteBody(ref MqttSpanWriter w, MqttProtocolVersion version)
    {
        var v5 = IsV5(ProtocolVersion);
        w.WriteString("MQTT");
        w.WriteByte((byte)ProtocolVersion);
        var flags = 0;
        if (CleanStart)
        {
            flags |= 0x02;
        }

        if (Will is { } will)
        {
            flags |= 0x04 | ((int)will.QoS << 3) | (will.Retain ? 0x20 : 0);
        }

        if (Password.HasValue)
        {
            flags |= 0x40;
        }

        if (UserName is not null)
        {
            flags |= 0x80;
        }

        w.WriteByte((byte)flags);
        w.WriteUInt16(KeepAliveSeconds);
        if (v5)
        {
            MqttProperties.WriteWithPrefix(ref w, Properties);
        }

        w.WriteString(ClientId);
        if (Will is { } wl)
        {
            if (v5)
            {
                MqttProperties.WriteWithPrefix(ref w, wl.Properties);
            }

            w.WriteString(wl.Topic);
            w.WriteBinary(wl.Payload.Span);
        }

        if (UserName is not null)
        {
            w.WriteString(UserName);
        }

        if (Password is { } password)
        {
            w.WriteBinary(password.Span);
        }
    }

    internal static MqttConnectPacket? Decode(ref MqttSpanReader r)
    {
        var protocolName = r.ReadBinary();
        var level = r.ReadByte();
        if (r.Failed)
        {
            return null;
        }

        if (!protocolName.SequenceEqual("MQTT"u8))
        {
            r.Fail(MqttReasonCode.UnsupportedProtocolVersion, "protocol name is not MQTT");
            return null;
        }

        if (level is not (4 or 5))
        {
            r.Fail(MqttReasonCode.UnsupportedProtocolVersion, $"protocol level {level} is neither 4 (3.1.1) nor 5 (5.0)");
            return null;
        }

        var version = (MqttProtocolVersion)level;
        var v5 = version == MqttProtocolVersion.V500;
        var flags = r.ReadByte();
        var keepAlive = r.ReadUInt16();
        if (r.Failed)
        {
            return null;
        }

        if ((flags & 0x01) != 0)
        {
            r.Fail(MqttDecodeError.Malformed("CONNECT reserved flag is set"));
            return null;
        }

        var hasWill = (flags & 0x04) != 0;
        var willQoS = (flags >> 3) & 0x03;
        var willRetain = (flags & 0x20) != 0;
        var hasPassword = (flags & 0x40) != 0;
        var hasUserName = (flags & 0x80) != 0;
        if (willQoS == 3)
        {
            r.Fail(MqttDecodeError.Malformed("Will QoS 3"));
            return null;
        }

        if (!hasWill && (willQoS != 0 || willRetain))
        {
            r.Fail(MqttDecodeError.Malformed("Will QoS or Will Retain set without the Will flag"));
            return null;
        }

        if (!v5 && hasPassword && !hasUserName)
        {
            r.Fail(MqttDecodeError.Malformed("password flag without user name flag (3.1.1)"));
            return null;
        }

        var properties = v5 ? MqttProperties.Read(ref r, MqttPacketType.Connect) : null;
        var clientId = r.ReadString();
        MqttWill? will = null;
        if (hasWill)
        {
            var willProperties = v5 ? MqttProperties.Read(ref r, MqttPacketType.Connect, will: true) : null;
            var willTopic = r.ReadString();
            var willPayload = r.ReadBinary();
            if (r.Failed)
            {
                return null;
            }

            if (!MqttTopic.IsValidTopicName(willTopic))
            {
                r.Fail(MqttReasonCode.TopicNameInvalid, "Will Topic is not a valid topic name");
                return null;
            }

            will = new MqttWill
            {
                Topic = willTopic,
                Payload = willPayload.ToArray(),
                QoS = (MqttQualityOfService)willQoS,
                Retain = willRetain,
                Properties = willProperties,
            };
        }

        var userName = hasUserName ? r.ReadString() : null;
        ReadOnlyMemory<byte>? password = hasPassword ? r.ReadBinary().ToArray() : (ReadOnlyMemory<byte>?)null;
        if (r.Failed)
        {
            return null;
        }

        return new MqttConnectPacket
        {
            ProtocolVersion = version,
            ClientId = clientId,
            CleanStart = (flags & 0x02) != 0,
            KeepAliveSeconds = keepAlive,
            UserName = userName,
            Password = password,
            Will = will,
            Properties = properties,
        };
    }
}
