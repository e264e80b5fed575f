using System.Numerics;
using System.Runtime.InteropServices;

namespace Monitoring.Storage.History.Tsdb;

/// <summary>An append-only bit stream, most significant bit first, over a growable byte array (reused after <see cref="Reset"/>).</summary>
internal sealed class BitWriter
{
    private byte[] _buffer;
    private long _bits;

    public BitWriter(int capacity = 16) => _buffer = new byte[Math.Max(capacity, 1)];

    /// <summary>Bytes holding the bits written so far (the last one padded with zero bits).</summary>
    public int ByteLength => (int)((_bits + 7) >> 3);

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, ByteLength);

    public void Reset()
    {
        _buffer.AsSpan(0, ByteLength).Clear();
        _bits = 0;
    }

    public void WriteBit(bool bit)
    {
        var index = (int)(_bits >> 3);
        Ensure(index);
        if (bit)
        {
            _buffer[index] |= (byte)(0x80 >> (int)(_bits & 7));
        }

        _bits++;
    }

    /// <summary>Writes the low <paramref name="count"/> bits (0 to 64) of <paramref name="value"/>.</summary>
    public void Write(ulong value, int count)
    {
        while (count > 0)
        {
            var index = (int)(_bits >> 3);
            Ensure(index);
            var free = 8 - (int)(_bits & 7);
            var take = Math.Min(free, count);
            var bits = (uint)(value >> (count - take)) & ((1u << take) - 1);
            _buffer[index] |= (byte)(bits << (free - take));
            count -= take;
            _bits += take;
        }
    }

    private void Ensure(int index)
    {
        if (index >= _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, index + 8));
        }
    }
}

/// <summary>Reads what a <see cref="BitWriter"/> wrote.</summary>
[StructLayout(LayoutKind.Auto)]
internal ref struct BitReader(ReadOnlySpan<byte> bytes)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;
    private long _bits;

    public bool ReadBit()
    {
        var index = (int)(_bits >> 3);
        if (index >= _bytes.Length)
        {
            throw new InvalidDataException("a history chunk ends early");
        }

        var bit = (_bytes[index] & (0x80 >> (int)(_bits & 7))) != 0;
        _bits++;
        return bit;
    }

    public ulong Read(int count)
    {
        ulong value = 0;
        while (count > 0)
        {
            var index = (int)(_bits >> 3);
            if (index >= _bytes.Length)
            {
                throw new InvalidDataException("a history chunk ends early");
            }

            var used = (int)(_bits & 7);
            var take = Math.Min(8 - used, count);
            var bits = (uint)(_bytes[index] >> (8 - used - take)) & ((1u << take) - 1);
            value = (value << take) | bits;
            count -= take;
            _bits += take;
        }

        return value;
    }
}

/// <summary>
/// Timestamps (nanoseconds) as delta-of-delta, after the Gorilla paper (Pelkonen et al., VLDB 2015) with buckets sized
/// for nanosecond clocks: '0' for a regular interval, then 20, 30 and 40-bit signed differences, else all 64 bits.
/// Any order is allowed (a negative delta is just another difference).
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal struct DeltaOfDelta
{
    private long _previous;
    private long _previousDelta;
    private bool _started;

    public void Write(BitWriter writer, long value)
    {
        if (!_started)
        {
            writer.Write((ulong)value, 64);
            _previous = value;
            _started = true;
            return;
        }

        var delta = unchecked(value - _previous);
        var dod = unchecked(delta - _previousDelta);
        if (dod == 0)
        {
            writer.WriteBit(false);
        }
        else if (Fits(dod, 20))
        {
            writer.Write(0b10, 2);
            writer.Write((ulong)dod, 20);
        }
        else if (Fits(dod, 30))
        {
            writer.Write(0b110, 3);
            writer.Write((ulong)dod, 30);
        }
        else if (Fits(dod, 40))
        {
            writer.Write(0b1110, 4);
            writer.Write((ulong)dod, 40);
        }
        else
        {
            writer.Write(0b1111, 4);
            writer.Write((ulong)dod, 64);
        }

        _previous = value;
        _previousDelta = delta;
    }

    public long Read(ref BitReader reader)
    {
        if (!_started)
        {
            _previous = (long)reader.Read(64);
            _started = true;
            return _previous;
        }

        long dod;
        if (!reader.ReadBit())
        {
            dod = 0;
        }
        else if (!reader.ReadBit())
        {
            dod = SignExtend(reader.Read(20), 20);
        }
        else if (!reader.ReadBit())
        {
            dod = SignExtend(reader.Read(30), 30);
        }
        else if (!reader.ReadBit())
        {
            dod = SignExtend(reader.Read(40), 40);
        }
        else
        {
            dod = (long)reader.Read(64);
        }

        _previousDelta = unchecked(_previousDelta + dod);
        _previous = unchecked(_previous + _previousDelta);
        return _previous;
    }

    private static bool Fits(long value, int bits) => value >= -(1L << (bits - 1)) && value < (1L << (bits - 1));

    private static long SignExtend(ulong value, int bits) => (long)(value << (64 - bits)) >> (64 - bits);
}

/// <summary>
/// Doubles as the XOR with the previous value, after the Gorilla paper: '0' for the same bits, '10' + the meaningful bits
/// when they fit the previous window of leading and trailing zeros, else '11' + 6 bits of leading zeros + 6 bits of
/// length - 1 + the bits. Every bit pattern round-trips (NaN payloads, infinities, -0).
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal struct XorFloat
{
    private ulong _previous;
    private int _leading;
    private int _trailing;
    private bool _started;
    private bool _window;

    public void Write(BitWriter writer, double value)
    {
        var bits = (ulong)BitConverter.DoubleToInt64Bits(value);
        if (!_started)
        {
            writer.Write(bits, 64);
            _previous = bits;
            _started = true;
            return;
        }

        var xor = bits ^ _previous;
        _previous = bits;
        if (xor == 0)
        {
            writer.WriteBit(false);
            return;
        }

        var leading = BitOperations.LeadingZeroCount(xor);
        var trailing = BitOperations.TrailingZeroCount(xor);
        if (_window && leading >= _leading && trailing >= _trailing)
        {
            writer.Write(0b10, 2);
            writer.Write(xor >> _trailing, 64 - _leading - _trailing);
            return;
        }

        var length = 64 - leading - trailing;
        writer.Write(0b11, 2);
        writer.Write((ulong)leading, 6);
        writer.Write((ulong)(length - 1), 6);
        writer.Write(xor >> trailing, length);
        _leading = leading;
        _trailing = trailing;
        _window = true;
    }

    /// <summary>Makes <paramref name="value"/> the previous value without writing it (it went out another way).</summary>
    public void Observe(double value)
    {
        _previous = (ulong)BitConverter.DoubleToInt64Bits(value);
        _started = true;
    }

    public double Read(ref BitReader reader)
    {
        if (!_started)
        {
            _previous = reader.Read(64);
            _started = true;
            return BitConverter.Int64BitsToDouble((long)_previous);
        }

        if (reader.ReadBit())
        {
            if (reader.ReadBit())
            {
                _leading = (int)reader.Read(6);
                var length = (int)reader.Read(6) + 1;
                _trailing = 64 - _leading - length;
            }

            var meaningful = 64 - _leading - _trailing;
            _previous ^= reader.Read(meaningful) << _trailing;
        }

        return BitConverter.Int64BitsToDouble((long)_previous);
    }
}

/// <summary>
/// Doubles that are decimals with few digits (what devices report: 52.3, 17, 0.125) as integer differences, else as
/// Gorilla XOR. Each value: '0' = the same bits as the previous one; '10' = the same decimal scale as the previous
/// value and an integer difference of its scaled mantissa ('0' + 6, '10' + 13, '110' + 20, '111' + 32 zigzag bits);
/// '11' = a new scale, 3 bits (0 to 6 decimal digits, 7 = not a short decimal), then the zigzag mantissa in 7 bits of
/// length and the bits, or for 7 the XOR encoding. A value is taken as a decimal only if scaling back gives the very
/// same bits, so every value round-trips exactly (NaN, infinities and -0 take the XOR path).
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal struct DecimalFloat
{
    private const int NotDecimal = 7;
    private static readonly double[] Powers = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

    private XorFloat _xor;
    private ulong _previousBits;
    private long _mantissa;
    private int _scale;
    private bool _started;

    public void Write(BitWriter writer, double value)
    {
        var bits = (ulong)BitConverter.DoubleToInt64Bits(value);
        if (_started && bits == _previousBits)
        {
            writer.WriteBit(false);
            return;
        }

        if (_started && _scale != NotDecimal && TryScale(value, bits, _scale, out var m))
        {
            var delta = m - _mantissa;
            var zz = (ulong)((delta << 1) ^ (delta >> 63));
            if (zz < (1UL << 32))
            {
                writer.Write(0b10, 2);
                if (zz < (1UL << 6))
                {
                    writer.WriteBit(false);
                    writer.Write(zz, 6);
                }
                else if (zz < (1UL << 13))
                {
                    writer.Write(0b10, 2);
                    writer.Write(zz, 13);
                }
                else if (zz < (1UL << 20))
                {
                    writer.Write(0b110, 3);
                    writer.Write(zz, 20);
                }
                else
                {
                    writer.Write(0b111, 3);
                    writer.Write(zz, 32);
                }

                Remember(value, bits, _scale, m);
                return;
            }
        }

        writer.Write(0b11, 2);
        for (var scale = 0; scale < NotDecimal; scale++)
        {
            if (TryScale(value, bits, scale, out var mantissa))
            {
                writer.Write((ulong)scale, 3);
                var zz = (ulong)((mantissa << 1) ^ (mantissa >> 63));
                var length = 64 - BitOperations.LeadingZeroCount(zz);
                writer.Write((ulong)length, 7);
                writer.Write(zz, length);
                Remember(value, bits, scale, mantissa);
                return;
            }
        }

        writer.Write(NotDecimal, 3);
        _xor.Write(writer, value);
        _previousBits = bits;
        _scale = NotDecimal;
        _started = true;
    }

    public double Read(ref BitReader reader)
    {
        if (_started && !reader.ReadBit())
        {
            return BitConverter.Int64BitsToDouble((long)_previousBits);
        }

        if (_started && !reader.ReadBit())
        {
            ulong zz;
            if (!reader.ReadBit())
            {
                zz = reader.Read(6);
            }
            else if (!reader.ReadBit())
            {
                zz = reader.Read(13);
            }
            else if (!reader.ReadBit())
            {
                zz = reader.Read(20);
            }
            else
            {
                zz = reader.Read(32);
            }

            var m = _mantissa + ((long)(zz >> 1) ^ -(long)(zz & 1));
            var v = m / Powers[_scale];
            Remember(v, (ulong)BitConverter.DoubleToInt64Bits(v), _scale, m);
            return v;
        }

        if (!_started)
        {
            // the first value has no '0' / '10' choice: it always starts with the '11' form
            reader.Read(2);
        }

        var scale = (int)reader.Read(3);
        if (scale == NotDecimal)
        {
            var v = _xor.Read(ref reader);
            _previousBits = (ulong)BitConverter.DoubleToInt64Bits(v);
            _scale = NotDecimal;
            _started = true;
            return v;
        }

        var length = (int)reader.Read(7);
        var bits = reader.Read(length);
        var mantissa = (long)(bits >> 1) ^ -(long)(bits & 1);
        var value = mantissa / Powers[scale];
        Remember(value, (ulong)BitConverter.DoubleToInt64Bits(value), scale, mantissa);
        return value;
    }

    private void Remember(double value, ulong bits, int scale, long mantissa)
    {
        _previousBits = bits;
        _scale = scale;
        _mantissa = mantissa;
        _started = true;
        _xor.Observe(value);
    }

    private static bool TryScale(double value, ulong bits, int scale, out long mantissa)
    {
        var scaled = value * Powers[scale];
        if (!(Math.Abs(scaled) < 4.5e15))
        {
            mantissa = 0;
            return false;
        }

        mantissa = (long)Math.Round(scaled);
        return (ulong)BitConverter.DoubleToInt64Bits(mantissa / Powers[scale]) == bits;
    }
}
