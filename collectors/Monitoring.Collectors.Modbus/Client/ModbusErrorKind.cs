namespace Monitoring.Collectors.Modbus.Client;

/// <summary>Why a Modbus request failed, from the point of view of the device it was sent to.</summary>
public enum ModbusErrorKind
{
    /// <summary>The device answered with an exception response; see <see cref="ModbusRequestException.ExceptionCode"/>.</summary>
    DeviceException,

    /// <summary>No response within the request timeout.</summary>
    Timeout,

    /// <summary>The connection closed or broke while the request was outstanding.</summary>
    ConnectionClosed,

    /// <summary>The TCP connection could not be opened.</summary>
    ConnectFailed,

    /// <summary>The client is backing off after failures and will not try the connection again before the backoff ends.</summary>
    BackingOff,

    /// <summary>The response did not match the request; see <see cref="ModbusRequestException.DecodeStatus"/>.</summary>
    InvalidResponse,
}
