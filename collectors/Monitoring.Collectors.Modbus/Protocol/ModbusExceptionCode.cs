namespace Monitoring.Collectors.Modbus.Protocol;

/// <summary>Exception codes a server returns in an exception response (Modbus Application Protocol v1.1b3, section 7).</summary>
public enum ModbusExceptionCode : byte
{
    None = 0x00,
    IllegalFunction = 0x01,
    IllegalDataAddress = 0x02,
    IllegalDataValue = 0x03,
    ServerDeviceFailure = 0x04,
    Acknowledge = 0x05,
    ServerDeviceBusy = 0x06,
    MemoryParityError = 0x08,
    GatewayPathUnavailable = 0x0A,
    GatewayTargetDeviceFailedToRespond = 0x0B,
}

public static class ModbusExceptionCodeExtensions
{
    /// <summary>A sentence an operator can read, for the device error shown next to the device.</summary>
    public static string Describe(this ModbusExceptionCode code) => code switch
    {
        ModbusExceptionCode.IllegalFunction => "illegal function: the device does not support this request",
        ModbusExceptionCode.IllegalDataAddress => "illegal data address: the register range does not exist on the device",
        ModbusExceptionCode.IllegalDataValue => "illegal data value: the device rejected a value in the request",
        ModbusExceptionCode.ServerDeviceFailure => "server device failure: the device failed while handling the request",
        ModbusExceptionCode.Acknowledge => "acknowledge: the device accepted a long-running request and is still processing it",
        ModbusExceptionCode.ServerDeviceBusy => "server device busy: the device is processing a long-running command, retry later",
        ModbusExceptionCode.MemoryParityError => "memory parity error: the device found a parity error in its extended memory",
        ModbusExceptionCode.GatewayPathUnavailable => "gateway path unavailable: the gateway has no path to the target unit",
        ModbusExceptionCode.GatewayTargetDeviceFailedToRespond => "gateway target device failed to respond: the unit behind the gateway did not answer",
        _ => $"unknown exception code 0x{(byte)code:X2}",
    };
}
