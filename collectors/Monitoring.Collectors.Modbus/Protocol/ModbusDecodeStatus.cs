namespace Monitoring.Collectors.Modbus.Protocol;

/// <summary>What the response decoder concluded about a frame. Anything but <see cref="Ok"/> means the frame is not trusted.</summary>
public enum ModbusDecodeStatus : byte
{
    Ok = 0,

    /// <summary>A well-formed exception response (function code | 0x80); the exception code says why.</summary>
    ExceptionResponse,

    /// <summary>Fewer bytes than the MBAP header, or than the length field announces.</summary>
    Incomplete,
    ProtocolIdInvalid,

    /// <summary>The length field is outside 2..254 (the largest ADU is 260 bytes) or disagrees with the bytes present.</summary>
    LengthMismatch,
    TransactionIdMismatch,
    UnitIdMismatch,
    FunctionCodeMismatch,

    /// <summary>The byte count does not match the quantity requested, or the PDU size the function code implies.</summary>
    ByteCountMismatch,

    /// <summary>A write response does not echo the address, quantity or value of the request.</summary>
    EchoMismatch,

    /// <summary>An exception response whose code is zero or missing.</summary>
    MalformedException,
}
