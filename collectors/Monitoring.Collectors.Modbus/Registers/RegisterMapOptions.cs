using Monitoring.Collectors.Modbus.Protocol;

namespace Monitoring.Collectors.Modbus.Registers;

/// <summary>How points are grouped into reads.</summary>
public sealed class RegisterMapOptions
{
    /// <summary>Unused registers one read may span between two points rather than start a new read.</summary>
    public int MaxRegisterGap { get; set; } = 16;

    /// <summary>Unused coils or inputs one read may span between two points.</summary>
    public int MaxBitGap { get; set; } = 128;

    /// <summary>At most 125 (the standard's limit for FC 3/4); lower for devices that accept less.</summary>
    public int MaxRegistersPerRead { get; set; } = ModbusCodec.MaxReadRegisters;

    /// <summary>At most 2000 (the standard's limit for FC 1/2).</summary>
    public int MaxBitsPerRead { get; set; } = ModbusCodec.MaxReadBits;

    internal void Validate()
    {
        if (MaxRegisterGap < 0 || MaxBitGap < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRegisterGap), "gaps cannot be negative");
        }

        if (MaxRegistersPerRead is < 4 or > ModbusCodec.MaxReadRegisters)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRegistersPerRead), MaxRegistersPerRead, "must be 4..125");
        }

        if (MaxBitsPerRead is < 1 or > ModbusCodec.MaxReadBits)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBitsPerRead), MaxBitsPerRead, "must be 1..2000");
        }
    }
}
