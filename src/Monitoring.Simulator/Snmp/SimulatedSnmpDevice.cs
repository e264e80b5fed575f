using System.Text;
using Monitoring.Collectors.Snmp;
using Monitoring.Core.Inventory;

namespace Monitoring.Simulator.Snmp;

/// <summary>
/// What a simulated agent serves: a switch (Huawei entity CPU/memory), a server or storage host agent
/// (HOST-RESOURCES-MIB), an APC rack PDU (PowerNet-MIB rPDU), a rack PDU with ENTITY-SENSOR-MIB sensors, or a
/// Huawei OceanStor array (ISM-STORAGE-SVC-MIB controller table).
/// </summary>
public enum SimulatedAgentKind
{
    HuaweiSwitch,
    Server,
    ApcPdu,
    EntitySensorPdu,
    OceanStor,
}

/// <summary>
/// The objects of one simulated device at a given time: the system group, ifTable and ifXTable for every port of
/// its model (ifIndex = position + 1, ifName = the port's name), and CPU and memory in the MIB its profile reads.
/// Values are functions of time alone, so they are deterministic: CPU and memory wander with a daily swing,
/// octet counters grow with a rate that follows the working day (Counter64, and Counter32 ifInOctets/ifOutOctets
/// that wrap), ports not in use are down, and the demo's scripted port failure takes a port down for a minute.
/// </summary>
public sealed class SimulatedSnmpDevice
{
    public static readonly Oid HwEntityCpuUsage = Oid.Parse("1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5");
    public static readonly Oid HwEntityMemUsage = Oid.Parse("1.3.6.1.4.1.2011.5.25.31.1.1.1.1.7");
    public static readonly Oid HrProcessorLoad = Oid.Parse("1.3.6.1.2.1.25.3.3.1.2");

    /// <summary>PowerNet-MIB rPDULoadStatusLoad (tenths of amps per phase/bank) and rPDUOutletStatusEntry.</summary>
    public static readonly Oid RPduLoadStatusEntry = Oid.Parse("1.3.6.1.4.1.318.1.1.12.2.3.1.1");
    public static readonly Oid RPduOutletStatusEntry = Oid.Parse("1.3.6.1.4.1.318.1.1.12.3.5.1.1");

    /// <summary>ENTITY-SENSOR-MIB entPhySensorEntry (RFC 3433).</summary>
    public static readonly Oid EntPhySensorEntry = Oid.Parse("1.3.6.1.2.1.99.1.1.1");

    /// <summary>ISM-STORAGE-SVC-MIB hwInfoControllerEntry (Huawei OceanStor).</summary>
    public static readonly Oid OceanStorControllerEntry = Oid.Parse("1.3.6.1.4.1.34774.4.1.23.5.2.1");

    /// <summary>The main board's entPhysicalIndex on these Huawei switches; the other entities report 0.</summary>
    public const uint MainBoardEntity = 67108867;

    private static readonly Oid SystemGroup = Oid.Parse("1.3.6.1.2.1.1");
    private static readonly Oid IfNumber = Oid.Parse("1.3.6.1.2.1.2.1.0");
    private static readonly Oid IfEntry = Oid.Parse("1.3.6.1.2.1.2.2.1");
    private static readonly Oid IfXEntry = Oid.Parse("1.3.6.1.2.1.31.1.1.1");
    private static readonly Oid HrStorageEntry = Oid.Parse("1.3.6.1.2.1.25.2.3.1");
    private static readonly Oid HrStorageRam = Oid.Parse("1.3.6.1.2.1.25.2.1.2");
    private static readonly Oid HrStorageVirtual = Oid.Parse("1.3.6.1.2.1.25.2.1.3");
    private static readonly Oid HrStorageFixedDisk = Oid.Parse("1.3.6.1.2.1.25.2.1.4");

    private readonly Func<long, int> _scriptedDown;
    private readonly HashSet<int> _used;
    private readonly uint _hash;
    private readonly DateTimeOffset _bootedAt;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte> _forcedDown = new();
    private int _silent;

    /// <param name="device">The inventory device.</param>
    /// <param name="kind">Which CPU/memory MIB to serve.</param>
    /// <param name="usedPorts">Ports with something plugged in; the others are down.</param>
    /// <param name="scriptedDown">For a unix time: the port the demo script has down on this device now, or -1.</param>
    /// <param name="bootedAt">When the agent "booted": sysUpTime counts from here.</param>
    public SimulatedSnmpDevice(Device device, SimulatedAgentKind kind, IEnumerable<int> usedPorts, Func<long, int> scriptedDown, DateTimeOffset bootedAt)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(scriptedDown);
        Device = device;
        Kind = kind;
        _used = [.. usedPorts];
        _scriptedDown = scriptedDown;
        _bootedAt = bootedAt;
        _hash = Fnv(device.Id);
    }

    public Device Device { get; }

    public SimulatedAgentKind Kind { get; }

    /// <summary>ifIndex of a model port: its position in the model's port list + 1.</summary>
    public int IfIndexOf(int portIndex)
    {
        var ports = Device.Model.Ports;
        for (var i = 0; i < ports.Count; i++)
        {
            if (ports[i].Index == portIndex)
            {
                return i + 1;
            }
        }

        return -1;
    }

    /// <summary>Whether a port is up at <paramref name="at"/> (plugged in, not taken down by the script nor by an injected fault).</summary>
    public bool IsUp(int portIndex, DateTimeOffset at) =>
        _used.Contains(portIndex) && _scriptedDown(at.ToUnixTimeSeconds()) != portIndex && !_forcedDown.ContainsKey(portIndex);

    /// <summary>An injected fault takes the port's link down (ifOperStatus down(2)) until <see cref="SetForcedDown"/> false. Thread-safe.</summary>
    public void SetForcedDown(int portIndex, bool down)
    {
        if (down)
        {
            _forcedDown[portIndex] = 0;
        }
        else
        {
            _forcedDown.TryRemove(portIndex, out _);
        }
    }

    /// <summary>An injected fault: the device's agent answers nothing (the poller times out). Thread-safe.</summary>
    public bool Silent
    {
        get => Volatile.Read(ref _silent) != 0;
        set => Volatile.Write(ref _silent, value ? 1 : 0);
    }

    /// <summary>The ports an injected fault holds down.</summary>
    public IReadOnlyCollection<int> ForcedDown => [.. _forcedDown.Keys];

    /// <summary>Whether the model has a port of that index.</summary>
    public bool HasPort(int portIndex) => IfIndexOf(portIndex) > 0;

    /// <summary>CPU % at a time: a daily swing around a per-device level.</summary>
    public int CpuAt(DateTimeOffset at) => (int)Math.Round(Math.Clamp(18 + (_hash % 20) + (12 * Wave(at, 86_400, _hash)) + (4 * Wave(at, 300, _hash >> 3)), 1, 99));

    /// <summary>A rack PDU's total current in amps at a time: a per-device level with a daily swing.</summary>
    public double CurrentAt(DateTimeOffset at) => Math.Round(Math.Clamp(6 + ((_hash % 40) / 10.0) + (1.5 * Wave(at, 86_400, _hash)), 0.5, 15.9), 1);

    /// <summary>Memory % at a time.</summary>
    public int MemoryAt(DateTimeOffset at) => (int)Math.Round(Math.Clamp(40 + (_hash % 25) + (5 * Wave(at, 3_600, _hash >> 5)), 1, 99));

    /// <summary>Octets received by a port between boot and <paramref name="at"/>: ∫ rate, where the rate follows the day.</summary>
    public ulong InOctets(int portIndex, DateTimeOffset at) => Octets(portIndex, at, 0);

    public ulong OutOctets(int portIndex, DateTimeOffset at) => Octets(portIndex, at, 1);

    /// <summary>Link speed in bit/s by port kind.</summary>
    public static ulong SpeedOf(PortKind kind) => kind switch
    {
        PortKind.SfpPlus => 10_000_000_000,
        PortKind.Qsfp => 100_000_000_000,
        PortKind.Sfp => 1_000_000_000,
        PortKind.Management or PortKind.Console => 100_000_000,
        _ => 1_000_000_000,
    };

    /// <summary>Every object at <paramref name="at"/>.</summary>
    public MibView ViewAt(DateTimeOffset at)
    {
        var list = new List<VarBind>(64 + (Device.Model.Ports.Count * 20));
        var uptime = (uint)Math.Max(0, (at - _bootedAt).TotalMilliseconds / 10);
        list.Add(new(SystemGroup.Append(1).Append(0), SnmpValue.FromText($"Simulated {Device.Model.Vendor} {Device.Model.Name}")));
        list.Add(new(SystemGroup.Append(2).Append(0), SnmpValue.FromOid(Kind switch
        {
            SimulatedAgentKind.HuaweiSwitch => Oid.Parse("1.3.6.1.4.1.2011.2.23"),
            SimulatedAgentKind.ApcPdu => Oid.Parse("1.3.6.1.4.1.318.1.3.4.5"),
            SimulatedAgentKind.OceanStor => Oid.Parse("1.3.6.1.4.1.34774.4"),
            _ => Oid.Parse("1.3.6.1.4.1.8072.3.2.10"),
        })));
        list.Add(new(SystemGroup.Append(3).Append(0), SnmpValue.FromTimeTicks(uptime)));
        list.Add(new(SystemGroup.Append(5).Append(0), SnmpValue.FromText(Device.Id)));
        if (Kind is SimulatedAgentKind.ApcPdu or SimulatedAgentKind.EntitySensorPdu)
        {
            // a PDU's outlets are not interfaces: its agent has the management card's ifTable, not one row per outlet
            Pdu(list, at);
            return new MibView(list);
        }

        var ports = Device.Model.Ports;
        list.Add(new(IfNumber, SnmpValue.FromInt32(ports.Count)));
        var seconds = at.ToUnixTimeSeconds();
        var down = _scriptedDown(seconds);
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var ifIndex = (uint)(i + 1);
            var up = _used.Contains(port.Index) && port.Index != down && !_forcedDown.ContainsKey(port.Index);
            var speed = SpeedOf(port.Kind);
            var inOctets = up || _used.Contains(port.Index) ? InOctets(port.Index, at) : 0;
            var outOctets = up || _used.Contains(port.Index) ? OutOctets(port.Index, at) : 0;
            var errors = _used.Contains(port.Index) ? (uint)(((at - _bootedAt).TotalSeconds / 600) * ((_hash + (uint)port.Index) % 3 == 0 ? 1 : 0)) : 0u;
            Column(list, IfEntry, 1, ifIndex, SnmpValue.FromInt32((int)ifIndex));
            Column(list, IfEntry, 2, ifIndex, SnmpValue.FromText(port.Name));
            Column(list, IfEntry, 3, ifIndex, SnmpValue.FromInt32(6)); // ethernetCsmacd
            Column(list, IfEntry, 5, ifIndex, SnmpValue.FromGauge32((uint)Math.Min(speed, uint.MaxValue)));
            Column(list, IfEntry, 7, ifIndex, SnmpValue.FromInt32(_used.Contains(port.Index) ? 1 : 2)); // unused ports are shut down, as a NOC keeps them
            Column(list, IfEntry, 8, ifIndex, SnmpValue.FromInt32(up ? 1 : 2));
            Column(list, IfEntry, 10, ifIndex, SnmpValue.FromCounter32(unchecked((uint)inOctets)));
            Column(list, IfEntry, 13, ifIndex, SnmpValue.FromCounter32(0));
            Column(list, IfEntry, 14, ifIndex, SnmpValue.FromCounter32(errors));
            Column(list, IfEntry, 16, ifIndex, SnmpValue.FromCounter32(unchecked((uint)outOctets)));
            Column(list, IfEntry, 19, ifIndex, SnmpValue.FromCounter32(0));
            Column(list, IfEntry, 20, ifIndex, SnmpValue.FromCounter32(0));
            Column(list, IfXEntry, 1, ifIndex, SnmpValue.FromText(port.Name));
            Column(list, IfXEntry, 6, ifIndex, SnmpValue.FromCounter64(inOctets));
            Column(list, IfXEntry, 10, ifIndex, SnmpValue.FromCounter64(outOctets));
            Column(list, IfXEntry, 15, ifIndex, SnmpValue.FromGauge32((uint)(speed / 1_000_000)));
            Column(list, IfXEntry, 18, ifIndex, SnmpValue.FromText(Device.PortSettings.TryGetValue(port.Index, out var setting) ? setting.Description ?? string.Empty : string.Empty));
        }

        if (Kind == SimulatedAgentKind.OceanStor)
        {
            // two controllers (0A, 0B), CPU and memory % each; health status 1 = normal, running status 27 = online
            for (uint c = 0; c < 2; c++)
            {
                Column(list, OceanStorControllerEntry, 1, c, SnmpValue.FromText(c == 0 ? "0A" : "0B"));
                Column(list, OceanStorControllerEntry, 2, c, SnmpValue.FromInt32(1));
                Column(list, OceanStorControllerEntry, 3, c, SnmpValue.FromInt32(27));
                Column(list, OceanStorControllerEntry, 8, c, SnmpValue.FromInt32(Math.Clamp(CpuAt(at) - (3 * (int)c), 0, 100)));
                Column(list, OceanStorControllerEntry, 9, c, SnmpValue.FromInt32(Math.Clamp(MemoryAt(at) - (2 * (int)c), 0, 100)));
            }
        }
        else if (Kind == SimulatedAgentKind.HuaweiSwitch)
        {
            // HUAWEI-ENTITY-EXTENT-MIB: the chassis and a fan report 0, the main board its load
            foreach (var entity in new uint[] { 16777216, MainBoardEntity, 67108869 })
            {
                var main = entity == MainBoardEntity;
                list.Add(new(HwEntityCpuUsage.Append(entity), SnmpValue.FromInt32(main ? CpuAt(at) : 0)));
                list.Add(new(HwEntityMemUsage.Append(entity), SnmpValue.FromInt32(main ? MemoryAt(at) : 0)));
            }
        }
        else
        {
            // HOST-RESOURCES-MIB: four processors around the device's level; RAM, swap and a disk
            var cpu = CpuAt(at);
            for (uint p = 0; p < 4; p++)
            {
                list.Add(new(HrProcessorLoad.Append(196608 + p), SnmpValue.FromInt32(Math.Clamp(cpu + (int)p - 2, 0, 100))));
            }

            const int ramUnits = 16 * 1024 * 1024; // 64 GiB in 4 KiB units
            Storage(list, 1, HrStorageRam, "Physical memory", 1024 * 4, ramUnits, (int)((long)ramUnits * MemoryAt(at) / 100));
            Storage(list, 3, HrStorageVirtual, "Virtual memory", 1024 * 4, ramUnits * 2, ramUnits / 3);
            Storage(list, 31, HrStorageFixedDisk, "/", 1024 * 4, 100_000_000, 42_000_000);
        }

        return new MibView(list);
    }

    private void Pdu(List<VarBind> list, DateTimeOffset at)
    {
        var amps = CurrentAt(at);
        var outlets = Device.Model.Ports;
        if (Kind == SimulatedAgentKind.ApcPdu)
        {
            // rPDULoadStatusEntry: index 1 = phase 1, the whole unit on a single-phase PDU
            Column(list, RPduLoadStatusEntry, 1, 1, SnmpValue.FromInt32(1));
            Column(list, RPduLoadStatusEntry, 2, 1, SnmpValue.FromGauge32((uint)Math.Round(amps * 10)));
            foreach (var outlet in outlets)
            {
                var n = (uint)outlet.Index;
                Column(list, RPduOutletStatusEntry, 1, n, SnmpValue.FromInt32((int)n));
                Column(list, RPduOutletStatusEntry, 2, n, SnmpValue.FromText(outlet.Name));
                Column(list, RPduOutletStatusEntry, 4, n, SnmpValue.FromInt32(1)); // outletStatusOn
            }

            return;
        }

        // entPhySensorEntry: 1 = inlet current (units, 1 decimal), 2 = inlet voltage, 3 = temperature (1 decimal),
        // 11.. = each outlet's current in milliamps (scale milli), so the inlet total is the largest amperes reading
        Sensor(list, 1, 5, 9, 1, (int)Math.Round(amps * 10));
        Sensor(list, 2, 3, 9, 0, 220);
        Sensor(list, 3, 8, 9, 1, 265 + (int)(_hash % 30));
        for (var i = 0; i < outlets.Count; i++)
        {
            Sensor(list, 11 + (uint)i, 5, 8, 0, (int)Math.Round(amps * 1000 / Math.Max(1, outlets.Count)));
        }
    }

    private static void Sensor(List<VarBind> list, uint index, int type, int scale, int precision, int value)
    {
        Column(list, EntPhySensorEntry, 1, index, SnmpValue.FromInt32(type));
        Column(list, EntPhySensorEntry, 2, index, SnmpValue.FromInt32(scale));
        Column(list, EntPhySensorEntry, 3, index, SnmpValue.FromInt32(precision));
        Column(list, EntPhySensorEntry, 4, index, SnmpValue.FromInt32(value));
        Column(list, EntPhySensorEntry, 5, index, SnmpValue.FromInt32(1)); // ok
    }

    private static void Column(List<VarBind> list, Oid entry, uint column, uint index, SnmpValue value) =>
        list.Add(new(entry.Append(column).Append(index), value));

    private static void Storage(List<VarBind> list, uint index, Oid type, string descr, int units, int size, int used)
    {
        Column(list, HrStorageEntry, 1, index, SnmpValue.FromInt32((int)index));
        Column(list, HrStorageEntry, 2, index, SnmpValue.FromOid(type));
        Column(list, HrStorageEntry, 3, index, SnmpValue.FromText(descr));
        Column(list, HrStorageEntry, 4, index, SnmpValue.FromInt32(units));
        Column(list, HrStorageEntry, 5, index, SnmpValue.FromInt32(size));
        Column(list, HrStorageEntry, 6, index, SnmpValue.FromInt32(used));
    }

    /// <summary>
    /// Octets since boot: mean rate a per port, plus a daily swing of amplitude b ≤ a, integrated in closed form
    /// (a·t + b·(1 − cos ωt)/ω), so the counter only grows and needs no state.
    /// </summary>
    private ulong Octets(int portIndex, DateTimeOffset at, int direction)
    {
        var t = Math.Max(0, (at - _bootedAt).TotalSeconds);
        var h = Fnv(Device.Id + "/" + portIndex.ToString(global::System.Globalization.CultureInfo.InvariantCulture) + "/" + direction.ToString(global::System.Globalization.CultureInfo.InvariantCulture));
        var meanBytes = (2_000_000 + (h % 40_000_000)) / 8.0; // 2 to 42 Mbit/s
        var swing = meanBytes * 0.6;
        const double omega = 2 * Math.PI / 86_400;
        var phase = (h % 86_400) * omega;
        var value = (meanBytes * t) + (swing * (Math.Cos(phase) - Math.Cos((omega * t) + phase)) / omega);
        return (ulong)Math.Max(0, value) + (h % 1_000_000);
    }

    private static double Wave(DateTimeOffset at, long period, uint phase) =>
        Math.Sin(2 * Math.PI * ((at.ToUnixTimeSeconds() + phase) % period) / period);

    private static uint Fnv(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return hash;
    }
}
