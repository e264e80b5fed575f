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
    IReadOnlyList<Status> PortStatus, ZeroUSide? ZeroU = null, IReadOnlyList<int>? PortsAdminDown = null);

public sealed record RoomDto(
    string Id, string Name, string? NameEn, string? Site, SizeDto Size, IReadOnlyList<RowDto> Rows, IReadOnlyList<RackDto> Racks,
    IReadOnlyList<ModelDto> Models, IReadOnlyList<DeviceDto> Devices, IReadOnlyList<LinkDto>? Links = null);

/// <summary>A cable between two ports of a room (the room file's <c>links:</c>).</summary>
public sealed record LinkDto(LinkEndDto From, LinkEndDto To);

public sealed record LinkEndDto(string Device, int Port);

public sealed record ValueDto(string Metric, double Value, DateTimeOffset Timestamp, string? Unit, string? Label, string? LabelZh, Status Status);

public sealed record ModelRefDto(string Id, string Name, string? Vendor, DeviceKind Kind);

public sealed record DevicePortDto(
    int Index, string Name, PortKind Kind, Status Status, IReadOnlyList<ValueDto> Values, string? Description = null, LinkEndDto? Peer = null,
    bool AdminDown = false);

public sealed record DeviceDetailDto(
    string Id, string Name, string Room, string? Rack, int U, MountFace Face, string? Address, string? AssetTag, string? Role,
    string? Profile, IReadOnlyDictionary<string, string> Tags, string? DependsOn, Status Status, DateTimeOffset? LastSeen,
    ModelRefDto Model, IReadOnlyList<ValueDto> Values, IReadOnlyList<DevicePortDto> Ports);

public sealed record SearchHitDto(string Id, string Name, string Room, string? Rack, string? Address, string? AssetTag, DeviceKind Kind);
