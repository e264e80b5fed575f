using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Modbus.Hosting;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Snmp.Hosting;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Inventory;

namespace Monitoring.Server.RemoteCollectors;

/// <summary>
/// Builds each zone's <see cref="CollectorConfig"/> from the loaded inventory, profiles and SNMP credentials, once per
/// zone (the inventory is loaded at start and does not change while the server runs), with its ETag.
/// </summary>
public sealed class CollectorConfigSource(
    Inventory inventory,
    DeviceProfiles profiles,
    SnmpProfileSet snmp,
    ModbusProfileSet modbus,
    IConfiguration configuration,
    IOptions<SnmpOptions> snmpOptions,
    IOptions<ModbusOptions> modbusOptions,
    IOptions<CollectorOptions> options)
{
    private readonly ConcurrentDictionary<string, (CollectorConfig Config, string ETag)> _byZone = new(StringComparer.Ordinal);

    /// <summary>True when some device of the rooms is in <paramref name="zone"/>.</summary>
    public bool Knows(string zone) => inventory.Devices.Any(d => string.Equals(d.Zone, zone, StringComparison.Ordinal));

    public (CollectorConfig Config, string ETag) For(string zone) => _byZone.GetOrAdd(zone, Build);

    private (CollectorConfig, string) Build(string zone)
    {
        var devices = new List<CollectorDevice>();
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var credentials = new SortedDictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var device in inventory.Devices)
        {
            if (device.Training || !string.Equals(device.Zone, zone, StringComparison.Ordinal) || device.Profile is not { } profile)
            {
                continue;
            }

            string? profileFile = null;
            if (snmp.Profiles.TryGetValue(profile, out var snmpProfile))
            {
                profileFile = snmpProfile.Source.File;
                var reference = device.Tags.GetValueOrDefault("snmpCredentials") ?? snmpProfile.Credentials;
                if (reference is not null && !credentials.ContainsKey(reference))
                {
                    credentials[reference] = configuration.GetSection(SnmpCredentialStore.Section + ":" + reference)
                        .AsEnumerable(makePathsRelative: true)
                        .Where(kv => kv.Value is not null)
                        .ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal);
                }
            }
            else if (modbus.Profiles.TryGetValue(profile, out var modbusProfile))
            {
                profileFile = modbusProfile.Source.File;
            }

            if (profileFile is null)
            {
                continue; // pushed (MQTT, line protocol) or without a profile file: nothing for a poller
            }

            files[Relative(profileFile)] = File.ReadAllText(profileFile);
            files[Relative(device.Model.Source.File)] = File.ReadAllText(device.Model.Source.File);
            devices.Add(new CollectorDevice(device.Id, device.Name, device.RoomId, device.Model.Id, device.Address, device.UnitId, profile, device.Tags));
        }

        var config = new CollectorConfig(
            zone, devices, files, credentials, snmpOptions.Value.IntervalSeconds, modbusOptions.Value.DefaultIntervalSeconds, modbusOptions.Value.DefaultTimeoutMs,
            options.Value.HeartbeatSeconds);
        var hash = SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(config, JsonOptions));
        return (config, "\"" + Convert.ToHexStringLower(hash.AsSpan(0, 16)) + "\"");
    }

    private string Relative(string file) => Path.GetRelativePath(profiles.Directory, file).Replace('\\', '/');

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
