using Microsoft.Extensions.Logging;
using Monitoring.Collectors.Modbus.Protocol;

namespace Monitoring.Collectors.Modbus.Client;

internal static partial class ModbusLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Modbus {EndPoint}: connected")]
    public static partial void Connected(ILogger logger, string endPoint);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Modbus {EndPoint}: connect failed ({Failures} in a row): {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string endPoint, int failures, string reason);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Modbus {EndPoint}: connection closed ({Reason})")]
    public static partial void Closed(ILogger logger, string endPoint, string reason);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Modbus {EndPoint}: dropping connection, {Status}: {Reason}")]
    public static partial void Dropped(ILogger logger, string endPoint, ModbusDecodeStatus status, string reason);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Debug, Message = "Modbus {EndPoint}: late response for abandoned transaction {TransactionId} discarded")]
    public static partial void LateResponse(ILogger logger, string endPoint, ushort transactionId);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Warning, Message = "Modbus {EndPoint} unit {UnitId}: rejected response to function {FunctionCode}: {Status}")]
    public static partial void Rejected(ILogger logger, string endPoint, byte unitId, byte functionCode, ModbusDecodeStatus status);
}
