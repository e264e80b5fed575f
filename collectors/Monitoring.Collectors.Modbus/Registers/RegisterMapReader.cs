using System.Buffers;
using Monitoring.Collectors.Modbus.Client;

namespace Monitoring.Collectors.Modbus.Registers;

/// <summary>The outcome of reading a whole map: a failed block leaves its points NaN and does not stop the others.</summary>
public readonly record struct RegisterMapReadResult(int BlocksRead, int BlocksFailed, ModbusRequestException? FirstError);

public static class RegisterMapReader
{
    /// <summary>
    /// Reads every planned block of <paramref name="map"/> from <paramref name="unitId"/> and decodes it into
    /// <paramref name="values"/> (indexed like <see cref="RegisterMap.Points"/>). Buffers are pooled. A block that fails
    /// with a <see cref="ModbusRequestException"/> sets its points to NaN; cancellation propagates.
    /// </summary>
    public static async ValueTask<RegisterMapReadResult> ReadAsync(
        this ModbusTcpClient client, byte unitId, RegisterMap map, Memory<double> values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(map);
        if (values.Length < map.Points.Count)
        {
            throw new ArgumentException($"need room for {map.Points.Count} values", nameof(values));
        }

        var registers = ArrayPool<ushort>.Shared.Rent(Protocol.ModbusCodec.MaxReadRegisters);
        var bits = ArrayPool<bool>.Shared.Rent(Protocol.ModbusCodec.MaxReadBits);
        int read = 0, failed = 0;
        ModbusRequestException? firstError = null;
        try
        {
            for (var b = 0; b < map.Blocks.Count; b++)
            {
                var block = map.Blocks[b];
                try
                {
                    switch (block.RegisterType)
                    {
                        case RegisterType.HoldingRegister:
                            await client.ReadHoldingRegistersAsync(unitId, block.Address, registers.AsMemory(0, block.Count), cancellationToken).ConfigureAwait(false);
                            map.Decode(block, registers.AsSpan(0, block.Count), values.Span);
                            break;
                        case RegisterType.InputRegister:
                            await client.ReadInputRegistersAsync(unitId, block.Address, registers.AsMemory(0, block.Count), cancellationToken).ConfigureAwait(false);
                            map.Decode(block, registers.AsSpan(0, block.Count), values.Span);
                            break;
                        case RegisterType.Coil:
                            await client.ReadCoilsAsync(unitId, block.Address, bits.AsMemory(0, block.Count), cancellationToken).ConfigureAwait(false);
                            map.Decode(block, bits.AsSpan(0, block.Count), values.Span);
                            break;
                        default:
                            await client.ReadDiscreteInputsAsync(unitId, block.Address, bits.AsMemory(0, block.Count), cancellationToken).ConfigureAwait(false);
                            map.Decode(block, bits.AsSpan(0, block.Count), values.Span);
                            break;
                    }

                    read++;
                }
                catch (ModbusRequestException ex)
                {
                    failed++;
                    firstError ??= ex;
                    RegisterMap.Invalidate(block, values.Span);
                }
            }
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(registers);
            ArrayPool<bool>.Shared.Return(bits);
        }

        return new RegisterMapReadResult(read, failed, firstError);
    }
}
