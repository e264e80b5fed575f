using System.Net;

namespace Monitoring.Collectors.Snmp.Traps;

/// <summary>
/// A received trap or inform. v1 traps are given the SNMPv2 shape too (RFC 3584 §3.1): <see cref="TrapOid"/> is
/// the generic trap's OID, or enterprise.0.specific-trap for enterprise-specific traps.
/// </summary>
public sealed record SnmpNotification(
    IPEndPoint Source,
    SnmpVersion Version,
    SnmpPduType PduType,
    Oid TrapOid,
    uint UpTime,
    IReadOnlyList<VarBind> VarBinds,
    TrapV1Header? V1,
    string? UserName)
{
    /// <summary>sysUpTime.0, the first binding of an SNMPv2 notification.</summary>
    public static readonly Oid SysUpTime = Oid.Parse("1.3.6.1.2.1.1.3.0");

    /// <summary>snmpTrapOID.0, the second binding of an SNMPv2 notification.</summary>
    public static readonly Oid SnmpTrapOid = Oid.Parse("1.3.6.1.6.3.1.1.4.1.0");

    private static readonly Oid GenericTrapPrefix = Oid.Parse("1.3.6.1.6.3.1.1.5");

    internal static Oid TrapOidOf(TrapV1Header v1) => v1.GenericTrap is >= 0 and <= 5
        ? GenericTrapPrefix.Append((uint)v1.GenericTrap + 1)
        : v1.Enterprise.Append(0).Append((uint)v1.SpecificTrap);
}
