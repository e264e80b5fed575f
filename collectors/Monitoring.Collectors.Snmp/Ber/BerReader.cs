namespace Monitoring.Collectors.Snmp.Ber;

/// <summary>
/// Reads BER from a span without trusting any length: every length is checked against the bytes that remain,
/// only definite lengths of at most four octets are accepted, OIDs are capped at <see cref="Oid.MaxArcs"/> arcs
/// and constructed elements at <see cref="MaxDepth"/> levels. Failures set <see cref="Error"/>; nothing throws.
/// </summary>
internal ref struct BerReader
{
    public const int MaxDepth = 16;

    private readonly ReadOnlySpan<byte> _data;
    private readonly int _baseOffset;
    private readonly int _depth;
    private int _position;

    public BerReader(ReadOnlySpan<byte> data)
        : this(data, 0, 0)
    {
    }

    private BerReader(ReadOnlySpan<byte> data, int baseOffset, int depth)
    {
        _data = data;
        _baseOffset = baseOffset;
        _depth = depth;
        _position = 0;
        Error = SnmpDecodeError.None;
    }

    public SnmpDecodeError Error { get; private set; }

    public readonly bool IsEnd => _position >= _data.Length;

    public readonly int Remaining => _data.Length - _position;

    /// <summary>Offset of the next byte from the start of the outermost datagram.</summary>
    public readonly int AbsolutePosition => _baseOffset + _position;

    public readonly bool TryPeekTag(out byte tag)
    {
        if (_position < _data.Length)
        {
            tag = _data[_position];
            return true;
        }

        tag = 0;
        return false;
    }

    public bool Fail(SnmpDecodeError error)
    {
        if (Error == SnmpDecodeError.None)
        {
            Error = error;
        }

        return false;
    }

    /// <summary>Reads a tag and length; on success the content is the next <paramref name="length"/> bytes.</summary>
    public bool TryReadHeader(out byte tag, out int length)
    {
        tag = 0;
        length = 0;
        if (_position >= _data.Length)
        {
            return Fail(SnmpDecodeError.Truncated);
        }

        tag = _data[_position++];
        if ((tag & 0x1F) == 0x1F)
        {
            // High tag numbers are not used by SNMP.
            return Fail(SnmpDecodeError.UnexpectedTag);
        }

        if (_position >= _data.Length)
        {
            return Fail(SnmpDecodeError.Truncated);
        }

        int first = _data[_position++];
        if (first < 0x80)
        {
            length = first;
        }
        else if (first == 0x80)
        {
            return Fail(SnmpDecodeError.IndefiniteLength);
        }
        else
        {
            var count = first & 0x7F;
            if (count > 4)
            {
                return Fail(SnmpDecodeError.BadLength);
            }

            if (_data.Length - _position < count)
            {
                return Fail(SnmpDecodeError.Truncated);
            }

            long value = 0;
            for (var i = 0; i < count; i++)
            {
                value = (value << 8) | _data[_position++];
            }

            if (value > int.MaxValue)
            {
                return Fail(SnmpDecodeError.BadLength);
            }

            length = (int)value;
        }

        if (length > _data.Length - _position)
        {
            return Fail(SnmpDecodeError.BadLength);
        }

        return true;
    }

    public bool TryReadPrimitive(byte expectedTag, out ReadOnlySpan<byte> content)
    {
        content = default;
        if (!TryReadHeader(out var tag, out var length))
        {
            return false;
        }

        if (tag != expectedTag)
        {
            return Fail(SnmpDecodeError.UnexpectedTag);
        }

        content = _data.Slice(_position, length);
        _position += length;
        return true;
    }

    public bool TryReadAny(out byte tag, out ReadOnlySpan<byte> content)
    {
        content = default;
        if (!TryReadHeader(out tag, out var length))
        {
            return false;
        }

        content = _data.Slice(_position, length);
        _position += length;
        return true;
    }

    /// <summary>Reads a constructed element (or an OCTET STRING holding BER) and returns a reader over its content.</summary>
    public bool TryReadConstructed(byte expectedTag, out BerReader inner)
    {
        inner = default;
        if (_depth + 1 > MaxDepth)
        {
            return Fail(SnmpDecodeError.NestingTooDeep);
        }

        if (!TryReadHeader(out var tag, out var length))
        {
            return false;
        }

        if (tag != expectedTag)
        {
            return Fail(SnmpDecodeError.UnexpectedTag);
        }

        inner = new BerReader(_data.Slice(_position, length), _baseOffset + _position, _depth + 1);
        _position += length;
        return true;
    }

    public bool TryReadInt32(byte expectedTag, out int value)
    {
        value = 0;
        if (!TryReadPrimitive(expectedTag, out var content))
        {
            return false;
        }

        if (!TryDecodeSigned(content, 4, out var wide) || wide is < int.MinValue or > int.MaxValue)
        {
            return Fail(SnmpDecodeError.IntegerOutOfRange);
        }

        value = (int)wide;
        return true;
    }

    public bool TryReadOctetString(out ReadOnlySpan<byte> value, out int absoluteOffset)
    {
        absoluteOffset = 0;
        if (!TryReadPrimitive(BerTag.OctetString, out value))
        {
            return false;
        }

        absoluteOffset = _baseOffset + _position - value.Length;
        return true;
    }

    public bool TryReadNull()
    {
        if (!TryReadPrimitive(BerTag.Null, out var content))
        {
            return false;
        }

        return content.IsEmpty || Fail(SnmpDecodeError.BadLength);
    }

    public bool TryReadOid(out Oid oid)
    {
        oid = default;
        return TryReadPrimitive(BerTag.ObjectIdentifier, out var content)
            && (TryDecodeOid(content, out oid, out var error) || Fail(error));
    }

    public bool TryReadValue(out SnmpValue value)
    {
        value = default;
        if (!TryReadAny(out var tag, out var content))
        {
            return false;
        }

        switch ((SnmpValueType)tag)
        {
            case SnmpValueType.Integer32:
                if (!TryDecodeSigned(content, 4, out var signed) || signed is < int.MinValue or > int.MaxValue)
                {
                    return Fail(SnmpDecodeError.IntegerOutOfRange);
                }

                value = SnmpValue.FromInt32((int)signed);
                return true;
            case SnmpValueType.OctetString:
            case SnmpValueType.Opaque:
                value = SnmpValue.FromOwnedBytes((SnmpValueType)tag, content.ToArray());
                return true;
            case SnmpValueType.IpAddress:
                if (content.Length != 4)
                {
                    return Fail(SnmpDecodeError.BadIpAddress);
                }

                value = SnmpValue.FromOwnedBytes(SnmpValueType.IpAddress, content.ToArray());
                return true;
            case SnmpValueType.Null:
                value = SnmpValue.Null;
                return content.IsEmpty || Fail(SnmpDecodeError.BadLength);
            case SnmpValueType.ObjectIdentifier:
                if (!TryDecodeOid(content, out var oid, out var oidError))
                {
                    return Fail(oidError);
                }

                value = SnmpValue.FromOid(oid);
                return true;
            case SnmpValueType.Counter32:
            case SnmpValueType.Gauge32:
            case SnmpValueType.TimeTicks:
                if (!TryDecodeUnsigned(content, 4, out var u32))
                {
                    return Fail(SnmpDecodeError.IntegerOutOfRange);
                }

                value = (SnmpValueType)tag switch
                {
                    SnmpValueType.Counter32 => SnmpValue.FromCounter32((uint)u32),
                    SnmpValueType.Gauge32 => SnmpValue.FromGauge32((uint)u32),
                    _ => SnmpValue.FromTimeTicks((uint)u32),
                };
                return true;
            case SnmpValueType.Counter64:
                if (!TryDecodeUnsigned(content, 8, out var u64))
                {
                    return Fail(SnmpDecodeError.IntegerOutOfRange);
                }

                value = SnmpValue.FromCounter64(u64);
                return true;
            case SnmpValueType.NoSuchObject:
                value = SnmpValue.NoSuchObject;
                return content.IsEmpty || Fail(SnmpDecodeError.BadLength);
            case SnmpValueType.NoSuchInstance:
                value = SnmpValue.NoSuchInstance;
                return content.IsEmpty || Fail(SnmpDecodeError.BadLength);
            case SnmpValueType.EndOfMibView:
                value = SnmpValue.EndOfMibView;
                return content.IsEmpty || Fail(SnmpDecodeError.BadLength);
            default:
                return Fail(SnmpDecodeError.UnexpectedTag);
        }
    }

    /// <summary>Two's-complement integer of 1..maxBytes octets (one more allowed when it is only sign padding).</summary>
    public static bool TryDecodeSigned(ReadOnlySpan<byte> content, int maxBytes, out long value)
    {
        value = 0;
        if (content.IsEmpty || content.Length > 8)
        {
            return false;
        }

        long result = (sbyte)content[0];
        for (var i = 1; i < content.Length; i++)
        {
            result = (result << 8) | content[i];
        }

        value = result;
        return content.Length <= maxBytes + 1;
    }

    /// <summary>
    /// Unsigned integer of at most maxBytes octets, plus an optional leading zero. A value whose top bit is set
    /// within maxBytes octets (an agent that forgot the zero octet) is read as unsigned too.
    /// </summary>
    public static bool TryDecodeUnsigned(ReadOnlySpan<byte> content, int maxBytes, out ulong value)
    {
        value = 0;
        if (content.IsEmpty)
        {
            return false;
        }

        if (content.Length == maxBytes + 1)
        {
            if (content[0] != 0)
            {
                return false;
            }

            content = content[1..];
        }
        else if (content.Length > maxBytes)
        {
            return false;
        }

        ulong result = 0;
        foreach (var b in content)
        {
            result = (result << 8) | b;
        }

        value = result;
        return true;
    }

    public static bool TryDecodeOid(ReadOnlySpan<byte> content, out Oid oid, out SnmpDecodeError error)
    {
        oid = default;
        error = SnmpDecodeError.BadObjectIdentifier;
        if (content.IsEmpty || (content[^1] & 0x80) != 0)
        {
            return false;
        }

        // Count arcs first so the array is allocated once and never larger than the cap.
        var count = 1;
        foreach (var b in content)
        {
            if ((b & 0x80) == 0)
            {
                count++;
            }
        }

        if (count > Oid.MaxArcs)
        {
            error = SnmpDecodeError.OidTooLong;
            return false;
        }

        var arcs = new uint[count];
        var index = 0;
        ulong current = 0;
        var bytesInArc = 0;
        foreach (var b in content)
        {
            if (bytesInArc == 0 && b == 0x80)
            {
                return false; // non-minimal sub-identifier
            }

            current = (current << 7) | (uint)(b & 0x7F);
            bytesInArc++;
            if (bytesInArc > 5 || current > (index == 0 ? uint.MaxValue + 80UL : uint.MaxValue))
            {
                return false;
            }

            if ((b & 0x80) != 0)
            {
                continue;
            }

            if (index == 0)
            {
                var first = current < 40 ? 0u : current < 80 ? 1u : 2u;
                arcs[0] = first;
                arcs[1] = (uint)(current - (first * 40));
                index = 2;
            }
            else
            {
                arcs[index++] = (uint)current;
            }

            current = 0;
            bytesInArc = 0;
        }

        oid = Oid.FromOwnedArray(arcs);
        error = SnmpDecodeError.None;
        return true;
    }
}
