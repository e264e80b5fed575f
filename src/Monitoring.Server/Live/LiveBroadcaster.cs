using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using Monitoring.Core.Inventory;
using Monitoring.Core.Live;
using Monitoring.Server.Api;
using Monitoring.Server.Hosting;

namespace Monitoring.Server.Live;

public sealed record DeviceChange(string Id, Status Status);

/// <summary>A port's new status; <paramref name="AdminDown"/>: shut down on purpose (its status is then unknown).</summary>
public sealed record PortChange(string Device, int Index, Status Status, bool AdminDown = false);

public sealed record ValueChange(string Device, int? Port, string Metric, double Value, DateTimeOffset Timestamp);

/// <summary>One room's changes of a tick. Values holds only the devices the receiving connection subscribed to.</summary>
public sealed record ChangesMessage(string Room, IReadOnlyList<DeviceChange> Devices, IReadOnlyList<PortChange> Ports, IReadOnlyList<ValueChange> Values);

/// <summary>
/// Every interval, takes what changed in the live state and sends each console at most one "changes" message per
/// room it shows: the room's status changes (the same, serialized once, for every console in the room) plus the
/// values of the devices that console subscribed to. Values of devices no one subscribed to are not even looked at.
/// Sends never wait for a client: each goes into the connection's bounded queue (<see cref="HubConnectionRegistry"/>).
/// </summary>
internal sealed partial class LiveBroadcaster(
    LiveState live, Inventory inventory, HubConnectionRegistry registry, IOptions<MonitoringOptions> options, TimeProvider time,
    ComponentHealth health, ILogger<LiveBroadcaster> logger) : BackgroundService
{
    private static readonly IReadOnlyList<ValueChange> NoValues = [];
    private long _sent;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Max(50, options.Value.Live.BroadcastIntervalMs));
        using var timer = new PeriodicTimer(interval, time);
        ChangeSet? spare = null;
        health.Report("live", ComponentState.Ok, "no console connected", registry.Describe());
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var changes = live.DrainChanges(spare);
            if (!changes.IsEmpty && registry.Count > 0)
            {
                try
                {
                    _sent += Publish(changes);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogSendFailed(logger, ex);
                }
            }

            health.Report("live", ComponentState.Ok, $"{registry.Count} console(s) connected, {_sent} change messages sent, {registry.Resyncs} resync(s)", registry.Describe());
            spare = changes;
        }
    }

    /// <summary>Queues this tick's messages for every connection; returns how many.</summary>
    internal int Publish(ChangeSet changes)
    {
        var (rooms, values) = Build(changes);
        var shared = new Dictionary<string, SerializedHubMessage>(StringComparer.Ordinal);
        var sent = 0;
        foreach (var connection in registry.Connections)
        {
            if (!connection.IsOpen)
            {
                continue;
            }

            // the values of this connection's devices, by room
            Dictionary<string, List<ValueChange>>? mine = null;
            if (values.Count > 0)
            {
                foreach (var index in connection.SubscribedDevices())
                {
                    if (values.TryGetValue(index, out var list))
                    {
                        mine ??= new(StringComparer.Ordinal);
                        var room = inventory.Devices[index].RoomId;
                        if (!mine.TryGetValue(room, out var own))
                        {
                            mine[room] = own = [];
                        }

                        own.AddRange(list);
                    }
                }
            }

            foreach (var room in connection.ShownRooms())
            {
                var status = rooms.GetValueOrDefault(room);
                if (mine?.Remove(room, out var own) == true)
                {
                    registry.Send(connection, Serialize(new ChangesMessage(room, status.Devices ?? [], status.Ports ?? [], own)));
                    sent++;
                }
                else if (status.Devices is not null)
                {
                    if (!shared.TryGetValue(room, out var message))
                    {
                        shared[room] = message = Serialize(new ChangesMessage(room, status.Devices, status.Ports!, NoValues));
                    }

                    registry.Send(connection, message);
                    sent++;
                }
            }

            // subscribed devices of a room this connection does not show: their values alone
            foreach (var (room, own) in mine ?? [])
            {
                registry.Send(connection, Serialize(new ChangesMessage(room, [], [], own)));
                sent++;
            }
        }

        return sent;
    }

    /// <summary>
    /// The tick's status changes per room (both lists set when the room has any), and the values of subscribed devices
    /// by device index.
    /// </summary>
    internal (Dictionary<string, (List<DeviceChange>? Devices, List<PortChange>? Ports)> Rooms, Dictionary<int, List<ValueChange>> Values) Build(ChangeSet changes)
    {
        var rooms = new Dictionary<string, (List<DeviceChange>? Devices, List<PortChange>? Ports)>(StringComparer.Ordinal);
        (List<DeviceChange>? Devices, List<PortChange>? Ports) For(Device device)
        {
            if (!rooms.TryGetValue(device.RoomId, out var lists))
            {
                rooms[device.RoomId] = lists = ([], []);
            }

            return lists;
        }

        foreach (var index in changes.Devices)
        {
            var device = inventory.Devices[index];
            For(device).Devices!.Add(new DeviceChange(device.Id, live.GetDeviceStatus(index)));
        }

        foreach (var (index, position) in changes.Ports)
        {
            var device = inventory.Devices[index];
            For(device).Ports!.Add(new PortChange(device.Id, device.Model.Ports[position].Index, live.GetPortStatuses(index)[position], live.GetPortsAdminDown(index)[position]));
        }

        var values = new Dictionary<int, List<ValueChange>>();
        foreach (var id in changes.Series)
        {
            var info = live.Registry[id];
            if (info.DeviceIndex < 0 || !registry.HasSubscribers(info.DeviceIndex) || !live.TryGetLatest(id, out var timestamp, out var value))
            {
                continue;
            }

            if (!values.TryGetValue(info.DeviceIndex, out var list))
            {
                values[info.DeviceIndex] = list = [];
            }

            list.Add(new ValueChange(inventory.Devices[info.DeviceIndex].Id, info.PortIndex < 0 ? null : info.PortIndex, info.Metric, value, LiveViews.FromUnixNs(timestamp)));
        }

        return (rooms, values);
    }

    private static SerializedHubMessage Serialize(ChangesMessage message) => new(new InvocationMessage(LiveHub.ChangesMethod, [message]));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send live changes")]
    private static partial void LogSendFailed(ILogger logger, Exception exception);
}
