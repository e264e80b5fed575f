using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Client;

/// <summary>
/// A packet the client sent and the broker has not finished acknowledging: a QoS 1/2 PUBLISH, a SUBSCRIBE or an
/// UNSUBSCRIBE. Kept across reconnects so it can be sent again (session state, 3.1.1 section 4.4).
/// </summary>
internal sealed class PendingOperation
{
    public PendingOperation(MqttPacket packet, long sequence)
    {
        Packet = packet;
        Sequence = sequence;
    }

    public MqttPacket Packet { get; }

    /// <summary>Order of creation: unacknowledged packets are re-sent in the order they were first sent.</summary>
    public long Sequence { get; }

    /// <summary>QoS 2: PUBREC arrived, PUBREL sent, waiting for PUBCOMP.</summary>
    public bool Released { get; set; }

    public TaskCompletionSource<IReadOnlyList<MqttReasonCode>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Complete(MqttReasonCode code) => Done.TrySetResult(code switch
    {
        MqttReasonCode.Success => SuccessList,
        _ => [code],
    });

    private static readonly IReadOnlyList<MqttReasonCode> SuccessList = [MqttReasonCode.Success];
}
