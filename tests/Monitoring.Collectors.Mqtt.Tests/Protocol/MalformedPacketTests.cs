using System.Buffers;
using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Tests.Protocol;

public class MalformedPacketTests
{
    private const MqttReasonCode Malformed = MqttReasonCode.MalformedPacket;
    private const MqttReasonCode ProtocolError = MqttReasonCode.ProtocolError;

    [Fact]
    public void A_remaining_length_of_five_bytes_is_malformed_before_anything_is_buffered()
    {
        byte[] bytes = [0x30, 0x80, 0x80, 0x80, 0x80, 0x01];
        var status = MqttFrameReader.TryReadFrame(new ReadOnlySequence<byte>(bytes), int.MaxValue, out _, out _, out var error);
        Assert.Equal(MqttFrameStatus.Invalid, status);
        Assert.Equal(Malformed, error.ReasonCode);
    }

    [Fact]
    public void A_packet_over_the_maximum_size_is_refused_from_its_fixed_header_alone()
    {
        // Only the fixed header has arrived: it announces 2,000,000 bytes; the maximum is 1,000.
        byte[] header = [0x30, 0x80, 0x89, 0x7A];
        var status = MqttFrameReader.TryReadFrame(new ReadOnlySequence<byte>(header), 1000, out _, out var frame, out var error);
        Assert.Equal(MqttFrameStatus.Invalid, status);
        Assert.Equal(MqttReasonCode.PacketTooLarge, error.ReasonCode);
        Assert.Equal(2_000_000, frame.RemainingLength);
    }

    [Fact]
    public void A_packet_exactly_at_the_maximum_size_is_accepted()
    {
        var bytes = MqttPacketEncoder.ToArray(new MqttPublishPacket { Topic = "t", Payload = new byte[100] }, MqttProtocolVersion.V311);
        Assert.Equal(MqttFrameStatus.Complete, MqttFrameReader.TryReadFrame(new ReadOnlySequence<byte>(bytes), bytes.Length, out _, out _, out _));
        Assert.Equal(MqttFrameStatus.Invalid, MqttFrameReader.TryReadFrame(new ReadOnlySequence<byte>(bytes), bytes.Length - 1, out _, out _, out var e));
        Assert.Equal(MqttReasonCode.PacketTooLarge, e.ReasonCode);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 6, 0, 1, 0, 1, (byte)'a', 0 }, MqttProtocolVersion.V311, Malformed, "SUBSCRIBE with flags 0000")]
    [InlineData(new byte[] { 0x60, 2, 0, 1 }, MqttProtocolVersion.V311, Malformed, "PUBREL with flags 0000")]
    [InlineData(new byte[] { 0xA0, 5, 0, 1, 0, 1, (byte)'a' }, MqttProtocolVersion.V311, Malformed, "UNSUBSCRIBE with flags 0000")]
    [InlineData(new byte[] { 0xC1, 0 }, MqttProtocolVersion.V311, Malformed, "PINGREQ with a flag")]
    [InlineData(new byte[] { 0x48, 2, 0, 1 }, MqttProtocolVersion.V500, Malformed, "PUBACK with a flag")]
    [InlineData(new byte[] { 0x36, 3, 0, 1, (byte)'a' }, MqttProtocolVersion.V311, Malformed, "PUBLISH QoS 3")]
    [InlineData(new byte[] { 0x38, 3, 0, 1, (byte)'a' }, MqttProtocolVersion.V311, Malformed, "PUBLISH QoS 0 with DUP")]
    [InlineData(new byte[] { 0x00, 0 }, MqttProtocolVersion.V311, Malformed, "packet type 0")]
    [InlineData(new byte[] { 0xF0, 0 }, MqttProtocolVersion.V311, Malformed, "AUTH in 3.1.1")]
    [InlineData(new byte[] { 0x20, 2, 0x02, 0 }, MqttProtocolVersion.V311, Malformed, "CONNACK reserved acknowledge flag")]
    [InlineData(new byte[] { 0x20, 2, 0x00, 6 }, MqttProtocolVersion.V311, Malformed, "CONNACK return code 6 in 3.1.1")]
    public void Reserved_bits_and_values_are_refused_with_the_right_reason_code(byte[] bytes, MqttProtocolVersion version, MqttReasonCode expected, string why)
    {
        var first = MqttPacketDecoder.Decode(bytes, version);
        Assert.False(first.IsSuccess, why);
        Assert.Equal(expected, first.Error.ReasonCode);
    }

    [Fact]
    public void A_well_formed_subscribe_decodes()
    {
        byte[] bytes = [0x82, 6, 0, 1, 0, 1, (byte)'a', 1];
        var decoded = MqttPacketDecoder.Decode(bytes, MqttProtocolVersion.V311);
        Assert.True(decoded.IsSuccess, decoded.Error.ToString());
        Assert.Equal(MqttQualityOfService.AtLeastOnce, ((MqttSubscribePacket)decoded.Packet).Subscriptions[0].QoS);
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0x80 }, "overlong encoding of '@'")]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "UTF-16 surrogate U+D800")]
    [InlineData(new byte[] { 0x61, 0x00, 0x62 }, "U+0000")]
    [InlineData(new byte[] { 0xFF }, "0xFF is never UTF-8")]
    [InlineData(new byte[] { 0xE2, 0x82 }, "truncated sequence")]
    public void A_topic_that_is_not_well_formed_utf8_is_malformed(byte[] topic, string why)
    {
        var bytes = new List<byte> { 0x30, (byte)(2 + topic.Length), 0, (byte)topic.Length };
        bytes.AddRange(topic);
        var decoded = MqttPacketDecoder.Decode(bytes.ToArray(), MqttProtocolVersion.V311);
        Assert.False(decoded.IsSuccess, why);
        Assert.Equal(Malformed, decoded.Error.ReasonCode);
    }

    [Fact]
    public void A_valid_multibyte_topic_decodes()
    {
        var decoded = MqttPacketDecoder.Decode(MqttPacketEncoder.ToArray(new MqttPublishPacket { Topic = "机房/温度/😀" }, MqttProtocolVersion.V311), MqttProtocolVersion.V311);
        Assert.True(decoded.IsSuccess, decoded.Error.ToString());
        Assert.Equal("机房/温度/😀", ((MqttPublishPacket)decoded.Packet).Topic);
    }

    [Theory]
    [InlineData(new byte[] { 0x30, 5, 0, 9, (byte)'a', (byte)'b', (byte)'c' }, "string length past the end")]
    [InlineData(new byte[] { 0x40, 1, 0 }, "PUBACK cut inside the packet id")]
    [InlineData(new byte[] { 0x40, 3, 0, 1, 0 }, "PUBACK longer than 2 bytes in 3.1.1")]
    [InlineData(new byte[] { 0x40, 2, 0, 0 }, "packet identifier 0")]
    [InlineData(new byte[] { 0xE0, 1, 0 }, "DISCONNECT with a body in 3.1.1")]
    [InlineData(new byte[] { 0xB0, 3, 0, 1, 0 }, "UNSUBACK with reason codes in 3.1.1")]
    [InlineData(new byte[] { 0x90, 3, 0, 1, 3 }, "SUBACK code 3 in 3.1.1")]
    [InlineData(new byte[] { 0x82, 6, 0, 1, 0, 1, (byte)'a', 4 }, "3.1.1 subscription option bits above QoS")]
    [InlineData(new byte[] { 0x82, 6, 0, 1, 0, 1, (byte)'a', 3 }, "subscription QoS 3")]
    [InlineData(new byte[] { 0x30, 4, 0, 1, (byte)'a' }, "remaining length longer than the bytes")]
    public void Truncated_or_inconsistent_3_1_1_packets_are_malformed(byte[] bytes, string why)
    {
        var decoded = MqttPacketDecoder.Decode(bytes, MqttProtocolVersion.V311);
        Assert.False(decoded.IsSuccess, why);
        Assert.Equal(Malformed, decoded.Error.ReasonCode);
    }

    [Theory]
    [InlineData(new byte[] { 0x82, 2, 0, 1 }, MqttProtocolVersion.V311, "SUBSCRIBE without a filter")]
    [InlineData(new byte[] { 0xA2, 2, 0, 1 }, MqttProtocolVersion.V311, "UNSUBSCRIBE without a filter")]
    [InlineData(new byte[] { 0x82, 7, 0, 1, 0, 0, 1, (byte)'a', 0x30 }, MqttProtocolVersion.V500, "Retain Handling 3")]
    [InlineData(new byte[] { 0x82, 16, 0, 1, 0, 0, 10, (byte)'$', (byte)'s', (byte)'h', (byte)'a', (byte)'r', (byte)'e', (byte)'/', (byte)'g', (byte)'/', (byte)'t', 0x04 }, MqttProtocolVersion.V500, "No Local on a shared subscription")]
    [InlineData(new byte[] { 0x40, 0 }, MqttProtocolVersion.Unknown, "a packet before CONNECT")]
    [InlineData(new byte[] { 0xF0, 1, 0x80 }, MqttProtocolVersion.V500, "AUTH with a reason code AUTH may not carry")]
    public void Protocol_violations_are_protocol_errors(byte[] bytes, MqttProtocolVersion version, string why)
    {
        var decoded = MqttPacketDecoder.Decode(bytes, version);
        Assert.False(decoded.IsSuccess, why);
        Assert.Equal(ProtocolError, decoded.Error.ReasonCode);
    }

    [Theory]
    [InlineData(new byte[] { 0x10, 10, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 3, 0x02, 0, 60 }, MqttReasonCode.UnsupportedProtocolVersion, "level 3")]
    [InlineData(new byte[] { 0x10, 10, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'X', 4, 0x02, 0, 60 }, MqttReasonCode.UnsupportedProtocolVersion, "name MQTX")]
    [InlineData(new byte[] { 0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x03, 0, 60, 0, 1, (byte)'c' }, Malformed, "reserved connect flag")]
    [InlineData(new byte[] { 0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x1A, 0, 60, 0, 1, (byte)'c' }, Malformed, "will QoS 3 without will flag")]
    [InlineData(new byte[] { 0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x22, 0, 60, 0, 1, (byte)'c' }, Malformed, "will retain without will flag")]
    [InlineData(new byte[] { 0x10, 16, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x42, 0, 60, 0, 1, (byte)'c', 0, 1, (byte)'p' }, Malformed, "3.1.1 password without user name")]
    [InlineData(new byte[] { 0x10, 18, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x06, 0, 60, 0, 1, (byte)'c', 0, 1, (byte)'#', 0, 0 }, MqttReasonCode.TopicNameInvalid, "will topic with a wildcard")]
    public void Bad_connect_packets_get_the_reason_code_the_connack_would_carry(byte[] bytes, MqttReasonCode expected, string why)
    {
        var decoded = MqttPacketDecoder.Decode(bytes, MqttProtocolVersion.Unknown);
        Assert.False(decoded.IsSuccess, why);
        Assert.Equal(expected, decoded.Error.ReasonCode);
    }

    [Fact]
    public void A_5_0_connect_may_carry_a_password_without_a_user_name()
    {
        var packet = new MqttConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "c", Password = "token"u8.ToArray() };
        var decoded = MqttPacketDecoder.Decode(MqttPacketEncoder.ToArray(packet, MqttProtocolVersion.V500), MqttProtocolVersion.Unknown);
        Assert.True(decoded.IsSuccess, decoded.Error.ToString());
        Assert.Null(((MqttConnectPacket)decoded.Packet).UserName);
    }

    [Theory]
    [InlineData("a/+")]
    [InlineData("#")]
    public void A_publish_topic_with_a_wildcard_is_an_invalid_topic_name(string topic)
    {
        var bytes = new List<byte> { 0x30, (byte)(2 + topic.Length), 0, (byte)topic.Length };
        bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(topic));
        var decoded = MqttPacketDecoder.Decode(bytes.ToArray(), MqttProtocolVersion.V311);
        Assert.Equal(MqttReasonCode.TopicNameInvalid, decoded.Error.ReasonCode);
    }

    [Fact]
    public void A_5_0_publish_may_have_an_empty_topic_only_with_a_topic_alias()
    {
        byte[] withAlias = [0x30, 6, 0, 0, 3, 0x23, 0, 1];
        byte[] without = [0x30, 3, 0, 0, 0];
        Assert.True(MqttPacketDecoder.Decode(withAlias, MqttProtocolVersion.V500).IsSuccess);
        Assert.Equal(MqttReasonCode.TopicNameInvalid, MqttPacketDecoder.Decode(without, MqttProtocolVersion.V500).Error.ReasonCode);
    }

    [Fact]
    public void The_encoder_refuses_strings_the_protocol_cannot_carry()
    {
        Assert.Throws<InvalidOperationException>(() => MqttPacketEncoder.ToArray(new MqttPublishPacket { Topic = new string('a', 70_000) }, MqttProtocolVersion.V311));
        Assert.ThrowsAny<ArgumentException>(() => MqttPacketEncoder.ToArray(new MqttConnectPacket { ClientId = "a\0b" }, MqttProtocolVersion.V311));
        Assert.ThrowsAny<ArgumentException>(() => MqttPacketEncoder.ToArray(new MqttConnectPacket { ClientId = "\ud800" }, MqttProtocolVersion.V311));
        Assert.Throws<InvalidOperationException>(() => MqttPacketEncoder.ToArray(new MqttPublishPacket { Topic = "a/#" }, MqttProtocolVersion.V311));
        Assert.Throws<InvalidOperationException>(() => MqttPacketEncoder.ToArray(new MqttPublishPacket { Topic = "a", QoS = MqttQualityOfService.AtLeastOnce }, MqttProtocolVersion.V311));
    }

    [Fact]
    public void Random_bytes_never_throw_out_of_the_decoder()
    {
        var random = new Random(1234);
        var buffer = new byte[64];
        var failures = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var length = random.Next(2, buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            buffer[1] = (byte)(length - 2);
            foreach (var version in (MqttProtocolVersion[])[MqttProtocolVersion.V311, MqttProtocolVersion.V500, MqttProtocolVersion.Unknown])
            {
                var result = MqttPacketDecoder.Decode(buffer.AsSpan(0, length), version);
                if (!result.IsSuccess)
                {
                    failures++;
                    Assert.True(result.Error.IsError);
                    Assert.True((int)result.Error.ReasonCode >= 0x80);
                }
            }
        }

        Assert.True(failures > 0);
    }

    [Fact]
    public void Mutated_valid_packets_never_throw_out_of_the_decoder()
    {
        var random = new Random(99);
        var samples = SamplePackets.Names.SelectMany(n => new[]
        {
            (Version: MqttProtocolVersion.V311, Bytes: MqttPacketEncoder.ToArray(SamplePackets.Build(n, MqttProtocolVersion.V311), MqttProtocolVersion.V311)),
            (Version: MqttProtocolVersion.V500, Bytes: MqttPacketEncoder.ToArray(SamplePackets.Build(n, MqttProtocolVersion.V500), MqttProtocolVersion.V500)),
        }).ToArray();
        for (var i = 0; i < 20_000; i++)
        {
            var (version, original) = samples[random.Next(samples.Length)];
            var bytes = (byte[])original.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var result = MqttPacketDecoder.Decode(bytes, version);
            Assert.True(result.IsSuccess || result.Error.IsError);
        }
    }
}
