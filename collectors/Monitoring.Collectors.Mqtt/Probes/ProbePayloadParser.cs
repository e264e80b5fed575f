using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using Monitoring.Core.LineProtocol;

namespace Monitoring.Collectors.Mqtt.Probes;

/// <summary>Receives the values a payload yields.</summary>
public interface IProbeValueSink
{
    /// <param name="metric">The metric name (a profile value's <see cref="ProbeValue.Metric"/>, or "measurement.field").</param>
    /// <param name="value">The profile's value entry, when the value came through one (for its unit).</param>
    /// <param name="number">The value, mapped, scaled and offset.</param>
    /// <param name="timestampNs">Unix nanoseconds: the payload's own timestamp, or the time of arrival.</param>
    void Add(ReadOnlySpan<char> metric, ProbeValue? value, double number, long timestampNs);
}

/// <summary>
/// Reads one payload in a topic's format and hands each value to a sink. Nothing is allocated on the way for a
/// well-formed payload; a malformed one is refused with a reason and hands nothing on.
/// </summary>
public static class ProbePayloadParser
{
    private const int MaxMetricChars = 256;

    /// <summary>Parses a payload; returns the number of values handed on, or -1 with <paramref name="error"/> set.</summary>
    public static int Parse(ProbeTopic topic, ReadOnlySpan<byte> payload, long nowNs, IProbeValueSink sink, out string? error)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(sink);
        return topic.Format switch
        {
            ProbePayloadFormat.Json => ParseJson(topic, payload, nowNs, sink, out error),
            ProbePayloadFormat.Number => ParseNumber(topic, payload, nowNs, sink, out error),
            _ => ParseLineProtocol(topic, payload, nowNs, sink, out error),
        };
    }

    private static int ParseJson(ProbeTopic topic, ReadOnlySpan<byte> payload, long nowNs, IProbeValueSink sink, out string? error)
    {
        error = null;
        var options = new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 32 };
        try
        {
            // a whole-payload check first: a truncated document must not hand on the values before the cut
            var check = new Utf8JsonReader(payload, options);
            while (check.Read())
            {
            }

            var timestamp = nowNs;
            if (topic.TimestampPath is { } timestampPath)
            {
                var reader = new Utf8JsonReader(payload, options);
                if (timestampPath.TryLocate(ref reader) && !TryReadTimestamp(ref reader, topic.TimestampUnit, out timestamp))
                {
                    error = $"the timestamp at '{timestampPath}' is not a {Describe(topic.TimestampUnit)}";
                    return -1;
                }
            }

            // read every value before handing any on, so a payload is taken whole or not at all
            Span<double> numbers = stackalloc double[Math.Min(topic.Values.Count, 64)];
            Span<bool> found = stackalloc bool[numbers.Length];
            var count = 0;
            for (var i = 0; i < numbers.Length; i++)
            {
                var value = topic.Values[i];
                var reader = new Utf8JsonReader(payload, options);
                if (value.Path is null || !value.Path.TryLocate(ref reader))
                {
                    continue;
                }

                if (!TryReadValue(ref reader, value, out numbers[i]))
                {
                    error = $"the value at '{value.Path}' is not a number{(value.Map is null ? string.Empty : " or a mapped word")}";
                    return -1;
                }

                found[i] = true;
                count++;
            }

            if (count == 0)
            {
                error = "none of the profile's paths is in the payload";
                return -1;
            }

            for (var i = 0; i < numbers.Length; i++)
            {
                if (found[i])
                {
                    sink.Add(topic.Values[i].Metric, topic.Values[i], numbers[i], timestamp);
                }
            }

            return count;
        }
        catch (JsonException)
        {
            error = "the payload is not valid JSON";
            return -1;
        }
    }

    private static bool TryReadValue(ref Utf8JsonReader reader, ProbeValue value, out double number)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (reader.TryGetDouble(out number))
                {
                    number = (number * value.Scale) + value.Offset;
                    return true;
                }

                return false;
            case JsonTokenType.True:
            case JsonTokenType.False:
                var flag = reader.TokenType == JsonTokenType.True;
                if (value.Map is { } map && map.TryMap(flag, out number))
                {
                    return true;
                }

                number = flag ? 1 : 0;
                return true;
            case JsonTokenType.String:
                if (reader.HasValueSequence || reader.ValueIsEscaped || reader.ValueSpan.Length > 128)
                {
                    number = 0;
                    return false; // probes send short plain words; anything else is not one of ours
                }

                return TryText(reader.ValueSpan, value, out number);
            default:
                number = 0;
                return false;
        }
    }

    /// <summary>A word or a number as text: the map first, then a number (scaled).</summary>
    private static bool TryText(ReadOnlySpan<byte> text, ProbeValue value, out double number)
    {
        if (value.Map is { } map && map.TryMap(text, out number))
        {
            return true;
        }

        if (Utf8Parser.TryParse(text, out number, out var consumed) && consumed == text.Length && double.IsFinite(number))
        {
            number = (number * value.Scale) + value.Offset;
            return true;
        }

        if (text.SequenceEqual("true"u8) || text.SequenceEqual("false"u8))
        {
            number = text.Length == 4 ? 1 : 0;
            return true;
        }

        number = 0;
        return false;
    }

    private static bool TryReadTimestamp(ref Utf8JsonReader reader, ProbeTimestampUnit unit, out long ns)
    {
        ns = 0;
        if (unit == ProbeTimestampUnit.Rfc3339)
        {
            if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var at))
            {
                ns = (at - DateTimeOffset.UnixEpoch).Ticks * 100;
                return true;
            }

            return false;
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            return false;
        }

        if (reader.TryGetInt64(out var whole))
        {
            return TryScale(whole, unit, out ns);
        }

        if (reader.TryGetDouble(out var fractional) && double.IsFinite(fractional))
        {
            var scaled = fractional * NanosecondsPer(unit);
            if (Math.Abs(scaled) < long.MaxValue)
            {
                ns = (long)scaled;
                return true;
            }
        }

        return false;
    }

    private static bool TryScale(long value, ProbeTimestampUnit unit, out long ns)
    {
        try
        {
            ns = checked(value * NanosecondsPer(unit));
            return true;
        }
        catch (OverflowException)
        {
            ns = 0;
            return false;
        }
    }

    private static long NanosecondsPer(ProbeTimestampUnit unit) => unit switch
    {
        ProbeTimestampUnit.Seconds => 1_000_000_000,
        ProbeTimestampUnit.Milliseconds => 1_000_000,
        ProbeTimestampUnit.Microseconds => 1_000,
        _ => 1,
    };

    private static string Describe(ProbeTimestampUnit unit) => unit switch
    {
        ProbeTimestampUnit.Rfc3339 => "RFC 3339 date and time",
        ProbeTimestampUnit.Seconds => "number of seconds",
        ProbeTimestampUnit.Milliseconds => "number of milliseconds",
        ProbeTimestampUnit.Microseconds => "number of microseconds",
        _ => "number of nanoseconds",
    };

    private static int ParseNumber(ProbeTopic topic, ReadOnlySpan<byte> payload, long nowNs, IProbeValueSink sink, out string? error)
    {
        var value = topic.Values[0];
        var text = payload.Trim(" \t\r\n"u8);
        if (text.Length == 0 || text.Length > 128 || !TryText(text, value, out var number))
        {
            error = value.Map is null ? "the payload is not a number" : "the payload is neither a number nor one of the mapped words";
            return -1;
        }

        error = null;
        sink.Add(value.Metric, value, number, nowNs);
        return 1;
    }

    private static int ParseLineProtocol(ProbeTopic topic, ReadOnlySpan<byte> payload, long nowNs, IProbeValueSink sink, out string? error)
    {
        error = null;
        var precision = topic.TimestampUnit switch
        {
            ProbeTimestampUnit.Seconds => TimestampPrecision.Seconds,
            ProbeTimestampUnit.Milliseconds => TimestampPrecision.Milliseconds,
            ProbeTimestampUnit.Microseconds => TimestampPrecision.Microseconds,
            _ => TimestampPrecision.Nanoseconds,
        };

        // first pass: every line must be valid, so a payload is taken whole or not at all
        var check = new LineProtocolReader(payload, precision, nowNs);
        var lines = 0;
        while (check.Read())
        {
            if (check.Error is { } lineError)
            {
                error = $"line protocol, line {check.LineNumber}: {lineError}";
                return -1;
            }

            lines++;
        }

        if (lines == 0)
        {
            error = "the payload holds no line-protocol line";
            return -1;
        }

        var chars = ArrayPool<char>.Shared.Rent(MaxMetricChars * 2);
        try
        {
            var count = 0;
            var reader = new LineProtocolReader(payload, precision, nowNs);
            while (reader.Read())
            {
                for (var f = 0; f < reader.FieldCount; f++)
                {
                    var field = reader.GetField(f);
                    if (!field.IsNumeric || reader.Measurement.Length + field.Key.Length + 1 > MaxMetricChars)
                    {
                        continue;
                    }

                    var metric = chars.AsSpan();
                    var length = LineProtocolEscaping.UnescapeToChars(reader.Measurement, LineProtocolElement.Measurement, metric);
                    metric[length++] = '.';
                    length += LineProtocolEscaping.UnescapeToChars(field.Key, LineProtocolElement.Name, metric[length..]);
                    var name = metric[..length];
                    var raw = field.ToDouble();
                    if (topic.Values.Count == 0)
                    {
                        sink.Add(name, null, raw, reader.TimestampNs);
                        count++;
                        continue;
                    }

                    foreach (var value in topic.Values)
                    {
                        if (name.SequenceEqual(value.FieldName))
                        {
                            sink.Add(value.Metric, value, (raw * value.Scale) + value.Offset, reader.TimestampNs);
                            count++;
                        }
                    }
                }
            }

            if (count == 0)
            {
                error = "no field of the payload is one the profile maps";
                return -1;
            }

            return count;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
