using System.Buffers;

namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>
/// Writes whole packets (fixed header, variable header, payload). Encoding a packet the protocol forbids (a bad topic,
/// a string over 65,535 bytes, a missing packet identifier) throws <see cref="ArgumentException"/> or
/// <see cref="InvalidOperationException"/>: that is a bug in the caller, not bad input from the network.
/// </summary>
public static class MqttPacketEncoder
{
    /// <summary>Largest Remaining Length four bytes can carry.</summary>
    public const int MaxRemainingLength = 268_435_455;

    /// <summary>Bytes the whole packet takes.</summary>
    public static int GetEncodedSize(MqttPacket packet, MqttProtocolVersion version)
    {
        ArgumentNullException.ThrowIfNull(packet);
        var body = CheckedBodySize(packet, version);
        return 1 + MqttSpanWriter.VariableByteIntegerSize((uint)body) + body;
    }

    /// <summary>Writes the packet into <paramref name="destination"/> and returns the bytes written.</summary>
    public static int Encode(MqttPacket packet, MqttProtocolVersion version, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(packet);
        var body = CheckedBodySize(packet, version);
        var total = 1 + MqttSpanWriter.VariableByteIntegerSize((uint)body) + body;
        if (destination.Length < total)
        {
            throw new ArgumentException($"Destination holds {destination.Length} bytes; the packet needs {total}.", nameof(destination));
        }

        return Write(packet, version, body, destination);
    }

    /// <summary>Writes the packet into <paramref name="writer"/> (one GetSpan, one Advance) and returns the bytes written.</summary>
    public static int Encode(MqttPacket packet, MqttProtocolVersion version, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(packet);
        ArgumentNullException.ThrowIfNull(writer);
        var body = CheckedBodySize(packet, version);
        var total = 1 + MqttSpanWriter.VariableByteIntegerSize((uint)body) + body;
        var span = writer.GetSpan(total);
        var written = Write(packet, version, body, span);
        writer.Advance(written);
        return written;
    }

    /// <summary>The packet as a new array (tests, rarely-sent packets).</summary>
    public static byte[] ToArray(MqttPacket packet, MqttProtocolVersion version)
    {
        var bytes = new byte[GetEncodedSize(packet, version)];
        Encode(packet, version, bytes);
        return bytes;
    }

    private static int CheckedBodySize(MqttPacket packet, MqttProtocolVersion version)
    {
        if (version is not (MqttProtocolVersion.V311 or MqttProtocolVersion.V500) && packet is not MqttConnectPacket)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "Encode with protocol version 3.1.1 or 5.0.");
        }

        var body = packet.GetBodySize(version);
        return body <= MaxRemainingLength ? body : throw new ArgumentException("Packet exceeds the largest Remaining Length (268,435,455).", nameof(packet));
    }

    private static int Write(MqttPacket packet, MqttProtocolVersion version, int body, Span<byte> destination)
    {
        var w = new MqttSpanWriter(destination);
        w.WriteByte((byte)(((int)packet.Type << 4) | packet.FixedHeaderFlags));
        w.WriteVariableByteInteger((uint)body);
        var start = w.Position;
        packet.WriteBody(ref w, version);
        if (w.Position - start != body)
        {
            throw new InvalidOperationException($"{packet.Type} wrote {w.Position - start} bytes, sized {body}.");
        }

        return w.Position;
    }
}
