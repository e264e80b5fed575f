using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Monitoring.Storage.Influx;

/// <summary>
/// Writes InfluxDB line protocol into an <see cref="IBufferWriter{T}"/> without allocating. Escaping follows the
/// line protocol reference: measurements escape comma and space; tag keys, tag values and field keys escape comma,
/// equals sign and space; a backslash is written as is. Non-ASCII text (Chinese names) is written as UTF-8.
/// </summary>
public static class LineProtocolEncoder
{
    /// <summary>Writes a measurement name, escaping comma and space.</summary>
    public static void WriteMeasurement(IBufferWriter<byte> writer, ReadOnlySpan<char> text) => WriteEscaped(writer, text, escapeEquals: false);

    /// <summary>Writes a tag key, tag value or field key, escaping comma, equals sign and space.</summary>
    public static void WriteKey(IBufferWriter<byte> writer, ReadOnlySpan<char> text) => WriteEscaped(writer, text, escapeEquals: true);

    /// <summary>
    /// Writes one point: the series' pre-encoded prefix (<c>measurement,tags field=</c>), the value as a float and the
    /// timestamp in nanoseconds, then a newline. Returns false (writes nothing) for NaN and infinities, which line
    /// protocol cannot carry.
    /// </summary>
    public static bool WritePoint(IBufferWriter<byte> writer, ReadOnlySpan<byte> prefix, double value, long timestampNs)
    {
        if (!double.IsFinite(value))
        {
            return false;
        }

        // prefix + up to 32 bytes of float + space + up to 20 digits of timestamp + newline
        var span = writer.GetSpan(prefix.Length + 64);
        prefix.CopyTo(span);
        var at = prefix.Length;
        if (!Utf8Formatter.TryFormat(value, span[at..], out var written))
        {
            throw new InvalidOperationException("float did not fit");
        }

        at += written;
        span[at++] = (byte)' ';
        Utf8Formatter.TryFormat(timestampNs, span[at..], out written);
        at += written;
        span[at++] = (byte)'\n';
        writer.Advance(at);
        return true;
    }

    private static void WriteEscaped(IBufferWriter<byte> writer, ReadOnlySpan<char> text, bool escapeEquals)
    {
        var max = (Encoding.UTF8.GetMaxByteCount(text.Length) * 2) + 1;
        var span = writer.GetSpan(max);
        var at = 0;
        Span<byte> one = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x80)
            {
                if (c == ',' || c == ' ' || (escapeEquals && c == '='))
                {
                    span[at++] = (byte)'\\';
                }
                else if (c is '\n' or '\r' or '\t')
                {
                    // line protocol cannot carry a newline in a name or tag value: write a space, escaped
                    span[at++] = (byte)'\\';
                    span[at++] = (byte)' ';
                    continue;
                }

                span[at++] = (byte)c;
                continue;
            }

            var length = char.IsHighSurrogate(c) && i + 1 < text.Length ? 2 : 1;
            at += Encoding.UTF8.GetBytes(text.Slice(i, length), span[at..]);
            i += length - 1;
        }

        writer.Advance(at);
    }
}
