namespace Monitoring.Collectors.Modbus.Registers;

/// <summary>
/// One named value of a device: where it lives (table and address), how to read it (type, word order, bit), how to turn
/// it into engineering units (value = raw * scale + offset) and, for enumerations, which state each raw value names.
/// </summary>
public sealed record RegisterPoint
{
    public RegisterPoint(string name, RegisterType registerType, ushort address, ModbusDataType dataType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        RegisterType = registerType;
        Address = address;
        DataType = dataType;
    }

    public string Name { get; }

    public RegisterType RegisterType { get; }

    public ushort Address { get; }

    public ModbusDataType DataType { get; }

    public WordOrder WordOrder { get; init; } = WordOrder.BigEndian;

    /// <summary>For <see cref="ModbusDataType.Bit"/> on a register: which bit, 0 = least significant.</summary>
    public int BitIndex { get; init; }

    public double Scale { get; init; } = 1.0;

    public double Offset { get; init; }

    /// <summary>Optional: raw value → state name, for status registers (e.g. 0 "online", 1 "on battery").</summary>
    public IReadOnlyDictionary<long, string>? States { get; init; }

    public bool IsBitTable => RegisterType is RegisterType.Coil or RegisterType.DiscreteInput;

    /// <summary>Registers (or bits, for coils and discrete inputs) the point covers.</summary>
    public int Width => IsBitTable ? 1 : DataType switch
    {
        ModbusDataType.Int16 or ModbusDataType.UInt16 or ModbusDataType.Bit => 1,
        ModbusDataType.Int32 or ModbusDataType.UInt32 or ModbusDataType.Float32 => 2,
        _ => 4,
    };

    /// <summary>The state a decoded value names, when the point has states and the value is one of them.</summary>
    public bool TryGetState(double value, out string? state)
    {
        state = null;
        if (States is null || double.IsNaN(value) || value != Math.Floor(value) || value < long.MinValue || value > long.MaxValue)
        {
            return false;
        }

        return States.TryGetValue((long)value, out state);
    }

    internal void Validate()
    {
        if (IsBitTable && DataType != ModbusDataType.Bit)
        {
            throw new ArgumentException($"point '{Name}': coils and discrete inputs are bits, not {DataType}");
        }

        if (DataType == ModbusDataType.Bit && !IsBitTable && (BitIndex < 0 || BitIndex > 15))
        {
            throw new ArgumentException($"point '{Name}': bit index {BitIndex} is outside 0..15");
        }

        if (Address + Width > 0x10000)
        {
            throw new ArgumentException($"point '{Name}': address {Address} + {Width} runs past 65535");
        }

        if (!double.IsFinite(Scale) || !double.IsFinite(Offset))
        {
            throw new ArgumentException($"point '{Name}': scale and offset must be finite");
        }
    }
}
