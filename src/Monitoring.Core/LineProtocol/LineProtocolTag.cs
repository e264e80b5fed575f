namespace Monitoring.Core.LineProtocol;

/// <summary>One tag of the current line, as raw (still escaped) UTF-8; see <see cref="LineProtocolEscaping"/>.</summary>
public readonly ref struct LineProtocolTag
{
    internal LineProtocolTag(ReadOnlySpan<byte> key, bool keyHasEscapes, ReadOnlySpan<byte> value, bool valueHasEscapes)
    {
        Key = key;
        KeyHasEscapes = keyHasEscapes;
        Value = value;
        ValueHasEscapes = valueHasEscapes;
    }

    public ReadOnlySpan<byte> Key { get; }

    /// <summary>False when <see cref="Key"/> is already the key's text.</summary>
    public bool KeyHasEscapes { get; }

    public ReadOnlySpan<byte> Value { get; }

    /// <summary>False when <see cref="Value"/> is already the value's text.</summary>
    public bool ValueHasEscapes { get; }

    public string KeyText => LineProtocolEscaping.ToString(Key, LineProtocolElement.Name);

    public string ValueText => LineProtocolEscaping.ToString(Value, LineProtocolElement.Name);
}
