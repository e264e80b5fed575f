using System.Buffers.Binary;

namespace Monitoring.Collectors.Modbus.Registers;

/// <summary>Turns a point's registers, as received, into a number. No allocation.</summary>
public static class RegisterDecoder
{
    /// <summary>The raw value (before scale and offset) of 1, 2 or 4 registers read as <paramref name="dataType"/>.</summary>
    public static double DecodeRaw(ReadOnlySpan<ushort> registers, ModbusDataType dataType, WordOrder order, int bitIndex = 0)
    {
        switch (dataType)
        {
            case ModbusDataType.Bit:
                return (registers[0] >> bitIndex) & 1;
            case ModbusDataType.Int16:
                return (short)Assemble(registers[..1], order);
            case ModbusDataType.UInt16:
                return (ushort)Assemble(registers[..1], order);
            case ModbusDataType.Int32:
                return (int)(uint)Assemble(registers[..2], order);
            case ModbusDataType.UInt32:
                return (uint)Assemble(registers[..2], order);
            case ModbusDataType.Float32:
                return BitConverter.UInt32BitsToSingle((uint)Assemble(registers[..2], order));
            case ModbusDataType.Int64:
                return (long)Assemble(registers[..4], order);
            case ModbusDataType.UInt64:
                return Assemble(registers[..4], order);
            case ModbusDataType.Float64:
                return BitConverter.UInt64BitsToDouble(Assemble(registers[..4], order));
            default:
                throw new ArgumentOutOfRangeException(nameof(dataType), dataType, null);
        }
    }

    /// <summary>
    /// The registers' bytes in big-endian (ABCD...) order as one integer: word-swapped and little-endian orders take the
    /// registers last first, byte-swapped and little-endian orders swap the two bytes of each register.
    /// </summary>
    public static ulong Assemble(ReadOnlySpan<ushort> registers, WordOrder order)
    {
        var reverseWords = order is WordOrder.WordSwapped or WordOrder.LittleEndian;
        var swapBytes = order is WordOrder.ByteSwapped or WordOrder.LittleEndian;
        ulong raw = 0;
        for (var i = 0; i < registers.Length; i++)
        {
            var word = registers[reverseWords ? registers.Length - 1 - i : i];
            if (swapBytes)
            {
                word = BinaryPrimitives.ReverseEndianness(word);
            }

            raw = (raw << 16) | word;
        }

        return raw;
    }
}
