using System.Buffers;

namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>What <see cref="MqttFrameReader"/> found at the front of a buffer.</summary>
public enum MqttFrameStatus
{
    /// <summary>A whole packet is there.</summary>
    Complete,

    /// <summary>Not enough bytes yet; read more and try again with the same start.</summary>
    NeedMoreData,

    /// <summary>The bytes can never become a valid packet (bad Remaining Length, or larger than allowed).</summary>
    Invalid,
}

/// <summary>A fixed header: type, flags, Remaining Length, and how many bytes the header itself took (2 to 5).</summary>
public readonly record struct MqttFrameHeader(MqttPacketType Type, byte Flags, int RemainingLength, int HeaderLength)
{
    public int TotalLength => HeaderLength + RemainingLength;
}

/// <summary>
/// Cuts packets out of a byte stream. It reads only the fixed header, so it can refuse a packet larger than the
/// maximum (Packet too large, 0x95) or a Remaining Length of more than 4 bytes (Malformed Packet, 0x81) before anything
/// is buffered or allocated for its body.
/// </summary>
public static class MqttFrameReader
{
    public static MqttFrameStatus TryReadHeader(ReadOnlySpan<byte> buffer, int maxPacketSize, out MqttFrameHeader header, out MqttDecodeError error)
    {
        header = default;
        error = default;
        if (buffer.Length < 2)
        {
            return MqttFrameStatus.NeedMoreData;
        }

        var first = buffer[0];
        var remaining = 0;
        for (var i = 0; i < 4; i++)
        {
            if (buffer.Length < 2 + i)
            {
                return MqttFrameStatus.NeedMoreData;
            }

            var b = buffer[1 + i];
            remaining |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                header = new MqttFrameHeader((MqttPacketType)(first >> 4), (byte)(first & 0x0F), remaining, 2 + i);
                if (header.TotalLength > maxPacketSize)
                {
                    error = new MqttDecodeError(MqttReasonCode.PacketTooLarge, $"packet of {header.TotalLength} bytes exceeds the maximum of {maxPacketSize}");
                    return MqttFrameStatus.Invalid;
                }

                return MqttFrameStatus.Complete;
            }
        }

        error = MqttDecodeError.Malformed("Remaining Length longer than 4 bytes");
        return MqttFrameStatus.Invalid;
    }

    public static MqttFrameStatus TryReadHeader(in ReadOnlySequence<byte> buffer, int maxPacketSize, out MqttFrameHeader header, out MqttDecodeError error)
    {
        if (buffer.FirstSpan.Length >= 5 || buffer.IsSingleSegment)
        {
            return TryReadHeader(buffer.FirstSpan, maxPacketSize, out header, out error);
        }

        Span<byte> head = stackalloc byte[5];
        var n = (int)Math.Min(5, buffer.Length);
        buffer.Slice(0, n).CopyTo(head);
        return TryReadHeader(head[..n], maxPacketSize, out header, out error);
    }

    /// <summary>
    /// Finds the first whole packet in <paramref name="buffer"/>. On <see cref="MqttFrameStatus.Complete"/>,
    /// <paramref name="frame"/> is the packet with its fixed header; advance the reader to <c>frame.End</c> after decoding.
    /// </summary>
    public static MqttFrameStatus TryReadFrame(in ReadOnlySequence<byte> buffer, int maxPacketSize, out ReadOnlySequence<byte> frame, out MqttFrameHeader header, out MqttDecodeError error)
    {
        frame = default;
        var status = TryReadHeader(buffer, maxPacketSize, out header, out error);
        if (status != MqttFrameStatus.Complete)
        {
            return status;
        }

        if (buffer.Length < header.TotalLength)
        {
            return MqttFrameStatus.NeedMoreData;
        }

        frame = buffer.Slice(0, header.TotalLength);
        return MqttFrameStatus.Complete;
    }
}
