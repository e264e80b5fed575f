using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Collectors.Snmp.Profiles;

/// <summary>
/// Loads device-profiles/snmp/*.yaml with the inventory loader's YAML reader, so every error names file:line:column,
/// and every error of a load is reported together. A profile's id is "snmp/" + its file name.
/// </summary>
public static class SnmpProfileLoader
{
    public const string Folder = "snmp";
    public const string IdPrefix = "snmp/";

    internal static readonly ObjectShape ProfileShape = new(
        "snmpProfile",
        "SNMP profile",
        ["name"],
        ["mibs", "models", "credentials", "intervalSeconds", "timeoutMs", "retries", "maxRepetitions", "port", "device", "ports", "traps"]);

    internal static readonly ObjectShape DeviceMetricShape = new(
        "snmpDeviceMetric",
        "device metric",
        ["metric", "compute"],
        ["oid", "used", "free", "total", "available", "busy", "idle", "scale", "sensorType"]);

    internal static readonly ObjectShape PortsShape = new("snmpPorts", "ports section", ["metrics"], ["match", "indexOffset"]);

    internal static readonly ObjectShape PortMetricShape = new(
        "snmpPortMetric",
        "port metric",
        ["metric", "compute"],
        ["oid", "in", "out", "speed", "highSpeed"]);

    internal static readonly ObjectShape TrapShape = new("snmpTrap", "trap", ["oid", "event"], ["severity", "metric", "value"]);

    /// <summary>Every profile under <c>PROFILES/snmp/</c>, keyed by id ("snmp/host").</summary>
    /// <exception cref="ConfigException">Any file is invalid; every error is listed.</exception>
    public static IReadOnlyDictionary<string, SnmpProfile> LoadFolder(string profilesRoot) =>
        ProfileFiles.LoadFolder<SnmpProfile>(profilesRoot, Folder, Read, p => p.Id);

    /// <summary>Loads one profile file; throws <see cref="ConfigException"/> with every error if it is invalid.</summary>
    public static SnmpProfile LoadFile(string path) => ProfileFiles.LoadFile<SnmpProfile>(path, Read);

    /// <summary>Checks one profile file; returns every error, empty when it is valid.</summary>
    public static IReadOnlyList<ConfigError> Validate(string path) => ProfileFiles.Validate<SnmpProfile>(path, Read);

    private static SnmpProfile? Read(string path, List<ConfigError> errors)
    {
        var context = new LoadContext(path, errors);
        var before = errors.Count;
        if (context.ReadRoot() is not { } root || MappingReader.Open(context, root, ProfileShape) is not { } reader)
        {
            return null;
        }

        var deviceMetrics = new List<SnmpDeviceMetric>();
        if (reader.Sequence("device") is { } device)
        {
            foreach (var node in device.Children)
            {
                if (MappingReader.Open(context, node, DeviceMetricShape) is { } m && ReadDeviceMetric(m) is { } metric)
                {
                    deviceMetrics.Add(metric);
                }
            }
        }

        var match = SnmpPortMatch.IfName;
        var offset = 0;
        var portMetrics = new List<SnmpPortMetric>();
        if (reader.Child("ports", PortsShape) is { } ports)
        {
            match = ports.Enum<SnmpPortMatch>("match") ?? SnmpPortMatch.IfName;
            offset = ports.Int("indexOffset", -100_000, 100_000) ?? 0;
            if (ports.Sequence("metrics") is { } list)
            {
                foreach (var node in list.Children)
                {
                    if (MappingReader.Open(context, node, PortMetricShape) is { } m && ReadPortMetric(m) is { } metric)
                    {
                        portMetrics.Add(metric);
                    }
                }
            }
        }

        var traps = new List<SnmpTrapDefinition>();
        if (reader.Sequence("traps") is { } trapList)
        {
            foreach (var node in trapList.Children)
            {
                if (MappingReader.Open(context, node, TrapShape) is { } t && ReadTrap(t) is { } trap)
                {
                    traps.Add(trap);
                }
            }
        }

        if (deviceMetrics.Count == 0 && portMetrics.Count == 0 && errors.Count == before)
        {
            context.Error(reader.Node, "an SNMP profile needs at least one metric under 'device' or 'ports'");
        }

        var name = reader.String("name");
        var profile = new SnmpProfile
        {
            Id = IdPrefix + Path.GetFileNameWithoutExtension(path),
            Name = name ?? string.Empty,
            Mibs = StringList(reader, "mibs"),
            Models = StringList(reader, "models"),
            Credentials = reader.Id("credentials"),
            Interval = TimeSpan.FromSeconds(reader.Int("intervalSeconds", 1, 86_400) ?? 60),
            Timeout = TimeSpan.FromMilliseconds(reader.Int("timeoutMs", 10, 60_000) ?? 2000),
            Retries = reader.Int("retries", 0, 10) ?? 1,
            MaxRepetitions = reader.Int("maxRepetitions", 1, 200) ?? 25,
            Port = reader.Int("port", 1, 65_535) ?? 161,
            DeviceMetrics = deviceMetrics,
            PortMatch = match,
            PortIndexOffset = offset,
            PortMetrics = portMetrics,
            Traps = traps,
            Source = reader.Source,
        };
        return errors.Count == before ? profile : null;
    }

    private static List<string> StringList(MappingReader reader, string key)
    {
        var list = new List<string>();
        if (reader.Sequence(key) is { } sequence)
        {
            foreach (var node in sequence.Children)
            {
                if (node is YamlScalarNode { Value: { Length: > 0 } text })
                {
                    list.Add(text);
                }
                else
                {
                    reader.Context.Error(node, $"'{key}' must be a list of names, found {Scalars.Describe(node)}");
                }
            }
        }

        return list;
    }

    private static SnmpDeviceMetric? ReadDeviceMetric(MappingReader m)
    {
        var metric = MetricName(m);
        var compute = m.Enum<SnmpDeviceCompute>("compute");
        if (metric is null || compute is null)
        {
            return null;
        }

        var scale = m.Number("scale") ?? 1;
        switch (compute.Value)
        {
            case SnmpDeviceCompute.Value or SnmpDeviceCompute.Average or SnmpDeviceCompute.Max:
                return ReadOid(m, "oid", required: true) is { } oid
                    ? new SnmpDeviceMetric { Metric = metric, Compute = compute.Value, Oid = oid, Scale = scale, Source = m.Source }
                    : null;
            case SnmpDeviceCompute.UsedFree:
                var used = ReadOid(m, "used", true);
                var free = ReadOid(m, "free", true);
                return used is { } u && free is { } f
                    ? new SnmpDeviceMetric { Metric = metric, Compute = compute.Value, Operands = [u], Other = f, Source = m.Source }
                    : null;
            case SnmpDeviceCompute.TotalAvailable:
                var total = ReadOid(m, "total", true);
                var available = ReadOid(m, "available", true);
                return total is { } t && available is { } a
                    ? new SnmpDeviceMetric { Metric = metric, Compute = compute.Value, Operands = [t], Other = a, Source = m.Source }
                    : null;
            case SnmpDeviceCompute.CpuTicks:
                var busy = new List<Oid>();
                if (m.Sequence("busy") is { } list)
                {
                    foreach (var node in list.Children)
                    {
                        if (ResolveNode(m, node, "busy") is { } b)
                        {
                            busy.Add(b);
                        }
                    }
                }
                else
                {
                    m.Context.Error(m.Node, "compute 'cpuTicks' needs 'busy' (a list of tick counters, e.g. [ssCpuRawUser.0, ssCpuRawSystem.0])");
                    return null;
                }

                return ReadOid(m, "idle", true) is { } idle && busy.Count > 0
                    ? new SnmpDeviceMetric { Metric = metric, Compute = compute.Value, Operands = busy, Other = idle, Source = m.Source }
                    : null;
            case SnmpDeviceCompute.HrStorageRam:
                return new SnmpDeviceMetric { Metric = metric, Compute = compute.Value, Source = m.Source };
            case SnmpDeviceCompute.EntitySensor:
                if (!m.Has("sensorType"))
                {
                    m.Context.Error(m.Node, "compute 'entitySensor' needs 'sensorType' (amperes, voltsAC, voltsDC, watts, hertz, celsius, percentRH, rpm, ...)");
                    return null;
                }

                return m.Enum<EntitySensorType>("sensorType") is { } type
                    ? new SnmpDeviceMetric { Metric = metric, Compute = compute.Value, SensorType = type, Scale = scale, Source = m.Source }
                    : null;
            default:
                return null;
        }
    }

    private static SnmpPortMetric? ReadPortMetric(MappingReader m)
    {
        var metric = MetricName(m);
        var compute = m.Enum<SnmpPortCompute>("compute");
        if (metric is null || compute is null)
        {
            return null;
        }

        if (compute.Value == SnmpPortCompute.Utilisation)
        {
            var inOid = ReadOid(m, "in", true);
            var outOid = ReadOid(m, "out", true);
            var speed = ReadOid(m, "speed", true);
            var high = ReadOid(m, "highSpeed", false);
            return inOid is { } i && outOid is { } o && speed is { } s
                ? new SnmpPortMetric { Metric = metric, Compute = compute.Value, Column = i, Out = o, Speed = s, HighSpeed = high ?? default, Source = m.Source }
                : null;
        }

        return ReadOid(m, "oid", true) is { } column
            ? new SnmpPortMetric { Metric = metric, Compute = compute.Value, Column = column, Source = m.Source }
            : null;
    }

    private static SnmpTrapDefinition? ReadTrap(MappingReader m)
    {
        var oid = ReadOid(m, "oid", required: true);
        var name = m.String("event");
        var severity = m.Enum<SnmpTrapSeverity>("severity") ?? SnmpTrapSeverity.Warning;
        string? metric = null;
        if (m.Value("metric") is not null)
        {
            metric = MetricName(m);
            if (metric is not null && m.Number("value") is null)
            {
                m.Context.Error(m.Node, $"trap '{name}' names metric '{metric}' and needs the 'value' to write");
                return null;
            }
        }

        return oid is { } o && name is { Length: > 0 } && (metric is not null || m.Value("metric") is null)
            ? new SnmpTrapDefinition { TrapOid = o, Event = name, Severity = severity, Metric = metric, Value = m.Number("value") ?? 0, Source = m.Source }
            : null;
    }

    private static string? MetricName(MappingReader m)
    {
        var name = m.String("metric");
        if (name is not null && (name.IndexOf('.', StringComparison.Ordinal) <= 0 || name.EndsWith('.')))
        {
            m.Context.Error(m.Value("metric")!, $"'metric' must be \"measurement.field\" as the models name it (e.g. cpu.usage), found '{name}'");
            return null;
        }

        return name;
    }

    private static Oid? ReadOid(MappingReader m, string key, bool required)
    {
        if (m.Value(key) is not { } node)
        {
            if (required)
            {
                m.Context.Error(m.Node, $"{m.Shape.Title} '{m.String("metric")}' needs '{key}' for compute '{(m.Value("compute") as YamlScalarNode)?.Value}'");
            }

            return null;
        }

        return ResolveNode(m, node, key);
    }

    private static Oid? ResolveNode(MappingReader m, YamlNode node, string key)
    {
        if (node is YamlScalarNode { Value: { Length: > 0 } text } && MibNames.TryResolve(text, out var oid) && oid.Length >= 2)
        {
            return oid;
        }

        m.Context.Error(node, $"'{key}' must be a numeric OID (1.3.6.1.2.1.1.3.0) or a known object name such as ifHCInOctets or sysUpTime.0; found {Scalars.Describe(node)}");
        return null;
    }
}
