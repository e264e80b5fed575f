namespace Monitoring.Collectors.Snmp.Security;

/// <summary>The usmStats and snmpMPDStats counters an agent names in a Report PDU (RFC 3414 §5, RFC 3412 §5).</summary>
public static class UsmStatistics
{
    public static readonly Oid UnsupportedSecLevels = Oid.Parse("1.3.6.1.6.3.15.1.1.1.0");
    public static readonly Oid NotInTimeWindows = Oid.Parse("1.3.6.1.6.3.15.1.1.2.0");
    public static readonly Oid UnknownUserNames = Oid.Parse("1.3.6.1.6.3.15.1.1.3.0");
    public static readonly Oid UnknownEngineIds = Oid.Parse("1.3.6.1.6.3.15.1.1.4.0");
    public static readonly Oid WrongDigests = Oid.Parse("1.3.6.1.6.3.15.1.1.5.0");
    public static readonly Oid DecryptionErrors = Oid.Parse("1.3.6.1.6.3.15.1.1.6.0");
    public static readonly Oid UnknownSecurityModels = Oid.Parse("1.3.6.1.6.3.11.2.1.1.0");
    public static readonly Oid InvalidMessages = Oid.Parse("1.3.6.1.6.3.11.2.1.2.0");
    public static readonly Oid UnknownPduHandlers = Oid.Parse("1.3.6.1.6.3.11.2.1.3.0");
}
