using System.Runtime.InteropServices;

namespace Monitoring.Core.LineProtocol;

/// <summary>One field of the current line: its raw key and its typed value, already parsed and range-checked.</summary>
public readonly ref struct LineProtocolField
{
    private readonly long _bits;

    internal LineProtocolField(ReadOnlySpan<byte> key, bool keyHasEscapes, LineProtocolFieldType type, ReadOnlySpan<byte> rawValue, bool valueHasEscapes, long bits)
    {
        Key = key;
        KeyHasEscapes = keyHasEscapes;
        Type = type;
        RawValue = rawValue;
        ValueHasEscapes = valueHasEscapes;
        _bits = bits;
    }

    /// <summary>The raw (escaped) key; see <see cref="LineProtocolEscaping"/> with <see cref="LineProtocolElement.Name"/>.</summary>
    public ReadOnlySpan<byte> Key { get; }

    public bool KeyHasEscapes { get; }

    public LineProtocolFieldType Type { get; }

    /// <summary>
    /// The value as written: for a string field the bytes between the quotes, still escaped
    /// (unescape with <see cref="LineProtocolElement.StringValue"/>); for the others the token, suffix included.
    /// </summary>
    public ReadOnlySpan<byte> RawValue { get; }

    /// <summary>For a string field, true when <see cref="RawValue"/> holds escape sequences.</summary>
    public bool ValueHasEscapes { get; }

    /// <summary>False only for string fields, which carry no number.</summary>
    public bool IsNumeric => Type != LineProtocolFieldType.String;

    public double FloatValue => Type == LineProtocolFieldType.Float ? BitConverter.Int64BitsToDouble(_bits) : throw WrongType(LineProtocolFieldType.Float);

    public long IntegerValue => Type == LineProtocolFieldType.Integer ? _bits : throw WrongType(LineProtocolFieldType.Integer);

    public ulong UIntegerValue => Type == LineProtocolFieldType.UInteger ? unchecked((ulong)_bits) : throw WrongType(LineProtocolFieldType.UInteger);

    public bool BooleanValue => Type == LineProtocolFieldType.Boolean ? _bits != 0 : throw WrongType(LineProtocolFieldType.Boolean);

    public string KeyText => LineProtocolEscaping.ToString(Key, LineProtocolElement.Name);

    public string StringValue => Type == LineProtocolFieldType.String
        ? LineProtocolEscaping.ToString(RawValue, LineProtocolElement.StringValue)
        : throw WrongType(LineProtocolFieldType.String);

    /// <summary>The value as a sample carries it: numbers as they are, true = 1, false = 0. Throws for strings.</summary>
    public double ToDouble() => Type switch
    {
        LineProtocolFieldType.Float => BitConverter.Int64BitsToDouble(_bits),
        LineProtocolFieldType.Integer => _bits,
        LineProtocolFieldType.UInteger => unchecked((ulong)_bits),
        LineProtocolFieldType.Boolean => _bits != 0 ? 1 : 0,
        _ => throw WrongType(LineProtocolFieldType.Float),
    };

    private InvalidOperationException WrongType(LineProtocolFieldType wanted) =>
        new($"field '{KeyText}' is {Type}, not {wanted}");
}

/// <summary>Where a field sits in its line and what it holds; the reader keeps these so a line is parsed once.</summary>
[StructLayout(LayoutKind.Auto)]
internal struct FieldEntry
{
    public int KeyStart;
    public int KeyLength;
    public int ValueStart;
    public int ValueLength;
    public long Bits;
    public LineProtocolFieldType Type;
    public bool KeyHasEscapes;
    public bool ValueHasEscapes;
}

[StructLayout(LayoutKind.Auto)]
internal struct TagEntry
{
    public int KeyStart;
    public int KeyLength;
    public int ValueStart;
    public int ValueLength;
    public bool KeyHasEscapes;
    public bool ValueHasEscapes;
}
