using System.Buffers.Binary;

namespace Monitoring.Collectors.Snmp.Ber;

/// <summary>
/// Writes BER forwards into a caller's span. A constructed element reserves one length byte and, when closed,
/// moves its content right if the length needs the long form. Running out of room sets <see cref="Overflowed"/>
/// and stops writing; nothing throws. One position (<see cref="TrackedOffset"/>) is kept valid across those moves,
/// which is how the v3 encoder finds msgAuthenticationParameters after the outer lengths are known.
/// </summary>
internal ref struct BerWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public BerWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        Overflowed = false;
        TrackedOffset = -1;
    }

    public readonly int Position => _position;

    public bool Overflowed { get; private set; }

    public int TrackedOffset { get; set; }

    public readonly ReadOnlySpan<byte> Written => _buffer[.._position];

    public int BeginConstructed(byte tag)
    {
        WriteByte(tag);
        WriteByte(0);
        return _position;
    }

    public void EndConstructed(int contentStart)
    {
        if (Overflowed)
        {
            return;
        }

        var length = _position - contentStart;
        if (length < 0x80)
        {
            _buffer[contentStart - 1] = (byte)length;
            return;
        }

        var extra = length <= 0xFF ? 1 : length <= 0xFFFF ? 2 : length <= 0xFFFFFF ? 3 : 4;
        if (_position + extra > _buffer.Length)
        {
            Overflowed = true;
            return;
        }

        _buffer.Slice(contentStart, length).CopyTo(_buffer[(contentStart + extra)..]);
        _buffer[contentStart - 1] = (byte)(0x80 | extra);
        for (var i = 0; i < extra; i++)
        {
            _buffer[contentStart + i] = (byte)(length >> (8 * (extra - 1 - i)));
        }

        if (TrackedOffset >= contentStart)
        {
            TrackedOffset += extra;
        }

        _position += extra;
    }

    public void WriteInt32(byte tag, int value) => WriteInteger(tag, value);

    public void WriteUnsigned(byte tag, ulong value)
    {
        // Unsigned values get a leading zero octet when the top bit is set, so they read back positive.
        Span<byte> tmp = stackalloc byte[9];
        BinaryPrimitives.WriteUInt64BigEndian(tmp[1..], value);
        tmp[0] = 0;
        var start = 0;
        while (start < 8 && tmp[start] == 0 && (tmp[start + 1] & 0x80) == 0)
        {
            start++;
        }

        WriteHeader(tag, 9 - start);
        WriteBytes(tmp[start..]);
    }

    public void WriteInteger(byte tag, long value)
    {
        Span<byte> tmp = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(tmp, value);
        var start = 0;
        while (start < 7 && ((tmp[start] == 0 && (tmp[start + 1] & 0x80) == 0) || (tmp[start] == 0xFF && (tmp[start + 1] & 0x80) != 0)))
        {
            start++;
        }

        WriteHeader(tag, 8 - start);
        WriteBytes(tmp[start..]);
    }

    /// <summary>Writes a primitive element and returns the offset of its content.</summary>
    public int WriteOctetString(byte tag, scoped ReadOnlySpan<byte> value)
    {
        WriteHeader(tag, value.Length);
        var offset = _position;
        WriteBytes(value);
        return offset;
    }

    public void WriteNull(byte tag = BerTag.Null)
    {
        WriteByte(tag);
        WriteByte(0);
    }

    public void WriteOid(Oid oid)
    {
        var arcs = oid.Arcs;
        if (arcs.Length < 2)
        {
            // X.690 needs two arcs; an empty or one-arc OID is written as 0.0 (or N.0).
            Span<uint> padded = [arcs.Length == 1 ? arcs[0] : 0, 0];
            WriteOidArcs(padded);
            return;
        }

        WriteOidArcs(arcs);
    }

    private void WriteOidArcs(scoped ReadOnlySpan<uint> arcs)
    {
        var first = ((ulong)arcs[0] * 40) + arcs[1];
        var length = Base128Length(first);
        for (var i = 2; i < arcs.Length; i++)
        {
            length += Base128Length(arcs[i]);
        }

        WriteHeader(BerTag.ObjectIdentifier, length);
        WriteBase128(first);
        for (var i = 2; i < arcs.Length; i++)
        {
            WriteBase128(arcs[i]);
        }
    }

    public void WriteValue(in SnmpValue value)
    {
        switch (value.Type)
        {
            case SnmpValueType.Integer32:
                WriteInteger((byte)value.Type, value.AsInt32());
                break;
            case SnmpValueType.OctetString or SnmpValueType.Opaque or SnmpValueType.IpAddress:
                WriteOctetString((byte)value.Type, value.Bytes);
                break;
            case SnmpValueType.ObjectIdentifier:
                WriteOid(value.AsOid());
                break;
            case SnmpValueType.Counter32 or SnmpValueType.Gauge32 or SnmpValueType.TimeTicks or SnmpValueType.Counter64:
                WriteUnsigned((byte)value.Type, value.RawNumber);
                break;
            case SnmpValueType.NoSuchObject or SnmpValueType.NoSuchInstance or SnmpValueType.EndOfMibView:
                WriteNull((byte)value.Type);
                break;
            default:
                WriteNull();
                break;
        }
    }

    public void WriteHeader(byte tag, int length)
    {
        WriteByte(tag);
        if (length < 0x80)
        {
            WriteByte((byte)length);
        }
        else if (length <= 0xFF)
        {
            WriteByte(0x81);
            WriteByte((byte)length);
        }
        else if (length <= 0xFFFF)
        {
            WriteByte(0x82);
            WriteByte((byte)(length >> 8));
            WriteByte((byte)length);
        }
        else
        {
            WriteByte(0x84);
            WriteByte((byte)(length >> 24));
            WriteByte((byte)(length >> 16));
            WriteByte((byte)(length >> 8));
            WriteByte((byte)length);
        }
    }

    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        if (Overflowed || _position + bytes.Length > _buffer.Length)
        {
            Overflowed = true;
            return;
        }

        bytes.CopyTo(_buffer[_position..]);
        _position += bytes.Length;
    }

    private void WriteByte(byte b)
    {
        if (Overflowed || _position >= _buffer.Length)
        {
            Overflowed = true;
            return;
        }

        _buffer[_position++] = b;
    }

    private static int Base128Length(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    private void WriteBase128(ulong value)
    {
        var length = Base128Length(value);
        for (var i = length - 1; i >= 0; i--)
        {
            var b = (byte)((value >> (7 * i)) & 0x7F);
            WriteByte(i == 0 ? b : (byte)(b | 0x80));
        }
    }
}
