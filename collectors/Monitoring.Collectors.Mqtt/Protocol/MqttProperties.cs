namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>A User Property (0x26): a name and value pair; order and duplicates are kept.</summary>
public readonly record struct MqttUserProperty(string Name, string Value);

/// <summary>
/// The properties of an MQTT 5.0 packet (section 2.2.2). Every property is optional: null means absent. Which ones a
/// packet may carry is in <see cref="MqttPropertyRules"/>; the decoder rejects the others. 3.1.1 has no properties.
/// </summary>
public sealed class MqttProperties
{
    public byte? PayloadFormatIndicator { get; set; }
    public uint? MessageExpiryInterval { get; set; }
    public string? ContentType { get; set; }
    public string? ResponseTopic { get; set; }
    public ReadOnlyMemory<byte>? CorrelationData { get; set; }

    /// <summary>One in SUBSCRIBE; in PUBLISH one for each matching subscription that had one.</summary>
    public IReadOnlyList<uint>? SubscriptionIdentifiers { get; set; }

    public uint? SessionExpiryInterval { get; set; }
    public string? AssignedClientIdentifier { get; set; }
    public ushort? ServerKeepAlive { get; set; }
    public string? AuthenticationMethod { get; set; }
    public ReadOnlyMemory<byte>? AuthenticationData { get; set; }
    public byte? RequestProblemInformation { get; set; }
    public uint? WillDelayInterval { get; set; }
    public byte? RequestResponseInformation { get; set; }
    public string? ResponseInformation { get; set; }
    public string? ServerReference { get; set; }
    public string? ReasonString { get; set; }
    public ushort? ReceiveMaximum { get; set; }
    public ushort? TopicAliasMaximum { get; set; }
    public ushort? TopicAlias { get; set; }
    public byte? MaximumQoS { get; set; }
    public byte? RetainAvailable { get; set; }
    public IReadOnlyList<MqttUserProperty>? UserProperties { get; set; }
    public uint? MaximumPacketSize { get; set; }
    public byte? WildcardSubscriptionAvailable { get; set; }
    public byte? SubscriptionIdentifierAvailable { get; set; }
    public byte? SharedSubscriptionAvailable { get; set; }

    /// <summary>Largest Variable Byte Integer (Subscription Identifier upper bound).</summary>
    public const uint MaxVariableByteInteger = 268_435_455;

    /// <summary>Bytes of the property list with its length prefix; 1 (a zero length) for null or empty properties.</summary>
    internal static int GetSizeWithPrefix(MqttProperties? properties)
    {
        var size = properties?.GetContentSize() ?? 0;
        return MqttSpanWriter.VariableByteIntegerSize((uint)size) + size;
    }

    internal static void WriteWithPrefix(ref MqttSpanWriter writer, MqttProperties? properties)
    {
        if (properties is null)
        {
            writer.WriteByte(0);
            return;
        }

        writer.WriteVariableByteInteger((uint)properties.GetContentSize());
        properties.WriteContent(ref writer);
    }

    private int GetContentSize()
    {
        var size = 0;
        size += Byte(PayloadFormatIndicator) + Four(MessageExpiryInterval) + Str(ContentType, "Content Type") + Str(ResponseTopic, "Response Topic");
        size += Bin(CorrelationData) + Four(SessionExpiryInterval) + Str(AssignedClientIdentifier, "Assigned Client Identifier") + Two(ServerKeepAlive);
        size += Str(AuthenticationMethod, "Authentication Method") + Bin(AuthenticationData) + Byte(RequestProblemInformation) + Four(WillDelayInterval);
        size += Byte(RequestResponseInformation) + Str(ResponseInformation, "Response Information") + Str(ServerReference, "Server Reference");
        size += Str(ReasonString, "Reason String") + Two(ReceiveMaximum) + Two(TopicAliasMaximum) + Two(TopicAlias) + Byte(MaximumQoS);
        size += Byte(RetainAvailable) + Four(MaximumPacketSize) + Byte(WildcardSubscriptionAvailable) + Byte(SubscriptionIdentifierAvailable);
        size += Byte(SharedSubscriptionAvailable);
        if (SubscriptionIdentifiers is { } ids)
        {
            foreach (var id in ids)
            {
                if (id is 0 or > MaxVariableByteInteger)
                {
                    throw new ArgumentException("Subscription Identifier must be 1 to 268,435,455.", nameof(SubscriptionIdentifiers));
                }

                size += 1 + MqttSpanWriter.VariableByteIntegerSize(id);
            }
        }

        if (UserProperties is { } users)
        {
            foreach (var user in users)
            {
                size += 1 + 2 + MqttUtf8.GetEncodedLength(user.Name, "User Property name") + 2 + MqttUtf8.GetEncodedLength(user.Value, "User Property value");
            }
        }

        return size;

        static int Byte(byte? v) => v.HasValue ? 2 : 0;
        static int Two(ushort? v) => v.HasValue ? 3 : 0;
        static int Four(uint? v) => v.HasValue ? 5 : 0;
        static int Str(string? v, string what) => v is null ? 0 : 3 + MqttUtf8.GetEncodedLength(v, what);
        static int Bin(ReadOnlyMemory<byte>? v) => v.HasValue ? 3 + CheckedBinaryLength(v.Value.Length) : 0;
    }

    private static int CheckedBinaryLength(int length) =>
        length <= ushort.MaxValue ? length : throw new ArgumentException("Binary Data is longer than 65,535 bytes.");

    private void WriteContent(ref MqttSpanWriter w)
    {
        WriteByte(ref w, MqttPropertyId.PayloadFormatIndicator, PayloadFormatIndicator);
        WriteFour(ref w, MqttPropertyId.MessageExpiryInterval, MessageExpiryInterval);
        WriteStr(ref w, MqttPropertyId.ContentType, ContentType);
        WriteStr(ref w, MqttPropertyId.ResponseTopic, ResponseTopic);
        WriteBin(ref w, MqttPropertyId.CorrelationData, CorrelationData);
        if (SubscriptionIdentifiers is { } ids)
        {
            foreach (var id in ids)
            {
                w.WriteByte((byte)MqttPropertyId.SubscriptionIdentifier);
                w.WriteVariableByteInteger(id);
            }
        }

        WriteFour(ref w, MqttPropertyId.SessionExpiryInterval, SessionExpiryInterval);
        WriteStr(ref w, MqttPropertyId.AssignedClientIdentifier, AssignedClientIdentifier);
        WriteTwo(ref w, MqttPropertyId.ServerKeepAlive, ServerKeepAlive);
        WriteStr(ref w, MqttPropertyId.AuthenticationMethod, AuthenticationMethod);
        WriteBin(ref w, MqttPropertyId.AuthenticationData, AuthenticationData);
        WriteByte(ref w, MqttPropertyId.RequestProblemInformation, RequestProblemInformation);
        WriteFour(ref w, MqttPropertyId.WillDelayInterval, WillDelayInterval);
        WriteByte(ref w, MqttPropertyId.RequestResponseInformation, RequestResponseInformation);
        WriteStr(ref w, MqttPropertyId.ResponseInformation, ResponseInformation);
        WriteStr(ref w, MqttPropertyId.ServerReference, ServerReference);
        WriteStr(ref w, MqttPropertyId.ReasonString, ReasonString);
        WriteTwo(ref w, MqttPropertyId.ReceiveMaximum, ReceiveMaximum);
        WriteTwo(ref w, MqttPropertyId.TopicAliasMaximum, TopicAliasMaximum);
        WriteTwo(ref w, MqttPropertyId.TopicAlias, TopicAlias);
        WriteByte(ref w, MqttPropertyId.MaximumQoS, MaximumQoS);
        WriteByte(ref w, MqttPropertyId.RetainAvailable, RetainAvailable);
        if (UserProperties is { } users)
        {
            foreach (var user in users)
            {
                w.WriteByte((byte)MqttPropertyId.UserProperty);
                w.WriteString(user.Name);
                w.WriteString(user.Value);
            }
        }

        WriteFour(ref w, MqttPropertyId.MaximumPacketSize, MaximumPacketSize);
        WriteByte(ref w, MqttPropertyId.WildcardSubscriptionAvailable, WildcardSubscriptionAvailable);
        WriteByte(ref w, MqttPropertyId.SubscriptionIdentifierAvailable, SubscriptionIdentifierAvailable);
        WriteByte(ref w, MqttPropertyId.SharedSubscriptionAvailable, SharedSubscriptionAvailable);

        static void WriteByte(ref MqttSpanWriter w, MqttPropertyId id, byte? v)
        {
            if (v.HasValue)
            {
                w.WriteByte((byte)id);
                w.WriteByte(v.Value);
            }
        }

        static void WriteTwo(ref MqttSpanWriter w, MqttPropertyId id, ushort? v)
        {
            if (v.HasValue)
            {
                w.WriteByte((byte)id);
                w.WriteUInt16(v.Value);
            }
        }

        static void WriteFour(ref MqttSpanWriter w, MqttPropertyId id, uint? v)
        {
            if (v.HasValue)
            {
                w.WriteByte((byte)id);
                w.WriteUInt32(v.Value);
            }
        }

        static void WriteStr(ref MqttSpanWriter w, MqttPropertyId id, string? v)
        {
            if (v is not null)
            {
                w.WriteByte((byte)id);
                w.WriteString(v);
            }
        }

        static void WriteBin(ref MqttSpanWriter w, MqttPropertyId id, ReadOnlyMemory<byte>? v)
        {
            if (v.HasValue)
            {
                w.WriteByte((byte)id);
                w.WriteBinary(v.Value.Span);
            }
        }
    }

    /// <summary>
    /// Reads a property list (length prefix included) for a packet of type <paramref name="packet"/>. Returns null when
    /// the list is empty. Unknown or misplaced identifiers are Malformed Packet; duplicates and forbidden values are
    /// Protocol Error, as section 2.2.2.2 and 3.x describe.
    /// </summary>
    internal static MqttProperties? Read(ref MqttSpanReader r, MqttPacketType packet, bool will = false)
    {
        var length = r.ReadVariableByteInteger();
        if (r.Failed || length == 0)
        {
            return null;
        }

        if (length > r.Remaining)
        {
            r.Fail(MqttDecodeError.Malformed("property length runs past the end of the packet"));
            return null;
        }

        var inner = new MqttSpanReader(r.ReadBytes((int)length));
        var p = new MqttProperties();
        List<uint>? subscriptionIds = null;
        List<MqttUserProperty>? users = null;
        var seen = 0UL;
        while (inner.Remaining > 0 && !inner.Failed)
        {
            var idValue = inner.ReadVariableByteInteger();
            if (inner.Failed)
            {
                break;
            }

            var id = (MqttPropertyId)idValue;
            if (idValue > 0x7F || MqttPropertyRules.TypeOf(id) is null)
            {
                inner.Fail(MqttDecodeError.Malformed($"unknown property identifier 0x{idValue:X2}"));
                break;
            }

            if (!MqttPropertyRules.IsAllowed(id, packet, will))
            {
                inner.Fail(MqttDecodeError.Malformed($"property {id} is not allowed in {(will ? "Will Properties" : packet.ToString())}"));
                break;
            }

            var bit = 1UL << (int)idValue;
            var repeatable = id == MqttPropertyId.UserProperty || (id == MqttPropertyId.SubscriptionIdentifier && packet == MqttPacketType.Publish);
            if ((seen & bit) != 0 && !repeatable)
            {
                inner.Fail(MqttDecodeError.Protocol($"property {id} appears more than once"));
                break;
            }

            seen |= bit;
            switch (id)
            {
                case MqttPropertyId.PayloadFormatIndicator: p.PayloadFormatIndicator = ZeroOrOne(ref inner, id); break;
                case MqttPropertyId.MessageExpiryInterval: p.MessageExpiryInterval = inner.ReadUInt32(); break;
                case MqttPropertyId.ContentType: p.ContentType = inner.ReadString(); break;
                case MqttPropertyId.ResponseTopic:
                    p.ResponseTopic = inner.ReadString();
                    if (!inner.Failed && !MqttTopic.IsValidTopicName(p.ResponseTopic))
                    {
                        inner.Fail(MqttDecodeError.Protocol("Response Topic is not a valid topic name"));
                    }

                    break;
                case MqttPropertyId.CorrelationData: p.CorrelationData = inner.ReadBinary().ToArray(); break;
                case MqttPropertyId.SubscriptionIdentifier:
                    var sid = inner.ReadVariableByteInteger();
                    if (!inner.Failed && sid == 0)
                    {
                        inner.Fail(MqttDecodeError.Protocol("Subscription Identifier of 0"));
                    }

                    (subscriptionIds ??= []).Add(sid);
                    break;
                case MqttPropertyId.SessionExpiryInterval: p.SessionExpiryInterval = inner.ReadUInt32(); break;
                case MqttPropertyId.AssignedClientIdentifier: p.AssignedClientIdentifier = inner.ReadString(); break;
                case MqttPropertyId.ServerKeepAlive: p.ServerKeepAlive = inner.ReadUInt16(); break;
                case MqttPropertyId.AuthenticationMethod: p.AuthenticationMethod = inner.ReadString(); break;
                case MqttPropertyId.AuthenticationData: p.AuthenticationData = inner.ReadBinary().ToArray(); break;
                case MqttPropertyId.RequestProblemInformation: p.RequestProblemInformation = ZeroOrOne(ref inner, id); break;
                case MqttPropertyId.WillDelayInterval: p.WillDelayInterval = inner.ReadUInt32(); break;
                case MqttPropertyId.RequestResponseInformation: p.RequestResponseInformation = ZeroOrOne(ref inner, id); break;
                case MqttPropertyId.ResponseInformation: p.ResponseInformation = inner.ReadString(); break;
                case MqttPropertyId.ServerReference: p.ServerReference = inner.ReadString(); break;
                case MqttPropertyId.ReasonString: p.ReasonString = inner.ReadString(); break;
                case MqttPropertyId.ReceiveMaximum: p.ReceiveMaximum = NonZero16(ref inner, id); break;
                case MqttPropertyId.TopicAliasMaximum: p.TopicAliasMaximum = inner.ReadUInt16(); break;
                case MqttPropertyId.TopicAlias: p.TopicAlias = NonZero16(ref inner, id); break;
                case MqttPropertyId.MaximumQoS: p.MaximumQoS = ZeroOrOne(ref inner, id); break;
                case MqttPropertyId.RetainAvailable: p.RetainAvailable = ZeroOrOne(ref inner, id); break;
                case MqttPropertyId.UserProperty:
                    var name = inner.ReadString();
                    var value = inner.ReadString();
                    (users ??= []).Add(new MqttUserProperty(name, value));
                    break;
                case MqttPropertyId.MaximumPacketSize:
                    p.MaximumPacketSize = inner.ReadUInt32();
                    if (!inner.Failed && p.MaximumPacketSize == 0)
                    {
                        inner.Fail(MqttDecodeError.Protocol("Maximum Packet Size of 0"));
                    }

                    break;
                case MqttPropertyId.WildcardSubscriptionAvailable: p.WildcardSubscriptionAvailable = ZeroOrOne(ref inner, id); break;
                case MqttPropertyId.SubscriptionIdentifierAvailable: p.SubscriptionIdentifierAvailable = ZeroOrOne(ref inner, id); break;
                case MqttPropertyId.SharedSubscriptionAvailable: p.SharedSubscriptionAvailable = ZeroOrOne(ref inner, id); break;
                default: break;
            }
        }

        if (inner.Failed)
        {
            r.Fail(inner.Error);
            return null;
        }

        p.SubscriptionIdentifiers = subscriptionIds;
        p.UserProperties = users;
        return p;

        static byte ZeroOrOne(ref MqttSpanReader reader, MqttPropertyId id)
        {
            var b = reader.ReadByte();
            if (!reader.Failed && b > 1)
            {
                reader.Fail(MqttDecodeError.Protocol($"{id} must be 0 or 1, was {b}"));
            }

            return b;
        }

        static ushort NonZero16(ref MqttSpanReader reader, MqttPropertyId id)
        {
            var v = reader.ReadUInt16();
            if (!reader.Failed && v == 0)
            {
                reader.Fail(MqttDecodeError.Protocol($"{id} of 0"));
            }

            return v;
        }
    }
}
