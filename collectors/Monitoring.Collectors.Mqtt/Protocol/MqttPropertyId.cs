namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>MQTT 5.0 property identifiers (section 2.2.2.2).</summary>
public enum MqttPropertyId
{
    None = 0x00,
    PayloadFormatIndicator = 0x01,
    MessageExpiryInterval = 0x02,
    ContentType = 0x03,
    ResponseTopic = 0x08,
    CorrelationData = 0x09,
    SubscriptionIdentifier = 0x0B,
    SessionExpiryInterval = 0x11,
    AssignedClientIdentifier = 0x12,
    ServerKeepAlive = 0x13,
    AuthenticationMethod = 0x15,
    AuthenticationData = 0x16,
    RequestProblemInformation = 0x17,
    WillDelayInterval = 0x18,
    RequestResponseInformation = 0x19,
    ResponseInformation = 0x1A,
    ServerReference = 0x1C,
    ReasonString = 0x1F,
    ReceiveMaximum = 0x21,
    TopicAliasMaximum = 0x22,
    TopicAlias = 0x23,
    MaximumQoS = 0x24,
    RetainAvailable = 0x25,
    UserProperty = 0x26,
    MaximumPacketSize = 0x27,
    WildcardSubscriptionAvailable = 0x28,
    SubscriptionIdentifierAvailable = 0x29,
    SharedSubscriptionAvailable = 0x2A,
}

/// <summary>How a property's value is encoded.</summary>
public enum MqttPropertyType
{
    Byte,
    TwoByteInteger,
    FourByteInteger,
    VariableByteInteger,
    Utf8String,
    BinaryData,
    Utf8StringPair,
}

/// <summary>Which properties each packet may carry, and how each is encoded (5.0 section 2.2.2.2, table).</summary>
public static class MqttPropertyRules
{
    /// <summary>Bit for the Will Properties of CONNECT, beside the bits <c>1 &lt;&lt; packet type</c>.</summary>
    private const int Will = 1 << 16;

    private const int Connect = 1 << (int)MqttPacketType.Connect;
    private const int ConnAck = 1 << (int)MqttPacketType.ConnAck;
    private const int Publish = 1 << (int)MqttPacketType.Publish;
    private const int Acks = (1 << (int)MqttPacketType.PubAck) | (1 << (int)MqttPacketType.PubRec) | (1 << (int)MqttPacketType.PubRel) | (1 << (int)MqttPacketType.PubComp);
    private const int Subscribe = 1 << (int)MqttPacketType.Subscribe;
    private const int SubAck = 1 << (int)MqttPacketType.SubAck;
    private const int Unsubscribe = 1 << (int)MqttPacketType.Unsubscribe;
    private const int UnsubAck = 1 << (int)MqttPacketType.UnsubAck;
    private const int Disconnect = 1 << (int)MqttPacketType.Disconnect;
    private const int Auth = 1 << (int)MqttPacketType.Auth;

    /// <summary>The encoding of a property, or null for an identifier 5.0 does not define.</summary>
    public static MqttPropertyType? TypeOf(MqttPropertyId id) => id switch
    {
        MqttPropertyId.PayloadFormatIndicator or MqttPropertyId.RequestProblemInformation or MqttPropertyId.RequestResponseInformation
            or MqttPropertyId.MaximumQoS or MqttPropertyId.RetainAvailable or MqttPropertyId.WildcardSubscriptionAvailable
            or MqttPropertyId.SubscriptionIdentifierAvailable or MqttPropertyId.SharedSubscriptionAvailable => MqttPropertyType.Byte,
        MqttPropertyId.ServerKeepAlive or MqttPropertyId.ReceiveMaximum or MqttPropertyId.TopicAliasMaximum or MqttPropertyId.TopicAlias => MqttPropertyType.TwoByteInteger,
        MqttPropertyId.MessageExpiryInterval or MqttPropertyId.SessionExpiryInterval or MqttPropertyId.WillDelayInterval
            or MqttPropertyId.MaximumPacketSize => MqttPropertyType.FourByteInteger,
        MqttPropertyId.SubscriptionIdentifier => MqttPropertyType.VariableByteInteger,
        MqttPropertyId.ContentType or MqttPropertyId.ResponseTopic or MqttPropertyId.AssignedClientIdentifier or MqttPropertyId.AuthenticationMethod
            or MqttPropertyId.ResponseInformation or MqttPropertyId.ServerReference or MqttPropertyId.ReasonString => MqttPropertyType.Utf8String,
        MqttPropertyId.CorrelationData or MqttPropertyId.AuthenticationData => MqttPropertyType.BinaryData,
        MqttPropertyId.UserProperty => MqttPropertyType.Utf8StringPair,
        _ => null,
    };

    /// <summary>True when <paramref name="id"/> may appear in a packet of type <paramref name="packet"/> (or in the Will Properties when <paramref name="will"/>).</summary>
    public static bool IsAllowed(MqttPropertyId id, MqttPacketType packet, bool will = false)
    {
        var bit = will ? Will : 1 << (int)packet;
        return (AllowedIn(id) & bit) != 0;
    }

    private static int AllowedIn(MqttPropertyId id) => id switch
    {
        MqttPropertyId.PayloadFormatIndicator or MqttPropertyId.MessageExpiryInterval or MqttPropertyId.ContentType
            or MqttPropertyId.ResponseTopic or MqttPropertyId.CorrelationData => Publish | Will,
        MqttPropertyId.SubscriptionIdentifier => Publish | Subscribe,
        MqttPropertyId.SessionExpiryInterval => Connect | ConnAck | Disconnect,
        MqttPropertyId.AssignedClientIdentifier or MqttPropertyId.ServerKeepAlive or MqttPropertyId.ResponseInformation
            or MqttPropertyId.MaximumQoS or MqttPropertyId.RetainAvailable or MqttPropertyId.WildcardSubscriptionAvailable
            or MqttPropertyId.SubscriptionIdentifierAvailable or MqttPropertyId.SharedSubscriptionAvailable => ConnAck,
        MqttPropertyId.AuthenticationMethod or MqttPropertyId.AuthenticationData => Connect | ConnAck | Auth,
        MqttPropertyId.RequestProblemInformation or MqttPropertyId.RequestResponseInformation => Connect,
        MqttPropertyId.WillDelayInterval => Will,
        MqttPropertyId.ServerReference => ConnAck | Disconnect,
        MqttPropertyId.ReasonString => ConnAck | Acks | SubAck | UnsubAck | Disconnect | Auth,
        MqttPropertyId.ReceiveMaximum or MqttPropertyId.TopicAliasMaximum or MqttPropertyId.MaximumPacketSize => Connect | ConnAck,
        MqttPropertyId.TopicAlias => Publish,
        MqttPropertyId.UserProperty => Connect | ConnAck | Publish | Will | Acks | Subscribe | SubAck | Unsubscribe | UnsubAck | Disconnect | Auth,
        _ => 0,
    };
}
