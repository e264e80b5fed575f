using Microsoft.Extensions.Logging;
using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Client;

internal static partial class MqttClientLog
{
    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "MQTT {EndPoint}: connected as {ClientId} (MQTT {Version}, session present {SessionPresent}, user {UserName})")]
    public static partial void Connected(ILogger logger, string endPoint, string clientId, MqttProtocolVersion version, bool sessionPresent, string? userName);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "MQTT {EndPoint}: connection lost: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string endPoint, string reason);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning, Message = "MQTT {EndPoint}: reconnect attempt {Attempt} failed: {Reason}; next in {Delay}")]
    public static partial void ReconnectFailed(ILogger logger, string endPoint, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Warning, Message = "MQTT {EndPoint}: no packet from the broker for {Silence}; keep-alive {KeepAlive}: dropping the connection")]
    public static partial void KeepAliveTimeout(ILogger logger, string endPoint, TimeSpan silence, TimeSpan keepAlive);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Warning, Message = "MQTT {EndPoint}: bad packet from the broker, {ReasonCode}: {Detail}")]
    public static partial void BadPacket(ILogger logger, string endPoint, MqttReasonCode reasonCode, string? detail);

    [LoggerMessage(EventId = 5206, Level = LogLevel.Information, Message = "MQTT {EndPoint}: resubscribed {Count} topic filters")]
    public static partial void Resubscribed(ILogger logger, string endPoint, int count);

    [LoggerMessage(EventId = 5207, Level = LogLevel.Information, Message = "MQTT {EndPoint}: broker sent DISCONNECT {ReasonCode} ({ReasonString})")]
    public static partial void ServerDisconnect(ILogger logger, string endPoint, MqttReasonCode reasonCode, string? reasonString);

    [LoggerMessage(EventId = 5208, Level = LogLevel.Debug, Message = "MQTT {EndPoint}: resending {Count} unacknowledged packets")]
    public static partial void Resending(ILogger logger, string endPoint, int count);
}
