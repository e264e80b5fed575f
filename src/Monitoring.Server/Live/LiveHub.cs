using Microsoft.AspNetCore.SignalR;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Server.Alarms;
using Monitoring.Server.Security;

namespace Monitoring.Server.Live;

/// <summary>
/// /hubs/live: a console joins the rooms it shows and receives "changes" messages (coalesced device, port and
/// value changes, a few per second at most). Signed-in users only; each method checks the caller's role.
/// </summary>
public sealed class LiveHub(Inventory inventory, IAlarmService? alarms = null) : Hub
{
    public const string ChangesMethod = "changes";

    /// <summary>Ticket events (opened, dispatched, warned, escalated...), sent to every console.</summary>
    public const string TicketMethod = "ticket";

    public static string GroupOf(string roomId) => "room:" + roomId;

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

        return Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(roomId), Context.ConnectionAborted);
    }

    /// <summary>Every active alarm (worst first) and the mute: what a console shows on connect; "alarm" and "mute" messages follow.</summary>
    public AlarmsSnapshotMessage GetAlarms()
    {
        HubGuard.Require(Context, Capability.Read);
        return alarms is null ? new AlarmsSnapshotMessage([], MuteMessage.From(null)) : new AlarmsSnapshotMessage(alarms.Active, MuteMessage.From(alarms.CurrentMute));
    }

    public Task LeaveRoom(string roomId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(roomId), Context.ConnectionAborted);
}
