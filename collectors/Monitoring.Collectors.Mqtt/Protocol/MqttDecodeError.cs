namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>
/// Why bytes could not be decoded: the 5.0 reason code a server would put in its DISCONNECT (or CONNACK) before
/// closing the connection, and a short description for logs. <c>default</c> means no error.
/// </summary>
public readonly record struct MqttDecodeError(MqttReasonCode ReasonCode, string? Message)
{
    public bool IsError => Message is not null;

    public override string ToString() => IsError ? $"{ReasonCode} (0x{(int)ReasonCode:X2}): {Message}" : "no error";

    internal static MqttDecodeError Malformed(string message) => new(MqttReasonCode.MalformedPacket, message);

    internal static MqttDecodeError Protocol(string message) => new(MqttReasonCode.ProtocolError, message);
}
