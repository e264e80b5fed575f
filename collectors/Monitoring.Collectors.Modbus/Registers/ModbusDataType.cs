namespace Monitoring.Collectors.Modbus.Registers;

/// <summary>How a point's registers are read as a number.</summary>
#pragma warning disable CA1720 // the names are the data types device profiles and vendor register tables use
public enum ModbusDataType
{
    Int16,
    UInt16,
    Int32,
    UInt32,
    Float32,
    Int64,
    UInt64,
    Float64,

    /// <summary>One bit: bit n (0 = least significant) of a register, or a coil or discrete input.</summary>
    Bit,
}
#pragma warning restore CA1720
