using System.Buffers.Binary;
using Monitoring.Collectors.Modbus.Registers;

namespace Monitoring.Simulator.Modbus;

/// <summary>The inverse of the collector's decoding: an engineering value into the registers or bit a point reads.</summary>
public static class RegisterEncoder
{
    /// <summary>Writes <paramref name="value"/> (before scale and offset are undone) into the unit's table the point lives in.</summary>
    public static void Write(SimulatedUnit unit, RegisterPoint point, double value)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(point);
        var raw = (value - point.Offset) / point.Scale;
        switch (point.RegisterType)
        {
            case RegisterType.Coil:
                unit.Coils[point.Address] = raw >= 0.5;
                return;
            case RegisterType.DiscreteInput:
                unit.DiscreteInputs[point.Address] = raw >= 0.5;
                return;
        }

        var table = point.RegisterType == RegisterType.HoldingRegister ? unit.HoldingRegisters : unit.InputRegisters;
        var registers = table.AsSpan(point.Address, point.Width);
        if (point.DataType == ModbusDataType.Bit)
        {
            var mask = (ushort)(1 << point.BitIndex);
            registers[0] = raw >= 0.5 ? (ushort)(registers[0] | mask) : (ushort)(registers[0] & ~mask);
            return;
        }

        var bits = point.DataType switch
        {
            ModbusDataType.Int16 => (ulong)(ushort)(short)Math.Clamp(Math.Round(raw), short.MinValue, short.MaxValue),
            ModbusDataType.UInt16 => (ulong)(ushort)Math.Clamp(Math.Round(raw), 0, ushort.MaxValue),
            ModbusDataType.Int32 => (uint)(int)Math.Clamp(Math.Round(raw), int.MinValue, int.MaxValue),
            ModbusDataType.UInt32 => (uint)Math.Clamp(Math.Round(raw), 0, uint.MaxValue),
            ModbusDataType.Float32 => BitConverter.SingleToUInt32Bits((float)raw),
            ModbusDataType.Int64 => (ulong)(long)Math.Round(raw),
            ModbusDataType.UInt64 => (ulong)Math.Max(0, Math.Round(raw)),
            _ => BitConverter.DoubleToUInt64Bits(raw),
        };
        Scatter(bits, registers, point.WordOrder);
    }

    /// <summary>Lays the big-endian value A B C D ... out in the word order, the inverse of RegisterDecoder.Assemble.</summary>
    internal static void Scatter(ulong value, Span<ushort> registers, WordOrder order)
    {
        var reverseWords = order is WordOrder.WordSwapped or WordOrder.LittleEndian;
        var swapBytes = order is WordOrder.ByteSwapped or WordOrder.LittleEndian;
        for (var i = registers.Length - 1; i >= 0; i--)
        {
            var word = (ushort)(value & 0xFFFF);
            value >>= 16;
            if (swapBytes)
            {
                word = BinaryPrimitives.ReverseEndianness(word);
            }

            registers[reverseWords ? registers.Length - 1 - i : i] = word;
        }
    }
}
