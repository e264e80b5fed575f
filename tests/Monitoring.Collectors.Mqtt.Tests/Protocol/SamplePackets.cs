using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Tests.Protocol;

/// <summary>One sample of each packet type, with every field set to something non-default.</summary>
internal static class SamplePackets
{
    public static readonly string[] Names =
    [
        "connect-minimal", "connect-full", "connack", "connack-refused", "publish-qos0", "publish-qos1", "publish-qos2", "publish-empty",
        "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect",
    ];

    public static MqttPacket Build(string name, MqttProtocolVersion version)
    {
        var v5 = version == MqttProtocolVersion.V500;
        MqttProperties? Props(Func<MqttProperties> make) => v5 ? make() : null;
        return name switch
        {
            "connect-minimal" => new MqttConnectPacket { ProtocolVersion = version, ClientId = "probe-1", KeepAliveSeconds = 60 },
            "connect-full" => new MqttConnectPacket
            {
                ProtocolVersion = version,
                ClientId = "温度-probe",
                CleanStart = false,
                KeepAliveSeconds = 15,
                UserName = "noc",
                Password = new byte[] { 1, 2, 3, 0, 255 },
                Will = new MqttWill
                {
                    Topic = "site/a/probe/1/state",
                    Payload = "offline"u8.ToArray(),
                    QoS = MqttQualityOfService.AtLeastOnce,
                    Retain = true,
                    Properties = Props(() => new MqttProperties { WillDelayInterval = 5, ContentType = "text/plain", MessageExpiryInterval = 600 }),
                },
                Properties = Props(() => new MqttProperties { SessionExpiryInterval = 3600, ReceiveMaximum = 20, MaximumPacketSize = 65536, UserProperties = [new("site", "a")] }),
            },
            "connack" => new MqttConnAckPacket
            {
                SessionPresent = true,
                ReasonCode = MqttReasonCode.Success,
                Properties = Props(() => new MqttProperties { ReceiveMaximum = 10, AssignedClientIdentifier = "auto-1", ServerKeepAlive = 30, MaximumQoS = 1 }),
            },
            "connack-refused" => new MqttConnAckPacket { ReasonCode = MqttReasonCode.BadUserNameOrPassword },
            "publish-qos0" => new MqttPublishPacket { Topic = "site/a/temp", Payload = "21.5"u8.ToArray(), Retain = true },
            "publish-qos1" => new MqttPublishPacket
            {
                Topic = "site/a/leak",
                Payload = "{\"leak\":true}"u8.ToArray(),
                QoS = MqttQualityOfService.AtLeastOnce,
                PacketId = 7,
                Dup = true,
                Properties = Props(() => new MqttProperties { PayloadFormatIndicator = 1, ContentType = "application/json", SubscriptionIdentifiers = [1, 300_000] }),
            },
            "publish-qos2" => new MqttPublishPacket { Topic = "a/b", Payload = new byte[] { 0, 1, 2 }, QoS = MqttQualityOfService.ExactlyOnce, PacketId = 65535 },
            "publish-empty" => new MqttPublishPacket { Topic = "a", Payload = ReadOnlyMemory<byte>.Empty },
            "puback" => new MqttPubAckPacket { PacketId = 1, ReasonCode = v5 ? MqttReasonCode.NoMatchingSubscribers : MqttReasonCode.Success },
            "pubrec" => new MqttPubRecPacket { PacketId = 2, Properties = Props(() => new MqttProperties { ReasonString = "ok" }) },
            "pubrel" => new MqttPubRelPacket { PacketId = 3 },
            "pubcomp" => new MqttPubCompPacket { PacketId = 4, ReasonCode = v5 ? MqttReasonCode.PacketIdentifierNotFound : MqttReasonCode.Success },
            "subscribe" => new MqttSubscribePacket
            {
                PacketId = 10,
                Subscriptions =
                [
                    new("site/+/probe/#", MqttQualityOfService.AtLeastOnce),
                    new("$share/servers/site/#", MqttQualityOfService.ExactlyOnce, false, v5, v5 ? MqttRetainHandling.DoNotSend : MqttRetainHandling.SendAtSubscribe),
                    new("a", MqttQualityOfService.AtMostOnce, v5),
                ],
                Properties = Props(() => new MqttProperties { SubscriptionIdentifiers = [42] }),
            },
            "suback" => new MqttSubAckPacket { PacketId = 10, ReasonCodes = [MqttReasonCode.GrantedQoS1, MqttReasonCode.GrantedQoS2, MqttReasonCode.UnspecifiedError] },
            "unsubscribe" => new MqttUnsubscribePacket { PacketId = 11, TopicFilters = ["site/+/probe/#", "a"] },
            "unsuback" => new MqttUnsubAckPacket { PacketId = 11, ReasonCodes = v5 ? [MqttReasonCode.Success, MqttReasonCode.NoSubscriptionExisted] : [] },
            "pingreq" => MqttPingReqPacket.Instance,
            "pingresp" => MqttPingRespPacket.Instance,
            "disconnect" => new MqttDisconnectPacket
            {
                ReasonCode = v5 ? MqttReasonCode.DisconnectWithWillMessage : MqttReasonCode.NormalDisconnection,
                Properties = Props(() => new MqttProperties { SessionExpiryInterval = 0, ReasonString = "bye" }),
            },
            "auth" => new MqttAuthPacket
            {
                ReasonCode = MqttReasonCode.ContinueAuthentication,
                Properties = new MqttProperties { AuthenticationMethod = "SCRAM-SHA-1", AuthenticationData = new byte[] { 9, 8, 7 } },
            },
            "auth-empty" => new MqttAuthPacket(),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
    }

    /// <summary>Field-by-field comparison (records compare payloads and lists by reference, so Equals is no use here).</summary>
    public static void AssertSameFields(MqttPacket expected, MqttPacket actual, MqttProtocolVersion version)
    {
        switch (expected)
        {
            case MqttConnectPacket c:
                var d = (MqttConnectPacket)actual;
                Assert.Equal(c.ProtocolVersion, d.ProtocolVersion);
                Assert.Equal(c.ClientId, d.ClientId);
                Assert.Equal(c.CleanStart, d.CleanStart);
                Assert.Equal(c.KeepAliveSeconds, d.KeepAliveSeconds);
                Assert.Equal(c.UserName, d.UserName);
                Assert.Equal(c.Password?.ToArray(), d.Password?.ToArray());
                Assert.Equal(c.Will?.Topic, d.Will?.Topic);
                Assert.Equal(c.Will?.Payload.ToArray(), d.Will?.Payload.ToArray());
                Assert.Equal(c.Will?.QoS, d.Will?.QoS);
                Assert.Equal(c.Will?.Retain, d.Will?.Retain);
                Assert.Equal(c.Will?.Properties?.WillDelayInterval, d.Will?.Properties?.WillDelayInterval);
                Assert.Equal(c.Properties?.SessionExpiryInterval, d.Properties?.SessionExpiryInterval);
                Assert.Equal(c.Properties?.UserProperties, d.Properties?.UserProperties);
                break;
            case MqttConnAckPacket a:
                var b = (MqttConnAckPacket)actual;
                Assert.Equal(a.SessionPresent, b.SessionPresent);
                Assert.Equal(version == MqttProtocolVersion.V500 ? a.ReasonCode : MqttReasonCodes.FromConnectReturnCode(a.ReturnCode), b.ReasonCode);
                Assert.Equal(a.Properties?.AssignedClientIdentifier, b.Properties?.AssignedClientIdentifier);
                break;
            case MqttPublishPacket p:
                var q = (MqttPublishPacket)actual;
                Assert.Equal(p.Topic, q.Topic);
                Assert.Equal(p.Payload.ToArray(), q.Payload.ToArray());
                Assert.Equal(p.QoS, q.QoS);
                Assert.Equal(p.Retain, q.Retain);
                Assert.Equal(p.Dup, q.Dup);
                Assert.Equal(p.PacketId, q.PacketId);
                Assert.Equal(p.Properties?.SubscriptionIdentifiers, q.Properties?.SubscriptionIdentifiers);
                break;
            case MqttPublishAckPacket x:
                var y = (MqttPublishAckPacket)actual;
                Assert.Equal(x.PacketId, y.PacketId);
                Assert.Equal(x.ReasonCode, y.ReasonCode);
                Assert.Equal(x.Properties?.ReasonString, y.Properties?.ReasonString);
                break;
            case MqttSubscribePacket s:
                var t = (MqttSubscribePacket)actual;
                Assert.Equal(s.PacketId, t.PacketId);
                Assert.Equal(s.Subscriptions, t.Subscriptions);
                break;
            case MqttSubAckPacket s:
                var t2 = (MqttSubAckPacket)actual;
                Assert.Equal(s.PacketId, t2.PacketId);
                Assert.Equal(s.ReasonCodes, t2.ReasonCodes);
                break;
            case MqttUnsubscribePacket u:
                Assert.Equal(u.TopicFilters, ((MqttUnsubscribePacket)actual).TopicFilters);
                break;
            case MqttUnsubAckPacket u:
                Assert.Equal(u.ReasonCodes, ((MqttUnsubAckPacket)actual).ReasonCodes);
                break;
            case MqttDisconnectPacket dc:
                Assert.Equal(version == MqttProtocolVersion.V500 ? dc.ReasonCode : MqttReasonCode.NormalDisconnection, ((MqttDisconnectPacket)actual).ReasonCode);
                break;
            case MqttAuthPacket au:
                Assert.Equal(au.ReasonCode, ((MqttAuthPacket)actual).ReasonCode);
                Assert.Equal(au.Properties?.AuthenticationMethod, ((MqttAuthPacket)actual).Properties?.AuthenticationMethod);
                break;
            default:
                Assert.Equal(expected.Type, actual.Type);
                break;
        }
    }
}
