using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Tests.Protocol;

public class PacketRoundTripTests
{
    public static TheoryData<string, MqttProtocolVersion> AllPackets()
    {
        var data = new TheoryData<string, MqttProtocolVersion>();
        foreach (var name in SamplePackets.Names)
        {
            data.Add(name, MqttProtocolVersion.V311);
            data.Add(name, MqttProtocolVersion.V500);
        }

        data.Add("auth", MqttProtocolVersion.V500);
        data.Add("auth-empty", MqttProtocolVersion.V500);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllPackets))]
    public void Every_packet_type_decodes_to_what_was_encoded_and_encodes_to_the_same_bytes(string name, MqttProtocolVersion version)
    {
        var packet = SamplePackets.Build(name, version);
        var bytes = MqttPacketEncoder.ToArray(packet, version);
        Assert.Equal(bytes.Length, MqttPacketEncoder.GetEncodedSize(packet, version));
        Assert.Equal((int)packet.Type, bytes[0] >> 4);

        var decoded = MqttPacketDecoder.Decode(bytes, version);

        Assert.True(decoded.IsSuccess, decoded.Error.ToString());
        Assert.Equal(packet.GetType(), decoded.Packet.GetType());
        Assert.Equal(bytes, MqttPacketEncoder.ToArray(decoded.Packet, version));
        SamplePackets.AssertSameFields(packet, decoded.Packet, version);
    }

    [Fact]
    public void Encoding_into_a_buffer_writer_matches_encoding_into_a_span()
    {
        var packet = SamplePackets.Build("publish-qos2", MqttProtocolVersion.V500);
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        var written = MqttPacketEncoder.Encode(packet, MqttProtocolVersion.V500, writer);
        Assert.Equal(MqttPacketEncoder.ToArray(packet, MqttProtocolVersion.V500), writer.WrittenSpan.ToArray());
        Assert.Equal(written, writer.WrittenCount);
    }

    [Fact]
    public void A_3_1_1_connect_matches_the_bytes_of_the_specification_example()
    {
        // 3.1.1 section 3.1.2.10: protocol name "MQTT", level 4, flags 0xCE (user, password, will QoS 1, will, clean), keep alive 10.
        var packet = new MqttConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V311,
            ClientId = "c",
            CleanStart = true,
            KeepAliveSeconds = 10,
            UserName = "u",
            Password = "p"u8.ToArray(),
            Will = new MqttWill { Topic = "w", Payload = "x"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce },
        };
        byte[] expected =
        [
            0x10, 25,
            0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0xCE, 0, 10,
            0, 1, (byte)'c',
            0, 1, (byte)'w', 0, 1, (byte)'x',
            0, 1, (byte)'u',
            0, 1, (byte)'p',
        ];
        Assert.Equal(expected, MqttPacketEncoder.ToArray(packet, MqttProtocolVersion.V311));
    }

    [Theory]
    [InlineData(0, new byte[] { 0x00 })]
    [InlineData(127, new byte[] { 0x7F })]
    [InlineData(128, new byte[] { 0x80, 0x01 })]
    [InlineData(16_383, new byte[] { 0xFF, 0x7F })]
    [InlineData(16_384, new byte[] { 0x80, 0x80, 0x01 })]
    [InlineData(2_097_151, new byte[] { 0xFF, 0xFF, 0x7F })]
    [InlineData(2_097_152, new byte[] { 0x80, 0x80, 0x80, 0x01 })]
    [InlineData(268_435_455, new byte[] { 0xFF, 0xFF, 0xFF, 0x7F })]
    public void Remaining_length_uses_the_variable_byte_integer_of_the_specification(int remaining, byte[] encoded)
    {
        var header = new byte[1 + encoded.Length];
        header[0] = 0x30;
        encoded.CopyTo(header, 1);
        var status = MqttFrameReader.TryReadHeader(header, int.MaxValue, out var frame, out var error);
        Assert.Equal(MqttFrameStatus.Complete, status);
        Assert.False(error.IsError);
        Assert.Equal(remaining, frame.RemainingLength);
        Assert.Equal(header.Length, frame.HeaderLength);
    }

    [Fact]
    public void A_large_payload_round_trips_with_a_four_byte_remaining_length()
    {
        var payload = new byte[2_100_000];
        new Random(5).NextBytes(payload);
        var packet = new MqttPublishPacket { Topic = "big", Payload = payload };
        var bytes = MqttPacketEncoder.ToArray(packet, MqttProtocolVersion.V311);
        Assert.Equal(1 + 4 + 2 + 3 + payload.Length, bytes.Length);
        var decoded = MqttPacketDecoder.Decode(bytes, MqttProtocolVersion.V311);
        Assert.True(decoded.IsSuccess, decoded.Error.ToString());
        Assert.True(payload.AsSpan().SequenceEqual(((MqttPublishPacket)decoded.Packet).Payload.Span));
    }

    [Fact]
    public void Connect_ToString_never_shows_the_password()
    {
        var packet = new MqttConnectPacket { ClientId = "c", UserName = "u", Password = "hunter2"u8.ToArray() };
        Assert.DoesNotContain("hunter2", packet.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("104", packet.ToString(), StringComparison.Ordinal); // 'h' as a byte
    }
}
