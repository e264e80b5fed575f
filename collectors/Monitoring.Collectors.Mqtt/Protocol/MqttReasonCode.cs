namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>MQTT 5.0 reason codes (section 2.4). Values below 0x80 are success, 0x80 and above are failures.</summary>
#pragma warning disable CA1069 // The specification gives one value several names, depending on the packet.
public enum MqttReasonCode
{
    Success = 0x00,
    NormalDisconnection = 0x00,
    GrantedQoS0 = 0x00,
    GrantedQoS1 = 0x01,
    GrantedQoS2 = 0x02,
    DisconnectWithWillMessage = 0x04,
    NoMatchingSubscribers = 0x10,
    NoSubscriptionExisted = 0x11,
    ContinueAuthentication = 0x18,
    ReAuthenticate = 0x19,
    UnspecifiedError = 0x80,
    MalformedPacket = 0x81,
    ProtocolError = 0x82,
    ImplementationSpecificError = 0x83,
    UnsupportedProtocolVersion = 0x84,
    ClientIdentifierNotValid = 0x85,
    BadUserNameOrPassword = 0x86,
    NotAuthorized = 0x87,
    ServerUnavailable = 0x88,
    ServerBusy = 0x89,
    Banned = 0x8A,
    ServerShuttingDown = 0x8B,
    BadAuthenticationMethod = 0x8C,
    KeepAliveTimeout = 0x8D,
    SessionTakenOver = 0x8E,
    TopicFilterInvalid = 0x8F,
    TopicNameInvalid = 0x90,
    PacketIdentifierInUse = 0x91,
    PacketIdentifierNotFound = 0x92,
    ReceiveMaximumExceeded = 0x93,
    TopicAliasInvalid = 0x94,
    PacketTooLarge = 0x95,
    MessageRateTooHigh = 0x96,
    QuotaExceeded = 0x97,
    AdministrativeAction = 0x98,
    PayloadFormatInvalid = 0x99,
    RetainNotSupported = 0x9A,
    QoSNotSupported = 0x9B,
    UseAnotherServer = 0x9C,
    ServerMoved = 0x9D,
    SharedSubscriptionsNotSupported = 0x9E,
    ConnectionRateExceeded = 0x9F,
    MaximumConnectTime = 0xA0,
    SubscriptionIdentifiersNotSupported = 0xA1,
    WildcardSubscriptionsNotSupported = 0xA2,
}
#pragma warning restore CA1069

/// <summary>Helpers over reason codes and the 3.1.1 return codes they map to.</summary>
public static class MqttReasonCodes
{
    public static bool IsFailure(MqttReasonCode code) => (int)code >= 0x80;

    /// <summary>The 3.1.1 CONNACK return code closest to a 5.0 CONNACK reason code (as the 5.0 spec's table suggests).</summary>
    public static MqttConnectReturnCode ToConnectReturnCode(MqttReasonCode code) => code switch
    {
        MqttReasonCode.Success => MqttConnectReturnCode.Accepted,
        MqttReasonCode.UnsupportedProtocolVersion => MqttConnectReturnCode.UnacceptableProtocolVersion,
        MqttReasonCode.ClientIdentifierNotValid => MqttConnectReturnCode.IdentifierRejected,
        MqttReasonCode.BadUserNameOrPassword or MqttReasonCode.BadAuthenticationMethod => MqttConnectReturnCode.BadUserNameOrPassword,
        MqttReasonCode.NotAuthorized or MqttReasonCode.Banned => MqttConnectReturnCode.NotAuthorized,
        _ => MqttConnectReturnCode.ServerUnavailable,
    };

    /// <summary>The 5.0 reason code equivalent to a 3.1.1 CONNACK return code.</summary>
    public static MqttReasonCode FromConnectReturnCode(MqttConnectReturnCode code) => code switch
    {
        MqttConnectReturnCode.Accepted => MqttReasonCode.Success,
        MqttConnectReturnCode.UnacceptableProtocolVersion => MqttReasonCode.UnsupportedProtocolVersion,
        MqttConnectReturnCode.IdentifierRejected => MqttReasonCode.ClientIdentifierNotValid,
        MqttConnectReturnCode.BadUserNameOrPassword => MqttReasonCode.BadUserNameOrPassword,
        MqttConnectReturnCode.NotAuthorized => MqttReasonCode.NotAuthorized,
        _ => MqttReasonCode.ServerUnavailable,
    };
}
