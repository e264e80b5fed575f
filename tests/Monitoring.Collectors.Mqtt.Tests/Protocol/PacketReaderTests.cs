using System.Buffers;
using System.IO.Pipelines;
using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Tests.Protocol;

public class PacketReaderTests
{
    [Fact]
    public async Task Packets_written_one_byte_at_a_time_come_out_whole_and_in_order()
    {
        var pipe = new Pipe();
        var reader = new MqttPacketReader(pipe.Reader, 1024);
        var connect = MqttPacketEncoder.ToArray(new MqttConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "x" }, MqttProtocolVersion.V500);
        var publish = MqttPacketEncoder.ToArray(new MqttPublishPacket { Topic = "a/b", Payload = "hello"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 9 }, MqttProtocolVersion.V500);
        var writer = Task.Run(async () =>
        {
            foreach (var b in connect.Concat(publish))
            {
                await pipe.Writer.WriteAsync(new[] { b });
            }

            await pipe.Writer.CompleteAsync();
        });

        var first = await reader.ReadAsync(CancellationToken.None);
        Assert.IsType<MqttConnectPacket>(first.Packet);
        Assert.Equal(MqttProtocolVersion.V500, reader.ProtocolVersion);
        var second = await reader.ReadAsync(CancellationToken.None);
        var p = Assert.IsType<MqttPublishPacket>(second.Packet);
        Assert.Equal("hello"u8.ToArray(), p.Payload.ToArray());
        Assert.Equal(9, p.PacketId);
        var end = await reader.ReadAsync(CancellationToken.None);
        Assert.True(end.IsEndOfStream);
        Assert.False(end.Error.IsError);
        await writer;
    }

    [Fact]
    public async Task A_stream_that_ends_inside_a_packet_is_malformed()
    {
        var pipe = new Pipe();
        var reader = new MqttPacketReader(pipe.Reader, 1024) { ProtocolVersion = MqttProtocolVersion.V311 };
        await pipe.Writer.WriteAsync(new byte[] { 0x30, 10, 0, 1 });
        await pipe.Writer.CompleteAsync();
        var result = await reader.ReadAsync(CancellationToken.None);
        Assert.True(result.IsEndOfStream);
        Assert.Equal(MqttReasonCode.MalformedPacket, result.Error.ReasonCode);
    }

    [Fact]
    public async Task An_oversize_packet_is_refused_without_waiting_for_its_body()
    {
        var pipe = new Pipe();
        var reader = new MqttPacketReader(pipe.Reader, 100) { ProtocolVersion = MqttProtocolVersion.V311 };
        await pipe.Writer.WriteAsync(new byte[] { 0x30, 0xFF, 0xFF, 0xFF, 0x7F });
        var result = await reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(MqttReasonCode.PacketTooLarge, result.Error.ReasonCode);
    }

    [Fact]
    public void A_frame_split_across_segments_decodes()
    {
        var bytes = MqttPacketEncoder.ToArray(new MqttPublishPacket { Topic = "x/y/z", Payload = new byte[300] }, MqttProtocolVersion.V311);
        var sequence = Segments.Split(bytes, 1, 2, 7, 100);
        var status = MqttFrameReader.TryReadFrame(sequence, 10_000, out var frame, out var header, out _);
        Assert.Equal(MqttFrameStatus.Complete, status);
        Assert.Equal(bytes.Length, header.TotalLength);
        var decoded = MqttPacketDecoder.Decode(frame, MqttProtocolVersion.V311);
        Assert.True(decoded.IsSuccess, decoded.Error.ToString());
        Assert.Equal("x/y/z", ((MqttPublishPacket)decoded.Packet).Topic);
        Assert.Equal(MqttFrameStatus.NeedMoreData, MqttFrameReader.TryReadFrame(sequence.Slice(0, bytes.Length - 1), 10_000, out _, out _, out _));
        Assert.Equal(MqttFrameStatus.NeedMoreData, MqttFrameReader.TryReadFrame(sequence.Slice(0, 2), 10_000, out _, out _, out _));
    }

    private static class Segments
    {
        public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
        {
            Segment? first = null;
            Segment? last = null;
            var start = 0;
            foreach (var cut in cuts.Append(bytes.Length))
            {
                var segment = new Segment(bytes.AsMemory(start, cut - start), last?.RunningIndex + last?.Memory.Length ?? 0);
                if (last is null)
                {
                    first = segment;
                }
                else
                {
                    last.SetNext(segment);
                }

                last = segment;
                start = cut;
            }

            return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
        }

        private sealed class Segment : ReadOnlySequenceSegment<byte>
        {
            public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
            {
                Memory = memory;
                RunningIndex = runningIndex;
            }

            public void SetNext(Segment next) => Next = next;
        }
    }
}
