using Monitoring.Collectors.Modbus.Protocol;

namespace Monitoring.Collectors.Modbus.Client;

/// <summary>A request to one unit failed: a typed, per-device error that says what happened.</summary>
public sealed class ModbusRequestException : Exception
{
    public ModbusRequestException()
    {
    }

    public ModbusRequestException(string message)
        : base(message)
    {
    }

    public ModbusRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal ModbusRequestException(
        ModbusErrorKind kind,
        string endPoint,
        byte unitId,
        byte functionCode,
        string detail,
        ModbusExceptionCode exceptionCode = ModbusExceptionCode.None,
        ModbusDecodeStatus decodeStatus = ModbusDecodeStatus.Ok,
        Exception? innerException = null)
        : base($"Modbus {endPoint} unit {unitId} function 0x{functionCode:X2}: {detail}", innerException)
    {
        Kind = kind;
        EndPoint = endPoint;
        UnitId = unitId;
        FunctionCode = functionCode;
        ExceptionCode = exceptionCode;
        DecodeStatus = decodeStatus;
    }

    public ModbusErrorKind Kind { get; }

    public string EndPoint { get; } = "";

    public byte UnitId { get; }

    public byte FunctionCode { get; }

    /// <summary>For <see cref="ModbusErrorKind.DeviceException"/>: the code the device sent.</summary>
    public ModbusExceptionCode ExceptionCode { get; }

    /// <summary>For <see cref="ModbusErrorKind.InvalidResponse"/>: what did not match.</summary>
    public ModbusDecodeStatus DecodeStatus { get; }
}
