using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Core.Inventory;
using Monitoring.Core.Live;
using Monitoring.Server.Security;

namespace Monitoring.Server.Api;

/// <summary>The rooms, devices and their live state: what the 3D view and the side panels draw from.</summary>
internal static class InventoryEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/rooms", (Inventory inventory, LiveState live, System.Security.Claims.ClaimsPrincipal user) =>
                inventory.Rooms.Where(r => Principals.MaySee(user, r)).Select(r => new RoomSummaryDto(r.Id, r.Name, r.NameEn, r.Site, r.Racks.Count(), r.Devices.Count, WorstOf(r, live))).ToArray())
            .WithName("ListRooms").Requires(Capability.ListRooms).WithSummary("The rooms the caller may open (a trainee: training rooms only).");

        api.MapGet("/rooms/{id}", Results<Ok<RoomDto>, Json<ErrorBody, Status403>, Problem<Status404>> (string id, Inventory inventory, LiveState live, System.Security.Claims.ClaimsPrincipal user) =>
                inventory.FindRoom(id) is not { } room ? NotFound("room", id)
                : Principals.MaySee(user, room) ? TypedResults.Ok(LiveViews.Room(room, live)) : TraineeRefused(room.Id))
            .WithName("GetRoom").Requires(Capability.ReadRoom);

        api.MapGet("/devices/{id}", Results<Ok<DeviceDetailDto>, Json<ErrorBody, Status403>, Problem<Status404>> (string id, Inventory inventory, LiveState live, System.Security.Claims.ClaimsPrincipal user) =>
                inventory.FindDevice(id) is not { } device ? NotFound("device", id)
                : inventory.FindRoom(device.RoomId) is { } room && !Principals.MaySee(user, room) ? TraineeRefused(room.Id)
                : TypedResults.Ok(LiveViews.Device(device, live, inventory.FindRoom(device.RoomId))))
            .WithName("GetDevice").Requires(Capability.ReadRoom);

        api.MapGet("/search", (string? q, int? limit, Inventory inventory, System.Security.Claims.ClaimsPrincipal user) =>
                Search(inventory, q, Math.Clamp(limit ?? 20, 1, 200), d => Principals.MaySee(user, inventory, d.RoomId)))
            .WithName("SearchDevices").Requires(Capability.Read);
    }

    internal static SearchHitDto[] Search(Inventory inventory, string? query, int limit, Func<Device, bool>? visible = null)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            return [];
        }

        var q = query.Trim();
        // Exact matches on id, address or asset tag first (the technician typed what is on the label), then contains.
        return inventory.Devices
            .Where(d => visible is null || visible(d))
            .Select(d => (Device: d, Rank: Rank(d, q)))
            .Where(x => x.Rank > 0)
            .OrderByDescending(x => x.Rank).ThenBy(x => x.Device.Name, StringComparer.Ordinal)
            .Take(limit)
            .Select(x => new SearchHitDto(x.Device.Id, x.Device.Name, x.Device.RoomId, x.Device.RackId, x.Device.Address, x.Device.AssetTag, x.Device.Kind))
            .ToArray();
    }

    private static int Rank(Device device, string q)
    {
        if (Equals(device.Id, q) || Equals(device.Address, q) || Equals(device.AssetTag, q) || Equals(device.Name, q))
        {
            return 2;
        }

        return Contains(device.Name, q) || Contains(device.Id, q) || Contains(device.Address, q) || Contains(device.AssetTag, q) ? 1 : 0;

        static bool Equals(string? field, string q) => field is not null && field.Equals(q, StringComparison.OrdinalIgnoreCase);
        static bool Contains(string? field, string q) => field is not null && field.Contains(q, StringComparison.OrdinalIgnoreCase);
    }

    private static Status WorstOf(Room room, LiveState live)
    {
        var worst = Status.Unknown;
        foreach (var device in room.Devices)
        {
            var status = live.GetDeviceStatus(device.Index);
            if (status > worst)
            {
                worst = status;
            }
        }

        return worst;
    }

    private static Json<ErrorBody, Status403> TraineeRefused(string roomId) =>
        new(new ErrorBody($"room '{roomId}' is not a training room: a trainee may open training rooms only"));

    private static Problem<Status404> NotFound(string what, string id) => new($"no {what} '{id}'");
}
