namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>The protocol level byte of CONNECT: 4 is MQTT 3.1.1, 5 is MQTT 5.0.</summary>
public enum MqttProtocolVersion
{
    Unknown = 0,
    V311 = 4,
    V500 = 5,
}

/// <summary>Control packet type, the high nibble of the fixed header's first byte.</summary>
public enum MqttPacketType
{
    Reserved = 0,
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
    Auth = 15,
}

/// <summary>Quality of service of a PUBLISH or a subscription.</summary>
public enum MqttQualityOfService
{
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

/// <summary>Subscription option of 5.0: when the server sends retained messages on subscribe.</summary>
public enum MqttRetainHandling
{
    SendAtSubscribe = 0,
    SendAtSubscribeIfNew = 1,
    DoNotSend = 2,
}

/// <summary>CONNACK return code of MQTT 3.1.1 (section 3.2.2.3).</summary>
public enum MqttConnectReturnCode
{
    Accepted = 0,
    UnacceptableProtocolVersion = 1,
    IdentifierRejected = 2,
    ServerUnavailable = 3,
    BadUserNameOrPassword = 4,
    NotAuthorized = 5,
}
