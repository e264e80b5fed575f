using System.Buffers;
using Monitoring.Collectors.Snmp.Ber;

namespace Monitoring.Collectors.Snmp.Tests;

/// <summary>Byte vectors checked by hand against X.690 and RFC 3416/2578.</summary>
public class BerCodecTests
{
    private static string EncodeValue(SnmpValue value)
    {
        var buffer = new byte[128];
        var w = new BerWriter(buffer);
        w.WriteValue(value);
        Assert.False(w.Overflowed);
        return Convert.ToHexString(buffer, 0, w.Position);
    }

    private static SnmpValue DecodeValue(string hex)
    {
        var r = new BerReader(Convert.FromHexString(hex));
        Assert.True(r.TryReadValue(out var value), r.Error.ToString());
        Assert.True(r.IsEnd);
        return value;
    }

    [Theory]
    [InlineData(0, "020100")]
    [InlineData(127, "02017F")]
    [InlineData(128, "02020080")]
    [InlineData(256, "02020100")]
    [InlineData(-1, "0201FF")]
    [InlineData(-128, "020180")]
    [InlineData(-129, "0202FF7F")]
    [InlineData(int.MaxValue, "02047FFFFFFF")]
    [InlineData(int.MinValue, "020480000000")]
    public void Integer32_encodes_minimal_twos_complement(int value, string hex)
    {
        Assert.Equal(hex, EncodeValue(SnmpValue.FromInt32(value)));
        Assert.Equal(value, DecodeValue(hex).AsInt32());
    }

    [Theory]
    [InlineData(SnmpValueType.Counter32, 0u, "410100")]
    [InlineData(SnmpValueType.Counter32, 4294967295u, "410500FFFFFFFF")]
    [InlineData(SnmpValueType.Gauge32, 128u, "42020080")]
    [InlineData(SnmpValueType.TimeTicks, 48642u, "430300BE02")]
    public void Unsigned32_types_get_a_leading_zero_when_the_top_bit_is_set(SnmpValueType type, uint value, string hex)
    {
        var v = type switch
        {
            SnmpValueType.Counter32 => SnmpValue.FromCounter32(value),
            SnmpValueType.Gauge32 => SnmpValue.FromGauge32(value),
            _ => SnmpValue.FromTimeTicks(value),
        };
        Assert.Equal(hex, EncodeValue(v));
        var back = DecodeValue(hex);
        Assert.Equal(type, back.Type);
        Assert.Equal(value, back.AsUInt32());
    }

    [Fact]
    public void Counter32_sent_without_the_zero_octet_is_still_read_unsigned()
    {
        // Some agents send 0xFFFFFFFF as four octets; read it as 4294967295, not -1.
        Assert.Equal(4294967295u, DecodeValue("4104FFFFFFFF").AsUInt32());
    }

    [Theory]
    [InlineData(0ul, "460100")]
    [InlineData(ulong.MaxValue, "460900FFFFFFFFFFFFFFFF")]
    [InlineData(0x0123456789ABCDEFul, "46080123456789ABCDEF")]
    public void Counter64(ulong value, string hex)
    {
        Assert.Equal(hex, EncodeValue(SnmpValue.FromCounter64(value)));
        Assert.Equal(value, DecodeValue(hex).AsUInt64());
    }

    [Theory]
    [InlineData("1.3.6.1.2.1.1.1.0", "06082B06010201010100")]
    [InlineData("1.3.6.1.4.1.2680.1.2.7.3.2.0", "060D2B06010401947801020703 0200")]
    [InlineData("2.999.3", "0603883703")]
    [InlineData("0.0", "060100")]
    [InlineData("1.3.6.1.4.1.4294967295", "060A2B060104018FFFFFFF7F")]
    public void Object_identifiers_use_base128_arcs_with_the_first_two_combined(string oid, string hex)
    {
        hex = hex.Replace(" ", string.Empty, StringComparison.Ordinal);
        Assert.Equal(hex, EncodeValue(SnmpValue.FromOid(Oid.Parse(oid))));
        Assert.Equal(oid, DecodeValue(hex).AsOid().ToString());
    }

    [Fact]
    public void Other_smi_types_and_exceptions()
    {
        Assert.Equal("4004C0A80101", EncodeValue(SnmpValue.FromIpAddress([192, 168, 1, 1])));
        Assert.Equal("0500", EncodeValue(SnmpValue.Null));
        Assert.Equal("8000", EncodeValue(SnmpValue.NoSuchObject));
        Assert.Equal("8100", EncodeValue(SnmpValue.NoSuchInstance));
        Assert.Equal("8200", EncodeValue(SnmpValue.EndOfMibView));
        Assert.Equal("4403010203", EncodeValue(SnmpValue.FromOpaque([1, 2, 3])));
        Assert.Equal("04026869", EncodeValue(SnmpValue.FromText("hi")));
        Assert.Equal(SnmpValueType.EndOfMibView, DecodeValue("8200").Type);
        Assert.Equal(SnmpValueType.NoSuchInstance, DecodeValue("8100").Type);
        Assert.Equal([192, 168, 1, 1], DecodeValue("4004C0A80101").Bytes.ToArray());
    }

    [Fact]
    public void Long_form_lengths_are_written_when_content_reaches_128_octets()
    {
        var buffer = new byte[1024];
        var w = new BerWriter(buffer);
        var seq = w.BeginConstructed(BerTag.Sequence);
        w.WriteOctetString(BerTag.OctetString, new byte[200]);
        w.WriteOctetString(BerTag.OctetString, new byte[100]);
        w.EndConstructed(seq);
        var bytes = buffer.AsSpan(0, w.Position);
        // 30 82 01 31 | 04 81 C8 <200> | 04 64 <100>: 3 + 200 + 2 + 100 = 305 = 0x131
        Assert.Equal("30820131", Convert.ToHexString(bytes[..4]));
        Assert.Equal("0481C8", Convert.ToHexString(bytes.Slice(4, 3)));
        Assert.Equal("0464", Convert.ToHexString(bytes.Slice(207, 2)));
        Assert.Equal(4 + 305, bytes.Length);
    }

    [Fact]
    public void A_v2c_GetRequest_for_sysDescr_encodes_to_the_hand_assembled_bytes()
    {
        var pdu = new SnmpPdu(SnmpPduType.GetRequest, 1, 0, 0, [VarBind.ForRequest(Oid.Parse("1.3.6.1.2.1.1.1.0"))]);
        var message = SnmpMessage.ForCommunity(SnmpVersion.V2c, "public"u8.ToArray(), pdu);
        var buffer = new byte[200];
        Assert.True(SnmpCodec.TryEncode(message, buffer, out var written));
        // 30 26 | 02 01 01 | 04 06 "public" | A0 19 | 02 01 01 | 02 01 00 | 02 01 00 | 30 0E | 30 0C | 06 08 2B 06 01 02 01 01 01 00 | 05 00
        const string expected = "3026020101" + "04067075626C6963" + "A019" + "020101020100020100" + "300E300C" + "06082B06010201010100" + "0500";
        Assert.Equal(expected, Convert.ToHexString(buffer, 0, written));
    }

    [Fact]
    public void Encoding_into_an_IBufferWriter_gives_the_same_bytes_as_into_a_span()
    {
        var pdu = SnmpPdu.GetBulk(42, 1, 10, [VarBind.ForRequest(Oid.Parse("1.3.6.1.2.1.1.3.0")), VarBind.ForRequest(Oid.Parse("1.3.6.1.2.1.2.2"))]);
        var message = SnmpMessage.ForCommunity(SnmpVersion.V2c, "public"u8.ToArray(), pdu);
        var span = new byte[512];
        Assert.True(SnmpCodec.TryEncode(message, span, out var written));
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(written, SnmpCodec.Encode(message, writer));
        Assert.Equal(span.AsSpan(0, written).ToArray(), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Our_encoder_reproduces_net_snmp_requests_byte_for_byte()
    {
        foreach (var name in new[] { "v2c-get", "v1-nosuchname", "v2c-getbulk" })
        {
            var captured = CapturedData.Request(name);
            Assert.True(SnmpCodec.TryDecode(captured, out var message, out var error), $"{name}: {error}");
            var buffer = new byte[2048];
            Assert.True(SnmpCodec.TryEncode(message!, buffer, out var written));
            Assert.Equal(Convert.ToHexString(captured), Convert.ToHexString(buffer, 0, written));
        }
    }

    [Fact]
    public void Decodes_a_captured_snmpd_v2c_response()
    {
        Assert.True(SnmpCodec.TryDecode(CapturedData.Response("v2c-get"), out var message, out var error), error.ToString());
        Assert.Equal(SnmpVersion.V2c, message!.Version);
        Assert.Equal(SnmpPduType.Response, message.Pdu.Type);
        Assert.Equal("public", System.Text.Encoding.ASCII.GetString(message.Community.Span));
        var vbs = message.Pdu.VarBinds;
        Assert.Equal(3, vbs.Count);
        Assert.Equal(Oid.Parse("1.3.6.1.2.1.1.1.0"), vbs[0].Oid);
        Assert.StartsWith("Linux", vbs[0].Value.AsText(), StringComparison.Ordinal);
        Assert.Equal(SnmpValueType.TimeTicks, vbs[1].Value.Type);
        Assert.Equal("testhost", vbs[2].Value.AsText());
        Assert.Equal(CapturedRequestId("v2c-get"), message.Pdu.RequestId);
    }

    [Fact]
    public void Decodes_a_captured_v1_noSuchName_error()
    {
        Assert.True(SnmpCodec.TryDecode(CapturedData.Response("v1-nosuchname"), out var message, out _));
        Assert.Equal(SnmpVersion.V1, message!.Version);
        Assert.Equal(SnmpErrorStatus.NoSuchName, message.Pdu.ErrorStatus);
        Assert.Equal(1, message.Pdu.ErrorIndex);
    }

    [Fact]
    public void Decodes_a_captured_getbulk_response_in_increasing_order()
    {
        Assert.True(SnmpCodec.TryDecode(CapturedData.Response("v2c-getbulk"), out var message, out _));
        var vbs = message!.Pdu.VarBinds;
        Assert.Equal(10, vbs.Count);
        for (var i = 1; i < vbs.Count; i++)
        {
            Assert.True(vbs[i].Oid > vbs[i - 1].Oid);
        }

        Assert.Equal(Oid.Parse("1.3.6.1.2.1.2.2.1.1.1"), vbs[0].Oid);
        Assert.Equal(1, vbs[0].Value.AsInt32());
    }

    [Fact]
    public void Every_pdu_type_round_trips()
    {
        var vbs = new[]
        {
            new VarBind(Oid.Parse("1.3.6.1.2.1.1.3.0"), SnmpValue.FromTimeTicks(12345)),
            new VarBind(Oid.Parse("1.3.6.1.6.3.1.1.4.1.0"), SnmpValue.FromOid(Oid.Parse("1.3.6.1.6.3.1.1.5.3"))),
            new VarBind(Oid.Parse("1.3.6.1.2.1.31.1.1.1.6.1"), SnmpValue.FromCounter64(ulong.MaxValue - 1)),
            new VarBind(Oid.Parse("1.3.6.1.2.1.4.20.1.1.10.0.0.1"), SnmpValue.FromIpAddress([10, 0, 0, 1])),
            new VarBind(Oid.Parse("1.3.6.1.2.1.1.9.1.2.1"), SnmpValue.NoSuchObject),
        };
        foreach (var type in new[] { SnmpPduType.GetRequest, SnmpPduType.GetNextRequest, SnmpPduType.Response, SnmpPduType.GetBulkRequest, SnmpPduType.TrapV2, SnmpPduType.InformRequest, SnmpPduType.Report })
        {
            var pdu = new SnmpPdu(type, 123456789, 2, 3, vbs);
            var back = RoundTrip(SnmpMessage.ForCommunity(SnmpVersion.V2c, "c"u8.ToArray(), pdu)).Pdu;
            Assert.Equal(type, back.Type);
            Assert.Equal(123456789, back.RequestId);
            Assert.Equal(2, back.RawErrorStatus);
            Assert.Equal(3, back.ErrorIndex);
            Assert.Equal(vbs, back.VarBinds);
        }
    }

    [Fact]
    public void V1_trap_round_trips()
    {
        var header = new TrapV1Header(Oid.Parse("1.3.6.1.4.1.8072.3.2.10"), [127, 0, 0, 1], 2, 0, 98765);
        var pdu = new SnmpPdu(header, [new VarBind(Oid.Parse("1.3.6.1.2.1.2.2.1.1.3"), SnmpValue.FromInt32(3))]);
        var back = RoundTrip(SnmpMessage.ForCommunity(SnmpVersion.V1, "public"u8.ToArray(), pdu)).Pdu;
        Assert.Equal(SnmpPduType.TrapV1, back.Type);
        Assert.NotNull(back.TrapV1);
        Assert.Equal(header.Enterprise, back.TrapV1!.Enterprise);
        Assert.Equal(header.AgentAddress, back.TrapV1.AgentAddress);
        Assert.Equal(2, back.TrapV1.GenericTrap);
        Assert.Equal(98765u, back.TrapV1.TimeStamp);
        Assert.Single(back.VarBinds);
    }

    [Fact]
    public void Encoding_a_message_larger_than_the_buffer_fails_without_throwing()
    {
        var vbs = Enumerable.Range(0, 100).Select(i => new VarBind(Oid.Parse($"1.3.6.1.2.1.2.2.1.2.{i}"), SnmpValue.FromText(new string('x', 100)))).ToArray();
        var message = SnmpMessage.ForCommunity(SnmpVersion.V2c, "public"u8.ToArray(), new SnmpPdu(SnmpPduType.Response, 1, 0, 0, vbs));
        Assert.False(SnmpCodec.TryEncode(message, new byte[1000], out _));
    }

    [Theory]
    [InlineData("", SnmpDecodeError.Truncated)]
    [InlineData("30", SnmpDecodeError.Truncated)]
    [InlineData("3080020101", SnmpDecodeError.IndefiniteLength)]
    [InlineData("3084FFFFFFFF020101", SnmpDecodeError.BadLength)]
    [InlineData("30850000000001", SnmpDecodeError.BadLength)]
    [InlineData("3005020102", SnmpDecodeError.BadLength)]
    [InlineData("3003020109", SnmpDecodeError.UnsupportedVersion)]
    [InlineData("300302010A", SnmpDecodeError.UnsupportedVersion)]
    [InlineData("30060201010401", SnmpDecodeError.BadLength)]
    public void Malformed_datagrams_give_typed_errors(string hex, SnmpDecodeError expected)
    {
        Assert.False(SnmpCodec.TryDecode(Convert.FromHexString(hex), out var message, out var error));
        Assert.Null(message);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void An_oid_with_more_than_128_arcs_is_refused()
    {
        var content = Enumerable.Repeat((byte)1, 200).ToArray();
        Assert.False(BerReader.TryDecodeOid(content, out _, out var error));
        Assert.Equal(SnmpDecodeError.OidTooLong, error);
    }

    [Fact]
    public void Nesting_beyond_the_depth_cap_is_refused()
    {
        // 20 nested SEQUENCEs: the reader stops at its cap instead of recursing further.
        var bytes = new List<byte>();
        for (var i = 0; i < 20; i++)
        {
            bytes.Add(0x30);
            bytes.Add((byte)(2 * (19 - i)));
        }

        var reader = new BerReader(bytes.ToArray());
        var depth = 0;
        while (reader.TryReadConstructed(BerTag.Sequence, out var inner))
        {
            reader = inner;
            depth++;
        }

        Assert.Equal(BerReader.MaxDepth, depth);
        Assert.Equal(SnmpDecodeError.NestingTooDeep, reader.Error);
    }

    private static SnmpMessage RoundTrip(SnmpMessage message)
    {
        var buffer = new byte[4096];
        Assert.True(SnmpCodec.TryEncode(message, buffer, out var written));
        Assert.True(SnmpCodec.TryDecode(buffer.AsSpan(0, written), out var back, out var error), error.ToString());
        return back!;
    }

    private static int CapturedRequestId(string name)
    {
        Assert.True(SnmpCodec.TryPeekId(CapturedData.Request(name), out _, out var id));
        return id;
    }
}
