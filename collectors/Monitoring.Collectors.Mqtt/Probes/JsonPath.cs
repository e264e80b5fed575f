using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Monitoring.Collectors.Mqtt.Probes;

/// <summary>
/// A dotted path into a JSON payload (<c>state.leak</c>, <c>readings.0.value</c>): each level is a property name, or,
/// where the document holds an array, a 0-based index. Compiled once; finding a value reads the payload with
/// <see cref="Utf8JsonReader"/> and allocates nothing.
/// </summary>
public sealed class JsonPath
{
    private readonly Segment[] _segments;

    private JsonPath(string text, Segment[] segments)
    {
        Text = text;
        _segments = segments;
    }

    public string Text { get; }

    public static JsonPath? TryCompile(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        var parts = text.Split('.');
        if (text.Length == 0 || parts.Any(p => p.Length == 0))
        {
            error = $"path '{text}' has an empty level (write levels separated by single dots: state.leak)";
            return null;
        }

        var segments = new Segment[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var index = int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
            segments[i] = new Segment(Encoding.UTF8.GetBytes(parts[i]), index);
        }

        return new JsonPath(text, segments);
    }

    /// <summary>
    /// Moves a fresh reader over the whole payload to the value at this path. False when the path is not there.
    /// </summary>
    /// <exception cref="JsonException">The payload is not valid JSON up to the value.</exception>
    public bool TryLocate(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            return false;
        }

        foreach (ref readonly var segment in _segments.AsSpan())
        {
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                if (!TryEnterProperty(ref reader, segment.Name))
                {
                    return false;
                }
            }
            else if (reader.TokenType == JsonTokenType.StartArray && segment.Index >= 0)
            {
                if (!TryEnterElement(ref reader, segment.Index))
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => Text;

    private static bool TryEnterProperty(ref Utf8JsonReader reader, byte[] name)
    {
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return false;
            }

            var match = reader.ValueTextEquals(name);
            if (!reader.Read())
            {
                return false;
            }

            if (match)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    private static bool TryEnterElement(ref Utf8JsonReader reader, int index)
    {
        var n = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return false;
            }

            if (n == index)
            {
                return true;
            }

            reader.Skip();
            n++;
        }

        return false;
    }

    private readonly record struct Segment(byte[] Name, int Index);
}
