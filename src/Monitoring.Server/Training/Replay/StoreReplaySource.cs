using Monitoring.Core.Inventory;
using Monitoring.Core.Live;
using Monitoring.Core.Series;
using Monitoring.Server.Live;
using Monitoring.Storage.Alarms;
using Monitoring.Storage.History;
using Monitoring.Storage.Tickets;

namespace Monitoring.Server.Training.Replay;

/// <summary>
/// The replay over a host's own stores. Statuses are not re-derived by rules of its own: the recorded samples are
/// applied to a fresh <see cref="LiveState"/> (the live state's own code, with <see cref="StatusRules"/>), the last value
/// of each series at or before the instant for <c>at</c>, then every sample of the window in time order for
/// <c>changes</c>, whose device and port status changes are read back from it after each instant.
/// </summary>
public sealed class StoreReplaySource(
    Inventory inventory, HistoryStore history, SqliteAlarmStore? alarms, TicketStore tickets, TimeProvider time) : IReplaySource
{
    /// <summary>The most status changes, alarm events or ticket steps one <c>changes</c> answer carries.</summary>
    public const int ChangeLimit = 100_000;

    /// <summary>The most ticket steps an <c>at</c> answer carries (those of the hour before the instant).</summary>
    public const int StepLimit = 500;

    private const long NsPerHour = 3_600_000_000_000L;

    public DateTimeOffset OldestAvailable => time.GetUtcNow() - history.Options.RawRetention;

    public DateTimeOffset NewestAvailable => time.GetUtcNow();

    public async Task<ReplayRoomDto?> AtAsync(string roomId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (inventory.FindRoom(roomId) is not { } room)
        {
            return null;
        }

        var replay = await StateAtAsync(room, at, cancellationToken).ConfigureAwait(false);
        var steps = await tickets.LoadRoomStepsAsync(room.Id, at - TimeSpan.FromHours(1), at, StepLimit, cancellationToken).ConfigureAwait(false);
        return Snapshot(room, at, replay, alarms?.RoomAlarmsAt(room.Id, at) ?? [], steps.Select(Step).ToList());
    }

    public async Task<ReplayChangesDto?> ChangesAsync(string roomId, DateTimeOffset start, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var (from, to) = (start, until);
        if (inventory.FindRoom(roomId) is not { } room)
        {
            return null;
        }

        var replay = await StateAtAsync(room, from, cancellationToken).ConfigureAwait(false);
        var startSteps = await tickets.LoadRoomStepsAsync(room.Id, from - TimeSpan.FromHours(1), from, StepLimit, cancellationToken).ConfigureAwait(false);
        var first = Snapshot(room, from, replay, alarms?.RoomAlarmsAt(room.Id, from) ?? [], startSteps.Select(Step).ToList());
        replay.State.DrainChanges();

        // (from, to]: the samples dated from itself are in the start already
        var statuses = new List<ReplayStatusChangeDto>();
        var truncated = false;
        var fromNs = ToNs(from) + 1;
        var endNs = ToNs(to) + 1;
        var ids = replay.ByHistoryId.Keys.ToArray();
        var changes = new ChangeSet();
        for (var chunkFrom = fromNs; chunkFrom < endNs && !truncated; chunkFrom += NsPerHour)
        {
            // an hour at a time, so a day's window never holds more than an hour of samples
            var chunkTo = Math.Min(endNs, chunkFrom + NsPerHour);
            var read = history.ReadRawMany(ids, chunkFrom, chunkTo, cancellationToken);
            var samples = new List<Sample>(read.Sum(r => r.Value.Count));
            foreach (var (historyId, points) in read)
            {
                var seriesId = replay.ByHistoryId[historyId];
                samples.AddRange(points.Select(p => new Sample(seriesId, p.TimestampNs, p.Value)));
            }

            samples.Sort((a, b) => a.TimestampNs.CompareTo(b.TimestampNs));
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(samples);
            for (var i = 0; i < span.Length && !truncated;)
            {
                var j = i + 1;
                while (j < span.Length && span[j].TimestampNs == span[i].TimestampNs)
                {
                    j++;
                }

                replay.State.Apply(span[i..j]);
                changes = replay.State.DrainChanges(changes);
                if (changes.Devices.Count > 0 || changes.Ports.Count > 0)
                {
                    var at = FromNs(span[i].TimestampNs);
                    foreach (var device in changes.Devices)
                    {
                        statuses.Add(new ReplayStatusChangeDto(at, inventory.Devices[device].Id, null, replay.State.GetDeviceStatus(device)));
                    }

                    foreach (var (device, position) in changes.Ports)
                    {
                        statuses.Add(new ReplayStatusChangeDto(
                            at, inventory.Devices[device].Id, inventory.Devices[device].Model.Ports[position].Index,
                            replay.State.GetPortStatuses(device)[position], replay.State.GetPortsAdminDown(device)[position]));
                    }

                    truncated = statuses.Count >= ChangeLimit;
                }

                i = j;
            }
        }

        var events = alarms?.RoomEvents(room.Id, from, to, ChangeLimit) ?? [];
        var steps = await tickets.LoadRoomStepsAsync(room.Id, from, to, ChangeLimit, cancellationToken).ConfigureAwait(false);
        truncated |= events.Count >= ChangeLimit || steps.Count >= ChangeLimit;
        return new ReplayChangesDto(
            room.Id, from, to, first, statuses,
            events.Where(e => e.At > from).Select(e => new ReplayAlarmEventDto(e.At, e.Kind, e.Alarm)).ToList(),
            steps.Where(s => s.At > from).Select(Step).ToList(),
            truncated);
    }

    /// <summary>A fresh live state of the room's devices with the last sample of each of their series at or before <paramref name="at"/>.</summary>
    private async Task<ReplayState> StateAtAsync(Room room, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var registry = new SeriesRegistry(inventory);
        var state = new LiveState(inventory, registry, time);
        var stored = await history.ListDeviceSeriesAsync(room.Devices.Select(d => d.Id).ToHashSet(StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
        var byHistoryId = new Dictionary<int, int>(stored.Count);
        foreach (var series in stored)
        {
            if (inventory.FindDevice(series.DeviceId) is { } device)
            {
                byHistoryId[series.Id] = registry.GetOrAdd(device.Index, series.Metric, series.Port);
            }
        }

        var last = history.LastAtOrBefore(byHistoryId.Keys, at, OldestAvailable, cancellationToken);
        var samples = last.Select(l => new Sample(byHistoryId[l.Key], l.Value.TimestampNs, l.Value.Value)).OrderBy(s => s.TimestampNs).ToArray();
        state.Apply(samples);
        return new ReplayState(state, byHistoryId);
    }

    private static ReplayRoomDto Snapshot(Room room, DateTimeOffset at, ReplayState replay, IReadOnlyList<Core.Alarms.AlarmSnapshot> active, IReadOnlyList<ReplayTicketStepDto> steps)
    {
        var state = replay.State;
        var devices = new List<DeviceChange>(room.Devices.Count);
        var ports = new List<PortChange>();
        var values = new List<ReplayValueDto>();
        foreach (var device in room.Devices)
        {
            devices.Add(new DeviceChange(device.Id, state.GetDeviceStatus(device.Index)));
            var statuses = state.GetPortStatuses(device.Index);
            var adminDown = state.GetPortsAdminDown(device.Index);
            for (var i = 0; i < statuses.Length; i++)
            {
                ports.Add(new PortChange(device.Id, device.Model.Ports[i].Index, statuses[i], adminDown[i]));
            }

            foreach (var id in state.SeriesOf(device.Index))
            {
                if (state.TryGetLatest(id, out var timestamp, out var value))
                {
                    var info = state.Registry[id];
                    values.Add(new ReplayValueDto(device.Id, info.PortIndex < 0 ? null : info.PortIndex, info.Metric, value, FromNs(timestamp), state.GetSeriesStatus(id)));
                }
            }
        }

        return new ReplayRoomDto(room.Id, at, devices, ports, values, active, steps);
    }

    private static ReplayTicketStepDto Step(RoomTicketStep s) => new(s.TicketId, s.Seq, s.Step, s.At, s.By, s.Note, s.Title, s.Category, s.DeviceId, s.Port);

    private static long ToNs(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private static DateTimeOffset FromNs(long ns) => DateTimeOffset.UnixEpoch.AddTicks(ns / 100);

    private sealed record ReplayState(LiveState State, Dictionary<int, int> ByHistoryId);
}
