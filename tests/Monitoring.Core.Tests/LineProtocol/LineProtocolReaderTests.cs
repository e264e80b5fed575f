using System.Text;
using Monitoring.Core.LineProtocol;

namespace Monitoring.Core.Tests.LineProtocol;

public class LineProtocolReaderTests
{
    [Fact]
    public void Reads_measurement_tags_fields_and_timestamp()
    {
        var line = ParsedBody.Single("myMeasurement,tag1=value1,tag2=value2 fieldKey=\"fieldValue\",n=2i 1556813561098000000");

        Assert.Equal("myMeasurement", line.Measurement);
        Assert.Equal([new("tag1", "value1"), new("tag2", "value2")], line.Tags);
        Assert.Equal([new ParsedField("fieldKey", LineProtocolFieldType.String, "fieldValue"), new ParsedField("n", LineProtocolFieldType.Integer, 2L)], line.Fields);
        Assert.True(line.HasTimestamp);
        Assert.Equal(1556813561098000000, line.TimestampNs);
    }

    [Fact]
    public void A_line_without_tags_or_timestamp_takes_the_servers_time()
    {
        var line = ParsedBody.Single("cpu usage=12.5");

        Assert.Equal("cpu", line.Measurement);
        Assert.Empty(line.Tags);
        Assert.Equal([new ParsedField("usage", LineProtocolFieldType.Float, 12.5)], line.Fields);
        Assert.False(line.HasTimestamp);
        Assert.Equal(ParsedBody.Now, line.TimestampNs);
    }

    // Special characters, with the examples of the line protocol reference.
    [Theory]
    [InlineData(@"my\ Measurement fieldKey=""string value""", "my Measurement")]
    [InlineData(@"my\,Measurement f=1", "my,Measurement")]
    [InlineData(@"my=Measurement f=1", "my=Measurement")]
    [InlineData(@"my\=Measurement f=1", @"my\=Measurement")]
    [InlineData(@"C:\temp f=1", @"C:\temp")]
    [InlineData(@"a\\\ b f=1", @"a\\ b")]
    public void Measurement_escapes_commas_and_spaces_only(string text, string measurement) =>
        Assert.Equal(measurement, ParsedBody.Single(text).Measurement);

    [Theory]
    [InlineData(@"m,tag\ Key1=tag\ Value1,tag\ Key2=tag\ Value2 f=1", "tag Key1", "tag Value1", "tag Key2", "tag Value2")]
    [InlineData(@"m,tag\,Key=a\,b,tag\=Key=c\=d f=1", "tag,Key", "a,b", "tag=Key", "c=d")]
    [InlineData(@"m,path=C:\dir,quote=say""hi"" f=1", "path", @"C:\dir", "quote", @"say""hi""")]
    [InlineData(@"m,k=a\\b,k2=x\ny f=1", "k", @"a\\b", "k2", @"x\ny")]
    public void Tag_keys_and_values_escape_commas_equals_signs_and_spaces(string text, string key1, string value1, string key2, string value2)
    {
        var line = ParsedBody.Single(text);

        Assert.Equal([new(key1, value1), new(key2, value2)], line.Tags);
    }

    [Theory]
    [InlineData(@"m field\ Key=1", "field Key")]
    [InlineData(@"m field\,Key=1", "field,Key")]
    [InlineData(@"m field\=Key=1", "field=Key")]
    [InlineData(@"m field\Key=1", @"field\Key")]
    public void Field_keys_escape_commas_equals_signs_and_spaces(string text, string key) =>
        Assert.Equal(key, Assert.Single(ParsedBody.Single(text).Fields).Key);

    [Theory]
    [InlineData(@"m f=""\""string\"" within a string""", @"""string"" within a string")]
    [InlineData(@"m f=""spaces, commas = and equals""", "spaces, commas = and equals")]
    [InlineData(@"m f=""C:\\Users\\noc""", @"C:\Users\noc")]
    [InlineData(@"m f=""a\b\n""", @"a\b\n")]
    [InlineData(@"m f=""\""""", @"""")]
    [InlineData(@"m f=""\\""", @"\")]
    [InlineData(@"m f=""\\\a""", @"\\a")]
    [InlineData(@"m f=""\\\\""", @"\\")]
    [InlineData(@"m f=""""", "")]
    [InlineData(@"m f=""Launch 🚀""", "Launch 🚀")]
    public void String_field_values_escape_double_quotes_and_backslashes(string text, string value)
    {
        var field = Assert.Single(ParsedBody.Single(text).Fields);

        Assert.Equal(LineProtocolFieldType.String, field.Type);
        Assert.Equal(value, field.Value);
    }

    [Fact]
    public void A_string_value_with_separators_does_not_end_the_field_set()
    {
        var line = ParsedBody.Single("m msg=\"a b,c=d\",n=3i 100");

        Assert.Equal([new ParsedField("msg", LineProtocolFieldType.String, "a b,c=d"), new ParsedField("n", LineProtocolFieldType.Integer, 3L)], line.Fields);
        Assert.Equal(100, line.TimestampNs);
    }

    [Theory]
    [InlineData("1", 1.0)]
    [InlineData("1.0", 1.0)]
    [InlineData("-1.5", -1.5)]
    [InlineData("0.1", 0.1)]
    [InlineData("28.12345678901", 28.12345678901)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("-0", -0.0)]
    [InlineData("1e3", 1000.0)]
    [InlineData("1E3", 1000.0)]
    [InlineData("1.5e-3", 0.0015)]
    [InlineData("1.0e+78", 1.0e78)]
    [InlineData("-1.234456e+78", -1.234456e78)]
    [InlineData("12345678901234567890", 12345678901234567890.0)]
    [InlineData("3.141592653589793238", 3.141592653589793)]
    [InlineData("1.7976931348623157e308", double.MaxValue)]
    [InlineData("4.9e-324", double.Epsilon)]
    public void Floats_are_the_default_number_type(string value, double expected)
    {
        var field = Assert.Single(ParsedBody.Single($"m f={value}").Fields);

        Assert.Equal(LineProtocolFieldType.Float, field.Type);
        Assert.Equal(expected, (double)field.Value);
    }

    [Fact]
    public void Short_decimals_parse_exactly_like_the_runtime()
    {
        // the fast path must round exactly as double.Parse does
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var text = (random.NextDouble() * Math.Pow(10, random.Next(-6, 10))).ToString("F" + random.Next(0, 9), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(LineProtocolReader.TryParseFloat(Encoding.ASCII.GetBytes(text), out var value, out _), text);
            Assert.Equal(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture), value);
        }
    }

    [Theory]
    [InlineData("0i", 0L)]
    [InlineData("-42i", -42L)]
    [InlineData("9223372036854775807i", long.MaxValue)]
    [InlineData("-9223372036854775808i", long.MinValue)]
    public void Integers_end_in_i(string value, long expected)
    {
        var field = Assert.Single(ParsedBody.Single($"m f={value}").Fields);

        Assert.Equal(LineProtocolFieldType.Integer, field.Type);
        Assert.Equal(expected, field.Value);
    }

    [Theory]
    [InlineData("0u", 0UL)]
    [InlineData("42u", 42UL)]
    [InlineData("18446744073709551615u", ulong.MaxValue)]
    public void Unsigned_integers_end_in_u(string value, ulong expected)
    {
        var field = Assert.Single(ParsedBody.Single($"m f={value}").Fields);

        Assert.Equal(LineProtocolFieldType.UInteger, field.Type);
        Assert.Equal(expected, field.Value);
    }

    [Theory]
    [InlineData("t", true)]
    [InlineData("T", true)]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("TRUE", true)]
    [InlineData("f", false)]
    [InlineData("F", false)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    [InlineData("FALSE", false)]
    public void Booleans_take_every_spelling_of_the_reference(string value, bool expected)
    {
        var field = Assert.Single(ParsedBody.Single($"m f={value}").Fields);

        Assert.Equal(LineProtocolFieldType.Boolean, field.Type);
        Assert.Equal(expected, field.Value);
    }

    [Theory]
    [InlineData(TimestampPrecision.Nanoseconds, "1556813561098000000", 1556813561098000000)]
    [InlineData(TimestampPrecision.Microseconds, "1556813561098000", 1556813561098000000)]
    [InlineData(TimestampPrecision.Milliseconds, "1556813561098", 1556813561098000000)]
    [InlineData(TimestampPrecision.Seconds, "1556813561", 1556813561000000000)]
    [InlineData(TimestampPrecision.Minutes, "25946892", 1556813520000000000)]
    [InlineData(TimestampPrecision.Hours, "432448", 1556812800000000000)]
    [InlineData(TimestampPrecision.Seconds, "-1", -1_000_000_000)]
    [InlineData(TimestampPrecision.Nanoseconds, "0", 0)]
    [InlineData(TimestampPrecision.Nanoseconds, "9223372036854775806", long.MaxValue - 1)] // InfluxDB's last nanosecond: one more is refused (LineProtocolBoundsTests)
    [InlineData(TimestampPrecision.Nanoseconds, "-9223372036854775806", long.MinValue + 2)]
    public void Timestamps_are_converted_from_the_requests_precision_to_nanoseconds(TimestampPrecision precision, string timestamp, long expectedNs)
    {
        var line = ParsedBody.Single($"m f=1 {timestamp}", precision);

        Assert.True(line.HasTimestamp);
        Assert.Equal(expectedNs, line.TimestampNs);
    }

    [Fact]
    public void Comments_blank_lines_and_crlf_are_skipped_and_line_numbers_stay_physical()
    {
        var body = "# comment\r\n\r\ncpu a=1 10\r\n   \n  # indented comment\ncpu a=2 20\ncpu a=oops 30\r\ncpu a=4 40";

        var lines = ParsedBody.Parse(body);

        Assert.Equal([3, 6, 7, 8], lines.Select(l => l.Line));
        Assert.Equal([10L, 20L, 0L, 40L], lines.Select(l => l.TimestampNs));
        Assert.Equal("field 'a' has invalid value 'oops'", lines[2].Error);
        Assert.Equal(4.0, lines[3].Fields[0].Value);
    }

    [Fact]
    public void Whitespace_around_sections_and_a_byte_order_mark_are_tolerated()
    {
        var body = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("  cpu,host=a  usage=1   123  \n")).ToArray();

        var line = Assert.Single(ParsedBody.Parse(body));

        Assert.Null(line.Error);
        Assert.Equal("cpu", line.Measurement);
        Assert.Equal(123, line.TimestampNs);
    }

    [Fact]
    public void Chinese_measurements_tag_keys_tag_values_and_strings_are_utf8()
    {
        var line = ParsedBody.Single("机房温度,机房=信息通信机房,设备=温湿度传感器\\ 01 温度=23.5,状态=\"正常\"");

        Assert.Equal("机房温度", line.Measurement);
        Assert.Equal([new("机房", "信息通信机房"), new("设备", "温湿度传感器 01")], line.Tags);
        Assert.Equal([new ParsedField("温度", LineProtocolFieldType.Float, 23.5), new ParsedField("状态", LineProtocolFieldType.String, "正常")], line.Fields);
    }

    [Fact]
    public void Emoji_from_the_reference_example_is_kept()
    {
        var line = ParsedBody.Single("myMeasurement,tagKey=🍭 fieldKey=\"Launch 🚀\" 1556813561098000000");

        Assert.Equal("🍭", line.Tags[0].Value);
        Assert.Equal("Launch 🚀", line.Fields[0].Value);
    }

    [Fact]
    public void Lines_with_more_tags_and_fields_than_the_inline_buffers_are_read_whole()
    {
        var tags = string.Join(",", Enumerable.Range(0, 40).Select(i => $"t{i:D2}=v{i}"));
        var fields = string.Join(",", Enumerable.Range(0, 40).Select(i => $"f{i}={i}i"));

        var lines = ParsedBody.Parse($"m,{tags} {fields} 5\nm,{tags} {fields} 6");

        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal(40, l.Tags.Count));
        Assert.All(lines, l => Assert.Equal(Enumerable.Range(0, 40).Select(i => (object)(long)i), l.Fields.Select(f => f.Value)));
        Assert.Equal("v39", lines[1].Tags[39].Value);
    }

    [Fact]
    public void Raw_spans_are_the_text_when_nothing_is_escaped_and_unescape_into_a_callers_buffer_otherwise()
    {
        var body = Encoding.UTF8.GetBytes("cpu,host=plain,room=机房\\ A usage=1");
        var reader = new LineProtocolReader(body, TimestampPrecision.Nanoseconds, 0);
        Assert.True(reader.Read());

        Assert.True(reader.Measurement.SequenceEqual("cpu"u8));
        Assert.False(reader.MeasurementHasEscapes);
        Assert.True(reader.SeriesKey.SequenceEqual("cpu,host=plain,room=机房\\ A"u8));
        var plain = reader.GetTag(0);
        Assert.False(plain.ValueHasEscapes);
        Assert.True(plain.Value.SequenceEqual("plain"u8));

        var escaped = reader.GetTag(1);
        Assert.True(escaped.ValueHasEscapes);
        Span<byte> buffer = stackalloc byte[escaped.Value.Length];
        var length = LineProtocolEscaping.Unescape(escaped.Value, LineProtocolElement.Name, buffer);
        Assert.Equal("机房 A", Encoding.UTF8.GetString(buffer[..length]));
        Span<char> chars = stackalloc char[escaped.Value.Length];
        Assert.Equal("机房 A", chars[..LineProtocolEscaping.UnescapeToChars(escaped.Value, LineProtocolElement.Name, chars)].ToString());
        Assert.True(reader.TryGetTag("room"u8, out var room));
        Assert.Equal("机房 A", room.ValueText);
        Assert.False(reader.TryGetTag("device"u8, out _));
        Assert.False(reader.Read());
    }

    [Theory]
    [InlineData(@"a\ b", LineProtocolElement.Measurement, true)]
    [InlineData(@"a\=b", LineProtocolElement.Measurement, false)]
    [InlineData(@"a\=b", LineProtocolElement.Name, true)]
    [InlineData(@"a\b\\c", LineProtocolElement.Name, false)]
    [InlineData(@"a\\b", LineProtocolElement.StringValue, true)]
    [InlineData(@"a\""b", LineProtocolElement.StringValue, true)]
    [InlineData(@"a\,b", LineProtocolElement.StringValue, false)]
    [InlineData(@"trailing\", LineProtocolElement.Name, false)]
    public void HasEscapes_tells_whether_the_raw_text_differs_from_its_value(string raw, LineProtocolElement element, bool expected) =>
        Assert.Equal(expected, LineProtocolEscaping.HasEscapes(Encoding.UTF8.GetBytes(raw), element));

    [Fact]
    public void A_field_of_the_wrong_type_refuses_to_give_another_types_value()
    {
        var reader = new LineProtocolReader("m s=\"x\",b=t"u8, TimestampPrecision.Nanoseconds, 0);
        Assert.True(reader.Read());

        var text = reader.GetField(0);
        Assert.False(text.IsNumeric);
        var thrown = false;
        try
        {
            _ = text.ToDouble();
        }
        catch (InvalidOperationException)
        {
            thrown = true;
        }

        Assert.True(thrown);
        Assert.Equal(1.0, reader.GetField(1).ToDouble());
    }

    [Theory]
    [InlineData(",host=a f=1", "missing measurement")]
    [InlineData("cpu", "missing field set")]
    [InlineData("cpu ", "missing field set")]
    [InlineData("cpu,host=a", "missing field set")]
    [InlineData("cpu,host=a   ", "missing field set")]
    [InlineData("cpu,=a f=1", "tag key is empty")]
    [InlineData("cpu, f=1", "tag key is empty")]
    [InlineData("cpu,host=a, f=1", "tag key is empty")]
    [InlineData("cpu,port f=1", "tag 'port' has no value")]
    [InlineData("cpu,port= f=1", "tag 'port' has no value")]
    [InlineData("cpu,port=1=2 f=1", "tag 'port' has an unescaped '=' in its value")]
    [InlineData("cpu,host=a,host=b f=1", "duplicate tag 'host'")]
    [InlineData("cpu =1", "field key is empty")]
    [InlineData("cpu f=1,", "field key is empty")]
    [InlineData("cpu f=1,,g=2", "field key is empty")]
    [InlineData("cpu usage", "field 'usage' has no value")]
    [InlineData("cpu usage=", "field 'usage' has no value")]
    [InlineData("cpu usage=,b=1", "field 'usage' has no value")]
    [InlineData("cpu usage=12x", "field 'usage' has invalid number '12x'")]
    [InlineData("cpu usage=1.2.3", "field 'usage' has invalid number '1.2.3'")]
    [InlineData("cpu usage=1e", "field 'usage' has invalid number '1e'")]
    [InlineData("cpu usage=-", "field 'usage' has invalid number '-'")]
    [InlineData("cpu usage=.", "field 'usage' has invalid number '.'")]
    [InlineData("cpu usage=+1", "field 'usage' has invalid value '+1'")]
    [InlineData("cpu usage=NaN", "field 'usage' has invalid value 'NaN'")]
    [InlineData("cpu usage=Inf", "field 'usage' has invalid value 'Inf'")]
    [InlineData("cpu usage=tru", "field 'usage' has invalid value 'tru'")]
    [InlineData("cpu usage=1e400", "field 'usage' has float out of range '1e400'")]
    [InlineData("cpu n=1.5i", "field 'n' has invalid integer '1.5i'")]
    [InlineData("cpu n=i", "field 'n' has invalid value 'i'")]
    [InlineData("cpu n=9223372036854775808i", "field 'n' has integer out of range '9223372036854775808i'")]
    [InlineData("cpu n=-9223372036854775809i", "field 'n' has integer out of range '-9223372036854775809i'")]
    [InlineData("cpu n=18446744073709551616u", "field 'n' has unsigned integer out of range '18446744073709551616u'")]
    [InlineData("cpu n=-1u", "field 'n' has invalid unsigned integer '-1u'")]
    [InlineData("cpu msg=\"abc", "field 'msg' has an unterminated string")]
    [InlineData("cpu msg=\"abc\\\"", "field 'msg' has an unterminated string")]
    [InlineData("cpu msg=\"abc\"x", "field 'msg' has text after the closing quote of its string")]
    [InlineData("cpu f=1 12x", "invalid timestamp '12x'")]
    [InlineData("cpu f=1 1.5", "invalid timestamp '1.5'")]
    [InlineData("cpu f=1 9223372036854775808", "timestamp out of range '9223372036854775808'")]
    [InlineData("cpu f=1 100 200", "unexpected text after the timestamp: '200'")]
    [InlineData("cpu f=1 100 x=2", "unexpected text after the timestamp: 'x=2'")]
    public void Malformed_lines_say_exactly_what_is_wrong(string line, string error) =>
        Assert.Equal(error, ParsedBody.ErrorOf(line));

    [Fact]
    public void A_timestamp_that_overflows_once_converted_is_out_of_range()
    {
        var line = Assert.Single(ParsedBody.Parse("m f=1 9223372037", TimestampPrecision.Seconds));

        Assert.Equal("timestamp out of range '9223372037'", line.Error);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        var line = Assert.Single(ParsedBody.Parse(new byte[] { (byte)'m', (byte)' ', (byte)'f', (byte)'=', 0xC3, 0x28 }));

        Assert.Equal("line is not valid UTF-8", line.Error);
    }

    [Fact]
    public void A_newline_inside_a_string_ends_the_line_as_the_reference_allows_none()
    {
        var lines = ParsedBody.Parse("m msg=\"two\nlines\" 5\nm ok=1");

        Assert.Equal([1, 2, 3], lines.Select(l => l.Line));
        Assert.Equal("field 'msg' has an unterminated string", lines[0].Error);
        Assert.NotNull(lines[1].Error);
        Assert.Null(lines[2].Error);
    }

    [Fact]
    public void Errors_carry_their_line_numbers_and_valid_lines_around_them_are_read()
    {
        var lines = ParsedBody.Parse("cpu a=1\ncpu\n# c\ncpu,port f=1\ncpu b=2\n\ncpu n=99999999999999999999i\ncpu c=3");

        Assert.Equal([(1, null), (2, "missing field set"), (4, "tag 'port' has no value"), (5, null), (7, "field 'n' has integer out of range '99999999999999999999i'"), (8, null)],
            lines.Select(l => (l.Line, l.Error)));
    }

    [Fact]
    public void Long_values_are_shortened_in_error_messages()
    {
        var error = ParsedBody.ErrorOf("m f=" + new string('9', 100) + "x");

        Assert.Equal("field 'f' has invalid number '" + new string('9', 48) + "...'", error);
    }

    [Fact]
    public void Any_input_gives_valid_lines_or_errors_and_never_throws()
    {
        var alphabet = "ab=, \\\"\n\r#tfiu0123456789.-eE+机"u8.ToArray();
        var random = new Random(11);
        for (var round = 0; round < 3000; round++)
        {
            var body = new byte[random.Next(0, 60)];
            for (var i = 0; i < body.Length; i++)
            {
                body[i] = random.Next(10) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            }

            var lines = ParsedBody.Parse(body);

            var physical = body.Count(b => b == (byte)'\n') + 1;
            Assert.All(lines, l => Assert.InRange(l.Line, 1, physical));
            Assert.All(lines, l => Assert.True(l.Error is not null || l.Fields.Count > 0));
            Assert.Equal(lines.Select(l => l.Line).Distinct().Count(), lines.Count);
        }
    }

    [Theory]
    [InlineData(null, TimestampPrecision.Nanoseconds)]
    [InlineData("ns", TimestampPrecision.Nanoseconds)]
    [InlineData("us", TimestampPrecision.Microseconds)]
    [InlineData("ms", TimestampPrecision.Milliseconds)]
    [InlineData("s", TimestampPrecision.Seconds)]
    public void V2_precisions(string? text, TimestampPrecision expected)
    {
        Assert.True(TimestampPrecisions.TryParseV2(text, out var precision));
        Assert.Equal(expected, precision);
    }

    [Theory]
    [InlineData("n", TimestampPrecision.Nanoseconds)]
    [InlineData("u", TimestampPrecision.Microseconds)]
    [InlineData("ms", TimestampPrecision.Milliseconds)]
    [InlineData("s", TimestampPrecision.Seconds)]
    [InlineData("m", TimestampPrecision.Minutes)]
    [InlineData("h", TimestampPrecision.Hours)]
    public void V1_precisions(string text, TimestampPrecision expected)
    {
        Assert.True(TimestampPrecisions.TryParseV1(text, out var precision));
        Assert.Equal(expected, precision);
    }

    [Theory]
    [InlineData("m")]
    [InlineData("h")]
    [InlineData("n")]
    [InlineData("sec")]
    public void V2_refuses_the_v1_only_precisions(string text) =>
        Assert.False(TimestampPrecisions.TryParseV2(text, out _));
}
