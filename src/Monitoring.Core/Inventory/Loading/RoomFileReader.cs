using YamlDotNet.RepresentationModel;

namespace Monitoring.Core.Inventory.Loading;

/// <summary>Reads one rooms/*.yaml into a <see cref="RoomDraft"/>; references are checked later, across files.</summary>
internal static class RoomFileReader
{
    public static RoomDraft? Read(LoadContext context)
    {
        var root = context.ReadRoot();
        if (root is null)
        {
            return null;
        }

        var map = MappingReader.Open(context, root, Shapes.Room);
        if (map is null)
        {
            return null;
        }

        RoomSize? size = null;
        if (map.Child("size", Shapes.RoomSize) is { } sizeMap)
        {
            var width = sizeMap.Number("width", 0, 10_000, exclusiveMin: true);
            var depth = sizeMap.Number("depth", 0, 10_000, exclusiveMin: true);
            var height = sizeMap.Number("height", 0, 100, exclusiveMin: true);
            if (width is not null && depth is not null && height is not null)
            {
                size = new RoomSize(width.Value, depth.Value, height.Value);
            }
        }

        var room = new RoomDraft
        {
            File = context.File,
            Id = map.Id("id") ?? string.Empty,
            Name = map.String("name") ?? string.Empty,
            NameEn = map.String("nameEn"),
            Site = map.String("site"),
            Training = map.Bool("training") ?? false,
            Zone = map.Id("zone"),
            Size = size,
            Source = map.Source,
            IdAt = map.At("id"),
        };

        foreach (var row in Items(map, "rows"))
        {
            ReadRow(context, row, room);
        }

        foreach (var item in Items(map, "floorUnits"))
        {
            if (ReadDevice(context, item, Shapes.FloorUnit) is not ({ } device, { } reader))
            {
                continue;
            }

            device.Placement = PlacementKind.Floor;
            ReadPoint(reader, device, withHeight: false);
            device.Rotation = reader.Number("rotation", -360, 360) ?? 0;
            room.Devices.Add(device);
        }

        foreach (var item in Items(map, "sensors"))
        {
            if (ReadDevice(context, item, Shapes.Sensor) is ({ } device, { } reader))
            {
                ReadSensorPlacement(reader, device);
                room.Devices.Add(device);
            }
        }

        foreach (var (key, shape) in new[] { ("probes", Shapes.Probe), ("lamps", Shapes.Lamp) })
        {
            foreach (var item in Items(map, key))
            {
                if (ReadDevice(context, item, shape) is ({ } device, { } reader))
                {
                    device.Placement = PlacementKind.Point;
                    ReadPoint(reader, device, withHeight: true);
                    room.Devices.Add(device);
                }
            }
        }

        foreach (var item in Items(map, "links"))
        {
            ReadLink(context, item, room);
        }

        return room;
    }

    /// <summary>A link is a list of two port ends, <c>[device:port, device:port]</c>; the ends are resolved by the assembler.</summary>
    private static void ReadLink(LoadContext context, YamlNode node, RoomDraft room)
    {
        if (node is not YamlSequenceNode { Children.Count: 2 } pair)
        {
            context.Error(node, $"a link is a list of two port ends, e.g. [asw-a01:49, csw-1:1]; found {Scalars.Describe(node)}");
            return;
        }

        var ends = new string?[2];
        for (var i = 0; i < 2; i++)
        {
            if (pair.Children[i] is YamlScalarNode scalar && Scalars.Classify(scalar) == ScalarType.String)
            {
                ends[i] = scalar.Value;
            }
            else
            {
                context.Error(pair.Children[i], $"a link end is 'device:port' (a device id and a port index), found {Scalars.Describe(pair.Children[i])}");
            }
        }

        if (ends[0] is { } a && ends[1] is { } b)
        {
            room.Links.Add(new LinkDraft(a, context.At(pair.Children[0]), b, context.At(pair.Children[1]), context.At(pair)));
        }
    }

    private static IEnumerable<YamlNode> Items(MappingReader map, string key) =>
        map.Sequence(key)?.Children ?? (IEnumerable<YamlNode>)[];

    private static void ReadRow(LoadContext context, YamlNode node, RoomDraft room)
    {
        var map = MappingReader.Open(context, node, Shapes.Row);
        if (map is null)
        {
            return;
        }

        var rowId = map.Id("id") ?? string.Empty;
        var rowZone = map.Id("zone");
        var racks = new List<Rack>();
        foreach (var item in Items(map, "racks"))
        {
            var rackMap = MappingReader.Open(context, item, Shapes.Rack);
            if (rackMap is null)
            {
                continue;
            }

            var id = rackMap.Id("id");
            var name = rackMap.String("name");
            var x = rackMap.Number("x");
            var z = rackMap.Number("z");
            var rack = new Rack
            {
                Id = id ?? string.Empty,
                Name = name ?? string.Empty,
                RowId = rowId,
                X = x ?? 0,
                Z = z ?? 0,
                Facing = rackMap.Enum<Facing>("facing") ?? Facing.South,
                HeightU = rackMap.Int("heightU", 1, 60) ?? 42,
                WidthM = rackMap.Number("width", 0, 10, exclusiveMin: true) ?? 0.6,
                DepthM = rackMap.Number("depth", 0, 10, exclusiveMin: true) ?? 1.2,
                Source = rackMap.Source,
            };
            if (id is not null)
            {
                racks.Add(rack);
                room.Racks.Add(new RackDraft { Rack = rack, IdAt = rackMap.At("id"), XAt = rackMap.At("x"), ZAt = rackMap.At("z"), HasPosition = x is not null && z is not null });
            }

            foreach (var deviceNode in Items(rackMap, "devices"))
            {
                if (ReadDevice(context, deviceNode, Shapes.RackDevice) is not ({ } device, { } reader))
                {
                    continue;
                }

                device.Placement = PlacementKind.Rack;
                device.Zone ??= rowZone;
                device.RackId = id;
                device.RackAt = rackMap.At("id");
                device.U = reader.Int("u");
                device.UAt = reader.At("u");
                device.Face = reader.Enum<MountFace>("face") ?? MountFace.Front;
                if (!reader.Has("u"))
                {
                    // no U: a 0U device (a vertical PDU), in the side channel 'zeroU' names (left unless told), at the rear
                    device.ZeroU = reader.Has("zeroU") ? reader.Enum<ZeroUSide>("zeroU") : ZeroUSide.Left;
                    device.ZeroUAt = reader.Has("zeroU") ? reader.At("zeroU") : reader.Source;
                    device.Face = reader.Enum<MountFace>("face") ?? MountFace.Rear;
                }
                else if (reader.Has("zeroU"))
                {
                    reader.Context.Error(reader.At("zeroU"), "a device with 'u' takes rack units; 'zeroU' is for a 0U device without 'u'. Remove one of them");
                }

                room.Devices.Add(device);
            }
        }

        room.Rows.Add(new RackRow { Id = rowId, Name = map.String("name") ?? string.Empty, Racks = racks });
        room.RowIdsAt.Add(map.At("id"));
    }

    private static void ReadSensorPlacement(MappingReader map, DeviceDraft device)
    {
        var hasPoint = map.Has("x") || map.Has("y") || map.Has("z");
        if (map.Has("rack"))
        {
            device.Placement = PlacementKind.Rack;
            device.RackId = map.Id("rack");
            device.RackAt = map.At("rack");
            device.U = map.Int("u");
            device.UAt = map.At("u");
            device.Face = map.Enum<MountFace>("face") ?? MountFace.Front;
            if (!map.Has("u"))
            {
                map.Context.Error(map.Source, "a sensor in a rack needs 'u' (the rack unit it is mounted at)");
            }

            if (hasPoint)
            {
                map.Context.Error(map.At(map.Has("x") ? "x" : map.Has("y") ? "y" : "z"), "a sensor is placed either in a rack ('rack', 'u') or at a point ('x', 'y', 'z'), not both");
            }

            return;
        }

        foreach (var rackOnly in new[] { "u", "face" })
        {
            if (map.Has(rackOnly))
            {
                map.Context.Error(map.At(rackOnly), $"'{rackOnly}' applies only to a sensor in a rack; add 'rack' or remove '{rackOnly}'");
            }
        }

        device.Placement = PlacementKind.Point;
        if (!hasPoint)
        {
            map.Context.Error(map.Source, "a sensor needs either 'rack' and 'u', or a point 'x', 'y', 'z'");
            return;
        }

        foreach (var axis in new[] { "x", "y", "z" })
        {
            if (!map.Has(axis))
            {
                map.Context.Error(map.Source, $"sensor is missing '{axis}' of its point (x, y, z)");
            }
        }

        ReadPoint(map, device, withHeight: true);
    }

    private static void ReadPoint(MappingReader map, DeviceDraft device, bool withHeight)
    {
        device.X = map.Number("x");
        device.XAt = map.At("x");
        device.Z = map.Number("z");
        device.ZAt = map.At("z");
        if (withHeight)
        {
            device.Y = map.Number("y");
            device.YAt = map.At("y");
        }
        else
        {
            device.Y = 0;
        }
    }

    private static (DeviceDraft, MappingReader)? ReadDevice(LoadContext context, YamlNode node, ObjectShape shape)
    {
        var map = MappingReader.Open(context, node, shape);
        if (map is null)
        {
            return null;
        }

        var id = map.Id("id");
        var name = map.String("name");
        var model = map.Id("model");
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (map.Mapping("tags") is { } tagMap)
        {
            foreach (var (key, value) in tagMap.Children)
            {
                if (key is YamlScalarNode { Value: { } tagKey } && value is YamlScalarNode tagValue && Scalars.Classify(tagValue) == ScalarType.String)
                {
                    tags[tagKey] = tagValue.Value!;
                }
                else
                {
                    context.Error(value, $"tag values must be strings, found {Scalars.Describe(value)} (quote it)");
                }
            }
        }

        var draft = new DeviceDraft
        {
            Id = id ?? string.Empty,
            Name = name ?? string.Empty,
            ModelId = model ?? string.Empty,
            Section = shape,
            Source = map.Source,
            IdAt = map.At("id"),
            ModelAt = map.At("model"),
            Address = map.String("address"),
            UnitId = map.Int("unitId", 0, 255),
            AssetTag = map.String("assetTag"),
            Profile = map.String("profile"),
            ProfileAt = map.At("profile"),
            Role = map.String("role"),
            Tags = tags,
            DependsOn = map.String("dependsOn"),
            DependsOnAt = map.At("dependsOn"),
            Ports = ReadPortSettings(context, map),
            Zone = map.Id("zone"),
        };
        return id is null || name is null || model is null ? null : (draft, map);
    }

    private static List<(PortSetting, SourceLocation)> ReadPortSettings(LoadContext context, MappingReader device)
    {
        var settings = new List<(PortSetting, SourceLocation)>();
        if (device.Mapping("ports") is not { } ports)
        {
            return settings;
        }

        foreach (var (key, value) in ports.Children)
        {
            if (key is not YamlScalarNode keyScalar || !Scalars.TryInteger(keyScalar, out var index) || index < 0 || index > int.MaxValue)
            {
                context.Error(key, $"keys of 'ports' must be port indexes (whole numbers), found {Scalars.Describe(key)}");
                continue;
            }

            if (MappingReader.Open(context, value, Shapes.PortSetting) is not { } setting)
            {
                continue;
            }

            settings.Add((new PortSetting((int)index, setting.String("description"), setting.Bool("monitored") ?? true), context.At(key)));
        }

        return settings;
    }
}
