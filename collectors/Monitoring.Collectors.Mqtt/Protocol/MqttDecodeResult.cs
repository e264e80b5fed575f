using System.Diagnostics.CodeAnalysis;

namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>A decoded packet, or the error that stopped decoding.</summary>
public readonly record struct MqttDecodeResult(MqttPacket? Packet, MqttDecodeError Error)
{
    [MemberNotNullWhen(true, nameof(Packet))]
    public bool IsSuccess => Packet is not null;

    public static MqttDecodeResult Success(MqttPacket packet) => new(packet, default);

    public static MqttDecodeResult Failure(MqttDecodeError error) => new(null, error);
}
