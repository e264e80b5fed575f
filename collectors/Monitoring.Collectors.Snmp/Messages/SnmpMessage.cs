namespace Monitoring.Collectors.Snmp;

/// <summary>
/// A decoded or to-be-encoded SNMP message. For v1/v2c it carries the community; for v3 the header, the USM
/// security parameters and the scoped-PDU context. <see cref="ToString"/> never shows the community.
/// </summary>
public sealed class SnmpMessage
{
    private SnmpMessage(SnmpVersion version, SnmpPdu pdu)
    {
        Version = version;
        Pdu = pdu;
    }

    public SnmpVersion Version { get; }

    public SnmpPdu Pdu { get; }

    /// <summary>v1/v2c community (a secret: never logged).</summary>
    public ReadOnlyMemory<byte> Community { get; private init; }

    public SnmpV3Header? Header { get; private init; }

    public UsmSecurityParameters? Security { get; private init; }

    public ReadOnlyMemory<byte> ContextEngineId { get; private init; }

    public ReadOnlyMemory<byte> ContextName { get; private init; }

    public static SnmpMessage ForCommunity(SnmpVersion version, ReadOnlyMemory<byte> community, SnmpPdu pdu)
    {
        if (version == SnmpVersion.V3)
        {
            throw new ArgumentException("Community messages are v1 or v2c.", nameof(version));
        }

        return new SnmpMessage(version, pdu) { Community = community };
    }

    public static SnmpMessage ForV3(SnmpV3Header header, UsmSecurityParameters security, ReadOnlyMemory<byte> contextEngineId, ReadOnlyMemory<byte> contextName, SnmpPdu pdu) =>
        new(SnmpVersion.V3, pdu) { Header = header, Security = security, ContextEngineId = contextEngineId, ContextName = contextName };

    public override string ToString() => Version == SnmpVersion.V3
        ? $"v3 msgId={Header?.MessageId} user={Security?.UserNameText} {Pdu}"
        : $"{Version} {Pdu}";
}

/// <summary>msgGlobalData of a v3 message (RFC 3412 §6).</summary>
public sealed record SnmpV3Header(int MessageId, int MaxSize, byte Flags, int SecurityModel)
{
    public const byte AuthFlag = 0x01;
    public const byte PrivFlag = 0x02;
    public const byte ReportableFlag = 0x04;
    public const int UsmSecurityModel = 3;

    public bool IsAuthenticated => (Flags & AuthFlag) != 0;

    public bool IsEncrypted => (Flags & PrivFlag) != 0;

    public bool IsReportable => (Flags & ReportableFlag) != 0;
}

/// <summary>UsmSecurityParameters (RFC 3414 §2.4).</summary>
public sealed class UsmSecurityParameters
{
    public UsmSecurityParameters(byte[] engineId, int engineBoots, int engineTime, byte[] userName, byte[] authenticationParameters, byte[] privacyParameters)
    {
        EngineId = engineId;
        EngineBoots = engineBoots;
        EngineTime = engineTime;
        UserName = userName;
        AuthenticationParameters = authenticationParameters;
        PrivacyParameters = privacyParameters;
    }

    public byte[] EngineId { get; }

    public int EngineBoots { get; }

    public int EngineTime { get; }

    public byte[] UserName { get; }

    public string UserNameText => System.Text.Encoding.UTF8.GetString(UserName);

    public byte[] AuthenticationParameters { get; }

    public byte[] PrivacyParameters { get; }
}
