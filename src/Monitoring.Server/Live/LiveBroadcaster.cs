using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Monitoring.Core.Inventory;
using Monitoring.Core.Live;
using Monitoring.Server.Api;
using Monitoring.Server.Hosting;

namespace Monitoring.Server.Live;

public sealed record DeviceChange(string Id, Status Status);

public sealed record PortChange(string Device, int Index, Status Status);

public sealed record ValueChange(string Device, int? Port, string Metric, double Value, DateTimeOffset Timestamp);

public sealed record ChangesMessage(string Room, IReadOnlyList<DeviceChange> Devices, IReadOnlyList<PortChange> Ports, IReadOnlyList<ValueChange> Values);

/// <summary>
/// Every interval, takes what changed in the live state and sends one coalesced message per room to the room's
/// group. However fast samples arrive, a console gets at most one message per interval, carrying the newest state,
/// so it never falls behind.
/// </summary>
internal sealed partial class LiveBroadcaster(
    LiveState live, Inventory inventory, IHubContext<LiveHub> hub, IOptions<MonitoringOptions> options, TimeProvider time,
    ComponentHealth health, ILogger<LiveBroadcaster> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Max(50, options.Value.Live.BroadcastIntervalMs));
        using var timer = new PeriodicTimer(interval, time);
        ChangeSet? spare = null;
        long sent = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var changes = live.DrainChanges(spare);
            if (!changes.IsEmpty)
            {
                foreach (var message in Build(changes))
                {
                    try
                    {
                        await hub.Clients.Group(LiveHub.GroupOf(message.Room)).SendAsync(LiveHub.ChangesMethod, message, stoppingToken).ConfigureAwait(false);
                        sent++;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogSendFailed(logger, ex, message.Room);
                    }
                }

                health.Report("live", ComponentState.Ok, $"{sent} change messages sent");
            }

            spare = changes;
        }
    }

    internal IEnumerable<ChangesMessage> Build(ChangeSet changes)
    {
        var rooms = new Dictionary<string, (List<DeviceChange> Devices, List<PortChange> Ports, List<ValueChange> Values)>(StringComparer.Ordinal);
        (List<DeviceChange> Devices, List<PortChange> Ports, List<ValueChange> Values) For(Device device)
        {
            if (!rooms.TryGetValue(device.RoomId, out var lists))
            {
                rooms[device.RoomId] = lists = ([], [], []);
            }

            return lists;
        }

        foreach (var index in changes.Devices)
        {
            var device = inventory.Devices[index];
            For(device).Devices.Add(new DeviceChange(device.Id, live.GetDeviceStatus(index)));
        }

        foreach (var (index, position) in changes.Ports)
        {
            var device = inventory.Devices[index];
            For(device).Ports.Add(new PortChange(device.Id, device.Model.Ports[position].Index, live.GetPortStatuses(index)[position]));
        }

        foreach (var id in changes.Series)
        {
            var info = live.Registry[id];
            if (info.DeviceIndex < 0 || !live.TryGetLatest(id, out var timestamp, out var value))
            {
                continue;
            }

            var device = inventory.Devices[info.DeviceIndex];
            For(device).Values.Add(new ValueChange(device.Id, info.PortIndex < 0 ? null : info.PortIndex, info.Metric, value, LiveViews.FromUnixNs(timestamp)));
        }

        foreach (var (room, lists) in rooms)
        {
            yield return new ChangesMessage(room, lists.Devices, lists.Ports, lists.Values);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send live changes to room {Room}")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string room);
}
