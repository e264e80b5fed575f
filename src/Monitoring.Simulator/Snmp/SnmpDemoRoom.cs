using System.Net;
using Monitoring.Collectors.Snmp.Security;
using Monitoring.Core.Inventory;

namespace Monitoring.Simulator.Snmp;

/// <summary>
/// The demo room's SNMP devices as agents on loopback: one <see cref="SnmpAgent"/> per switch (profile
/// snmp/if-mib), server (snmp/host), rack PDU (snmp/pdu, snmp/pdu-entity-sensor) and storage array (snmp/storage,
/// snmp/oceanstor), each on its own 127.0.0.1 port. The collector polls them there through
/// <see cref="EndPointFor"/> (an endpoint override: the room file's addresses stay as they are), and the line-protocol
/// demo feed skips <see cref="ServedDeviceIds"/>.
/// </summary>
public sealed class SnmpDemoRoom : IAsyncDisposable
{
    public const string SwitchProfile = "snmp/if-mib";
    public const string ServerProfile = "snmp/host";
    public const string ApcPduProfile = "snmp/pdu";
    public const string EntitySensorPduProfile = "snmp/pdu-entity-sensor";
    public const string StorageProfile = "snmp/storage";
    public const string OceanStorProfile = "snmp/oceanstor";

    private readonly Dictionary<string, SimulatedSnmpDevice> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SnmpAgent> _agents = new(StringComparer.Ordinal);
    private readonly string _community;
    private readonly UsmUser? _user;
    private readonly TimeProvider _time;

    /// <param name="inventory">The room.</param>
    /// <param name="availableProfiles">The SNMP profile ids loaded; devices whose profile is not among them are left to the line-protocol feed.</param>
    /// <param name="seed">The demo seed (the same scripted port failures as the feed).</param>
    /// <param name="community">The agents' v2c community.</param>
    /// <param name="user">The agents' v3 user, if any.</param>
    public SnmpDemoRoom(Inventory inventory, IEnumerable<string> availableProfiles, int seed, string community, UsmUser? user = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(availableProfiles);
        _community = community;
        _user = user;
        _time = time ?? TimeProvider.System;
        var profiles = availableProfiles.ToHashSet(StringComparer.Ordinal);
        var feed = new DemoFeed(inventory, seed);
        var booted = _time.GetUtcNow() - TimeSpan.FromDays(3);
        foreach (var device in inventory.Devices)
        {
            if (device.Training || device.Profile is not { } profile || !profiles.Contains(profile))
            {
                continue;
            }

            SimulatedAgentKind? kind = profile switch
            {
                SwitchProfile => SimulatedAgentKind.HuaweiSwitch,
                ServerProfile or StorageProfile => SimulatedAgentKind.Server,
                ApcPduProfile => SimulatedAgentKind.ApcPdu,
                EntitySensorPduProfile => SimulatedAgentKind.EntitySensorPdu,
                OceanStorProfile => SimulatedAgentKind.OceanStor,
                _ => null,
            };
            if (kind is null)
            {
                continue;
            }

            var id = device.Id;
            _devices[id] = new SimulatedSnmpDevice(
                device,
                kind.Value,
                DemoFeed.PortsInUse(device),
                t => feed.CurrentEvents(t) is { DownDevice: { } d } e && d == id ? e.DownPort : -1,
                booted);
        }

        ServedDeviceIds = _devices.Keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The devices the agents serve (the feed skips them).</summary>
    public IReadOnlySet<string> ServedDeviceIds { get; }

    public IReadOnlyDictionary<string, SnmpAgent> Agents => _agents;

    public bool IsStarted => _agents.Count > 0;

    /// <summary>Binds one agent per served device on 127.0.0.1.</summary>
    public void Start()
    {
        if (IsStarted)
        {
            return;
        }

        foreach (var (id, device) in _devices)
        {
            _agents[id] = new SnmpAgent(() => device.ViewAt(_time.GetUtcNow()), _community, _user, time: _time, silent: () => device.Silent);
        }
    }

    /// <summary>Where a device's agent listens, or null when the room does not serve it.</summary>
    public IPEndPoint? EndPointFor(string deviceId) => _agents.TryGetValue(deviceId, out var agent) ? agent.EndPoint : null;

    public SimulatedSnmpDevice DeviceOf(string deviceId) => _devices[deviceId];

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents.Values)
        {
            await agent.DisposeAsync().ConfigureAwait(false);
        }

        _agents.Clear();
    }
}
