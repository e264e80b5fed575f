using System.Buffers;

namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>
/// Decodes whole packets. Never throws on input bytes: every problem comes back as an <see cref="MqttDecodeError"/>
/// with the 5.0 reason code a server would disconnect with. CONNECT carries its own protocol version; every other
/// packet is decoded for the version the connection agreed on.
/// </summary>
public static class MqttPacketDecoder
{
    /// <summary>Decodes one whole frame (fixed header included), as <see cref="MqttFrameReader"/> cut it.</summary>
    public static MqttDecodeResult Decode(ReadOnlySpan<byte> frame, MqttProtocolVersion version)
    {
        var status = MqttFrameReader.TryReadHeader(frame, int.MaxValue, out var header, out var error);
        if (status == MqttFrameStatus.Invalid)
        {
            return MqttDecodeResult.Failure(error);
        }

        if (status == MqttFrameStatus.NeedMoreData || frame.Length < header.TotalLength)
        {
            return MqttDecodeResult.Failure(MqttDecodeError.Malformed("packet is shorter than its Remaining Length"));
        }

        if (frame.Length > header.TotalLength)
        {
            return MqttDecodeResult.Failure(MqttDecodeError.Malformed("bytes after the end of the packet"));
        }

        return DecodeBody(header.Type, header.Flags, frame[header.HeaderLength..], version);
    }

    /// <summary>Decodes one whole frame held in a (possibly multi-segment) sequence.</summary>
    public static MqttDecodeResult Decode(in ReadOnlySequence<byte> frame, MqttProtocolVersion version)
    {
        if (frame.IsSingleSegment)
        {
            return Decode(frame.FirstSpan, version);
        }

        if (frame.Length > MqttPacketEncoder.MaxRemainingLength + 5)
        {
            return MqttDecodeResult.Failure(new MqttDecodeError(MqttReasonCode.PacketTooLarge, "frame larger than any MQTT packet"));
        }

        var length = (int)frame.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.CopyTo(rented);
            return Decode(rented.AsSpan(0, length), version);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decodes the variable header and payload of a packet whose fixed header was already read.</summary>
    public static MqttDecodeResult DecodeBody(MqttPacketType type, byte flags, ReadOnlySpan<byte> body, MqttProtocolVersion version)
    {
        var flagError = CheckFlags(type, flags, version);
        if (flagError.IsError)
        {
            return MqttDecodeResult.Failure(flagError);
        }

        if (type != MqttPacketType.Connect && version is not (MqttProtocolVersion.V311 or MqttProtocolVersion.V500))
        {
            return MqttDecodeResult.Failure(MqttDecodeError.Protocol($"{type} before CONNECT set the protocol version"));
        }

        var r = new MqttSpanReader(body);
        MqttPacket? packet = type switch
        {
            MqttPacketType.Connect => MqttConnectPacket.Decode(ref r),
            MqttPacketType.ConnAck => MqttConnAckPacket.Decode(ref r, version),
            MqttPacketType.Publish => MqttPublishPacket.Decode(ref r, flags, version),
            MqttPacketType.PubAck or MqttPacketType.PubRec or MqttPacketType.PubRel or MqttPacketType.PubComp => MqttPublishAckPacket.Decode(ref r, type, version),
            MqttPacketType.Subscribe => MqttSubscribePacket.Decode(ref r, version),
            MqttPacketType.SubAck => MqttSubAckPacket.Decode(ref r, version),
            MqttPacketType.Unsubscribe => MqttUnsubscribePacket.Decode(ref r, version),
            MqttPacketType.UnsubAck => MqttUnsubAckPacket.Decode(ref r, version),
            MqttPacketType.PingReq => MqttPingReqPacket.Instance,
            MqttPacketType.PingResp => MqttPingRespPacket.Instance,
            MqttPacketType.Disconnect => MqttDisconnectPacket.Decode(ref r, version),
            MqttPacketType.Auth => MqttAuthPacket.Decode(ref r),
            _ => null,
        };

        if (r.Failed)
        {
            return MqttDecodeResult.Failure(r.Error);
        }

        if (packet is null)
        {
            return MqttDecodeResult.Failure(MqttDecodeError.Malformed($"packet type {(int)type} is reserved"));
        }

        if (r.Remaining > 0)
        {
            return MqttDecodeResult.Failure(MqttDecodeError.Malformed($"{r.Remaining} bytes left over at the end of {type}"));
        }

        return MqttDecodeResult.Success(packet);
    }

    private static MqttDecodeError CheckFlags(MqttPacketType type, byte flags, MqttProtocolVersion version)
    {
        switch (type)
        {
            case MqttPacketType.Reserved:
                return MqttDecodeError.Malformed("packet type 0 is reserved");
            case MqttPacketType.Auth when version == MqttProtocolVersion.V311:
                return MqttDecodeError.Malformed("packet type 15 is reserved in 3.1.1");
            case MqttPacketType.Publish:
                return default;
            case MqttPacketType.PubRel or MqttPacketType.Subscribe or MqttPacketType.Unsubscribe:
                return flags == 0x02 ? default : MqttDecodeError.Malformed($"{type} fixed header flags must be 0010");
            default:
                return flags == 0 ? default : MqttDecodeError.Malformed($"{type} fixed header flags must be 0000");
        }
    }
}
