namespace Monitoring.Core.Inventory;

/// <summary>Which way a rack's front faces, in the room's coordinates (x to the east, z to the south).</summary>
public enum Facing
{
    North,
    East,
    South,
    West,
}

public enum MountFace
{
    Front,
    Rear,
}

/// <summary>
/// The side channel of a rack a 0U device (a vertical PDU) is mounted in, seen from the rear where it hangs: it takes no
/// U position and runs the rack's height beside the rails.
/// </summary>
public enum ZeroUSide
{
    Left,
    Right,
}

/// <summary>How a device is placed: in a rack at a U position, or standing on the floor / on a wall at a point.</summary>
public enum PlacementKind
{
    Rack,
    Floor,
    Point,
}

public sealed record Rack
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string RowId { get; init; }
    /// <summary>Centre of the rack's footprint in metres from the room's north-west corner.</summary>
    public required double X { get; init; }
    public required double Z { get; init; }
    public Facing Facing { get; init; } = Facing.South;
    public int HeightU { get; init; } = 42;
    public double WidthM { get; init; } = 0.6;
    public double DepthM { get; init; } = 1.2;
    public SourceLocation Source { get; init; }
}

public sealed record RackRow
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public IReadOnlyList<Rack> Racks { get; init; } = [];
}

public sealed record Device
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required DeviceModel Model { get; init; }
    public required string RoomId { get; init; }

    /// <summary>
    /// The device belongs to a training room (<c>training: true</c>): the live server never polls it, simulates it,
    /// takes samples for it or evaluates alarm rules on it; training sessions give it a life of their own.
    /// </summary>
    public bool Training { get; init; }

    public PlacementKind Placement { get; init; }
    /// <summary>Rack placement: the rack, the lowest U the device occupies (1-based) and the face it is mounted on.</summary>
    public string? RackId { get; init; }
    /// <summary>The lowest U, or 0 for a 0U device (see <see cref="ZeroU"/>).</summary>
    public int U { get; init; }
    /// <summary>Rack placement without a U: a vertical 0U device in the rack's left or right side channel.</summary>
    public ZeroUSide? ZeroU { get; init; }
    public MountFace Face { get; init; } = MountFace.Front;
    /// <summary>Floor or point placement: position in metres (y is height above the floor).</summary>
    public double X { get; init; }
    public double Y { get; init; }
    public double Z { get; init; }
    public double RotationDegrees { get; init; }
    /// <summary>Management address (IP or host[:port]); for serial sensors behind a gateway also the unit id.</summary>
    public string? Address { get; init; }
    public int? UnitId { get; init; }
    public string? AssetTag { get; init; }
    /// <summary>Which protocol profile polls it, e.g. "snmp/if-mib" or "modbus/generic-ups"; null when samples are pushed.</summary>
    public string? Profile { get; init; }
    public string? Role { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    /// <summary>The device this one depends on (a switch port, a UPS), as "device" or "device:port".</summary>
    public string? DependsOn { get; init; }
    /// <summary>Per-port settings by port index (description, whether a down port matters); only ports that have settings.</summary>
    public IReadOnlyDictionary<int, PortSetting> PortSettings { get; init; } = new Dictionary<int, PortSetting>();
    /// <summary>Dense index over every device of the inventory, assigned at load; the hot path uses it instead of the id.</summary>
    public int Index { get; init; }
    /// <summary>
    /// The zone of the room file (<c>zone:</c> on the room, a row or the device itself, the nearest wins), or null. A zone
    /// that a remote collector node serves is polled by that node, not by the server (docs/DEPLOYMENT.md).
    /// </summary>
    public string? Zone { get; init; }
    public SourceLocation Source { get; init; }
    /// <summary>Where the room file names <see cref="Profile"/> (for errors about it); the device's own location when absent.</summary>
    public SourceLocation ProfileSource { get; init; }

    public DeviceKind Kind => Model.Kind;
}

/// <summary>Settings of one port of a device, e.g. what is patched into it, or that it is unused and may stay down.</summary>
public sealed record PortSetting(int Index, string? Description, bool Monitored = true);

public sealed record RoomSize(double WidthM, double DepthM, double HeightM);

public sealed record Room
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? NameEn { get; init; }
    public string? Site { get; init; }

    /// <summary>A training room: the only kind a trainee may open; its faults are simulated by an instructor.</summary>
    public bool Training { get; init; }

    public required RoomSize Size { get; init; }
    public IReadOnlyList<RackRow> Rows { get; init; } = [];
    public IReadOnlyList<Device> Devices { get; init; } = [];

    /// <summary>Cables between two ports of the room (the room file's <c>links:</c>), each port in at most one link.</summary>
    public IReadOnlyList<PortLink> Links { get; init; } = [];

    public SourceLocation Source { get; init; }

    public IEnumerable<Rack> Racks => Rows.SelectMany(r => r.Racks);
}

/// <summary>One end of a cable: a device's port by the model's port index.</summary>
public readonly record struct PortEnd(string DeviceId, int Port)
{
    public override string ToString() => $"{DeviceId}:{Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>A cable between two ports, as a room file declares it (<c>links: - [asw-a01:49, csw-1:1]</c>).</summary>
public sealed record PortLink(PortEnd A, PortEnd B, SourceLocation Source)
{
    /// <summary>The other end of the cable when <paramref name="end"/> is one of its ends; else null.</summary>
    public PortEnd? PeerOf(PortEnd end) => end == A ? B : end == B ? A : null;
}
