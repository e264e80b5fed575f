namespace Monitoring.Mqtt.Broker;

/// <summary>The sending side of a client connection, as a session sees it. No method blocks.</summary>
internal interface IBrokerOutbound
{
    /// <summary>The client's receive maximum (5.0), 65535 for 3.1.1.</summary>
    int ReceiveMaximum { get; }

    /// <summary>Queues a PUBLISH. QoS 0 may be refused (false) when the client is behind; QoS 1/2 always queue.</summary>
    bool EnqueuePublish(BrokerMessage message, byte qos, bool retain, ushort packetId, bool dup, IReadOnlyList<uint>? subscriptionIds);

    /// <summary>Queues a PUBREL (resent on reconnect for a QoS 2 message whose PUBREC came).</summary>
    void EnqueuePubRel(ushort packetId);

    /// <summary>Ends the connection from the server side with a 5.0 reason code; the will is published. False if it was already ending.</summary>
    bool Abort(byte reasonCode);
}
