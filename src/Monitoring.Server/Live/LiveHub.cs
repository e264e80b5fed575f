using Microsoft.AspNetCore.SignalR;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Server.Alarms;

namespace Monitoring.Server.Live;

/// <summary>
/// /hubs/live: a console joins the rooms it shows and receives "changes" messages (coalesced device, port and
/// value changes, a few per second at most).
/// </summary>
public sealed class LiveHub(Inventory inventory, IAlarmService? alarms = null) : Hub
{
    public const string ChangesMethod = "changes";

    /// <summary>Ticket events (opened, dispatched, warned, escalated...), sent to every console.</summary>
    public const string TicketMethod = "ticket";

    public static string GroupOf(string roomId) => "room:" + roomId;

    public Task JoinRoom(string roomId)
    {
        if (inventory.FindRoom(roomId) is null)
        {
            throw new HubException($"no room '{roomId}'");
        }

        return Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(roomId), Context.ConnectionAborted);
    }

    /// <summary>Every active alarm (worst first) and the mute: what a console shows on connect; "alarm" and "mute" messages follow.</summary>
    public AlarmsSnapshotMessage GetAlarms() =>
        alarms is null ? new AlarmsSnapshotMessage([], MuteMessage.From(null)) : new AlarmsSnapshotMessage(alarms.Active, MuteMessage.From(alarms.CurrentMute));

    public Task LeaveRoom(string roomId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(roomId), Context.ConnectionAborted);
}
