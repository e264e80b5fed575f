using System.Text.Json;
using Monitoring.Core.Alarms;

namespace Monitoring.Storage.Alarms;

/// <summary>The alarm event log read back for the replay of a room: what was active at an instant, what happened in a window.</summary>
public sealed partial class SqliteAlarmStore
{
    /// <summary>
    /// Every event of the room's alarms dated in [<paramref name="from"/>, <paramref name="to"/>], in the order they
    /// were recorded, at most <paramref name="limit"/>. Only alarms raised by <paramref name="to"/> and not closed before
    /// <paramref name="from"/> are read (the alarms' raised_at index), then their events (the alarm_id index).
    /// </summary>
    public IReadOnlyList<AlarmEvent> RoomEvents(string roomId, DateTimeOffset from, DateTimeOffset to, int limit)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        lock (_readGate)
        {
            using var command = _readConnection.Command(
                "SELECT e.kind, e.at, e.snapshot FROM alarm_events e WHERE e.alarm_id IN " +
                "(SELECT id FROM alarms WHERE room_id = @room AND raised_at <= @to AND (state <> 3 OR changed_at >= @from)) " +
                "AND e.at >= @from AND e.at <= @to ORDER BY e.seq LIMIT @limit")
                .With("@room", roomId).With("@from", from.ToUnixTimeMilliseconds()).With("@to", to.ToUnixTimeMilliseconds())
                .With("@limit", Math.Max(1, limit));
            using var reader = command.ExecuteReader();
            var result = new List<AlarmEvent>();
            while (reader.Read())
            {
                var snapshot = JsonSerializer.Deserialize<AlarmSnapshot>(reader.GetString(2), Json)!;
                result.Add(new AlarmEvent((AlarmEventKind)reader.GetInt32(0), snapshot, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1))));
            }

            return result;
        }
    }

    /// <summary>
    /// The room's alarms as they stood at <paramref name="at"/>: each alarm raised by then and not yet closed, as its
    /// last event at or before that instant left it (raised, acknowledged, cleared...), oldest first.
    /// </summary>
    public IReadOnlyList<AlarmSnapshot> RoomAlarmsAt(string roomId, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        var atMs = at.ToUnixTimeMilliseconds();
        lock (_readGate)
        {
            using var command = _readConnection.Command(
                "SELECT e.snapshot FROM alarm_events e WHERE e.seq IN (SELECT MAX(x.seq) FROM alarm_events x WHERE x.alarm_id IN " +
                "(SELECT id FROM alarms WHERE room_id = @room AND raised_at <= @at AND (state <> 3 OR changed_at >= @at)) " +
                "AND x.at <= @at GROUP BY x.alarm_id) ORDER BY e.alarm_id")
                .With("@room", roomId).With("@at", atMs);
            using var reader = command.ExecuteReader();
            var result = new List<AlarmSnapshot>();
            while (reader.Read())
            {
                var snapshot = JsonSerializer.Deserialize<AlarmSnapshot>(reader.GetString(0), Json)!;
                if (snapshot.State != AlarmState.Closed)
                {
                    result.Add(snapshot);
                }
            }

            return result;
        }
    }
}
