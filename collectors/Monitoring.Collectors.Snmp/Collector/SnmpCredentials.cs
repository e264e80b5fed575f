using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Security;

namespace Monitoring.Collectors.Snmp.Collector;

/// <summary>
/// What a device is polled with: a v1/v2c community or a v3 user. Built from configuration by reference name
/// (e.g. "demo-v3"); the secrets stay out of room files, <see cref="ToString"/> and log lines.
/// </summary>
public sealed class SnmpCredentials
{
    private readonly string? _community;

    private SnmpCredentials(string name, SnmpVersion version, string? community, UsmUser? user)
    {
        Name = name;
        Version = version;
        _community = community;
        User = user;
    }

    /// <summary>The reference name, e.g. "demo-v2c".</summary>
    public string Name { get; }

    public SnmpVersion Version { get; }

    public UsmUser? User { get; }

    public static SnmpCredentials Community(string name, SnmpVersion version, string community)
    {
        ArgumentException.ThrowIfNullOrEmpty(community);
        if (version == SnmpVersion.V3)
        {
            throw new ArgumentException("a community is for SNMPv1 or v2c", nameof(version));
        }

        return new SnmpCredentials(name, version, community, null);
    }

    public static SnmpCredentials V3(string name, UsmUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new SnmpCredentials(name, SnmpVersion.V3, null, user);
    }

    /// <summary>The v1/v2c community (a secret: never log it), or null for v3.</summary>
    public string? CommunitySecret => _community;

    /// <summary>A target for one device with these credentials and a profile's timing.</summary>
    public SnmpTarget Target(System.Net.IPEndPoint endPoint, TimeSpan timeout, int retries, int maxRepetitions) =>
        User is not null
            ? new SnmpTarget(endPoint, User) { Timeout = timeout, Retries = retries, MaxRepetitions = maxRepetitions }
            : new SnmpTarget(endPoint, Version, _community!) { Timeout = timeout, Retries = retries, MaxRepetitions = maxRepetitions };

    public override string ToString() => User is not null ? $"{Name} (v3 user {User.UserName})" : $"{Name} ({Version} community)";
}
