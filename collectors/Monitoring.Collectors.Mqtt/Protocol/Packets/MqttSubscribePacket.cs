namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>One topic filter of a SUBSCRIBE with its options (No Local, Retain As Published and Retain Handling are 5.0).</summary>
public readonly record struct MqttTopicSubscription(
    string TopicFilter,
    MqttQualityOfService QoS = MqttQualityOfService.AtMostOnce,
    bool NoLocal = false,
    bool RetainAsPublished = false,
    MqttRetainHandling RetainHandling = MqttRetainHandling.SendAtSubscribe);

/// <summary>
/// SUBSCRIBE. The decoder checks the UTF-8 of each filter and the option bits; whether a filter is a valid topic filter
/// is the receiver's decision (<see cref="MqttTopic.IsValidTopicFilter"/>), so a 5.0 server can answer 0x8F for it.
/// </summary>
public sealed record MqttSubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Subscribe;

    public ushort PacketId { get; init; }
    public IReadOnlyList<MqttTopicSubscription> Subscriptions { get; init; } = [];
    public MqttProperties? Properties { get; init; }

    internal override byte FixedHeaderFlags => 0x02;

    internal override int GetBodySize(MqttProtocolVersion version)
    {
        RequirePacketId(PacketId, Type);
        if (Subscriptions.Count == 0)
        {
            throw new InvalidOperationException("SUBSCRIBE needs at least one topic filter.");
        }

        var size = 2 + (IsV5(version) ? MqttProperties.GetSizeWithPrefix(Properties) : 0);
        foreach (var s in Subscriptions)
        {
            size += StringSize(s.TopicFilter, nameof(s.TopicFilter)) + 1;
        }

        return size;
    }

    internal override void WriteBody(ref MqttSpanWriter w, MqttProtocolVersion version)
    {
        w.WriteUInt16(PacketId);
        if (IsV5(version))
        {
            MqttProperties.WriteWithPrefix(ref w, Properties);
        }

        foreach (var s in Subscriptions)
        {
            w.WriteString(s.TopicFilter);
            var options = (int)s.QoS;
            if (IsV5(version))
            {
                options |= (s.NoLocal ? 0x04 : 0) | (s.RetainAsPublished ? 0x08 : 0) | ((int)s.RetainHandling << 4);
            }

            w.WriteByte((byte)options);
        }
    }

    internal static MqttSubscribePacket? Decode(ref MqttSpanReader r, MqttProtocolVersion version)
    {
        var v5 = IsV5(version);
        var packetId = ReadPacketId(ref r);
        var properties = v5 ? MqttProperties.Read(ref r, MqttPacketType.Subscribe) : null;
        if (r.Failed)
        {
            return null;
        }

        if (r.Remaining == 0)
        {
            r.Fail(MqttDecodeError.Protocol("SUBSCRIBE without a topic filter"));
            return null;
        }

        var list = new List<MqttTopicSubscription>(1);
        while (r.Remaining > 0)
        {
            var filter = r.ReadString();
            var options = r.ReadByte();
            if (r.Failed)
            {
                return null;
            }

            var qos = options & 0x03;
            if (qos == 3)
            {
                r.Fail(MqttDecodeError.Malformed("subscription QoS 3"));
                return null;
            }

            if ((options & (v5 ? 0xC0 : 0xFC)) != 0)
            {
                r.Fail(MqttDecodeError.Malformed("subscription options reserved bits are set"));
                return null;
            }

            var noLocal = (options & 0x04) != 0;
            var retainHandling = (options >> 4) & 0x03;
            if (retainHandling == 3)
            {
                r.Fail(MqttDecodeError.Protocol("Retain Handling 3"));
                return null;
            }

            if (noLocal && filter.StartsWith(MqttTopic.SharePrefix, StringComparison.Ordinal))
            {
                r.Fail(MqttDecodeError.Protocol("No Local on a shared subscription"));
                return null;
            }

            list.Add(new MqttTopicSubscription(filter, (MqttQualityOfService)qos, noLocal, (options & 0x08) != 0, (MqttRetainHandling)retainHandling));
        }

        return new MqttSubscribePacket { PacketId = packetId, Subscriptions = list, Properties = properties };
    }
}
