using System.Globalization;
using Monitoring.Collectors.Modbus.Registers;

namespace Monitoring.Collectors.Modbus.Tests.Peers;

/// <summary>
/// One value the pymodbus server stores with Python's struct.pack in a given type and byte/word order, and the value our
/// decoder must read back. The literal is handed to Python as text, so Python does the encoding on its own.
/// </summary>
public sealed record TypedValueCase(string Name, ModbusDataType DataType, WordOrder Order, string Literal, double Expected)
{
    public ushort Address { get; init; }

    public string StructFormat => DataType switch
    {
        ModbusDataType.Int16 => "h",
        ModbusDataType.UInt16 => "H",
        ModbusDataType.Int32 => "i",
        ModbusDataType.UInt32 => "I",
        ModbusDataType.Float32 => "f",
        ModbusDataType.Int64 => "q",
        ModbusDataType.UInt64 => "Q",
        ModbusDataType.Float64 => "d",
        _ => throw new InvalidOperationException(DataType.ToString()),
    };

    public string OrderName => Order switch
    {
        WordOrder.BigEndian => "ABCD",
        WordOrder.LittleEndian => "DCBA",
        WordOrder.ByteSwapped => "BADC",
        _ => "CDAB",
    };

    /// <summary>Every data type in every word order, 4 registers apart from <paramref name="firstAddress"/>.</summary>
    public static IReadOnlyList<TypedValueCase> All(ushort firstAddress)
    {
        var values = new (ModbusDataType Type, string Literal, double Expected)[]
        {
            (ModbusDataType.Int16, "-12345", -12345),
            (ModbusDataType.UInt16, "54321", 54321),
            (ModbusDataType.Int32, "-1234567890", -1234567890),
            (ModbusDataType.UInt32, "3456789012", 3456789012),
            (ModbusDataType.Float32, "-273.15", (double)-273.15f),
            (ModbusDataType.Int64, "-1234567890123456789", -1234567890123456789),
            (ModbusDataType.UInt64, "18000000000000000123", 18000000000000000123UL),
            (ModbusDataType.Float64, "6.02214076e23", 6.02214076e23),
        };
        var cases = new List<TypedValueCase>();
        var address = firstAddress;
        foreach (var order in Enum.GetValues<WordOrder>())
        {
            foreach (var (type, literal, expected) in values)
            {
                cases.Add(new TypedValueCase($"{type}_{order}", type, order, literal, expected) { Address = address });
                address += 4;
            }
        }

        return cases;
    }

    public string ToPython() => string.Create(
        CultureInfo.InvariantCulture, $"({Address}, '{StructFormat}', '{OrderName}', {Literal}),");
}
