using Microsoft.AspNetCore.SignalR;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Server.Alarms;
using Monitoring.Server.Security;

namespace Monitoring.Server.Live;

/// <summary>What SubscribeDevices and UnsubscribeDevices answer: the devices whose values this connection now receives.</summary>
public sealed record SubscriptionMessage(IReadOnlyList<string> Devices, int Max);

/// <summary>
/// /hubs/live. A console joins the room it shows (JoinRoom) and receives "changes": the room's device and port
/// status changes, coalesced per tick. Values only reach a connection that subscribed to their device
/// (SubscribeDevices: the open panel), inside its own "changes". "alarm", "mute" and "ticket" go to the room groups
/// the connection belongs to (the rooms its user may see, when it may read alarms or tickets). "resync" tells a
/// console that was too slow to read its messages that some were dropped: it reads the state again over REST.
/// Signed-in users and API tokens only; each method checks the caller's role, and the connection is closed as soon as
/// its session or token ends.
/// </summary>
public sealed class LiveHub(Inventory inventory, HubConnectionRegistry registry, IAlarmService? alarms = null) : Hub
{
    public const string ChangesMethod = "changes";

    /// <summary>Ticket events (opened, dispatched, warned, escalated...), sent to the room groups that may read tickets.</summary>
    public const string TicketMethod = "ticket";

    public Task JoinRoom(string roomId)
    {
        HubGuard.Require(Context, Capability.ReadRoom);
        if (inventory.FindRoom(roomId) is not { } room)
        {
            throw new HubException($"no room '{roomId}'");
        }

        if (!Principals.MaySee(Context.User ?? new System.Security.Claims.ClaimsPrincipal(), room))
        {
            throw new HubException($"403 forbidden: room '{roomId}' is not a training room");
        }

        Connection().Show(room.Id);
        return Task.CompletedTask;
    }

    /// <summary>Every active alarm (worst first) and the mute: what a console shows on connect; "alarm" and "mute" messages follow.</summary>
    public AlarmsSnapshotMessage GetAlarms()
    {
        HubGuard.Require(Context, Capability.Read);
        if (alarms is null)
        {
            return new AlarmsSnapshotMessage([], MuteMessage.From(null));
        }

        var user = Context.User ?? new System.Security.Claims.ClaimsPrincipal();
        var active = Principals.SeesEveryRoom(user) ? alarms.Active : [.. alarms.Active.Where(a => Principals.MaySee(user, inventory, a.Target.RoomId))];
        return new AlarmsSnapshotMessage(active, MuteMessage.From(alarms.CurrentMute));
    }

    public Task LeaveRoom(string roomId)
    {
        registry.Find(Context.ConnectionId)?.Hide(roomId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Adds devices whose values this connection receives (in its "changes" messages, for the device's room). At most
    /// <see cref="HubConnectionRegistry.MaxSubscriptionsPerClient"/> at once; a device of a room the user may not see
    /// is refused, and so is the whole call.
    /// </summary>
    public SubscriptionMessage SubscribeDevices(string[] devices)
    {
        HubGuard.Require(Context, Capability.ReadRoom);
        var connection = Connection();
        var max = registry.MaxSubscriptionsPerClient;
        if (devices is null || devices.Length == 0 || devices.Length > max)
        {
            throw new HubException($"400 bad request: name 1 to {max} devices");
        }

        var indexes = new List<int>(devices.Length);
        foreach (var id in devices)
        {
            if (id is null || inventory.FindDevice(id) is not { } device)
            {
                throw new HubException($"404 not found: no device '{id}'");
            }

            if (!connection.MaySee(device.RoomId))
            {
                throw new HubException($"403 forbidden: device '{id}' is not in a training room");
            }

            indexes.Add(device.Index);
        }

        if (registry.Subscribe(connection, indexes) is null)
        {
            throw new HubException($"400 bad request: at most {max} devices per connection (Monitoring:Live:MaxSubscriptionsPerClient); unsubscribe some first");
        }

        return Current(connection, max);
    }

    /// <summary>Stops the values of these devices (unknown or not subscribed ones are ignored).</summary>
    public SubscriptionMessage UnsubscribeDevices(string[] devices)
    {
        var connection = Connection();
        var indexes = (devices ?? []).Take(registry.MaxSubscriptionsPerClient * 4)
            .Select(id => id is null ? null : inventory.FindDevice(id)).OfType<Device>().Select(d => d.Index);
        registry.Unsubscribe(connection, indexes);
        return Current(connection, registry.MaxSubscriptionsPerClient);
    }

    private SubscriptionMessage Current(LiveConnection connection, int max) =>
        new([.. connection.SubscribedDevices().Select(i => inventory.Devices[i].Id).Order(StringComparer.Ordinal)], max);

    private LiveConnection Connection() =>
        registry.Find(Context.ConnectionId) ?? throw new HubException("401 this connection is closed");
}
