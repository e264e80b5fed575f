using Microsoft.Extensions.Logging;

namespace Monitoring.Mqtt.Broker;

/// <summary>A message as an in-process subscriber receives it.</summary>
/// <param name="Topic">Topic it was published on.</param>
/// <param name="Payload">Payload; valid after the call returns (messages are immutable).</param>
/// <param name="QoS">QoS of this delivery (the lower of the publish's and the subscription's).</param>
/// <param name="Retain">True when it comes from the retained store on subscribe.</param>
/// <param name="Message">The routed message, with its 5.0 properties.</param>
public readonly record struct MqttLocalMessage(string Topic, ReadOnlyMemory<byte> Payload, byte QoS, bool Retain, BrokerMessage Message);

/// <summary>An in-process subscription: the handler runs on the publishing connection's thread and must be quick.</summary>
internal sealed class LocalSubscriber : BrokerSubscriber
{
    private readonly Action<MqttLocalMessage> _handler;
    private readonly ILogger _logger;

    public LocalSubscriber(string id, Action<MqttLocalMessage> handler, ILogger logger)
        : base(id)
    {
        _handler = handler;
        _logger = logger;
    }

    public override bool IsOnline => true;

    public override void Deliver(BrokerMessage message, byte qos, bool retain, IReadOnlyList<uint>? subscriptionIds)
    {
        try
        {
            _handler(new MqttLocalMessage(message.Topic, message.Payload, qos, retain, message));
        }
#pragma warning disable CA1031 // a failing in-process handler must not take the publisher's connection down
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LogError(ex, "MQTT broker: in-process subscriber {Subscriber} failed on topic {Topic}", Id, message.Topic);
        }
    }
}
