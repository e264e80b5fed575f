using System.Globalization;

namespace Monitoring.Core.Inventory.Loading;

/// <summary>
/// Collects model and room files, then checks what no single mapping can: ids unique across files, references
/// (models, racks, dependsOn ports), rack space, and positions inside the room; and builds the <see cref="Inventory"/>.
/// </summary>
internal sealed class InventoryAssembler
{
    private const double Epsilon = 1e-9;
    private readonly List<ConfigError> _errors = [];
    private readonly Dictionary<string, (DeviceModel Model, SourceLocation IdAt)> _models = new(StringComparer.Ordinal);
    private readonly List<DeviceModel> _modelList = [];
    private readonly List<RoomDraft> _rooms = [];

    public IReadOnlyList<ConfigError> Errors => _errors;

    /// <summary>The models added so far, by id.</summary>
    public IReadOnlyDictionary<string, DeviceModel> Models => _models.ToDictionary(kv => kv.Key, kv => kv.Value.Model, StringComparer.Ordinal);

    public void Error(SourceLocation location, string message) => _errors.Add(new ConfigError(location, message));

    public void AddModelFile(string path)
    {
        foreach (var (model, idAt) in ModelFileReader.Read(new LoadContext(path, _errors)))
        {
            if (_models.TryGetValue(model.Id, out var first))
            {
                Error(idAt, $"duplicate model id '{model.Id}'; first defined at {first.IdAt}");
                continue;
            }

            _models.Add(model.Id, (model, idAt));
            _modelList.Add(model);
        }
    }

    public void AddRoomFile(string path)
    {
        if (RoomFileReader.Read(new LoadContext(path, _errors)) is { } room)
        {
            _rooms.Add(room);
        }
    }

    /// <summary>Runs the cross-file checks; returns the inventory when nothing at all was wrong.</summary>
    public Inventory? Build()
    {
        var rooms = _rooms
            .OrderBy(r => Path.GetFileName(r.File), StringComparer.Ordinal)
            .ThenBy(r => r.File, StringComparer.Ordinal)
            .ToList();
        var roomIds = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        var rackIds = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        var devices = new Dictionary<string, (DeviceDraft Draft, DeviceModel? Model)>(StringComparer.Ordinal);
        foreach (var room in rooms)
        {
            if (room.Id.Length > 0 && !roomIds.TryAdd(room.Id, room.IdAt))
            {
                Error(room.IdAt, $"duplicate room id '{room.Id}'; first defined at {roomIds[room.Id]}");
            }

            CheckRows(room);
            CheckRacks(room, rackIds);
            CheckDevices(room, devices);
        }

        foreach (var (draft, _) in devices.Values)
        {
            CheckDependsOn(draft, devices);
        }

        var links = rooms.ToDictionary(r => r, r => CheckLinks(r, devices));

        if (_errors.Count > 0)
        {
            return null;
        }

        var index = 0;
        var built = new List<Room>(rooms.Count);
        foreach (var room in rooms)
        {
            var roomDevices = room.Devices
                .OrderBy(d => d.Source.Line)
                .ThenBy(d => d.Source.Column)
                .Select(d => ToDevice(d, devices[d.Id].Model!, room.Id, index++) with { Training = room.Training, Zone = d.Zone ?? room.Zone })
                .ToList();
            built.Add(new Room
            {
                Id = room.Id,
                Name = room.Name,
                NameEn = room.NameEn,
                Site = room.Site,
                Training = room.Training,
                Size = room.Size!,
                Rows = room.Rows,
                Devices = roomDevices,
                Links = links[room],
                Source = room.Source,
            });
        }

        return new Inventory(_modelList, built);
    }

    private void CheckRows(RoomDraft room)
    {
        var rowIds = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        for (var i = 0; i < room.Rows.Count; i++)
        {
            var id = room.Rows[i].Id;
            if (id.Length > 0 && !rowIds.TryAdd(id, room.RowIdsAt[i]))
            {
                Error(room.RowIdsAt[i], $"duplicate row id '{id}' in room '{room.Id}'; first defined at {rowIds[id]}");
            }
        }
    }

    private void CheckRacks(RoomDraft room, Dictionary<string, SourceLocation> rackIds)
    {
        foreach (var draft in room.Racks)
        {
            var rack = draft.Rack;
            if (!rackIds.TryAdd(rack.Id, draft.IdAt))
            {
                Error(draft.IdAt, $"duplicate rack id '{rack.Id}'; first defined at {rackIds[rack.Id]}");
            }

            if (room.Size is null || !draft.HasPosition)
            {
                continue;
            }

            var sideways = rack.Facing is Facing.East or Facing.West;
            var halfX = (sideways ? rack.DepthM : rack.WidthM) / 2;
            var halfZ = (sideways ? rack.WidthM : rack.DepthM) / 2;
            CheckFootprint(room, $"rack '{rack.Id}'", rack.X, rack.Z, halfX, halfZ, draft.XAt, draft.ZAt);
        }
    }

    private void CheckFootprint(RoomDraft room, string what, double x, double z, double halfX, double halfZ, SourceLocation xAt, SourceLocation zAt)
    {
        var size = room.Size!;
        if (x - halfX < -Epsilon || x + halfX > size.WidthM + Epsilon)
        {
            Error(xAt, $"{what} spans x {F(x - halfX)}..{F(x + halfX)} m, outside room '{room.Id}' (width {F(size.WidthM)} m, x from 0 to {F(size.WidthM)})");
        }

        if (z - halfZ < -Epsilon || z + halfZ > size.DepthM + Epsilon)
        {
            Error(zAt, $"{what} spans z {F(z - halfZ)}..{F(z + halfZ)} m, outside room '{room.Id}' (depth {F(size.DepthM)} m, z from 0 to {F(size.DepthM)})");
        }
    }

    private void CheckDevices(RoomDraft room, Dictionary<string, (DeviceDraft Draft, DeviceModel? Model)> devices)
    {
        var racks = room.Racks.GroupBy(r => r.Rack.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Rack, StringComparer.Ordinal);
        var occupied = new Dictionary<string, List<(DeviceDraft Draft, DeviceModel Model)>>(StringComparer.Ordinal);
        foreach (var draft in room.Devices)
        {
            DeviceModel? model = null;
            if (_models.TryGetValue(draft.ModelId, out var entry))
            {
                model = entry.Model;
            }
            else
            {
                Error(draft.ModelAt, $"unknown model '{draft.ModelId}'{Suggest(draft.ModelId, _models.Keys)}");
            }

            if (!devices.TryAdd(draft.Id, (draft, model)))
            {
                Error(draft.IdAt, $"duplicate device id '{draft.Id}'; first defined at {devices[draft.Id].Draft.Source}");
            }

            if (model is not null)
            {
                CheckModelFits(draft, model);
                CheckPortSettings(draft, model);
            }

            switch (draft.Placement)
            {
                case PlacementKind.Rack:
                    CheckRackPlacement(room, draft, model, racks, occupied);
                    break;
                case PlacementKind.Floor when room.Size is not null && draft.X is { } x && draft.Z is { } z:
                    var (halfX, halfZ) = FloorHalfExtents(model, draft.Rotation);
                    CheckFootprint(room, $"floor unit '{draft.Id}'", x, z, halfX, halfZ, draft.XAt, draft.ZAt);
                    break;
                case PlacementKind.Point when room.Size is not null:
                    CheckPoint(room, draft);
                    break;
                default:
                    break;
            }
        }
    }

    private void CheckModelFits(DeviceDraft draft, DeviceModel model)
    {
        var section = draft.Section;
        if (section == Shapes.RackDevice && draft.ZeroU is not null && model.HeightU > 0)
        {
            Error(draft.ZeroUAt, $"device '{draft.Id}' has no 'u', so it is mounted 0U (a vertical strip in the rack's side channel), but model '{model.Id}' is {model.HeightU}U: give the device its 'u', or use a 0U model (heightU 0)");
        }
        else if (section == Shapes.RackDevice && draft.ZeroU is null && model.HeightU < 1)
        {
            Error(draft.ModelAt, $"model '{model.Id}' is not rack-mounted (heightU 0); list the device under floorUnits, sensors, probes or lamps, leave out 'u' to mount it 0U in a rack's side channel, or give the model a heightU");
        }
        else if (section == Shapes.FloorUnit && model.HeightU > 0)
        {
            Error(draft.ModelAt, $"model '{model.Id}' is rack-mounted (heightU {model.HeightU}); list the device under a rack's devices");
        }
        else if (ExpectedKind(section) is { } kind && model.Kind != kind)
        {
            Error(draft.ModelAt, $"model '{model.Id}' is of kind {YamlEnum.ToCamelCase(model.Kind.ToString())}, but {section.Title}s must use a model of kind {YamlEnum.ToCamelCase(kind.ToString())}");
        }
    }

    private static DeviceKind? ExpectedKind(ObjectShape section) =>
        section == Shapes.Sensor ? DeviceKind.Sensor
        : section == Shapes.Probe ? DeviceKind.Probe
        : section == Shapes.Lamp ? DeviceKind.Lamp
        : null;

    private void CheckPortSettings(DeviceDraft draft, DeviceModel model)
    {
        foreach (var (setting, at) in draft.Ports)
        {
            if (model.FindPort(setting.Index) is null)
            {
                Error(at, $"port {setting.Index} does not exist on model '{model.Id}' of device '{draft.Id}' (its ports: {PortLayout.Ranges(model.Ports)})");
            }
        }
    }

    private void CheckRackPlacement(
        RoomDraft room,
        DeviceDraft draft,
        DeviceModel? model,
        Dictionary<string, Rack> racks,
        Dictionary<string, List<(DeviceDraft Draft, DeviceModel Model)>> occupied)
    {
        if (draft.RackId is null)
        {
            return;
        }

        if (!racks.TryGetValue(draft.RackId, out var rack))
        {
            Error(draft.RackAt, $"device '{draft.Id}' is in unknown rack '{draft.RackId}'{Suggest(draft.RackId, racks.Keys)} (room '{room.Id}')");
            return;
        }

        if (draft.ZeroU is { } side)
        {
            // one 0U device per side channel and face of a rack
            var key = $"{rack.Id}/0U/{side}/{draft.Face}";
            if (occupied.TryGetValue(key, out var there) && there.Count > 0)
            {
                Error(draft.ZeroUAt, $"device '{draft.Id}' takes the {YamlEnum.ToCamelCase(side.ToString())} 0U channel ({YamlEnum.ToCamelCase(draft.Face.ToString())}) of rack '{rack.Id}', which device '{there[0].Draft.Id}' (defined at {there[0].Draft.Source}) already takes");
            }
            else if (model is not null)
            {
                occupied[key] = [(draft, model)];
            }

            return;
        }

        if (draft.U is not { } u)
        {
            return;
        }

        if (u < 1)
        {
            Error(draft.UAt, $"device '{draft.Id}' at U{u} is below the bottom of rack '{rack.Id}' (U positions start at 1)");
            return;
        }

        var height = model is { HeightU: > 0 } && draft.Section == Shapes.RackDevice ? model.HeightU : 1;
        var top = u + height - 1;
        if (top > rack.HeightU)
        {
            Error(draft.UAt, height == 1
                ? $"device '{draft.Id}' at U{u} is above the top of rack '{rack.Id}' ({rack.HeightU}U)"
                : $"device '{draft.Id}' ({height}U) at U{u} needs U{u}-U{top}, taller than the space left in rack '{rack.Id}' ({rack.HeightU}U)");
            return;
        }

        if (model is null || draft.Section != Shapes.RackDevice || model.HeightU < 1)
        {
            return;
        }

        if (!occupied.TryGetValue(rack.Id, out var placed))
        {
            placed = [];
            occupied[rack.Id] = placed;
        }

        foreach (var (other, otherModel) in placed)
        {
            var otherTop = other.U!.Value + otherModel.HeightU - 1;
            var unitsMeet = u <= otherTop && other.U.Value <= top;
            var facesMeet = model.Depth == DeviceDepth.Full || otherModel.Depth == DeviceDepth.Full || draft.Face == other.Face;
            if (unitsMeet && facesMeet)
            {
                Error(draft.UAt, $"device '{draft.Id}' ({Describe(draft, model)}) overlaps device '{other.Id}' ({Describe(other, otherModel)}, defined at {other.Source}) in rack '{rack.Id}'");
            }
        }

        placed.Add((draft, model));
    }

    private static string Describe(DeviceDraft draft, DeviceModel model)
    {
        var top = draft.U!.Value + model.HeightU - 1;
        var units = top == draft.U.Value ? $"U{top}" : $"U{draft.U}-U{top}";
        return model.Depth == DeviceDepth.Full ? $"{units}, full depth" : $"{units}, {YamlEnum.ToCamelCase(draft.Face.ToString())}, half depth";
    }

    private static (double HalfX, double HalfZ) FloorHalfExtents(DeviceModel? model, double rotationDegrees)
    {
        if (model?.WidthM is not { } width || model.DepthM is not { } depth)
        {
            return (0, 0);
        }

        var radians = rotationDegrees * Math.PI / 180;
        var cos = Math.Abs(Math.Cos(radians));
        var sin = Math.Abs(Math.Sin(radians));
        return (((cos * width) + (sin * depth)) / 2, ((sin * width) + (cos * depth)) / 2);
    }

    private void CheckPoint(RoomDraft room, DeviceDraft draft)
    {
        var size = room.Size!;
        if (draft.X is { } x && (x < 0 || x > size.WidthM))
        {
            Error(draft.XAt, $"{draft.Section.Title} '{draft.Id}' at x {F(x)} m is outside room '{room.Id}' (x from 0 to {F(size.WidthM)})");
        }

        if (draft.Y is { } y && (y < 0 || y > size.HeightM))
        {
            Error(draft.YAt, $"{draft.Section.Title} '{draft.Id}' at y {F(y)} m is outside room '{room.Id}' (y, the height above the floor, from 0 to {F(size.HeightM)})");
        }

        if (draft.Z is { } z && (z < 0 || z > size.DepthM))
        {
            Error(draft.ZAt, $"{draft.Section.Title} '{draft.Id}' at z {F(z)} m is outside room '{room.Id}' (z from 0 to {F(size.DepthM)})");
        }
    }

    private void CheckDependsOn(DeviceDraft draft, Dictionary<string, (DeviceDraft Draft, DeviceModel? Model)> devices)
    {
        if (draft.DependsOn is not { } text)
        {
            return;
        }

        var colon = text.LastIndexOf(':');
        var targetId = colon < 0 ? text : text[..colon];
        int? port = null;
        if (colon >= 0)
        {
            if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                Error(draft.DependsOnAt, $"dependsOn '{text}' must be 'device' or 'device:port' with a port index");
                return;
            }

            port = parsed;
        }

        if (string.Equals(targetId, draft.Id, StringComparison.Ordinal))
        {
            Error(draft.DependsOnAt, $"device '{draft.Id}' cannot depend on itself");
            return;
        }

        if (!devices.TryGetValue(targetId, out var target))
        {
            Error(draft.DependsOnAt, $"dependsOn '{text}': no device '{targetId}'{Suggest(targetId, devices.Keys)}");
            return;
        }

        if (port is { } index && target.Model is { } model && model.FindPort(index) is null)
        {
            Error(draft.DependsOnAt, $"dependsOn '{text}': port {index} does not exist on model '{model.Id}' of device '{targetId}' (its ports: {PortLayout.Ranges(model.Ports)})");
        }
    }

    /// <summary>
    /// The room's links with both ends resolved: a device of this room and a port its model has, each port in one link
    /// at most (a cable has two ends; a port takes one plug).
    /// </summary>
    private List<PortLink> CheckLinks(RoomDraft room, Dictionary<string, (DeviceDraft Draft, DeviceModel? Model)> devices)
    {
        var links = new List<PortLink>(room.Links.Count);
        var taken = new Dictionary<PortEnd, SourceLocation>();
        var own = room.Links.Count == 0 ? [] : room.Devices.ToHashSet();
        foreach (var link in room.Links)
        {
            var a = ResolveEnd(own, link.AText, link.AAt, devices);
            var b = ResolveEnd(own, link.BText, link.BAt, devices);
            if (a is not { } first || b is not { } second)
            {
                continue;
            }

            var ok = true;
            foreach (var (end, at) in new[] { (first, link.AAt), (second, link.BAt) })
            {
                if (!taken.TryAdd(end, at))
                {
                    Error(at, $"port {end} is already linked at {taken[end]}; a port takes one cable");
                    ok = false;
                }
            }

            if (ok)
            {
                links.Add(new PortLink(first, second, link.Source));
            }
        }

        return links;
    }

    private PortEnd? ResolveEnd(HashSet<DeviceDraft> own, string text, SourceLocation at, Dictionary<string, (DeviceDraft Draft, DeviceModel? Model)> devices)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            Error(at, $"link end '{text}' must be 'device:port' (a device id and a port index, e.g. asw-a01:49)");
            return null;
        }

        var deviceId = text[..colon];
        if (!devices.TryGetValue(deviceId, out var target))
        {
            Error(at, $"link end '{text}': no device '{deviceId}'{Suggest(deviceId, devices.Keys)}");
            return null;
        }

        if (!own.Contains(target.Draft))
        {
            Error(at, $"link end '{text}': device '{deviceId}' is in another room (defined at {target.Draft.Source}); links join ports of one room");
            return null;
        }

        if (target.Model is { } model && model.FindPort(port) is null)
        {
            Error(at, $"link end '{text}': port {port} does not exist on model '{model.Id}' of device '{deviceId}' (its ports: {PortLayout.Ranges(model.Ports)})");
            return null;
        }

        return new PortEnd(deviceId, port);
    }

    private static Device ToDevice(DeviceDraft draft, DeviceModel model, string roomId, int index) => new()
    {
        Id = draft.Id,
        Name = draft.Name,
        Model = model,
        RoomId = roomId,
        Placement = draft.Placement,
        RackId = draft.Placement == PlacementKind.Rack ? draft.RackId : null,
        U = draft.Placement == PlacementKind.Rack ? draft.U ?? 0 : 0,
        Face = draft.Face,
        X = draft.X ?? 0,
        Y = draft.Y ?? 0,
        Z = draft.Z ?? 0,
        RotationDegrees = draft.Rotation,
        Address = draft.Address,
        UnitId = draft.UnitId,
        AssetTag = draft.AssetTag,
        Profile = draft.Profile,
        Role = draft.Role,
        Tags = draft.Tags,
        DependsOn = draft.DependsOn,
        PortSettings = draft.Ports.ToDictionary(p => p.Setting.Index, p => p.Setting),
        Index = index,
        Source = draft.Source,
        ProfileSource = draft.ProfileAt,
        ZeroU = draft.Placement == PlacementKind.Rack ? draft.ZeroU : null,
    };

    private static string Suggest(string name, IEnumerable<string> known)
    {
        var closest = known
            .Select(k => (Key: k, Common: CommonPrefix(k, name)))
            .Where(k => k.Common >= Math.Max(2, name.Length / 2))
            .OrderByDescending(k => k.Common)
            .ThenBy(k => k.Key, StringComparer.Ordinal)
            .FirstOrDefault();
        return closest.Key is null ? string.Empty : $"; did you mean '{closest.Key}'?";
    }

    private static int CommonPrefix(string a, string b)
    {
        var n = 0;
        while (n < a.Length && n < b.Length && char.ToLowerInvariant(a[n]) == char.ToLowerInvariant(b[n]))
        {
            n++;
        }

        return n;
    }

    private static string F(double value) => MappingReader.Format(value);
}
