using Monitoring.Core.Inventory;
using Monitoring.Core.Live;

namespace Monitoring.Server.Api;

/// <summary>Builds the API's views of rooms and devices from the inventory plus the live state.</summary>
internal static class LiveViews
{
    public static RoomDto Room(Room room, LiveState live)
    {
        var models = room.Devices.Select(d => d.Model).Distinct().OrderBy(m => m.Id, StringComparer.Ordinal).Select(Model).ToArray();
        return new RoomDto(
            room.Id, room.Name, room.NameEn, room.Site,
            new SizeDto(room.Size.WidthM, room.Size.DepthM, room.Size.HeightM),
            room.Rows.Select(r => new RowDto(r.Id, r.Name)).ToArray(),
            room.Rows.SelectMany(r => r.Racks.Select(k => new RackDto(k.Id, k.Name, r.Id, k.X, k.Z, k.Facing, k.HeightU, k.WidthM, k.DepthM))).ToArray(),
            models,
            room.Devices.Select(d => new DeviceDto(
                d.Id, d.Name, d.Model.Id, d.Kind, d.Placement, d.RackId, d.U, d.Face, d.X, d.Y, d.Z, d.RotationDegrees,
                d.Address, d.AssetTag, d.Role, live.GetDeviceStatus(d.Index), live.GetPortStatuses(d.Index).ToArray(), d.ZeroU,
                AdminDownPorts(d, live))
            { Lamp = Lamp(d, live) }).ToArray(),
            room.Links.Select(l => new LinkDto(new LinkEndDto(l.A.DeviceId, l.A.Port), new LinkEndDto(l.B.DeviceId, l.B.Port))).ToArray());
    }

    /// <summary>Indexes of the device's ports shut down on purpose, or null when none is.</summary>
    private static int[]? AdminDownPorts(Device device, LiveState live)
    {
        var flags = live.GetPortsAdminDown(device.Index);
        List<int>? down = null;
        for (var i = 0; i < flags.Length; i++)
        {
            if (flags[i])
            {
                (down ??= []).Add(device.Model.Ports[i].Index);
            }
        }

        return down?.ToArray();
    }

    public static ModelDto Model(DeviceModel model) => new(
        model.Id, model.Name, model.Vendor, model.Kind, model.HeightU, model.Depth,
        model.WidthM is { } w && model.DepthM is { } dp && model.HeightM is { } h ? new SizeDto(w, dp, h) : null,
        model.Ports.Select(p => new PortDto(p.Index, p.Name, p.Kind, p.PanelX, p.PanelY)).ToArray());

    public static DeviceDetailDto Device(Device device, LiveState live, Room? room = null)
    {
        var peers = new Dictionary<int, LinkEndDto>();
        foreach (var link in room?.Links ?? [])
        {
            if (string.Equals(link.A.DeviceId, device.Id, StringComparison.Ordinal))
            {
                peers[link.A.Port] = new LinkEndDto(link.B.DeviceId, link.B.Port);
            }

            if (string.Equals(link.B.DeviceId, device.Id, StringComparison.Ordinal))
            {
                peers[link.B.Port] = new LinkEndDto(link.A.DeviceId, link.A.Port);
            }
        }

        var deviceValues = new List<ValueDto>();
        var portValues = new Dictionary<int, List<ValueDto>>();
        foreach (var id in live.SeriesOf(device.Index))
        {
            if (Value(id, live) is not { } value)
            {
                continue;
            }

            var port = live.Registry[id].PortIndex;
            if (port < 0)
            {
                deviceValues.Add(value);
            }
            else
            {
                if (!portValues.TryGetValue(port, out var list))
                {
                    portValues[port] = list = [];
                }

                list.Add(value);
            }
        }

        var statuses = live.GetPortStatuses(device.Index).ToArray();
        var adminDown = live.GetPortsAdminDown(device.Index).ToArray();
        var ports = device.Model.Ports.Select((p, i) => new DevicePortDto(
            p.Index, p.Name, p.Kind, statuses[i],
            portValues.TryGetValue(p.Index, out var values) ? values.OrderBy(v => v.Metric, StringComparer.Ordinal).ToArray() : [],
            device.PortSettings.TryGetValue(p.Index, out var setting) ? setting.Description : null,
            peers.GetValueOrDefault(p.Index),
            adminDown[i])).ToArray();
        var lastSeen = live.LastSeen(device.Index);
        return new DeviceDetailDto(
            device.Id, device.Name, device.RoomId, device.RackId, device.U, device.Face, device.Address, device.AssetTag, device.Role,
            device.Profile, device.Tags, device.DependsOn, live.GetDeviceStatus(device.Index),
            lastSeen == 0 ? null : FromUnixNs(lastSeen),
            new ModelRefDto(device.Model.Id, device.Model.Name, device.Model.Vendor, device.Kind),
            deviceValues.OrderBy(v => v.Metric, StringComparer.Ordinal).ToArray(), ports)
        { Lamp = Lamp(device, live) };
    }

    /// <summary>
    /// A lamp's outputs from its lamp.red/yellow/green/buzzer series: the coils as the collector last read them from the
    /// device. Null for anything that is not a lamp, or before all four were read once.
    /// </summary>
    public static LampDto? Lamp(Device device, LiveState live)
    {
        if (device.Kind != DeviceKind.Lamp)
        {
            return null;
        }

        bool? red = null, yellow = null, green = null, buzzer = null;
        long newest = 0;
        foreach (var id in live.SeriesOf(device.Index))
        {
            var info = live.Registry[id];
            if (info.PortIndex >= 0 || !live.TryGetLatest(id, out var timestamp, out var value))
            {
                continue;
            }

            var on = value != 0;
            switch (info.Metric)
            {
                case "lamp.red": red = on; break;
                case "lamp.yellow": yellow = on; break;
                case "lamp.green": green = on; break;
                case "lamp.buzzer": buzzer = on; break;
                default: continue;
            }

            newest = Math.Max(newest, timestamp);
        }

        return red is { } r && yellow is { } y && green is { } g && buzzer is { } b ? new LampDto(r, y, g, b, FromUnixNs(newest)) : null;
    }

    public static ValueDto? Value(int seriesId, LiveState live)
    {
        if (!live.TryGetLatest(seriesId, out var timestamp, out var value))
        {
            return null;
        }

        var info = live.Registry[seriesId];
        var definition = info.Definition;
        return new ValueDto(info.Metric, value, FromUnixNs(timestamp), definition?.Unit, definition?.Label, definition?.LabelZh, live.GetSeriesStatus(seriesId))
        {
            Words = definition?.Words is { Count: > 0 } words ? words.ToDictionary(w => ValueDto.Key(w.Key), w => new WordsDto(w.Value.En, w.Value.Zh), StringComparer.Ordinal) : null,
        };
    }

    public static DateTimeOffset FromUnixNs(long ns) => DateTimeOffset.UnixEpoch.AddTicks(ns / 100);
}
