using System.Net;
using Monitoring.Collectors.Snmp.Security;

namespace Monitoring.Collectors.Snmp.Traps;

/// <summary>Options of an <see cref="SnmpTrapListener"/>. Communities and users are secrets and never logged.</summary>
public sealed class SnmpTrapListenerOptions
{
    /// <summary>Where to listen (UDP 162 in production; a free port in tests).</summary>
    public IPEndPoint LocalEndPoint { get; init; } = new(IPAddress.Any, 162);

    /// <summary>Communities accepted from v1/v2c senders. Empty accepts none.</summary>
    public IReadOnlyCollection<string> Communities { get; init; } = [];

    /// <summary>USM users accepted for v3 traps (noAuthNoPriv traps are accepted when the user has no auth protocol).</summary>
    public IReadOnlyCollection<UsmUser> Users { get; init; } = [];

    /// <summary>Notifications buffered for the reader; when full, new ones are dropped and counted.</summary>
    public int Capacity { get; init; } = 10_000;

    /// <summary>At most this many distinct sender engine ids get localised keys per user (a bound on work per forged id).</summary>
    public int MaxEnginesPerUser { get; init; } = 1024;
}
