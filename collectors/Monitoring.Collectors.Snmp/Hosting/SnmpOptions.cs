using Monitoring.Collectors.Snmp.Profiles;

namespace Monitoring.Collectors.Snmp.Hosting;

/// <summary>The "Monitoring:Snmp" section. Credentials are not here: see <see cref="SnmpCredentialStore"/>.</summary>
public sealed class SnmpOptions
{
    public const string Section = "Monitoring:Snmp";

    /// <summary>Poll the room's SNMP devices. Null (the default) = only with the simulator, whose agents serve them on loopback.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Overrides every profile's interval (seconds, at least 1); null = the profile's (the demo uses 10 s).</summary>
    public int? IntervalSeconds { get; set; }

    internal static IEnumerable<string> Validate(SnmpOptions options)
    {
        if (options.IntervalSeconds is < 1)
        {
            yield return $"{Section}:IntervalSeconds must be at least 1 (seconds), or unset for each profile's own interval; it is {options.IntervalSeconds}";
        }
    }
}

/// <summary>The loaded SNMP profiles, by id ("snmp/host").</summary>
public sealed class SnmpProfileSet(IReadOnlyDictionary<string, SnmpProfile> profiles)
{
    public IReadOnlyDictionary<string, SnmpProfile> Profiles { get; } = profiles;

    public static SnmpProfileSet Load(string profilesDirectory) => new(SnmpProfileLoader.LoadFolder(profilesDirectory));
}
