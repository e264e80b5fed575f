using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Tests.Protocol;

public class PropertyTests
{
    public static TheoryData<MqttPropertyId> AllProperties()
    {
        var data = new TheoryData<MqttPropertyId>();
        foreach (var id in Enum.GetValues<MqttPropertyId>())
        {
            if (id != MqttPropertyId.None)
            {
                data.Add(id);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllProperties))]
    public void Each_property_round_trips_in_every_packet_that_allows_it_and_is_refused_in_the_others(MqttPropertyId id)
    {
        var allowedSomewhere = false;
        foreach (var type in Enum.GetValues<MqttPacketType>())
        {
            if (type is MqttPacketType.Reserved or MqttPacketType.PingReq or MqttPacketType.PingResp)
            {
                continue;
            }

            var properties = WithOnly(id);
            var packet = Carrier(type, properties);
            var bytes = MqttPacketEncoder.ToArray(packet, MqttProtocolVersion.V500);
            var decoded = MqttPacketDecoder.Decode(bytes, MqttProtocolVersion.V500);
            if (MqttPropertyRules.IsAllowed(id, type))
            {
                allowedSomewhere = true;
                Assert.True(decoded.IsSuccess, $"{id} in {type}: {decoded.Error}");
                var back = PropertiesOf(decoded.Packet);
                Assert.NotNull(back);
                Assert.Equal(ValueOf(properties, id), ValueOf(back, id));
            }
            else
            {
                Assert.False(decoded.IsSuccess, $"{id} should be refused in {type}");
                Assert.Equal(MqttReasonCode.MalformedPacket, decoded.Error.ReasonCode);
            }
        }

        // Will Properties are checked on their own table.
        var will = new MqttConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500,
            ClientId = "w",
            Will = new MqttWill { Topic = "t", Properties = WithOnly(id) },
        };
        var willDecoded = MqttPacketDecoder.Decode(MqttPacketEncoder.ToArray(will, MqttProtocolVersion.V500), MqttProtocolVersion.V500);
        if (MqttPropertyRules.IsAllowed(id, MqttPacketType.Connect, will: true))
        {
            allowedSomewhere = true;
            Assert.True(willDecoded.IsSuccess, willDecoded.Error.ToString());
            Assert.Equal(ValueOf(will.Will.Properties!, id), ValueOf(((MqttConnectPacket)willDecoded.Packet).Will!.Properties!, id));
        }
        else
        {
            Assert.Equal(MqttReasonCode.MalformedPacket, willDecoded.Error.ReasonCode);
        }

        Assert.True(allowedSomewhere);
    }

    [Fact]
    public void A_property_given_twice_is_a_protocol_error()
    {
        // PUBACK id 1, reason 0, properties: Reason String twice.
        byte[] bytes = [0x40, 12, 0, 1, 0, 8, 0x1F, 0, 1, (byte)'a', 0x1F, 0, 1, (byte)'b'];
        bytes[1] = (byte)(bytes.Length - 2);
        var decoded = MqttPacketDecoder.Decode(bytes, MqttProtocolVersion.V500);
        Assert.Equal(MqttReasonCode.ProtocolError, decoded.Error.ReasonCode);
    }

    [Fact]
    public void User_properties_may_repeat_and_keep_their_order()
    {
        var packet = new MqttPubAckPacket
        {
            PacketId = 1,
            Properties = new MqttProperties { UserProperties = [new("k", "1"), new("k", "2"), new("a", "3")] },
        };
        var decoded = MqttPacketDecoder.Decode(MqttPacketEncoder.ToArray(packet, MqttProtocolVersion.V500), MqttProtocolVersion.V500);
        Assert.True(decoded.IsSuccess, decoded.Error.ToString());
        Assert.Equal(packet.Properties.UserProperties, ((MqttPubAckPacket)decoded.Packet).Properties!.UserProperties);
    }

    [Theory]
    [InlineData(0x21, new byte[] { 0, 0 })] // Receive Maximum 0
    [InlineData(0x27, new byte[] { 0, 0, 0, 0 })] // Maximum Packet Size 0
    [InlineData(0x17, new byte[] { 2 })] // Request Problem Information 2
    [InlineData(0x19, new byte[] { 7 })] // Request Response Information 7
    public void A_forbidden_property_value_in_connect_is_a_protocol_error(byte id, byte[] value)
    {
        var props = new List<byte> { id };
        props.AddRange(value);
        var body = new List<byte> { 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 5, 0x02, 0, 60, (byte)props.Count };
        body.AddRange(props);
        body.AddRange(new byte[] { 0, 1, (byte)'c' });
        var bytes = new List<byte> { 0x10, (byte)body.Count };
        bytes.AddRange(body);
        var decoded = MqttPacketDecoder.Decode(bytes.ToArray(), MqttProtocolVersion.Unknown);
        Assert.Equal(MqttReasonCode.ProtocolError, decoded.Error.ReasonCode);
    }

    [Fact]
    public void An_unknown_property_identifier_is_malformed()
    {
        byte[] bytes = [0x40, 6, 0, 1, 0, 2, 0x7E, 0];
        var decoded = MqttPacketDecoder.Decode(bytes, MqttProtocolVersion.V500);
        Assert.Equal(MqttReasonCode.MalformedPacket, decoded.Error.ReasonCode);
    }

    [Fact]
    public void A_subscription_identifier_of_zero_is_a_protocol_error()
    {
        // SUBSCRIBE id 1, properties: Subscription Identifier 0, filter "a" QoS 0.
        byte[] bytes = [0x82, 9, 0, 1, 2, 0x0B, 0, 0, 1, (byte)'a', 0];
        var decoded = MqttPacketDecoder.Decode(bytes, MqttProtocolVersion.V500);
        Assert.Equal(MqttReasonCode.ProtocolError, decoded.Error.ReasonCode);
    }

    private static MqttProperties WithOnly(MqttPropertyId id)
    {
        var p = new MqttProperties();
        switch (id)
        {
            case MqttPropertyId.PayloadFormatIndicator: p.PayloadFormatIndicator = 1; break;
            case MqttPropertyId.MessageExpiryInterval: p.MessageExpiryInterval = 123_456; break;
            case MqttPropertyId.ContentType: p.ContentType = "application/json"; break;
            case MqttPropertyId.ResponseTopic: p.ResponseTopic = "reply/here"; break;
            case MqttPropertyId.CorrelationData: p.CorrelationData = new byte[] { 1, 2, 3 }; break;
            case MqttPropertyId.SubscriptionIdentifier: p.SubscriptionIdentifiers = [268_435_455]; break;
            case MqttPropertyId.SessionExpiryInterval: p.SessionExpiryInterval = 3600; break;
            case MqttPropertyId.AssignedClientIdentifier: p.AssignedClientIdentifier = "auto-9"; break;
            case MqttPropertyId.ServerKeepAlive: p.ServerKeepAlive = 45; break;
            case MqttPropertyId.AuthenticationMethod: p.AuthenticationMethod = "SCRAM"; break;
            case MqttPropertyId.AuthenticationData: p.AuthenticationData = new byte[] { 4, 5 }; break;
            case MqttPropertyId.RequestProblemInformation: p.RequestProblemInformation = 0; break;
            case MqttPropertyId.WillDelayInterval: p.WillDelayInterval = 30; break;
            case MqttPropertyId.RequestResponseInformation: p.RequestResponseInformation = 1; break;
            case MqttPropertyId.ResponseInformation: p.ResponseInformation = "resp/"; break;
            case MqttPropertyId.ServerReference: p.ServerReference = "other:1883"; break;
            case MqttPropertyId.ReasonString: p.ReasonString = "because"; break;
            case MqttPropertyId.ReceiveMaximum: p.ReceiveMaximum = 50; break;
            case MqttPropertyId.TopicAliasMaximum: p.TopicAliasMaximum = 10; break;
            case MqttPropertyId.TopicAlias: p.TopicAlias = 3; break;
            case MqttPropertyId.MaximumQoS: p.MaximumQoS = 1; break;
            case MqttPropertyId.RetainAvailable: p.RetainAvailable = 0; break;
            case MqttPropertyId.UserProperty: p.UserProperties = [new("room", "A1"), new("rack", "3")]; break;
            case MqttPropertyId.MaximumPacketSize: p.MaximumPacketSize = 1_000_000; break;
            case MqttPropertyId.WildcardSubscriptionAvailable: p.WildcardSubscriptionAvailable = 1; break;
            case MqttPropertyId.SubscriptionIdentifierAvailable: p.SubscriptionIdentifierAvailable = 0; break;
            case MqttPropertyId.SharedSubscriptionAvailable: p.SharedSubscriptionAvailable = 1; break;
            default: throw new ArgumentOutOfRangeException(nameof(id), id, null);
        }

        return p;
    }

    private static string ValueOf(MqttProperties p, MqttPropertyId id) => id switch
    {
        MqttPropertyId.PayloadFormatIndicator => $"{p.PayloadFormatIndicator}",
        MqttPropertyId.MessageExpiryInterval => $"{p.MessageExpiryInterval}",
        MqttPropertyId.ContentType => $"{p.ContentType}",
        MqttPropertyId.ResponseTopic => $"{p.ResponseTopic}",
        MqttPropertyId.CorrelationData => Convert.ToHexString(p.CorrelationData?.ToArray() ?? []),
        MqttPropertyId.SubscriptionIdentifier => string.Join(",", p.SubscriptionIdentifiers ?? []),
        MqttPropertyId.SessionExpiryInterval => $"{p.SessionExpiryInterval}",
        MqttPropertyId.AssignedClientIdentifier => $"{p.AssignedClientIdentifier}",
        MqttPropertyId.ServerKeepAlive => $"{p.ServerKeepAlive}",
        MqttPropertyId.AuthenticationMethod => $"{p.AuthenticationMethod}",
        MqttPropertyId.AuthenticationData => Convert.ToHexString(p.AuthenticationData?.ToArray() ?? []),
        MqttPropertyId.RequestProblemInformation => $"{p.RequestProblemInformation}",
        MqttPropertyId.WillDelayInterval => $"{p.WillDelayInterval}",
        MqttPropertyId.RequestResponseInformation => $"{p.RequestResponseInformation}",
        MqttPropertyId.ResponseInformation => $"{p.ResponseInformation}",
        MqttPropertyId.ServerReference => $"{p.ServerReference}",
        MqttPropertyId.ReasonString => $"{p.ReasonString}",
        MqttPropertyId.ReceiveMaximum => $"{p.ReceiveMaximum}",
        MqttPropertyId.TopicAliasMaximum => $"{p.TopicAliasMaximum}",
        MqttPropertyId.TopicAlias => $"{p.TopicAlias}",
        MqttPropertyId.MaximumQoS => $"{p.MaximumQoS}",
        MqttPropertyId.RetainAvailable => $"{p.RetainAvailable}",
        MqttPropertyId.UserProperty => string.Join(";", p.UserProperties ?? []),
        MqttPropertyId.MaximumPacketSize => $"{p.MaximumPacketSize}",
        MqttPropertyId.WildcardSubscriptionAvailable => $"{p.WildcardSubscriptionAvailable}",
        MqttPropertyId.SubscriptionIdentifierAvailable => $"{p.SubscriptionIdentifierAvailable}",
        MqttPropertyId.SharedSubscriptionAvailable => $"{p.SharedSubscriptionAvailable}",
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, null),
    } is { Length: > 0 } s ? s : throw new InvalidOperationException($"{id} is missing");

    private static MqttPacket Carrier(MqttPacketType type, MqttProperties p) => type switch
    {
        MqttPacketType.Connect => new MqttConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "c", Properties = p },
        MqttPacketType.ConnAck => new MqttConnAckPacket { Properties = p },
        MqttPacketType.Publish => new MqttPublishPacket { Topic = "t", Properties = p },
        MqttPacketType.PubAck => new MqttPubAckPacket { PacketId = 1, Properties = p },
        MqttPacketType.PubRec => new MqttPubRecPacket { PacketId = 1, Properties = p },
        MqttPacketType.PubRel => new MqttPubRelPacket { PacketId = 1, Properties = p },
        MqttPacketType.PubComp => new MqttPubCompPacket { PacketId = 1, Properties = p },
        MqttPacketType.Subscribe => new MqttSubscribePacket { PacketId = 1, Subscriptions = [new("t")], Properties = p },
        MqttPacketType.SubAck => new MqttSubAckPacket { PacketId = 1, ReasonCodes = [MqttReasonCode.GrantedQoS0], Properties = p },
        MqttPacketType.Unsubscribe => new MqttUnsubscribePacket { PacketId = 1, TopicFilters = ["t"], Properties = p },
        MqttPacketType.UnsubAck => new MqttUnsubAckPacket { PacketId = 1, ReasonCodes = [MqttReasonCode.Success], Properties = p },
        MqttPacketType.Disconnect => new MqttDisconnectPacket { Properties = p },
        MqttPacketType.Auth => new MqttAuthPacket { Properties = p },
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private static MqttProperties? PropertiesOf(MqttPacket packet) => packet switch
    {
        MqttConnectPacket c => c.Properties,
        MqttConnAckPacket c => c.Properties,
        MqttPublishPacket c => c.Properties,
        MqttPublishAckPacket c => c.Properties,
        MqttSubscribePacket c => c.Properties,
        MqttSubAckPacket c => c.Properties,
        MqttUnsubscribePacket c => c.Properties,
        MqttUnsubAckPacket c => c.Properties,
        MqttDisconnectPacket c => c.Properties,
        MqttAuthPacket c => c.Properties,
        _ => null,
    };
}
