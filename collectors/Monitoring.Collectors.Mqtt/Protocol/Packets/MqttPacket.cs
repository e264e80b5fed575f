namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>
/// An MQTT control packet. Each type knows how to size and write its variable header and payload for a protocol
/// version; <see cref="MqttPacketEncoder"/> adds the fixed header and <see cref="MqttPacketDecoder"/> reads them back.
/// </summary>
public abstract record MqttPacket
{
    public abstract MqttPacketType Type { get; }

    /// <summary>The low nibble of the fixed header's first byte.</summary>
    internal virtual byte FixedHeaderFlags => 0;

    /// <summary>Remaining Length: bytes of the variable header and payload.</summary>
    internal abstract int GetBodySize(MqttProtocolVersion version);

    internal abstract void WriteBody(ref MqttSpanWriter writer, MqttProtocolVersion version);

    private protected static bool IsV5(MqttProtocolVersion version) => version == MqttProtocolVersion.V500;

    private protected static void RequireV5(MqttProtocolVersion version, MqttPacketType type)
    {
        if (!IsV5(version))
        {
            throw new InvalidOperationException($"{type} exists only in MQTT 5.0.");
        }
    }

    private protected static int StringSize(string value, string what) => 2 + MqttUtf8.GetEncodedLength(value, what);

    private protected static int BinarySize(ReadOnlyMemory<byte> value, string what) =>
        value.Length <= ushort.MaxValue ? 2 + value.Length : throw new ArgumentException($"{what} is longer than 65,535 bytes.", what);

    private protected static ushort RequirePacketId(ushort packetId, MqttPacketType type) =>
        packetId != 0 ? packetId : throw new InvalidOperationException($"{type} needs a non-zero packet identifier.");

    /// <summary>Reads a packet identifier, which must not be 0.</summary>
    private protected static ushort ReadPacketId(ref MqttSpanReader r)
    {
        var id = r.ReadUInt16();
        if (!r.Failed && id == 0)
        {
            r.Fail(MqttDecodeError.Malformed("packet identifier 0"));
        }

        return id;
    }
}
