using System.Net;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Snmp.Traps;

/// <summary>A device that may send notifications: where it is managed from and its SNMP profile.</summary>
public sealed record SnmpTrapDevice(Device Device, IPEndPoint ManagementEndPoint, SnmpProfile Profile);

/// <summary>A sample a notification implies, on a port (index ≥ 0) or on the device (-1).</summary>
public readonly record struct SnmpTrapSample(string Metric, int PortIndex, double Value);

/// <summary>What a notification means for the inventory. <see cref="Device"/> is null when the source is unknown.</summary>
public sealed record SnmpTrapMapping(
    Device? Device,
    uint? IfIndex,
    int? PortIndex,
    string Name,
    SnmpTrapSeverity Severity,
    IReadOnlyList<SnmpTrapSample> Samples);

/// <summary>
/// Maps notifications onto the inventory (pure: no I/O). The device is found by the v1 agent-addr field, else by the
/// datagram's source endpoint, else by its source address when only one device is managed at that address. The port
/// comes from the ifIndex binding (ifIndex.N, or the instance of ifAdminStatus.N / ifOperStatus.N) through the map the
/// poller learnt, or, while that is unknown, ifIndex + the profile's index offset. linkDown/linkUp (RFC 2863) give
/// interface.oper_status (the binding's value, else 2/1) and interface.admin_status when bound; coldStart and warmStart
/// are events only; a trap OID listed in the device profile's <c>traps:</c> gives its event and optional sample.
/// </summary>
public sealed class SnmpTrapMapper
{
    public const string OperStatusMetric = "interface.oper_status";
    public const string AdminStatusMetric = "interface.admin_status";

    private static readonly Oid SnmpTraps = Oid.Parse("1.3.6.1.6.3.1.1.5");
    private static readonly Oid IfIndexColumn = Oid.Parse("1.3.6.1.2.1.2.2.1.1");
    private static readonly Oid IfAdminStatusColumn = Oid.Parse("1.3.6.1.2.1.2.2.1.7");
    private static readonly Oid IfOperStatusColumn = Oid.Parse("1.3.6.1.2.1.2.2.1.8");
    private static readonly string[] GenericNames = ["coldStart", "warmStart", "linkDown", "linkUp", "authenticationFailure", "egpNeighborLoss"];

    private readonly Dictionary<IPEndPoint, SnmpTrapDevice> _byEndPoint = [];
    private readonly Dictionary<IPAddress, SnmpTrapDevice?> _byAddress = [];
    private readonly SnmpPortMaps? _portMaps;

    public SnmpTrapMapper(IEnumerable<SnmpTrapDevice> devices, SnmpPortMaps? portMaps = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        _portMaps = portMaps;
        foreach (var d in devices)
        {
            _byEndPoint.TryAdd(d.ManagementEndPoint, d);
            var address = Normalise(d.ManagementEndPoint.Address);

            // two devices managed at one address (agents on different ports): the address alone names neither
            _byAddress[address] = _byAddress.ContainsKey(address) ? null : d;
        }
    }

    public int DeviceCount => _byEndPoint.Count;

    public SnmpTrapMapping Map(SnmpNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var source = FindSource(notification);
        var (name, severity, definition) = Describe(notification.TrapOid, source?.Profile);
        uint? ifIndex = null;
        int? admin = null;
        int? oper = null;
        foreach (var vb in notification.VarBinds)
        {
            if (vb.Value.Type != SnmpValueType.Integer32 || vb.Oid.Length != IfIndexColumn.Length + 1)
            {
                continue;
            }

            var instance = vb.Oid.Arcs[^1];
            if (vb.Oid.IsDescendantOf(IfIndexColumn) && vb.Value.AsInt32() > 0)
            {
                ifIndex = (uint)vb.Value.AsInt32();
            }
            else if (vb.Oid.IsDescendantOf(IfAdminStatusColumn))
            {
                ifIndex ??= instance;
                admin = vb.Value.AsInt32();
            }
            else if (vb.Oid.IsDescendantOf(IfOperStatusColumn))
            {
                ifIndex ??= instance;
                oper = vb.Value.AsInt32();
            }
        }

        if (source is null)
        {
            return new SnmpTrapMapping(null, ifIndex, null, name, severity, []);
        }

        var port = ifIndex is { } i ? PortOf(source, i) : null;
        var samples = new List<SnmpTrapSample>(2);
        var isLink = notification.TrapOid.Length == SnmpTraps.Length + 1 && notification.TrapOid.IsDescendantOf(SnmpTraps)
            && notification.TrapOid.Arcs[^1] is 3 or 4;
        if (isLink && port is { } p)
        {
            samples.Add(new SnmpTrapSample(OperStatusMetric, p, oper ?? (notification.TrapOid.Arcs[^1] == 3 ? 2 : 1)));
            if (admin is { } a)
            {
                samples.Add(new SnmpTrapSample(AdminStatusMetric, p, a));
            }
        }
        else if (definition?.Metric is { } metric)
        {
            samples.Add(new SnmpTrapSample(metric, port ?? -1, definition.Value));
        }

        return new SnmpTrapMapping(source.Device, ifIndex, port, name, severity, samples);
    }

    /// <summary>The device a notification comes from, or null when no configured device is managed at its source.</summary>
    public SnmpTrapDevice? FindSource(SnmpNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (notification.V1 is { AgentAddress.Length: 4 } v1)
        {
            var agent = new IPAddress(v1.AgentAddress);
            if (!agent.Equals(IPAddress.Any) && _byAddress.TryGetValue(agent, out var byAgent) && byAgent is not null)
            {
                return byAgent;
            }
        }

        var from = new IPEndPoint(Normalise(notification.Source.Address), notification.Source.Port);
        if (_byEndPoint.TryGetValue(from, out var exact))
        {
            return exact;
        }

        return _byAddress.TryGetValue(from.Address, out var byAddress) ? byAddress : null;
    }

    private int? PortOf(SnmpTrapDevice source, uint ifIndex)
    {
        if (_portMaps is not null && _portMaps.TryGetPort(source.Device.Id, ifIndex, out var learnt))
        {
            return learnt;
        }

        var index = (long)ifIndex + source.Profile.PortIndexOffset;
        foreach (var port in source.Device.Model.Ports)
        {
            if (port.Index == index)
            {
                return port.Index;
            }
        }

        return null;
    }

    private static (string Name, SnmpTrapSeverity Severity, SnmpTrapDefinition? Definition) Describe(Oid trapOid, SnmpProfile? profile)
    {
        if (profile is not null)
        {
            foreach (var t in profile.Traps)
            {
                if (t.TrapOid == trapOid)
                {
                    return (t.Event, t.Severity, t);
                }
            }
        }

        if (trapOid.Length == SnmpTraps.Length + 1 && trapOid.IsDescendantOf(SnmpTraps) && trapOid.Arcs[^1] is >= 1 and <= 6)
        {
            var arc = trapOid.Arcs[^1];
            var severity = arc switch
            {
                3 => SnmpTrapSeverity.Major,
                1 or 2 => SnmpTrapSeverity.Warning,
                _ => SnmpTrapSeverity.Info,
            };
            return (GenericNames[arc - 1], severity, null);
        }

        return (trapOid.ToString(), SnmpTrapSeverity.Info, null);
    }

    private static IPAddress Normalise(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
