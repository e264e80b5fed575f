using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Snmp.Hosting;

/// <summary>
/// Polls every SNMP device of the loaded rooms whose profile is loaded, on the <see cref="PollScheduler"/>, into the
/// pipeline; each poll's outcome goes to <see cref="PollHealth"/> (shown in /healthz). With the demo simulator, the
/// simulated agents are started first and the collector polls their loopback endpoints instead of the room's addresses.
/// </summary>
public sealed partial class SnmpCollector(
    Inventory inventory,
    SeriesRegistry registry,
    SnmpProfileSet profiles,
    SnmpCredentialStore credentials,
    IOptions<SnmpOptions> options,
    [FromKeyedServices(SnmpModule.Protocol)] IDeviceEndpoints endpoints,
    SnmpPortMaps portMaps,
    RemoteZones remoteZones,
    ILogger<SnmpCollector> logger) : ICollector
{
    public const string ComponentName = "snmp";

    public string Component => ComponentName;

    public SampleSource Source => SampleSource.Snmp;

    public string? DisabledReason => options.Value.Enabled ?? endpoints.Simulated ? null : "SNMP polling is off (Monitoring:Snmp:Enabled)";

    /// <summary>
    /// The pollers for the inventory's SNMP devices, why some cannot be polled (credentials, address), and the devices
    /// whose profile has no file in device-profiles/snmp/ yet (not polled, not a fault: they stay with other sources).
    /// </summary>
    public static (List<SnmpDevicePoller> Pollers, List<string> Problems, List<string> WithoutProfile) CreatePollers(
        Inventory inventory, SeriesRegistry registry, IReadOnlyDictionary<string, SnmpProfile> profiles, SnmpCredentialStore credentials,
        SnmpClient client, TimeProvider time, Func<string, IPEndPoint?>? endPointOverride, TimeSpan? interval, Func<Device, bool>? include = null)
    {
        var pollers = new List<SnmpDevicePoller>();
        var problems = new List<string>();
        var withoutProfile = new List<string>();
        foreach (var device in inventory.Devices)
        {
            if (device.Training || device.Profile is not { } id || !id.StartsWith(SnmpProfileLoader.IdPrefix, StringComparison.Ordinal)
                || (include is not null && !include(device)))
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

    public static IPEndPoint? ParseAddress(string? address, int defaultPort) =>
        address is null ? null
        : IPEndPoint.TryParse(address, out var withPort) && withPort.Port != 0 ? withPort
        : IPAddress.TryParse(address, out var ip) ? new IPEndPoint(ip, defaultPort)
        : null;

    public async Task RunAsync(CollectorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var problem in credentials.Problems)
        {
            LogProblem(logger, problem);
        }

        var interval = options.Value.IntervalSeconds is { } seconds ? TimeSpan.FromSeconds(seconds)
            : endpoints.Simulated ? TimeSpan.FromSeconds(10)
            : (TimeSpan?)null;
        await endpoints.StartAsync(cancellationToken).ConfigureAwait(false);
        if (endpoints.Simulated)
        {
            LogSimulated(logger, endpoints.Served?.Count ?? 0);
        }

        await using var client = new SnmpClient(timeProvider: context.Time, logger: context.Loggers.CreateLogger<SnmpClient>());
        Func<string, IPEndPoint?>? served = endpoints.Served is null ? null : id => inventory.FindDevice(id) is { } d ? endpoints.Find(d, _ => null) as IPEndPoint : null;
        var (pollers, problems, withoutProfile) = CreatePollers(
            inventory, registry, profiles.Profiles, credentials, client, context.Time, served, interval, device => !remoteZones.IsRemote(device));
        foreach (var poller in pollers)
        {
            portMaps.Register(poller.DeviceId, () => poller.PortMap); // the trap listener maps ifIndex the same way
        }

        if (withoutProfile.Count > 0)
        {
            var names = string.Join(", ", withoutProfile.Take(5));
            LogWithoutProfile(logger, withoutProfile.Count, names);
        }

        await context.PollAsync(
            pollers,
            problems,
            $"{pollers.Count} devices" + (withoutProfile.Count > 0 ? $"; {withoutProfile.Count} with an SNMP profile that has no file yet are left to other sources" : string.Empty),
            "no SNMP devices in the loaded rooms",
            first => $"no SNMP device can be polled: {first}",
            cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SNMP simulation serving {Devices} devices on loopback agents")]
    private static partial void LogSimulated(ILogger logger, int devices);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} devices name an SNMP profile that has no file in device-profiles/snmp/ and are not polled: {Devices}")]
    private static partial void LogWithoutProfile(ILogger logger, int count, string devices);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SNMP device not polled: {Problem}")]
    private static partial void LogProblem(ILogger logger, string problem);
}
