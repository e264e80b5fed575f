using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Client;

/// <summary>
/// An application message received from the broker. <see cref="Payload"/> is the array the decoder copied out of
/// the receive buffer: the one copy between socket and consumer.
/// </summary>
public readonly record struct MqttMessage(
    string Topic,
    ReadOnlyMemory<byte> Payload,
    MqttQualityOfService QoS,
    bool Retain,
    MqttProperties? Properties)
{
    /// <summary>The broker's packet identifier (QoS 1 and 2); what <see cref="MqttClient.Acknowledge"/> answers.</summary>
    public ushort PacketId { get; init; }

    /// <summary>The connection it came on: an acknowledgement goes only there (a new connection has new identifiers).</summary>
    internal MqttClientConnection? Connection { get; init; }
}
