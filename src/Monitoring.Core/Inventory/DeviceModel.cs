namespace Monitoring.Core.Inventory;

/// <summary>What kind of thing a device is; drives how the 3D room draws it and which defaults apply.</summary>
public enum DeviceKind
{
    Switch,
    Router,
    Firewall,
    Server,
    Storage,
    PatchPanel,
    Pdu,
    Ups,
    AirConditioner,
    Sensor,
    Probe,
    Lamp,
    Other,
}

/// <summary>Rack-mounted devices are full or half depth.</summary>
public enum DeviceDepth
{
    Full,
    Half,
}

public enum PortKind
{
    Copper,
    Sfp,
    SfpPlus,
    Qsfp,
    Nic,
    Outlet,
    Console,
    Management,
}

/// <summary>
/// A block of identical ports on a model's front panel, e.g. 48 copper ports in two rows.
/// Panel coordinates are fractions of the panel: (0,0) is the bottom-left corner seen from the front.
/// </summary>
public sealed record PortGroup
{
    public required PortKind Kind { get; init; }
    public required int Count { get; init; }
    public int Rows { get; init; } = 1;
    /// <summary>Index of the first port of the group; port indexes are unique within a model.</summary>
    public required int FirstIndex { get; init; }
    /// <summary>Name pattern, "{n}" replaced by the port index, e.g. "GE1/0/{n}".</summary>
    public required string NamePattern { get; init; }
    public PortNumbering Numbering { get; init; } = PortNumbering.Columns;
    public double PanelX { get; init; }
    public double PanelY { get; init; }
    public double PanelWidth { get; init; } = 1;
    public double PanelHeight { get; init; } = 1;
}

/// <summary>One port expanded from its group, with the centre of its socket on the front panel.</summary>
public sealed record PortDefinition(int Index, string Name, PortKind Kind, double PanelX, double PanelY, int Row, int Column);

/// <summary>How ports of a group are numbered across its rows.</summary>
public enum PortNumbering
{
    /// <summary>Down each column, then to the next column (1 above 2, 3 above 4), as on most switches.</summary>
    Columns,
    /// <summary>Along the top row, then the next row (1..24 on top, 25..48 below), as on most patch panels.</summary>
    Rows,
}

public enum MetricScope
{
    Device,
    Port,
}

/// <summary>
/// A metric a model exposes. Samples are named "measurement.field" as they arrive in line protocol
/// (e.g. "cpu.usage", "interface.oper_status"). Thresholds give the status the value alone implies
/// before the alarm engine has an opinion.
/// </summary>
public sealed record MetricDefinition
{
    public required string Name { get; init; }
    public MetricScope Scope { get; init; } = MetricScope.Device;
    public string? Unit { get; init; }
    public string? Label { get; init; }
    public string? LabelZh { get; init; }
    /// <summary>Value at or beyond which the status is at least Warning.</summary>
    public double? Warning { get; init; }
    /// <summary>Value at or beyond which the status is Alarm.</summary>
    public double? Alarm { get; init; }
    /// <summary>True when low values are bad (battery %, runtime): thresholds are crossed downwards.</summary>
    public bool LowIsBad { get; init; }
    /// <summary>Discrete values mapped to a status, e.g. interface.oper_status 1 = Ok, 2 = Down.</summary>
    public IReadOnlyDictionary<double, Status>? States { get; init; }
    /// <summary>Discrete values in words, e.g. ups.mode 2 = "on battery" / "电池供电": what readers see instead of the number.</summary>
    public IReadOnlyDictionary<double, StateWords>? Words { get; init; }

    /// <summary>The words for <paramref name="value"/>, or null when the metric has none for it.</summary>
    public StateWords? WordsFor(double value) => Words is { } words && words.TryGetValue(value, out var found) ? found : null;
}

/// <summary>One discrete value of a metric in words, in English and in Chinese.</summary>
public sealed record StateWords(string En, string Zh);

public sealed record DeviceModel
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? Vendor { get; init; }
    public required DeviceKind Kind { get; init; }
    /// <summary>Height in rack units; 0 for things that are not rack-mounted.</summary>
    public int HeightU { get; init; }
    public DeviceDepth Depth { get; init; } = DeviceDepth.Full;
    /// <summary>Size in metres for floor units, sensors and probes (width, depth, height).</summary>
    public double? WidthM { get; init; }
    public double? DepthM { get; init; }
    public double? HeightM { get; init; }
    public IReadOnlyList<PortGroup> PortGroups { get; init; } = [];
    public IReadOnlyList<PortDefinition> Ports { get; init; } = [];
    public IReadOnlyList<MetricDefinition> Metrics { get; init; } = [];
    public SourceLocation Source { get; init; }

    public PortDefinition? FindPort(int index)
    {
        foreach (var port in Ports)
        {
            if (port.Index == index)
            {
                return port;
            }
        }

        return null;
    }

    public MetricDefinition? FindMetric(string name)
    {
        foreach (var metric in Metrics)
        {
            if (string.Equals(metric.Name, name, StringComparison.Ordinal))
            {
                return metric;
            }
        }

        return null;
    }
}
