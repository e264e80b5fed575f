namespace Monitoring.Core.Inventory.Loading;

/// <summary>
/// The keys one kind of YAML mapping may hold. The readers reject every other key, and the JSON Schemas in
/// device-profiles/schema/ list exactly these (a test keeps the two in step).
/// </summary>
/// <param name="Name">The name of the matching definition under the schema's <c>$defs</c>.</param>
/// <param name="Title">What the mapping is called in error messages.</param>
internal sealed record ObjectShape(string Name, string Title, string[] Required, string[] Optional, IReadOnlyDictionary<string, Type>? Enums = null)
{
    public bool Allows(string key) => Array.IndexOf(Required, key) >= 0 || Array.IndexOf(Optional, key) >= 0;

    public IEnumerable<string> Keys => Required.Concat(Optional);
}

/// <summary>Every mapping the inventory files are made of.</summary>
internal static class Shapes
{
    private static readonly string[] DeviceCommon = ["address", "unitId", "assetTag", "profile", "role", "tags", "dependsOn", "ports", "zone"];

    public static readonly ObjectShape Model = new(
        "model",
        "model",
        ["id", "name", "kind"],
        ["vendor", "heightU", "depth", "size", "portGroups", "metrics"],
        new Dictionary<string, Type> { ["kind"] = typeof(DeviceKind), ["depth"] = typeof(DeviceDepth) });

    public static readonly ObjectShape ModelSize = new("modelSize", "model size", ["width", "depth", "height"], []);

    public static readonly ObjectShape PortGroup = new(
        "portGroup",
        "port group",
        ["kind", "count", "firstIndex", "name"],
        ["rows", "numbering", "panel"],
        new Dictionary<string, Type> { ["kind"] = typeof(PortKind), ["numbering"] = typeof(PortNumbering) });

    public static readonly ObjectShape Panel = new("panel", "panel rectangle", ["x", "y", "width", "height"], []);

    public static readonly ObjectShape Metric = new(
        "metric",
        "metric",
        ["name"],
        ["scope", "unit", "label", "labelZh", "warning", "alarm", "lowIsBad", "states", "words"],
        new Dictionary<string, Type> { ["scope"] = typeof(MetricScope) });

    public static readonly ObjectShape StateWords = new("stateWords", "state words", ["en", "zh"], []);

    public static readonly ObjectShape Room = new(
        "room",
        "room",
        ["id", "name", "size"],
        ["nameEn", "site", "training", "zone", "rows", "floorUnits", "sensors", "probes", "lamps", "links"]);

    public static readonly ObjectShape RoomSize = new("roomSize", "room size", ["width", "depth", "height"], []);

    public static readonly ObjectShape Row = new("row", "row", ["id", "name"], ["zone", "racks"]);

    public static readonly ObjectShape Rack = new(
        "rack",
        "rack",
        ["id", "name", "x", "z"],
        ["facing", "heightU", "width", "depth", "devices"],
        new Dictionary<string, Type> { ["facing"] = typeof(Facing) });

    public static readonly ObjectShape RackDevice = new(
        "rackDevice",
        "rack device",
        ["id", "name", "model"],
        ["u", "zeroU", "face", .. DeviceCommon],
        new Dictionary<string, Type> { ["face"] = typeof(MountFace), ["zeroU"] = typeof(ZeroUSide) });

    public static readonly ObjectShape FloorUnit = new("floorUnit", "floor unit", ["id", "name", "model", "x", "z"], ["rotation", .. DeviceCommon]);

    public static readonly ObjectShape Sensor = new(
        "sensor",
        "sensor",
        ["id", "name", "model"],
        ["rack", "u", "face", "x", "y", "z", .. DeviceCommon],
        new Dictionary<string, Type> { ["face"] = typeof(MountFace) });

    public static readonly ObjectShape Probe = new("probe", "probe", ["id", "name", "model", "x", "y", "z"], [.. DeviceCommon]);

    public static readonly ObjectShape Lamp = new("lamp", "lamp", ["id", "name", "model", "x", "y", "z"], [.. DeviceCommon]);

    public static readonly ObjectShape PortSetting = new("portSetting", "port setting", [], ["description", "monitored"]);

    /// <summary>Shapes of models/*.yaml.</summary>
    public static readonly ObjectShape[] ModelFile = [Model, ModelSize, PortGroup, Panel, Metric, StateWords];

    /// <summary>Shapes of rooms/*.yaml.</summary>
    public static readonly ObjectShape[] RoomFile = [Room, RoomSize, Row, Rack, RackDevice, FloorUnit, Sensor, Probe, Lamp, PortSetting];
}
