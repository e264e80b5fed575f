using Microsoft.AspNetCore.SignalR;
using Monitoring.Core.Inventory;

namespace Monitoring.Server.Live;

/// <summary>
/// /hubs/live: a console joins the rooms it shows and receives "changes" messages (coalesced device, port and
/// value changes, a few per second at most).
/// </summary>
public sealed class LiveHub(Inventory inventory) : Hub
{
    public const string ChangesMethod = "changes";

    public static string GroupOf(string roomId) => "room:" + roomId;

    public Task JoinRoom(string roomId)
    {
        if (inventory.FindRoom(roomId) is null)
        {
            throw new HubException($"no room '{roomId}'");
        }

        return Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(roomId), Context.ConnectionAborted);
    }

    public Task LeaveRoom(string roomId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(roomId), Context.ConnectionAborted);
}
