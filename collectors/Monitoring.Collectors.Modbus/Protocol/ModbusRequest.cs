namespace Monitoring.Collectors.Modbus.Protocol;

/// <summary>
/// What a request asked for, kept to validate the response against it: the unit, the function, the start address, the
/// quantity (reads, multiple writes) and, for single writes, the value the server must echo.
/// </summary>
public readonly record struct ModbusRequest(byte UnitId, byte FunctionCode, ushort Address, ushort Quantity, ushort Value = 0)
{
    public static ModbusRequest Read(byte unitId, ModbusFunctionCode function, ushort address, ushort quantity) =>
        new(unitId, (byte)function, address, quantity);

    public static ModbusRequest WriteSingleCoil(byte unitId, ushort address, bool on) =>
        new(unitId, (byte)ModbusFunctionCode.WriteSingleCoil, address, 1, on ? ModbusCodec.CoilOn : ModbusCodec.CoilOff);

    public static ModbusRequest WriteSingleRegister(byte unitId, ushort address, ushort value) =>
        new(unitId, (byte)ModbusFunctionCode.WriteSingleRegister, address, 1, value);

    public static ModbusRequest WriteMultipleCoils(byte unitId, ushort address, int quantity) =>
        new(unitId, (byte)ModbusFunctionCode.WriteMultipleCoils, address, checked((ushort)quantity));

    public static ModbusRequest WriteMultipleRegisters(byte unitId, ushort address, int quantity) =>
        new(unitId, (byte)ModbusFunctionCode.WriteMultipleRegisters, address, checked((ushort)quantity));
}
