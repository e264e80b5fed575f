using System.Net;
using System.Text;
using Monitoring.Collectors.Snmp.Security;

namespace Monitoring.Collectors.Snmp.Client;

/// <summary>
/// An agent to talk to and how: version, community or USM user, timeout, retries. <see cref="ToString"/> shows the
/// address, version and user name only, never a community or a password.
/// </summary>
public sealed class SnmpTarget
{
    /// <summary>A v1 or v2c target.</summary>
    public SnmpTarget(IPEndPoint endPoint, SnmpVersion version, string community)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(community);
        if (version == SnmpVersion.V3)
        {
            throw new ArgumentException("Use the USM constructor for v3.", nameof(version));
        }

        EndPoint = endPoint;
        Version = version;
        CommunityBytes = Encoding.UTF8.GetBytes(community);
    }

    /// <summary>A v3 target with a USM user.</summary>
    public SnmpTarget(IPEndPoint endPoint, UsmUser user, string contextName = "")
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(user);
        EndPoint = endPoint;
        Version = SnmpVersion.V3;
        User = user;
        CommunityBytes = [];
        ContextName = Encoding.UTF8.GetBytes(contextName ?? string.Empty);
    }

    public IPEndPoint EndPoint { get; }

    public SnmpVersion Version { get; }

    public UsmUser? User { get; }

    internal byte[] CommunityBytes { get; }

    internal byte[] ContextName { get; } = [];

    /// <summary>How long to wait for each attempt's answer.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Attempts after the first; each retry uses a new request id.</summary>
    public int Retries { get; init; } = 1;

    /// <summary>max-repetitions for GETBULK walks.</summary>
    public int MaxRepetitions { get; init; } = 25;

    /// <summary>Variable bindings per GET before a request is split into several PDUs.</summary>
    public int MaxVarBindsPerRequest { get; init; } = 32;

    public override string ToString() => Version == SnmpVersion.V3
        ? $"v3 {EndPoint} user {User?.UserName}"
        : $"{Version} {EndPoint}";
}
