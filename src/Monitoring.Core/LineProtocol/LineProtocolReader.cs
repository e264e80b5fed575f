using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace Monitoring.Core.LineProtocol;

/// <summary>
/// Reads an InfluxDB line-protocol body (UTF-8) point by point without allocating:
/// <c>measurement[,tag=value...] field=value[,field=value...] [timestamp]</c>.
/// <see cref="Read"/> moves to the next line that is neither blank nor a <c>#</c> comment and parses it whole;
/// the line is then either valid (measurement, tags, typed fields and timestamp are available) or carries an
/// <see cref="Error"/> naming what is wrong. Line numbers are 1-based physical lines; <c>\r\n</c> endings are accepted.
/// As the reference says, tag and field values cannot hold a newline: a line ends at every <c>\n</c>.
/// Only error messages allocate; lines with more than 16 tags or fields grow one array per reader.
/// </summary>
public ref struct LineProtocolReader
{
    private const int InlineCapacity = 16;
    private const int MaxQuotedInError = 48;

    /// <summary>The earliest timestamp InfluxDB stores (Unix ns): <c>-9223372036854775806</c>, 1677-09-21.</summary>
    public const long MinTimestampNs = long.MinValue + 2;

    /// <summary>The latest timestamp InfluxDB stores (Unix ns): <c>9223372036854775806</c>, 2262-04-11.</summary>
    public const long MaxTimestampNs = long.MaxValue - 1;

    private readonly ReadOnlySpan<byte> _body;
    private readonly long _unitNs;
    private readonly long _nowNs;
    private readonly LineProtocolLimits _limits;
    private int _position;
    private int _physicalLine;

    private ReadOnlySpan<byte> _line;
    private int _lineNumber;
    private string? _error;
    private LineProtocolErrorKind _errorKind;
    private int _measurementLength;
    private bool _measurementHasEscapes;
    private int _seriesKeyLength;
    private long _timestampNs;
    private bool _hasTimestamp;

    private InlineTags _inlineTags;
    private TagEntry[]? _moreTags;
    private int _tagCount;
    private InlineFields _inlineFields;
    private FieldEntry[]? _moreFields;
    private int _fieldCount;

    /// <param name="body">The request body, UTF-8.</param>
    /// <param name="precision">The unit of the timestamps in the body.</param>
    /// <param name="nowNs">Unix nanoseconds given to lines without a timestamp.</param>
    public LineProtocolReader(ReadOnlySpan<byte> body, TimestampPrecision precision, long nowNs)
        : this(body, precision, nowNs, LineProtocolLimits.Default)
    {
    }

    /// <param name="body">The request body, UTF-8.</param>
    /// <param name="precision">The unit of the timestamps in the body.</param>
    /// <param name="nowNs">Unix nanoseconds given to lines without a timestamp.</param>
    /// <param name="limits">The size bounds every line must keep.</param>
    public LineProtocolReader(ReadOnlySpan<byte> body, TimestampPrecision precision, long nowNs, LineProtocolLimits limits)
    {
        _body = body.StartsWith("\uFEFF"u8) ? body[3..] : body;
        _unitNs = TimestampPrecisions.NanosecondsPerUnit(precision);
        _nowNs = nowNs;
        _limits = limits;
    }

    /// <summary>The 1-based physical line number of the current line.</summary>
    public readonly int LineNumber => _lineNumber;

    /// <summary>What is wrong with the current line (without the "line N: " prefix), or null when it is valid.</summary>
    public readonly string? Error => _error;

    public readonly bool IsValid => _error is null;

    /// <summary>Why the current line is refused (<see cref="LineProtocolErrorKind.None"/> when it is valid).</summary>
    public readonly LineProtocolErrorKind ErrorKind => _errorKind;

    /// <summary>The current line as sent, without its line ending and leading whitespace.</summary>
    public readonly ReadOnlySpan<byte> Line => _line;

    /// <summary>The raw measurement; see <see cref="LineProtocolEscaping"/> with <see cref="LineProtocolElement.Measurement"/>.</summary>
    public readonly ReadOnlySpan<byte> Measurement => _line[.._measurementLength];

    public readonly bool MeasurementHasEscapes => _measurementHasEscapes;

    /// <summary>Measurement and tag set as sent (tags in the sender's order), e.g. <c>cpu,host=a,region=b</c>.</summary>
    public readonly ReadOnlySpan<byte> SeriesKey => _line[.._seriesKeyLength];

    public readonly int TagCount => _tagCount;

    public readonly int FieldCount => _fieldCount;

    /// <summary>True when the line carried a timestamp; otherwise <see cref="TimestampNs"/> is the server's time.</summary>
    public readonly bool HasTimestamp => _hasTimestamp;

    /// <summary>The line's timestamp converted to Unix nanoseconds.</summary>
    public readonly long TimestampNs => _timestampNs;

    public readonly LineProtocolTag GetTag(int index)
    {
        var tag = TagAt(index);
        return new LineProtocolTag(
            _line.Slice(tag.KeyStart, tag.KeyLength), tag.KeyHasEscapes,
            _line.Slice(tag.ValueStart, tag.ValueLength), tag.ValueHasEscapes);
    }

    public readonly LineProtocolField GetField(int index)
    {
        var field = FieldAt(index);
        return new LineProtocolField(
            _line.Slice(field.KeyStart, field.KeyLength), field.KeyHasEscapes, field.Type,
            _line.Slice(field.ValueStart, field.ValueLength), field.ValueHasEscapes, field.Bits);
    }

    /// <summary>Finds the tag whose raw key is exactly <paramref name="key"/> (a key without escapes, e.g. "device"u8).</summary>
    public readonly bool TryGetTag(ReadOnlySpan<byte> key, out LineProtocolTag tag)
    {
        for (var i = 0; i < _tagCount; i++)
        {
            var entry = TagAt(i);
            if (_line.Slice(entry.KeyStart, entry.KeyLength).SequenceEqual(key))
            {
                tag = GetTag(i);
                return true;
            }
        }

        tag = default;
        return false;
    }

    /// <summary>Moves to the next line that is not blank or a comment. False at the end of the body.</summary>
    public bool Read()
    {
        while (_position < _body.Length)
        {
            var rest = _body[_position..];
            var newline = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line;
            if (newline < 0)
            {
                line = rest;
                _position = _body.Length;
            }
            else
            {
                line = rest[..newline];
                _position += newline + 1;
            }

            _physicalLine++;
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            line = line.TrimStart(" \t"u8);
            if (line.IsEmpty || line[0] == (byte)'#')
            {
                continue;
            }

            _line = line;
            _lineNumber = _physicalLine;
            Parse();
            return true;
        }

        _line = default;
        return false;
    }

    private readonly TagEntry TagAt(int index)
    {
        if ((uint)index >= (uint)_tagCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }

        return index < InlineCapacity ? _inlineTags[index] : _moreTags![index - InlineCapacity];
    }

    private readonly FieldEntry FieldAt(int index)
    {
        if ((uint)index >= (uint)_fieldCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }

        return index < InlineCapacity ? _inlineFields[index] : _moreFields![index - InlineCapacity];
    }

    private void AddTag(in TagEntry tag)
    {
        if (_tagCount < InlineCapacity)
        {
            _inlineTags[_tagCount] = tag;
        }
        else
        {
            var at = _tagCount - InlineCapacity;
            if (_moreTags is null || at == _moreTags.Length)
            {
                Array.Resize(ref _moreTags, Math.Max(InlineCapacity, at * 2));
            }

            _moreTags[at] = tag;
        }

        _tagCount++;
    }

    private void AddField(in FieldEntry field)
    {
        if (_fieldCount < InlineCapacity)
        {
            _inlineFields[_fieldCount] = field;
        }
        else
        {
            var at = _fieldCount - InlineCapacity;
            if (_moreFields is null || at == _moreFields.Length)
            {
                Array.Resize(ref _moreFields, Math.Max(InlineCapacity, at * 2));
            }

            _moreFields[at] = field;
        }

        _fieldCount++;
    }

    private void Parse()
    {
        _error = null;
        _tagCount = 0;
        _fieldCount = 0;
        _measurementLength = 0;
        _seriesKeyLength = 0;
        _hasTimestamp = false;
        _timestampNs = _nowNs;
        _errorKind = LineProtocolErrorKind.Syntax;
        _error = _line.Length > _limits.MaxLineBytes
            ? Limit($"the line is {_line.Length} bytes, over the limit of {_limits.MaxLineBytes} bytes per line (MaxLineBytes)")
            : ParseLine(_line);
        if (_error is null)
        {
            _errorKind = LineProtocolErrorKind.None;
        }
        else
        {
            _tagCount = 0;
            _fieldCount = 0;
        }
    }

    private string? ParseLine(ReadOnlySpan<byte> line)
    {
        if (!Utf8.IsValid(line))
        {
            return "line is not valid UTF-8";
        }

        var n = line.Length;
        var i = ScanToken(line, 0, LineProtocolElement.Measurement, out var escaped);
        if (i == 0)
        {
            return "missing measurement";
        }

        if (i > _limits.MaxNameBytes)
        {
            return Limit($"the measurement is {i} bytes, over the limit of {_limits.MaxNameBytes} bytes for a name (MaxNameBytes)");
        }

        _measurementLength = i;
        _measurementHasEscapes = escaped;

        while (i < n && line[i] == (byte)',')
        {
            var keyStart = i + 1;
            var keyEnd = ScanToken(line, keyStart, LineProtocolElement.Name, out var keyEscaped);
            if (keyEnd == keyStart)
            {
                return "tag key is empty";
            }

            var key = line[keyStart..keyEnd];
            if (keyEnd == n || line[keyEnd] != (byte)'=')
            {
                return $"tag '{Text(key)}' has no value";
            }

            if (key.Length > _limits.MaxNameBytes)
            {
                return Limit($"a tag key is {key.Length} bytes, over the limit of {_limits.MaxNameBytes} bytes for a name (MaxNameBytes)");
            }

            if (key.SequenceEqual("time"u8))
            {
                return "invalid tag key 'time': InfluxDB refuses it (it names the timestamp)";
            }

            var valueStart = keyEnd + 1;
            var valueEnd = ScanToken(line, valueStart, LineProtocolElement.Name, out var valueEscaped);
            if (valueEnd == valueStart)
            {
                return $"tag '{Text(key)}' has no value";
            }

            if (valueEnd - valueStart > _limits.MaxTagValueBytes)
            {
                return Limit($"the value of tag '{Text(key)}' is {valueEnd - valueStart} bytes, over the limit of {_limits.MaxTagValueBytes} bytes for a tag value (MaxTagValueBytes)");
            }

            if (valueEnd < n && line[valueEnd] == (byte)'=')
            {
                return $"tag '{Text(key)}' has an unescaped '=' in its value";
            }

            for (var t = 0; t < _tagCount; t++)
            {
                var other = TagAt(t);
                if (line.Slice(other.KeyStart, other.KeyLength).SequenceEqual(key))
                {
                    return $"duplicate tag '{Text(key)}'";
                }
            }

            AddTag(new TagEntry
            {
                KeyStart = keyStart,
                KeyLength = keyEnd - keyStart,
                KeyHasEscapes = keyEscaped,
                ValueStart = valueStart,
                ValueLength = valueEnd - valueStart,
                ValueHasEscapes = valueEscaped,
            });
            i = valueEnd;
        }

        if (i > _limits.MaxSeriesKeyBytes)
        {
            return Limit($"the measurement and tags are {i} bytes, over the limit of {_limits.MaxSeriesKeyBytes} bytes for a series key (MaxSeriesKeyBytes)");
        }

        _seriesKeyLength = i;
        i = SkipSpaces(line, i);
        if (i == n)
        {
            return "missing field set";
        }

        while (true)
        {
            var keyStart = i;
            var keyEnd = ScanToken(line, keyStart, LineProtocolElement.Name, out var keyEscaped);
            if (keyEnd == keyStart)
            {
                return "field key is empty";
            }

            var key = line[keyStart..keyEnd];
            if (key.Length > _limits.MaxNameBytes)
            {
                return Limit($"a field key is {key.Length} bytes, over the limit of {_limits.MaxNameBytes} bytes for a name (MaxNameBytes)");
            }

            if (keyEnd == n || line[keyEnd] != (byte)'=')
            {
                return $"field '{Text(key)}' has no value";
            }

            if (key.SequenceEqual("time"u8))
            {
                return "invalid field key 'time': InfluxDB refuses it (it names the timestamp)";
            }

            var field = new FieldEntry { KeyStart = keyStart, KeyLength = keyEnd - keyStart, KeyHasEscapes = keyEscaped };
            var valueStart = keyEnd + 1;
            int end;
            if (valueStart < n && line[valueStart] == (byte)'"')
            {
                var close = ScanString(line, valueStart + 1, out var stringEscaped);
                if (close == n)
                {
                    return $"field '{Text(key)}' has an unterminated string";
                }

                if (close - valueStart - 1 > _limits.MaxStringFieldBytes)
                {
                    return Limit($"string field '{Text(key)}' is {close - valueStart - 1} bytes, over the limit of {_limits.MaxStringFieldBytes} bytes (MaxStringFieldBytes)");
                }

                end = close + 1;
                if (end < n && line[end] != (byte)',' && line[end] != (byte)' ')
                {
                    return $"field '{Text(key)}' has text after the closing quote of its string";
                }

                field.Type = LineProtocolFieldType.String;
                field.ValueStart = valueStart + 1;
                field.ValueLength = close - valueStart - 1;
                field.ValueHasEscapes = stringEscaped;
            }
            else
            {
                var length = line[valueStart..].IndexOfAny((byte)',', (byte)' ');
                end = length < 0 ? n : valueStart + length;
                if (end == valueStart)
                {
                    return $"field '{Text(key)}' has no value";
                }

                var problem = ParseScalar(line[valueStart..end], out field.Type, out field.Bits);
                if (problem is not null)
                {
                    return $"field '{Text(key)}' has {problem} '{Quote(line[valueStart..end])}'";
                }

                field.ValueStart = valueStart;
                field.ValueLength = end - valueStart;
            }

            AddField(field);
            if (end == n)
            {
                return null;
            }

            if (line[end] == (byte)',')
            {
                i = end + 1;
                continue;
            }

            i = SkipSpaces(line, end);
            if (i == n)
            {
                return null;
            }

            var tokenLength = line[i..].IndexOfAny((byte)' ', (byte)'\t');
            var tokenEnd = tokenLength < 0 ? n : i + tokenLength;
            var token = line[i..tokenEnd];
            var after = SkipSpaces(line, tokenEnd);
            if (after != n)
            {
                return $"unexpected text after the timestamp: '{Quote(line[after..])}'";
            }

            if (!TryParseInt64(token, out var timestamp, out var overflow))
            {
                return overflow ? $"timestamp out of range '{Quote(token)}'" : $"invalid timestamp '{Quote(token)}'";
            }

            if (timestamp > long.MaxValue / _unitNs || timestamp < long.MinValue / _unitNs)
            {
                return $"timestamp out of range '{Quote(token)}'";
            }

            var nanoseconds = timestamp * _unitNs;
            if (nanoseconds is < MinTimestampNs or > MaxTimestampNs)
            {
                return $"timestamp out of range '{Quote(token)}': InfluxDB keeps {MinTimestampNs} to {MaxTimestampNs} ns (1677-09-21 to 2262-04-11)";
            }

            _timestampNs = nanoseconds;
            _hasTimestamp = true;
            return null;
        }
    }

    /// <summary>Returns the index of the first unescaped delimiter of <paramref name="element"/> at or after <paramref name="start"/>, or the end.</summary>
    private static int ScanToken(ReadOnlySpan<byte> line, int start, LineProtocolElement element, out bool escaped)
    {
        escaped = false;
        var i = start;
        while (i < line.Length)
        {
            var b = line[i];
            if (b == (byte)'\\')
            {
                if (i + 1 < line.Length && LineProtocolEscaping.IsEscapable(line[i + 1], element))
                {
                    escaped = true;
                    i += 2;
                    continue;
                }
            }
            else if (b == (byte)',' || b == (byte)' ' || (b == (byte)'=' && element == LineProtocolElement.Name))
            {
                return i;
            }

            i++;
        }

        return i;
    }

    /// <summary>Returns the index of the closing quote of a string that starts at <paramref name="start"/>, or the end of the line.</summary>
    private static int ScanString(ReadOnlySpan<byte> line, int start, out bool escaped)
    {
        escaped = false;
        var i = start;
        while (i < line.Length)
        {
            var b = line[i];
            if (b == (byte)'\\' && i + 1 < line.Length && (line[i + 1] == (byte)'"' || line[i + 1] == (byte)'\\'))
            {
                escaped = true;
                i += 2;
                continue;
            }

            if (b == (byte)'"')
            {
                return i;
            }

            i++;
        }

        return i;
    }

    private static int SkipSpaces(ReadOnlySpan<byte> line, int i)
    {
        while (i < line.Length && (line[i] == (byte)' ' || line[i] == (byte)'\t'))
        {
            i++;
        }

        return i;
    }

    /// <summary>Parses a field value that is not a string; returns what is wrong with it, or null.</summary>
    private static string? ParseScalar(ReadOnlySpan<byte> token, out LineProtocolFieldType type, out long bits)
    {
        bits = 0;
        var last = token[^1];
        var first = token[0];
        var numeric = char.IsAsciiDigit((char)first) || first == (byte)'-' || first == (byte)'.';
        if (last == (byte)'i' && numeric)
        {
            type = LineProtocolFieldType.Integer;
            if (!TryParseInt64(token[..^1], out var value, out var overflow))
            {
                return overflow ? "integer out of range" : "invalid integer";
            }

            bits = value;
            return null;
        }

        if (last == (byte)'u' && numeric)
        {
            type = LineProtocolFieldType.UInteger;
            if (!TryParseUInt64(token[..^1], out var value, out var overflow))
            {
                return overflow ? "unsigned integer out of range" : "invalid unsigned integer";
            }

            bits = unchecked((long)value);
            return null;
        }

        type = LineProtocolFieldType.Boolean;
        if (IsOneOf(token, "t"u8, "T"u8, "true"u8, "True"u8, "TRUE"u8))
        {
            bits = 1;
            return null;
        }

        if (IsOneOf(token, "f"u8, "F"u8, "false"u8, "False"u8, "FALSE"u8))
        {
            return null;
        }

        type = LineProtocolFieldType.Float;
        if (!numeric)
        {
            return "invalid value";
        }

        if (!TryParseFloat(token, out var number, out var outOfRange))
        {
            return outOfRange ? "float out of range" : "invalid number";
        }

        bits = BitConverter.DoubleToInt64Bits(number);
        return null;
    }

    private static bool IsOneOf(ReadOnlySpan<byte> token, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d, ReadOnlySpan<byte> e) =>
        token.SequenceEqual(a) || token.SequenceEqual(b) || token.SequenceEqual(c) || token.SequenceEqual(d) || token.SequenceEqual(e);

    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Float syntax of the reference: <c>[-]digits[.digits][(e|E)[+|-]digits]</c> (digits on at least one side of the point).
    /// Short decimals take an exact fast path (mantissa below 2^53 divided by an exact power of ten rounds correctly);
    /// everything else goes to the runtime's correctly rounded parser.
    /// </summary>
    internal static bool TryParseFloat(ReadOnlySpan<byte> token, out double value, out bool outOfRange)
    {
        value = 0;
        outOfRange = false;
        var i = 0;
        var negative = false;
        if (token[0] == (byte)'-')
        {
            negative = true;
            i++;
        }

        ulong mantissa = 0;
        var digits = 0;
        var fractionDigits = 0;
        var intDigits = 0;
        while (i < token.Length && char.IsAsciiDigit((char)token[i]))
        {
            mantissa = unchecked((mantissa * 10) + (uint)(token[i] - '0'));
            intDigits++;
            i++;
        }

        if (i < token.Length && token[i] == (byte)'.')
        {
            i++;
            while (i < token.Length && char.IsAsciiDigit((char)token[i]))
            {
                mantissa = unchecked((mantissa * 10) + (uint)(token[i] - '0'));
                fractionDigits++;
                i++;
            }
        }

        digits = intDigits + fractionDigits;
        if (digits == 0)
        {
            return false;
        }

        var hasExponent = false;
        if (i < token.Length && (token[i] == (byte)'e' || token[i] == (byte)'E'))
        {
            hasExponent = true;
            i++;
            if (i < token.Length && (token[i] == (byte)'+' || token[i] == (byte)'-'))
            {
                i++;
            }

            var exponentDigits = 0;
            while (i < token.Length && char.IsAsciiDigit((char)token[i]))
            {
                exponentDigits++;
                i++;
            }

            if (exponentDigits == 0)
            {
                return false;
            }
        }

        if (i != token.Length)
        {
            return false;
        }

        if (!hasExponent && digits <= 15 && fractionDigits < PowersOfTen.Length)
        {
            value = mantissa / PowersOfTen[fractionDigits];
            if (negative)
            {
                value = -value;
            }

            return true;
        }

        if (!double.TryParse(token, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value))
        {
            return false;
        }

        if (double.IsInfinity(value))
        {
            outOfRange = true;
            return false;
        }

        return true;
    }

    /// <summary><c>[-]digits</c> within the range of a signed 64-bit integer.</summary>
    internal static bool TryParseInt64(ReadOnlySpan<byte> text, out long value, out bool overflow)
    {
        value = 0;
        overflow = false;
        var negative = !text.IsEmpty && text[0] == (byte)'-';
        var digits = negative ? text[1..] : text;
        if (!TryParseUInt64(digits, out var magnitude, out overflow))
        {
            return false;
        }

        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1)
            {
                overflow = true;
                return false;
            }

            value = unchecked(-(long)magnitude);
            return true;
        }

        if (magnitude > long.MaxValue)
        {
            overflow = true;
            return false;
        }

        value = (long)magnitude;
        return true;
    }

    /// <summary><c>digits</c> within the range of an unsigned 64-bit integer.</summary>
    internal static bool TryParseUInt64(ReadOnlySpan<byte> text, out ulong value, out bool overflow)
    {
        value = 0;
        overflow = false;
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (var b in text)
        {
            if (!char.IsAsciiDigit((char)b))
            {
                return false;
            }
        }

        foreach (var b in text)
        {
            var digit = (uint)(b - '0');
            if (value > (ulong.MaxValue - digit) / 10)
            {
                overflow = true;
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }

    private string Limit(string message)
    {
        _errorKind = LineProtocolErrorKind.Limit;
        return message;
    }

    private static string Text(ReadOnlySpan<byte> rawName) => LineProtocolEscaping.ToString(rawName, LineProtocolElement.Name);

    private static string Quote(ReadOnlySpan<byte> raw) =>
        raw.Length <= MaxQuotedInError ? Encoding.UTF8.GetString(raw) : Encoding.UTF8.GetString(raw[..MaxQuotedInError]) + "...";

    [InlineArray(InlineCapacity)]
    private struct InlineTags
    {
        private TagEntry _first;
    }

    [InlineArray(InlineCapacity)]
    private struct InlineFields
    {
        private FieldEntry _first;
    }
}
