using System.Buffers;
using System.Globalization;
using System.Text;

namespace Monitoring.Simulator;

/// <summary>Writes InfluxDB line protocol into a buffer, escaping as the protocol requires.</summary>
internal readonly ref struct LineWriter(IBufferWriter<byte> output)
{
    private readonly IBufferWriter<byte> _output = output;

    public void Measurement(string name) => Escaped(name, isMeasurement: true);

    public void Tag(string key, string value)
    {
        Raw(","u8);
        Escaped(key, isMeasurement: false);
        Raw("="u8);
        Escaped(value, isMeasurement: false);
    }

    public void Field(bool first, string key, double value)
    {
        Raw(first ? " "u8 : ","u8);
        Escaped(key, isMeasurement: false);
        Raw("="u8);
        Format(value);
    }

    public void Field(bool first, string key, long value)
    {
        Raw(first ? " "u8 : ","u8);
        Escaped(key, isMeasurement: false);
        Raw("="u8);
        Format(value);
        Raw("i"u8);
    }

    public void End(long timestampNs)
    {
        Raw(" "u8);
        Format(timestampNs);
        Raw("\n"u8);
    }

    private void Format<T>(T value)
        where T : IUtf8SpanFormattable
    {
        var span = _output.GetSpan(32);
        if (!value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("number did not fit in 32 bytes");
        }

        _output.Advance(written);
    }

    private void Raw(ReadOnlySpan<byte> bytes) => _output.Write(bytes);

    private void Escaped(string text, bool isMeasurement)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            var c = rune.Value;
            if (c is ',' or ' ' || (!isMeasurement && c == '='))
            {
                Raw("\\"u8);
            }

            var span = _output.GetSpan(4);
            var written = rune.EncodeToUtf8(span);
            _output.Advance(written);
        }
    }
}
