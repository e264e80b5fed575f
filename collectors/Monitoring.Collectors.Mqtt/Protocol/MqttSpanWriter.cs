using System.Buffers.Binary;

namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>Writes the MQTT data representations into a span the encoder has sized exactly.</summary>
internal ref struct MqttSpanWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public MqttSpanWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;

    public void WriteByte(byte value) => _buffer[_position++] = value;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[_position..], value);
        _position += 4;
    }

    public void WriteVariableByteInteger(uint value)
    {
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            if (value > 0)
            {
                b |= 0x80;
            }

            _buffer[_position++] = b;
        }
        while (value > 0);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer[_position..]);
        _position += bytes.Length;
    }

    public void WriteBinary(ReadOnlySpan<byte> bytes)
    {
        WriteUInt16((ushort)bytes.Length);
        WriteBytes(bytes);
    }

    public void WriteString(string value)
    {
        var start = _position + 2;
        var written = MqttUtf8.StrictEncoding.GetBytes(value, _buffer[start..]);
        WriteUInt16((ushort)written);
        _position += written;
    }

    public static int VariableByteIntegerSize(uint value) => value switch
    {
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        _ => 4,
    };
}
