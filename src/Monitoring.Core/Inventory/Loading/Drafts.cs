namespace Monitoring.Core.Inventory.Loading;

/// <summary>A device as read from a room file, before its model and references are resolved.</summary>
internal sealed class DeviceDraft
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string ModelId { get; init; }
    /// <summary>Which list of the room file it came from; decides which models fit.</summary>
    public required ObjectShape Section { get; init; }
    public required SourceLocation Source { get; init; }
    public required SourceLocation IdAt { get; init; }
    public required SourceLocation ModelAt { get; init; }
    public PlacementKind Placement { get; set; }
    public string? RackId { get; set; }
    public SourceLocation RackAt { get; set; }
    public int? U { get; set; }
    public SourceLocation UAt { get; set; }
    public MountFace Face { get; set; }
    public ZeroUSide? ZeroU { get; set; }
    public SourceLocation ZeroUAt { get; set; }
    public double? X { get; set; }
    public double? Y { get; set; }
    public double? Z { get; set; }
    public SourceLocation XAt { get; set; }
    public SourceLocation YAt { get; set; }
    public SourceLocation ZAt { get; set; }
    public double Rotation { get; set; }
    public string? Address { get; init; }
    public int? UnitId { get; init; }
    public string? AssetTag { get; init; }
    public string? Profile { get; init; }
    public SourceLocation ProfileAt { get; init; }
    public string? Role { get; init; }
    public required Dictionary<string, string> Tags { get; init; }
    public string? DependsOn { get; init; }
    public SourceLocation DependsOnAt { get; init; }
    public required List<(PortSetting Setting, SourceLocation At)> Ports { get; init; }
    /// <summary>The zone the device itself names (<c>zone:</c>), or its row's, or null for the room's.</summary>
    public string? Zone { get; set; }
}

internal sealed class RackDraft
{
    public required Rack Rack { get; init; }
    public required SourceLocation IdAt { get; init; }
    public required SourceLocation XAt { get; init; }
    public required SourceLocation ZAt { get; init; }
    /// <summary>False when x or z was missing or invalid (already reported); the rack is still known by id.</summary>
    public required bool HasPosition { get; init; }
}

internal sealed class RoomDraft
{
    public required string File { get; init; }
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? NameEn { get; init; }
    public string? Site { get; init; }
    public bool Training { get; init; }
    public RoomSize? Size { get; init; }
    /// <summary>The room's zone (<c>zone:</c>): which collector node polls its devices unless a row or device says otherwise.</summary>
    public string? Zone { get; init; }
    public required SourceLocation Source { get; init; }
    public required SourceLocation IdAt { get; init; }
    public List<RackRow> Rows { get; } = [];
    /// <summary>Where each row's id is written, in the order of <see cref="Rows"/>.</summary>
    public List<SourceLocation> RowIdsAt { get; } = [];
    public List<RackDraft> Racks { get; } = [];
    public List<DeviceDraft> Devices { get; } = [];
    /// <summary>The <c>links:</c> as written: each end's text and where it is; checked against the devices later.</summary>
    public List<LinkDraft> Links { get; } = [];
}

internal sealed record LinkDraft(string AText, SourceLocation AAt, string BText, SourceLocation BAt, SourceLocation Source);
