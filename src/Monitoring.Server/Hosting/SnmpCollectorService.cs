using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Monitoring.Collectors;
using Monitoring.Collectors.Snmp;
using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Collectors.Snmp.Security;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Simulator.Snmp;

namespace Monitoring.Server.Hosting;

/// <summary>The "Monitoring:Snmp" section. Credentials are not here: see <see cref="SnmpCredentialStore"/>.</summary>
public sealed class SnmpOptions
{
    /// <summary>Poll the room's SNMP devices. Null (the default) = only with the simulator, whose agents serve them on loopback.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Overrides every profile's interval (seconds); null = the profile's (the demo uses 10 s).</summary>
    public int? IntervalSeconds { get; set; }
}

/// <summary>The loaded SNMP profiles, by id ("snmp/host").</summary>
public sealed class SnmpProfileSet(IReadOnlyDictionary<string, SnmpProfile> profiles)
{
    public IReadOnlyDictionary<string, SnmpProfile> Profiles { get; } = profiles;
}

/// <summary>
/// SNMP credentials by reference name, from configuration: <c>Monitoring:Snmp:Credentials:NAME:</c> <c>Version</c>
/// (1, 2c, 3), <c>Community</c>, or <c>User</c>, <c>Auth</c> (MD5, SHA, SHA-256), <c>AuthPassword</c>, <c>Priv</c>
/// (DES, AES), <c>PrivPassword</c>; environment variables work the same way
/// (<c>MONITORING__SNMP__CREDENTIALS__demo-v3__AUTHPASSWORD</c>). Room and profile files name a reference, never a secret.
/// </summary>
public sealed class SnmpCredentialStore
{
    public const string Section = "Monitoring:Snmp:Credentials";
    private readonly Dictionary<string, SnmpCredentials> _byName = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];

    public SnmpCredentialStore(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var entry in configuration.GetSection(Section).GetChildren())
        {
            try
            {
                _byName[entry.Key] = Parse(entry);
            }
            catch (ArgumentException ex)
            {
                _problems.Add($"credentials '{entry.Key}': {ex.Message}");
            }
        }
    }

    /// <summary>Configuration entries that could not be used (they name the entry and the field, never a value).</summary>
    public IReadOnlyList<string> Problems => _problems;

    public SnmpCredentials? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// For the demo: "demo-v2c" and "demo-v3" exist afterwards. Those not configured get random secrets for this run
    /// only, shared by the simulator's agents and the collector.
    /// </summary>
    public (SnmpCredentials V2c, SnmpCredentials V3) EnsureDemo()
    {
        if (!_byName.TryGetValue("demo-v2c", out var v2c))
        {
            v2c = SnmpCredentials.Community("demo-v2c", SnmpVersion.V2c, "demo-" + RandomNumberGenerator.GetHexString(16, lowercase: true));
            _byName["demo-v2c"] = v2c;
        }

        if (!_byName.TryGetValue("demo-v3", out var v3) || v3.User is null)
        {
            v3 = SnmpCredentials.V3("demo-v3", new UsmUser(
                "demo", SnmpAuthProtocol.Sha256, RandomNumberGenerator.GetHexString(24), SnmpPrivProtocol.Aes128, RandomNumberGenerator.GetHexString(24)));
            _byName["demo-v3"] = v3;
        }

        return (v2c, v3);
    }

    private static SnmpCredentials Parse(IConfigurationSection entry)
    {
        var version = (entry["Version"] ?? (entry["User"] is null ? "2c" : "3")).Trim().ToLowerInvariant();
        switch (version)
        {
            case "1" or "v1":
                return SnmpCredentials.Community(entry.Key, SnmpVersion.V1, entry["Community"] ?? throw new ArgumentException("'Community' is missing"));
            case "2c" or "v2c" or "2":
                return SnmpCredentials.Community(entry.Key, SnmpVersion.V2c, entry["Community"] ?? throw new ArgumentException("'Community' is missing"));
            case "3" or "v3":
                var user = entry["User"] ?? throw new ArgumentException("'User' is missing");
                var auth = ParseAuth(entry["Auth"]);
                var priv = ParsePriv(entry["Priv"]);
                return SnmpCredentials.V3(entry.Key, new UsmUser(user, auth, entry["AuthPassword"], priv, entry["PrivPassword"]));
            default:
                throw new ArgumentException("'Version' must be 1, 2c or 3");
        }
    }

    internal static SnmpAuthProtocol ParseAuth(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        null or "" or "NONE" => SnmpAuthProtocol.None,
        "MD5" => SnmpAuthProtocol.Md5,
        "SHA" or "SHA1" or "SHA-1" => SnmpAuthProtocol.Sha1,
        "SHA-256" or "SHA256" => SnmpAuthProtocol.Sha256,
        _ => throw new ArgumentException("'Auth' must be MD5, SHA or SHA-256"),
    };

    internal static SnmpPrivProtocol ParsePriv(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        null or "" or "NONE" => SnmpPrivProtocol.None,
        "DES" => SnmpPrivProtocol.Des,
        "AES" or "AES128" or "AES-128" => SnmpPrivProtocol.Aes128,
        _ => throw new ArgumentException("'Priv' must be DES or AES"),
    };
}

/// <summary>
/// Polls every SNMP device of the loaded rooms whose profile is loaded, on the <see cref="PollScheduler"/>, into the
/// pipeline; each poll's outcome goes to <see cref="PollHealth"/> (shown in /healthz). With the demo simulator, the
/// simulated agents are started first and the collector polls their loopback endpoints instead of the room's addresses.
/// </summary>
internal sealed partial class SnmpCollectorService(
    Inventory inventory,
    SeriesRegistry registry,
    SnmpProfileSet profiles,
    SnmpCredentialStore credentials,
    SamplePipeline pipeline,
    PollHealth pollHealth,
    ComponentHealth health,
    TimeProvider time,
    ILoggerFactory loggers,
    IOptions<MonitoringOptions> options,
    SnmpDemoRoom? demo = null,
    SnmpPortMaps? portMaps = null) : BackgroundService
{
    public const string Component = "snmp";

    /// <summary>The demo's agents: v2c with the "demo-v2c" community and v3 authPriv with the "demo-v3" user.</summary>
    public static SnmpDemoRoom CreateDemoRoom(Inventory inventory, SnmpProfileSet profiles, SnmpCredentialStore credentials, int seed, TimeProvider time)
    {
        var (v2c, v3) = credentials.EnsureDemo();
        return new SnmpDemoRoom(inventory, profiles.Profiles.Keys, seed, v2c.CommunitySecret!, v3.User, time);
    }

    /// <summary>
    /// The pollers for the inventory's SNMP devices, why some cannot be polled (credentials, address), and the devices
    /// whose profile has no file in device-profiles/snmp/ yet (not polled, not a fault: they stay with other sources).
    /// </summary>
    public static (List<SnmpDevicePoller> Pollers, List<string> Problems, List<string> WithoutProfile) CreatePollers(
        Inventory inventory, SeriesRegistry registry, IReadOnlyDictionary<string, SnmpProfile> profiles, SnmpCredentialStore credentials,
        SnmpClient client, TimeProvider time, Func<string, IPEndPoint?>? endPointOverride, TimeSpan? interval)
    {
        var pollers = new List<SnmpDevicePoller>();
        var problems = new List<string>();
        var withoutProfile = new List<string>();
        foreach (var device in inventory.Devices)
        {
            if (device.Profile is not { } id || !id.StartsWith(SnmpProfileLoader.IdPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (!profiles.TryGetValue(id, out var profile))
            {
                withoutProfile.Add(device.Id);
                continue;
            }

            var reference = device.Tags.GetValueOrDefault("snmpCredentials") ?? profile.Credentials;
            if (reference is null || credentials.Find(reference) is not { } creds)
            {
                problems.Add($"{device.Id}: credentials '{reference ?? "(none named)"}' are not configured ({SnmpCredentialStore.Section}:{reference ?? "NAME"})");
                continue;
            }

            // With an override (the demo), it is authoritative: a device it does not serve is skipped, never polled at the
            // room file's real-world address.
            var endPoint = endPointOverride is not null ? endPointOverride(device.Id) : ParseAddress(device.Address, profile.Port);
            if (endPoint is null && endPointOverride is not null)
            {
                problems.Add($"{device.Id}: not served by the simulator; not polled");
                continue;
            }

            if (endPoint is null)
            {
                problems.Add($"{device.Id}: address '{device.Address}' is not an IP address or IP:port");
                continue;
            }

            if (interval is { } every)
            {
                profile = profile with { Interval = every };
            }

            var target = creds.Target(endPoint, profile.Timeout, profile.Retries, profile.MaxRepetitions);
            pollers.Add(new SnmpDevicePoller(device, profile, target, client, registry, time));
        }

        return (pollers, problems, withoutProfile);
    }

    internal static IPEndPoint? ParseAddress(string? address, int defaultPort) =>
        address is null ? null
        : IPEndPoint.TryParse(address, out var withPort) && withPort.Port != 0 ? withPort
        : IPAddress.TryParse(address, out var ip) ? new IPEndPoint(ip, defaultPort)
        : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Snmp;
        var logger = loggers.CreateLogger<SnmpCollectorService>();
        if (!(settings.Enabled ?? demo is not null))
        {
            health.Report(Component, ComponentState.Disabled, "SNMP polling is off (Monitoring:Snmp:Enabled)");
            return;
        }

        foreach (var problem in credentials.Problems)
        {
            LogProblem(logger, problem);
        }

        var interval = settings.IntervalSeconds is { } seconds ? TimeSpan.FromSeconds(Math.Max(1, seconds))
            : demo is not null ? TimeSpan.FromSeconds(10)
            : (TimeSpan?)null;
        if (demo is not null)
        {
            demo.Start();
            LogSimulated(logger, demo.ServedDeviceIds.Count);
        }

        await using var client = new SnmpClient(timeProvider: time, logger: loggers.CreateLogger<SnmpClient>());
        var (pollers, problems, withoutProfile) = CreatePollers(inventory, registry, profiles.Profiles, credentials, client, time, demo is null ? null : demo.EndPointFor, interval);
        foreach (var problem in problems)
        {
            LogProblem(logger, problem);
        }

        foreach (var poller in pollers)
        {
            portMaps?.Register(poller.DeviceId, () => poller.PortMap); // the trap listener maps ifIndex the same way
        }

        if (withoutProfile.Count > 0)
        {
            var names = string.Join(", ", withoutProfile.Take(5));
            LogWithoutProfile(logger, withoutProfile.Count, names);
        }

        if (pollers.Count == 0)
        {
            health.Report(Component, problems.Count == 0 ? ComponentState.Disabled : ComponentState.Degraded,
                problems.Count == 0 ? "no SNMP devices in the loaded rooms" : $"no SNMP device can be polled: {problems[0]}");
            return;
        }

        health.Report(
            Component,
            problems.Count == 0 ? ComponentState.Ok : ComponentState.Degraded,
            problems.Count == 0
                ? $"{pollers.Count} devices" + (withoutProfile.Count > 0 ? $"; {withoutProfile.Count} with an SNMP profile that has no file yet are left to other sources" : string.Empty)
                : $"{pollers.Count} devices polled; {problems.Count} cannot be: {problems[0]}");
        LogStarted(logger, pollers.Count);
        using var scheduler = new PollScheduler(time, pollHealth, pipeline.From(SampleSource.Snmp), loggers.CreateLogger<PollScheduler>());
        await scheduler.RunAsync(pollers, stoppingToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SNMP collector polling {Devices} devices")]
    private static partial void LogStarted(ILogger logger, int devices);

    [LoggerMessage(Level = LogLevel.Information, Message = "SNMP simulation serving {Devices} devices on loopback agents")]
    private static partial void LogSimulated(ILogger logger, int devices);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} devices name an SNMP profile that has no file in device-profiles/snmp/ and are not polled: {Devices}")]
    private static partial void LogWithoutProfile(ILogger logger, int count, string devices);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SNMP device not polled: {Problem}")]
    private static partial void LogProblem(ILogger logger, string problem);
}
