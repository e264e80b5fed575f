using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Client;

/// <summary>The broker refused the connection (CONNACK with a failure code) or the handshake broke the protocol.</summary>
public sealed class MqttConnectException : Exception
{
    public MqttConnectException()
    {
    }

    public MqttConnectException(string message)
        : base(message)
    {
    }

    public MqttConnectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MqttConnectException(MqttReasonCode reasonCode, string message)
        : base(message)
    {
        ReasonCode = reasonCode;
    }

    /// <summary>The 5.0 reason code (3.1.1 return codes are mapped to it; <see cref="ReturnCode"/> gives them back).</summary>
    public MqttReasonCode ReasonCode { get; } = MqttReasonCode.UnspecifiedError;

    public MqttConnectReturnCode ReturnCode => MqttReasonCodes.ToConnectReturnCode(ReasonCode);
}
