using Monitoring.Core.Inventory;

namespace Monitoring.Server.Api;

// The shapes the console draws from. Names are the JSON contract (camelCase); see docs/API.md.
public sealed record RoomSummaryDto(string Id, string Name, string? NameEn, string? Site, int RackCount, int DeviceCount, Status Status);

public sealed record SizeDto(double Width, double Depth, double Height);

public sealed record RowDto(string Id, string Name);

public sealed record RackDto(string Id, string Name, string Row, double X, double Z, Facing Facing, int HeightU, double Width, double Depth);

public sealed record PortDto(int Index, string Name, PortKind Kind, double X, double Y);

public sealed record ModelDto(string Id, string Name, string? Vendor, DeviceKind Kind, int HeightU, DeviceDepth Depth, SizeDto? Size, IReadOnlyList<PortDto> Ports);

public sealed record DeviceDto(
    string Id, string Name, string Model, DeviceKind Kind, PlacementKind Placement, string? Rack, int U, MountFace Face,
    double X, double Y, double Z, double Rotation, string? Address, string? AssetTag, string? Role, Status Status,
    IReadOnlyList<Status> PortStatus, ZeroUSide? ZeroU = null, IReadOnlyList<int>? PortsAdminDown = null)
{
    /// <summary>An alarm lamp's outputs as last read back from its coils; null for other devices or before the first read.</summary>
    public LampDto? Lamp { get; init; }
}

/// <summary>
/// What an alarm lamp really shows: its red/yellow/green/buzzer coils as last read from the device (the Modbus
/// collector's FC 1 poll), and when. Not the lamp's own status: the 3D room paints the lamp from this.
/// </summary>
public sealed record LampDto(bool Red, bool Yellow, bool Green, bool Buzzer, DateTimeOffset At)
{
    /// <summary>The colour lit, worst first: "red", "yellow", "green", or "off" when none is.</summary>
    public string Colour => Red ? "red" : Yellow ? "yellow" : Green ? "green" : "off";
}

/// <summary>One discrete value of a metric in words (see the model's <c>words</c>).</summary>
public sealed record WordsDto(string En, string Zh);

public sealed record RoomDto(
    string Id, string Name, string? NameEn, string? Site, SizeDto Size, IReadOnlyList<RowDto> Rows, IReadOnlyList<RackDto> Racks,
    IReadOnlyList<ModelDto> Models, IReadOnlyList<DeviceDto> Devices, IReadOnlyList<LinkDto>? Links = null);

/// <summary>A cable between two ports of a room (the room file's <c>links:</c>).</summary>
public sealed record LinkDto(LinkEndDto From, LinkEndDto To);

public sealed record LinkEndDto(string Device, int Port);

public sealed record ValueDto(string Metric, double Value, DateTimeOffset Timestamp, string? Unit, string? Label, string? LabelZh, Status Status)
{
    /// <summary>The metric's discrete values in words, keyed by the value as text ("2"): the console shows these, not the number. Null when the model gives none.</summary>
    public IReadOnlyDictionary<string, WordsDto>? Words { get; init; }

    /// <summary>This value in words (English, Chinese), when the model has words for it.</summary>
    public WordsDto? Text => Words is { } words && words.TryGetValue(Key(Value), out var text) ? text : null;

    public static string Key(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

public sealed record ModelRefDto(string Id, string Name, string? Vendor, DeviceKind Kind);

public sealed record DevicePortDto(
    int Index, string Name, PortKind Kind, Status Status, IReadOnlyList<ValueDto> Values, string? Description = null, LinkEndDto? Peer = null,
    bool AdminDown = false);

public sealed record DeviceDetailDto(
    string Id, string Name, string Room, string? Rack, int U, MountFace Face, string? Address, string? AssetTag, string? Role,
    string? Profile, IReadOnlyDictionary<string, string> Tags, string? DependsOn, Status Status, DateTimeOffset? LastSeen,
    ModelRefDto Model, IReadOnlyList<ValueDto> Values, IReadOnlyList<DevicePortDto> Ports)
{
    /// <summary>An alarm lamp's outputs as last read back from its coils; null for other devices or before the first read.</summary>
    public LampDto? Lamp { get; init; }
}

public sealed record SearchHitDto(string Id, string Name, string Room, string? Rack, string? Address, string? AssetTag, DeviceKind Kind);
