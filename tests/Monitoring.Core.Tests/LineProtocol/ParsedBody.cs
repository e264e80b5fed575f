using System.Text;
using Monitoring.Core.LineProtocol;

namespace Monitoring.Core.Tests.LineProtocol;

internal sealed record ParsedField(string Key, LineProtocolFieldType Type, object Value);

internal sealed record ParsedLine(
    int Line,
    string? Error,
    string Measurement,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    IReadOnlyList<ParsedField> Fields,
    long TimestampNs,
    bool HasTimestamp);

/// <summary>Copies what the reader sees out of its ref struct, so tests can assert on plain objects.</summary>
internal static class ParsedBody
{
    public const long Now = 1_700_000_000_123_456_789;

    public static List<ParsedLine> Parse(string body, TimestampPrecision precision = TimestampPrecision.Nanoseconds) =>
        Parse(Encoding.UTF8.GetBytes(body), precision);

    public static List<ParsedLine> Parse(byte[] body, TimestampPrecision precision = TimestampPrecision.Nanoseconds)
    {
        var lines = new List<ParsedLine>();
        var reader = new LineProtocolReader(body, precision, Now);
        while (reader.Read())
        {
            if (!reader.IsValid)
            {
                lines.Add(new ParsedLine(reader.LineNumber, reader.Error, "", [], [], 0, false));
                continue;
            }

            var tags = new List<KeyValuePair<string, string>>();
            for (var i = 0; i < reader.TagCount; i++)
            {
                var tag = reader.GetTag(i);
                tags.Add(new(tag.KeyText, tag.ValueText));
            }

            var fields = new List<ParsedField>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var field = reader.GetField(i);
                object value = field.Type switch
                {
                    LineProtocolFieldType.Float => field.FloatValue,
                    LineProtocolFieldType.Integer => field.IntegerValue,
                    LineProtocolFieldType.UInteger => field.UIntegerValue,
                    LineProtocolFieldType.Boolean => field.BooleanValue,
                    _ => field.StringValue,
                };
                fields.Add(new ParsedField(field.KeyText, field.Type, value));
            }

            var measurement = LineProtocolEscaping.ToString(reader.Measurement, LineProtocolElement.Measurement);
            lines.Add(new ParsedLine(reader.LineNumber, null, measurement, tags, fields, reader.TimestampNs, reader.HasTimestamp));
        }

        return lines;
    }

    public static ParsedLine Single(string line, TimestampPrecision precision = TimestampPrecision.Nanoseconds)
    {
        var parsed = Assert.Single(Parse(line, precision));
        Assert.Null(parsed.Error);
        return parsed;
    }

    public static string ErrorOf(string line) => Assert.Single(Parse(line)).Error ?? throw new Xunit.Sdk.XunitException($"'{line}' parsed without error");
}
