using System.IO.Pipelines;

namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>What <see cref="MqttPacketReader.ReadAsync"/> returns: a packet, a decode error, or the end of the stream.</summary>
public readonly record struct MqttReadResult(MqttPacket? Packet, MqttDecodeError Error, bool IsEndOfStream)
{
    public bool IsPacket => Packet is not null;
}

/// <summary>
/// Reads packets one at a time from a <see cref="PipeReader"/>. After a CONNECT it switches to that packet's protocol
/// version (the broker side); a client sets <see cref="ProtocolVersion"/> itself before reading. Once it has returned
/// an error the connection should be closed: the stream position is no longer at a packet boundary.
/// </summary>
public sealed class MqttPacketReader
{
    private readonly PipeReader _reader;

    public MqttPacketReader(PipeReader reader, int maxPacketSize)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPacketSize, 2);
        _reader = reader;
        MaxPacketSize = maxPacketSize;
    }

    public MqttProtocolVersion ProtocolVersion { get; set; }

    /// <summary>Largest packet accepted, fixed header included; larger ones are refused with 0x95 before buffering.</summary>
    public int MaxPacketSize { get; set; }

    public async ValueTask<MqttReadResult> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var status = MqttFrameReader.TryReadFrame(buffer, MaxPacketSize, out var frame, out _, out var error);
            if (status == MqttFrameStatus.Complete)
            {
                var decoded = MqttPacketDecoder.Decode(frame, ProtocolVersion);
                _reader.AdvanceTo(frame.End);
                if (!decoded.IsSuccess)
                {
                    return new MqttReadResult(null, decoded.Error, false);
                }

                if (decoded.Packet is MqttConnectPacket connect)
                {
                    ProtocolVersion = connect.ProtocolVersion;
                }

                return new MqttReadResult(decoded.Packet, default, false);
            }

            if (status == MqttFrameStatus.Invalid)
            {
                _reader.AdvanceTo(buffer.Start);
                return new MqttReadResult(null, error, false);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                var truncated = !buffer.IsEmpty;
                _reader.AdvanceTo(buffer.End);
                return truncated
                    ? new MqttReadResult(null, MqttDecodeError.Malformed("stream ended inside a packet"), true)
                    : new MqttReadResult(null, default, true);
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
