using System.Buffers.Binary;
using System.Text;

namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>
/// Reads the MQTT data representations (section 1.5) from a span. The first failure is sticky: every later read
/// returns a default value, and the caller checks <see cref="Failed"/> once at the end.
/// </summary>
internal ref struct MqttSpanReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public MqttSpanReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        Error = default;
    }

    public MqttDecodeError Error { get; private set; }

    public readonly bool Failed => Error.IsError;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly int Position => _position;

    public void Fail(MqttDecodeError error)
    {
        if (!Failed)
        {
            Error = error;
            _position = _buffer.Length;
        }
    }

    public void Fail(MqttReasonCode code, string message) => Fail(new MqttDecodeError(code, message));

    public byte ReadByte()
    {
        if (Remaining < 1)
        {
            Fail(MqttDecodeError.Malformed("packet ends inside a byte field"));
            return 0;
        }

        return _buffer[_position++];
    }

    public ushort ReadUInt16()
    {
        if (Remaining < 2)
        {
            Fail(MqttDecodeError.Malformed("packet ends inside a two-byte integer"));
            return 0;
        }

        var value = BinaryPrimitives.ReadUInt16BigEndian(_buffer[_position..]);
        _position += 2;
        return value;
    }

    public uint ReadUInt32()
    {
        if (Remaining < 4)
        {
            Fail(MqttDecodeError.Malformed("packet ends inside a four-byte integer"));
            return 0;
        }

        var value = BinaryPrimitives.ReadUInt32BigEndian(_buffer[_position..]);
        _position += 4;
        return value;
    }

    /// <summary>Variable Byte Integer: at most 4 bytes, value at most 268,435,455.</summary>
    public uint ReadVariableByteInteger()
    {
        uint value = 0;
        for (var i = 0; i < 4; i++)
        {
            if (Remaining < 1)
            {
                Fail(MqttDecodeError.Malformed("packet ends inside a variable byte integer"));
                return 0;
            }

            var b = _buffer[_position++];
            value |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        Fail(MqttDecodeError.Malformed("variable byte integer longer than 4 bytes"));
        return 0;
    }

    public ReadOnlySpan<byte> ReadBinary()
    {
        var length = ReadUInt16();
        return ReadBytes(length);
    }

    public ReadOnlySpan<byte> ReadBytes(int length)
    {
        if (Failed)
        {
            return default;
        }

        if (Remaining < length)
        {
            Fail(MqttDecodeError.Malformed("length prefix runs past the end of the packet"));
            return default;
        }

        var span = _buffer.Slice(_position, length);
        _position += length;
        return span;
    }

    public ReadOnlySpan<byte> ReadRest() => ReadBytes(Remaining);

    public string ReadString()
    {
        var bytes = ReadBinary();
        if (Failed)
        {
            return string.Empty;
        }

        if (!MqttUtf8.IsValid(bytes))
        {
            Fail(MqttDecodeError.Malformed("string is not well-formed UTF-8 or contains U+0000"));
            return string.Empty;
        }

        return bytes.IsEmpty ? string.Empty : Encoding.UTF8.GetString(bytes);
    }
}
