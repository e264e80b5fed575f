using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Client;

/// <summary>What the broker said in CONNACK.</summary>
public sealed record MqttConnectResult(bool SessionPresent, MqttReasonCode ReasonCode, MqttProperties? Properties);
