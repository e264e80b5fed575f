using System.Buffers;
using Monitoring.Core.Inventory;

namespace Monitoring.Simulator;

/// <summary>
/// Believable live values for every device of an inventory, written as line protocol: CPU and memory that wander
/// with a daily swing, port traffic that follows the working day, UPS and environment readings near their
/// nominal values, and a few scripted events so the room is never still: an access port that drops for a minute
/// now and then, a hot spot that warms into warning, a door left open.
/// Deterministic for a given seed and time, so tests and demos can rely on it.
/// </summary>
public sealed class DemoFeed
{
    private const long EventSlotSeconds = 180;
    private readonly Inventory _inventory;
    private readonly int _seed;
    private readonly Device[] _accessSwitches;
    private readonly Device[] _sensors;
    private readonly Device[] _doors;
    private readonly IReadOnlySet<string>? _skip;

    /// <param name="inventory">The devices to feed.</param>
    /// <param name="seed">Makes the values and events deterministic.</param>
    /// <param name="skipDevices">Devices another source serves (e.g. the Modbus simulation): no lines are written for them.</param>
    public DemoFeed(Inventory inventory, int seed, IReadOnlySet<string>? skipDevices = null)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        _inventory = inventory;
        _seed = seed;
        _skip = skipDevices;
        _accessSwitches = inventory.Devices.Where(d => !d.Training && d.Kind == DeviceKind.Switch && d.Model.Ports.Count > 0).ToArray();
        _sensors = inventory.Devices.Where(d => !d.Training && d.Kind == DeviceKind.Sensor).ToArray();
        _doors = inventory.Devices.Where(d => !d.Training && d.Kind == DeviceKind.Probe && !IsMqttProbe(d) && d.Model.FindMetric("probe.door") is not null).ToArray();
    }

    /// <summary>Writes one reading of every metric of every device at <paramref name="now"/>; returns the number of lines.</summary>
    public int WriteTick(IBufferWriter<byte> output, DateTimeOffset now)
    {
        var ns = (now - DateTimeOffset.UnixEpoch).Ticks * 100;
        var seconds = now.ToUnixTimeSeconds();
        var events = CurrentEvents(seconds);
        var writer = new LineWriter(output);
        var lines = 0;
        foreach (var device in _inventory.Devices)
        {
            if ((_skip is not null && _skip.Contains(device.Id)) || IsMqttProbe(device) || device.Training)
            {
                continue; // served by a protocol simulator (the MQTT probes publish for themselves, see Mqtt/); a training room is no live room
            }

            lines += WriteDevice(writer, device, seconds, ns, events);
        }

        return lines;
    }

    /// <summary>A device that publishes over MQTT (its profile is mqtt/...): the MQTT simulator's probes serve it, not this feed.</summary>
    public static bool IsMqttProbe(Device device) =>
        device?.Profile?.StartsWith("mqtt/", StringComparison.Ordinal) == true;

    /// <summary>Which scripted events are on at a given time: each 3-minute slot picks a port to drop, a sensor to warm, maybe a door.</summary>
    public ScriptedEvents CurrentEvents(long unixSeconds)
    {
        var slot = unixSeconds / EventSlotSeconds;
        var into = unixSeconds % EventSlotSeconds;
        var random = new Random(HashCode.Combine(_seed, slot));
        string? downDevice = null;
        var downPort = -1;
        if (_accessSwitches.Length > 0 && into < 60)
        {
            var device = _accessSwitches[random.Next(_accessSwitches.Length)];
            var used = UsedPorts(device);
            if (used.Count > 0)
            {
                downDevice = device.Id;
                downPort = used[random.Next(used.Count)];
            }
        }

        var hot = _sensors.Length > 0 && into >= 30 && into < 150 ? _sensors[random.Next(_sensors.Length)].Id : null;
        var door = _doors.Length > 0 && random.Next(4) == 0 && into >= 90 && into < 140 ? _doors[random.Next(_doors.Length)].Id : null;
        return new ScriptedEvents(downDevice, downPort, hot, door);
    }

    private static int WriteDevice(LineWriter writer, Device device, long seconds, long ns, ScriptedEvents events)
    {
        var lines = 0;
        var metrics = device.Model.Metrics;
        var measurement = (string?)null;
        var first = true;
        foreach (var metric in metrics)
        {
            if (metric.Scope != MetricScope.Device)
            {
                continue;
            }

            var (m, field) = Split(metric.Name);
            if (!string.Equals(m, measurement, StringComparison.Ordinal))
            {
                if (measurement is not null)
                {
                    writer.End(ns);
                    lines++;
                }

                measurement = m;
                writer.Measurement(m);
                writer.Tag("device", device.Id);
                first = true;
            }

            writer.Field(first, field, DeviceValue(device, metric, seconds, events));
            first = false;
        }

        if (measurement is not null)
        {
            writer.End(ns);
            lines++;
        }

        var portMetrics = metrics.Where(m => m.Scope == MetricScope.Port).ToArray();
        if (portMetrics.Length == 0)
        {
            return lines;
        }

        var used = UsedPorts(device);
        var hasAdminStatus = portMetrics.Any(m => m.Name == "interface.admin_status");
        foreach (var port in device.Model.Ports)
        {
            var inUse = used.Contains(port.Index);
            if (!inUse && !hasAdminStatus)
            {
                continue; // nothing plugged in and no way to say it is shut: an unused NIC reports nothing worth showing
            }

            var down = inUse && string.Equals(events.DownDevice, device.Id, StringComparison.Ordinal) && events.DownPort == port.Index;
            foreach (var group in portMetrics.Where(m => inUse || m.Name == "interface.admin_status").GroupBy(m => Split(m.Name).Measurement))
            {
                writer.Measurement(group.Key);
                writer.Tag("device", device.Id);
                writer.Tag("port", port.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
                first = true;
                foreach (var metric in group)
                {
                    writer.Field(first, Split(metric.Name).Field, PortValue(device, port, metric, inUse, down, seconds));
                    first = false;
                }

                writer.End(ns);
                lines++;
            }
        }

        return lines;
    }

    private static double DeviceValue(Device device, MetricDefinition metric, long seconds, ScriptedEvents events)
    {
        var h = Hash(device.Id, metric.Name);
        var day = Math.Sin(2 * Math.PI * (seconds % 86400) / 86400.0 - Math.PI / 2); // -1 at midnight, +1 at noon
        var wobble = Wave(seconds, 600 + (h % 300), h) * 0.5 + Wave(seconds, 97 + (h % 50), h >> 3) * 0.5;
        switch (metric.Name)
        {
            case "cpu.usage":
                return Clamp(15 + (h % 25) + 8 * day + 6 * wobble, 1, 99);
            case "memory.usage":
                return Clamp(40 + (h % 30) + 2 * wobble, 5, 95);
            case "ups.load":
                return Clamp(38 + (h % 10) + 4 * day + wobble, 0, 100);
            case "ups.battery":
                return 100;
            case "ups.runtime":
                return 42 + (h % 8);
            case "ups.input_voltage":
                return Math.Round(220 + 2.5 * wobble, 1);
            case "ups.output_voltage":
                return Math.Round(220 + 0.4 * wobble, 1);
            case "ups.frequency":
            case "ups.input_frequency":
            case "ups.output_frequency":
                return Math.Round(50 + 0.05 * wobble, 2);
            case "ups.battery_temperature":
                return Math.Round(24 + wobble, 1);
            case "environment.temperature":
                var hot = string.Equals(events.HotSensor, device.Id, StringComparison.Ordinal) ? 5.5 : 0;
                return Math.Round(22.5 + (h % 20) / 10.0 + 0.6 * wobble + hot, 1);
            case "environment.humidity":
                return Math.Round(48 + (h % 8) + 2 * wobble, 1);
            case "aircon.supply_temperature":
                return Math.Round(18 + (h % 10) / 10.0 + 0.3 * wobble, 1);
            case "aircon.return_temperature":
                return Math.Round(25 + (h % 10) / 10.0 + 0.5 * wobble, 1);
            case "pdu.current":
                return Math.Round(6 + (h % 40) / 10.0 + 1.5 * day + 0.3 * wobble, 2);
            case "probe.door":
                return string.Equals(events.OpenDoor, device.Id, StringComparison.Ordinal) ? 1 : 0;
            case "lamp.green":
                return 1;
            // information-security posture (issue 23): healthy most of the time, with an occasional breach of each
            // threshold (device-profiles/rules/security.yaml) for a few minutes: agents offline after a patch day, an
            // audit finding weak passwords, a workstation calling out
            case "security.av_coverage":
                return InBreach(seconds, 4 * 3600, 0) ? 93.8 : Math.Round(Math.Min(99.9, 97.6 + 0.8 * wobble), 1);
            case "security.weak_passwords":
                return InBreach(seconds, 3 * 3600, 1800) ? 2 + (h % 3) : 0;
            case "security.illegal_outbound":
                return InBreach(seconds, 6 * 3600, 5400) ? 1 : 0;
            default:
                return Nominal(metric);
        }
    }

    private static double PortValue(Device device, PortDefinition port, MetricDefinition metric, bool inUse, bool down, long seconds)
    {
        var speed = port.Kind switch
        {
            PortKind.SfpPlus => 10e9,
            PortKind.Qsfp => 100e9,
            PortKind.Sfp => 1e9,
            _ => 1e9,
        };
        var h = Hash(device.Id, port.Name);
        var day = 0.5 + 0.5 * Math.Sin(2 * Math.PI * (seconds % 86400) / 86400.0 - Math.PI / 2);
        var load = inUse && !down ? (0.02 + (h % 100) / 400.0) * (0.4 + 0.6 * day) * (1 + 0.15 * Wave(seconds, 120 + (h % 60), h)) : 0;
        switch (metric.Name)
        {
            case "interface.admin_status":
                return inUse ? 1 : 2;
            case "interface.oper_status":
                return inUse && !down ? 1 : 2;
            case "interface.in_bps":
                return Math.Round(load * speed);
            case "interface.out_bps":
                return Math.Round(load * speed * (0.6 + (h % 50) / 100.0));
            case "interface.utilisation":
                return Math.Round(load * 100, 2);
            case "interface.in_errors":
            case "interface.out_errors":
                // errors per second: a clean link, with the odd burst on one port in a few
                return inUse && h % 17 == 0 && Wave(seconds, 300, h) > 0.9 ? 0.2 : 0;
            case "interface.speed":
                return speed;
            default:
                return Nominal(metric);
        }
    }

    /// <summary>Which ports of a device carry traffic: uplinks and most of the access ports, the rest administratively down.</summary>
    /// <summary>The ports of a device that have something plugged in (the others stay down), as the feed and the SNMP agents agree.</summary>
    public static IReadOnlyList<int> PortsInUse(Device device) => UsedPorts(device);

    private static List<int> UsedPorts(Device device)
    {
        var ports = device.Model.Ports;
        var used = new List<int>(ports.Count);
        var h = Hash(device.Id, "ports");
        foreach (var port in ports)
        {
            var fraction = port.Kind switch
            {
                PortKind.Copper => 60 + (int)(h % 30),
                PortKind.Nic => 75,
                PortKind.SfpPlus or PortKind.Sfp => 50,
                PortKind.Qsfp => 70,
                _ => 0,
            };
            if ((Hash(device.Id, port.Name) % 100) < (uint)fraction)
            {
                used.Add(port.Index);
            }
        }

        return used;
    }

    /// <summary>A healthy value for a metric the feed has no special model for: the Ok state, or well inside the thresholds.</summary>
    private static double Nominal(MetricDefinition metric)
    {
        if (metric.States is { } states)
        {
            foreach (var (value, status) in states)
            {
                if (status == Status.Ok)
                {
                    return value;
                }
            }
        }

        if (metric.Warning is { } warning)
        {
            return metric.LowIsBad ? warning * 2 : warning * 0.5;
        }

        return 0;
    }

    /// <summary>The breach windows of the security indicators: <see cref="SecurityBreachSeconds"/> out of every <paramref name="period"/>.</summary>
    private static bool InBreach(long seconds, long period, long offset) => (seconds + offset) % period < SecurityBreachSeconds;

    /// <summary>How long each scripted security breach lasts.</summary>
    public const long SecurityBreachSeconds = 360;

    private static (string Measurement, string Field) Split(string metric)
    {
        var dot = metric.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? (metric, "value") : (metric[..dot], metric[(dot + 1)..]);
    }

    private static double Wave(long seconds, long period, uint phase) =>
        Math.Sin(2 * Math.PI * ((seconds + phase) % period) / period);

    private static double Clamp(double value, double min, double max) => Math.Round(Math.Clamp(value, min, max), 1);

    /// <summary>A stable hash (string.GetHashCode is randomised per process; the demo must look the same every run).</summary>
    private static uint Hash(string a, string b)
    {
        var hash = 2166136261u;
        foreach (var c in a)
        {
            hash = (hash ^ c) * 16777619u;
        }

        hash = (hash ^ '|') * 16777619u;
        foreach (var c in b)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}

/// <summary>The scripted faults in force at one moment.</summary>
public sealed record ScriptedEvents(string? DownDevice, int DownPort, string? HotSensor, string? OpenDoor);
