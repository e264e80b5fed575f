using Monitoring.Core.Alarms;

namespace Monitoring.Testing;

/// <summary>An <see cref="IAlarmStore"/> in memory, for the engine's unit tests and the alarm benchmarks (the server always runs on the SQL store).</summary>
public sealed class InMemoryAlarmStore : IAlarmStore, IIncidentStore
{
    private readonly Dictionary<long, IncidentSnapshot> _incidents = [];
    private readonly Lock _gate = new();
    private readonly Dictionary<long, AlarmSnapshot> _alarms = [];
    private readonly Dictionary<long, List<AlarmEvent>> _events = [];
    private readonly HashSet<long> _ticketWanted = [];
    private readonly Dictionary<long, MaintenanceWindow> _maintenance = [];
    private readonly List<MuteRecord> _mutes = [];
    private MuteRecord? _mute;

    public int EventCount
    {
        get
        {
            lock (_gate)
            {
                return _events.Values.Sum(e => e.Count);
            }
        }
    }

    public AlarmStoreState Load(DateTimeOffset now)
    {
        lock (_gate)
        {
            var open = _alarms.Values.Where(a => a.State != AlarmState.Closed).OrderBy(a => a.Id).ToList();
            return new AlarmStoreState(
                open,
                _ticketWanted.Where(id => open.Any(a => a.Id == id)).ToHashSet(),
                _alarms.Count == 0 ? 0 : _alarms.Keys.Max(),
                [.. _maintenance.Values.Where(w => w.Until > now).OrderBy(w => w.Id)],
                _maintenance.Count == 0 ? 0 : _maintenance.Keys.Max(),
                _mute is { } m && m.Until > now ? m : null);
        }
    }

    public void Append(AlarmEvent alarmEvent)
    {
        ArgumentNullException.ThrowIfNull(alarmEvent);
        lock (_gate)
        {
            var id = alarmEvent.Alarm.Id;
            _alarms[id] = alarmEvent.Alarm;
            if (!_events.TryGetValue(id, out var list))
            {
                _events[id] = list = [];
            }

            list.Add(alarmEvent);
            if (alarmEvent.Kind == AlarmEventKind.TicketWanted)
            {
                _ticketWanted.Add(id);
            }
        }
    }

    public int IncidentWrites { get; private set; }

    public void SaveIncident(IncidentSnapshot incident)
    {
        ArgumentNullException.ThrowIfNull(incident);
        lock (_gate)
        {
            _incidents[incident.Id] = incident;
            IncidentWrites++;
        }
    }

    public IncidentStoreState LoadIncidents()
    {
        lock (_gate)
        {
            return new IncidentStoreState([.. _incidents.Values.Where(i => i.End is null).OrderBy(i => i.Id)], _incidents.Count == 0 ? 0 : _incidents.Keys.Max());
        }
    }

    public IReadOnlyList<IncidentSnapshot> QueryIncidents(bool? open, int limit)
    {
        lock (_gate)
        {
            return [.. _incidents.Values.Where(i => i.AlarmIds.Count > 0 && (open is null || open == (i.End is null))).OrderByDescending(i => i.Id).Take(limit)];
        }
    }

    public IncidentSnapshot? FindIncident(long id)
    {
        lock (_gate)
        {
            return _incidents.GetValueOrDefault(id);
        }
    }

    public void SaveMaintenance(MaintenanceWindow window, string? endedBy)
    {
        ArgumentNullException.ThrowIfNull(window);
        lock (_gate)
        {
            _maintenance[window.Id] = window;
        }
    }

    public void SaveMute(MuteRecord mute, string? endedBy, DateTimeOffset? endedAt)
    {
        ArgumentNullException.ThrowIfNull(mute);
        lock (_gate)
        {
            if (endedAt is { } end)
            {
                _mute = null;
                var index = _mutes.FindLastIndex(m => m.At == mute.At && m.By == mute.By);
                if (index >= 0)
                {
                    _mutes[index] = mute with { Until = end };
                }
            }
            else
            {
                _mute = mute;
                _mutes.Add(mute);
            }
        }
    }

    public void Flush()
    {
    }

    public IReadOnlyList<AlarmSnapshot> Query(AlarmQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_gate)
        {
            return [.. _alarms.Values.Where(a => AlarmQueries.Matches(query, a)).OrderByDescending(a => a.RaisedAt).ThenByDescending(a => a.Id).Take(query.Limit)];
        }
    }

    public IReadOnlyList<AlarmEvent> Timeline(long alarmId)
    {
        lock (_gate)
        {
            return _events.TryGetValue(alarmId, out var list) ? [.. list] : [];
        }
    }

    public IReadOnlyList<MuteRecord> Mutes(int limit)
    {
        lock (_gate)
        {
            return [.. Enumerable.Reverse(_mutes).Take(limit)];
        }
    }
}

/// <summary>How an <see cref="AlarmQuery"/> filters in memory.</summary>
public static class AlarmQueries
{
    public static bool Matches(AlarmQuery query, AlarmSnapshot alarm)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(alarm);
        return (query.RoomId is null || alarm.Target.RoomId == query.RoomId)
            && (query.DeviceId is null || alarm.Target.DeviceId == query.DeviceId)
            && (query.MinSeverity is null || alarm.Severity >= query.MinSeverity)
            && (query.State is null || alarm.State == query.State)
            && (query.From is null || alarm.RaisedAt >= query.From)
            && (query.Until is null || alarm.RaisedAt < query.Until);
    }
}
