using Microsoft.Extensions.Logging;

namespace Monitoring.Core.Alarms;

/// <summary>
/// The grouping stage: gathers alarms into incidents, the unit a ticket is opened for (after Alertmanager's
/// group_by/group_wait and Zabbix's event correlation). Runs on the engine's thread under its lock, once per alarm
/// event, in two steps: <see cref="Group"/> before the store (the alarm joins, leaves or ends an incident; changed
/// incidents are queued to the store ahead of the alarm event that names them) and <see cref="OnAlarmEvent"/> after it
/// (the event, then the incidents it changed, go to the listeners).
/// <para>
/// Where an alarm goes when it is raised: the incident of the root cause that suppresses it (topology: dependsOn);
/// else, for a root cause raised after its dependants, the incident of a dependant it suppresses; else the open
/// incident of its labels (the rules' <c>group.by</c>: room and cause for the demo) if its latest join was within
/// <c>group.window</c>; else a new incident. An alarm whose rule has no cause, grouped by cause, is an incident of its
/// own. An alarm that is suppressed only later (its root cause came up after it) moves on to the root's incident;
/// an incident every alarm left ends. An incident ends when none of its alarms is active.
/// </para>
/// <para>
/// The ticket: a TicketWanted of an alarm whose incident has no ticket yet and started less than <c>group.wait</c> ago
/// is held here until the incident is that old (so the alarms one fault trips together are in it when the ticket
/// opens); the engine's tick releases it. At start the engine asks again for the incidents still without a ticket. An
/// alarm asks once (its flag is stored), so when an alarm that has asked joins an incident without a ticket (raised
/// again after its incident ended, into a new one) it asks again for that incident.
/// </para>
/// Allocation: nothing on the sample path (the stage sees alarm events only); a raise costs the incident look-up key
/// and, when an alarm changes incident, a copy of its snapshot.
/// </summary>
internal sealed partial class IncidentGrouper(
    IncidentGrouping policy, OpenAlarms open, Inventory.Inventory inventory, IIncidentStore? store, ILogger logger) : IAlarmGrouping
{
    private readonly Dictionary<long, Incident> _open = [];
    private readonly Dictionary<string, Incident> _byKey = new(StringComparer.Ordinal);
    private readonly List<Incident> _changed = [];
    private readonly List<IncidentSnapshot> _toPublish = [];
    private readonly List<AlarmEvent> _held = [];
    private readonly HashSet<long> _askAgain = [];
    private readonly Lock _subscribe = new();
    private readonly Dictionary<long, IncidentSnapshot> _ended = [];
    private IIncidentSink[] _sinks = [];
    private long _lastId;

    public IncidentGrouping Policy => policy;

    /// <summary>Open incidents, newest first (under the engine's lock).</summary>
    public List<IncidentSnapshot> OpenSnapshots()
    {
        var list = new List<IncidentSnapshot>(_open.Count);
        foreach (var incident in _open.Values)
        {
            list.Add(incident.Snapshot());
        }

        list.Sort(static (a, b) => b.Id.CompareTo(a.Id));
        return list;
    }

    public IncidentSnapshot? Find(long id) =>
        _open.TryGetValue(id, out var incident) ? incident.Snapshot() : _ended.GetValueOrDefault(id);

    /// <summary>Held ticket requests (for diagnostics and tests).</summary>
    public int Held => _held.Count;

    public void Subscribe(IIncidentSink sink)
    {
        lock (_subscribe)
        {
            Volatile.Write(ref _sinks, [.. _sinks, sink]);
        }
    }

    public void Unsubscribe(IIncidentSink sink)
    {
        lock (_subscribe)
        {
            Volatile.Write(ref _sinks, [.. _sinks.Where(s => !ReferenceEquals(s, sink))]);
        }
    }

    public void Clear()
    {
        lock (_subscribe)
        {
            Volatile.Write(ref _sinks, []);
        }
    }

    /// <summary>
    /// Rebuilds the open incidents at start from the store's and the recovered alarms' (each alarm names its incident):
    /// an incident none of whose alarms is still active ends; an alarm naming an incident the store lacks (written after
    /// it when the server died) brings it back. Returns, per open incident without a ticket, an alarm that had asked for
    /// one (the engine asks again).
    /// </summary>
    public List<Alarm> Load(IEnumerable<Alarm> recovered, DateTimeOffset now)
    {
        var state = store?.LoadIncidents() ?? new IncidentStoreState([], 0);
        _lastId = state.LastIncidentId;
        foreach (var snapshot in state.Open)
        {
            _open[snapshot.Id] = Incident.From(snapshot);
        }

        foreach (var alarm in recovered.OrderBy(a => a.Id))
        {
            if (alarm.IncidentId is not { } id)
            {
                continue;
            }

            _lastId = Math.Max(_lastId, id);
            if (!_open.TryGetValue(id, out var incident))
            {
                if (!alarm.IsActive)
                {
                    continue;
                }

                // the incident was ended (the alarm came back) or never stored: it opens again with what the alarm knows
                var stored = store?.FindIncident(id);
                incident = stored is not null ? Incident.From(stored with { End = null }) : Create(id, alarm, alarm.RaisedAt);
                _open[id] = incident;
                MarkChanged(incident);
            }

            if (!incident.AlarmIds.Contains(alarm.Id))
            {
                incident.AlarmIds.Add(alarm.Id);
                MarkChanged(incident);
            }

            incident.Severities[alarm.Id] = alarm.Severity;
            if (alarm.IsActive)
            {
                incident.Active.Add(alarm.Id);
            }
        }

        var ask = new List<Alarm>();
        foreach (var incident in _open.Values.ToList())
        {
            if (incident.Active.Count == 0)
            {
                End(incident, now);
                continue;
            }

            incident.Key = Key(incident);
            if (incident.Key is { } key)
            {
                _byKey[key] = incident;
            }

            if (incident.RefreshSeverity())
            {
                MarkChanged(incident);
            }

            if (incident.TicketId is null)
            {
                foreach (var id in incident.Active)
                {
                    if (open.TryGet(id, out var alarm) && alarm.TicketWanted)
                    {
                        ask.Add(alarm);
                        break;
                    }
                }
            }
        }

        SaveChanged();
        _toPublish.Clear();
        LogLoaded(logger, _open.Count, ask.Count);
        return ask;
    }

    public AlarmEvent Group(AlarmEvent alarmEvent)
    {
        var snapshot = alarmEvent.Alarm;
        long? incidentId = snapshot.IncidentId;
        if (open.TryGet(snapshot.Id, out var alarm))
        {
            switch (alarmEvent.Kind)
            {
                case AlarmEventKind.Raised or AlarmEventKind.Updated or AlarmEventKind.Acknowledged when alarm.IsActive:
                    Place(alarm, snapshot, alarmEvent.At);
                    break;
                case AlarmEventKind.Cleared or AlarmEventKind.Closed:
                    Inactive(alarm.IncidentId, alarm.Id, alarmEvent.At);
                    break;
            }

            incidentId = alarm.IncidentId;
        }
        else if (alarmEvent.Kind is AlarmEventKind.Cleared or AlarmEventKind.Closed)
        {
            Inactive(snapshot.IncidentId, snapshot.Id, alarmEvent.At);
        }

        SaveChanged();
        return incidentId == snapshot.IncidentId ? alarmEvent : alarmEvent with { Alarm = snapshot with { IncidentId = incidentId } };
    }

    public void OnAlarmEvent(AlarmEvent alarmEvent, AlarmFanOut next)
    {
        if (alarmEvent.Kind == AlarmEventKind.TicketWanted)
        {
            _askAgain.Remove(alarmEvent.Alarm.Id);
            Request(alarmEvent, next);
        }
        else
        {
            next.Publish(alarmEvent);
            if (_askAgain.Count > 0 && _askAgain.Remove(alarmEvent.Alarm.Id) && alarmEvent.Alarm.IncidentId is not null)
            {
                // an alarm that asked for its ticket long ago (its flag is kept, by the store too) joined an incident that
                // has none: it asks again, for this incident, or the incident would never get one
                Request(alarmEvent with { Kind = AlarmEventKind.TicketWanted }, next);
            }
        }

        PublishChanged();
    }

    /// <summary>A ticket request: held while its incident has no ticket and is younger than <c>group.wait</c>, else passed on.</summary>
    private void Request(AlarmEvent ticketWanted, AlarmFanOut next)
    {
        if (ticketWanted.Alarm.IncidentId is { } id && _open.TryGetValue(id, out var incident) && incident.TicketId is null && ticketWanted.At < incident.Start + policy.Wait)
        {
            _held.Add(ticketWanted);
        }
        else
        {
            next.Publish(ticketWanted);
        }
    }

    /// <summary>Releases the ticket requests whose incident has gathered for <c>group.wait</c> (engine's tick, under its lock).</summary>
    public void Tick(DateTimeOffset now, AlarmFanOut next)
    {
        for (var i = 0; i < _held.Count; i++)
        {
            var held = _held[i];
            if (held.Alarm.IncidentId is { } id && _open.TryGetValue(id, out var incident) && incident.TicketId is null && now < incident.Start + policy.Wait)
            {
                continue;
            }

            _held.RemoveAt(i--);
            next.Publish(held);
        }
    }

    /// <summary>Records the ticket opened for an incident; null when there is no such incident.</summary>
    public IncidentSnapshot? SetTicket(long incidentId, string ticketId)
    {
        if (_open.TryGetValue(incidentId, out var incident))
        {
            if (incident.TicketId == ticketId)
            {
                return incident.Snapshot();
            }

            incident.TicketId = ticketId;
            MarkChanged(incident);
            SaveChanged();
            PublishChanged();
            return incident.Snapshot();
        }

        if ((_ended.GetValueOrDefault(incidentId) ?? store?.FindIncident(incidentId)) is not { } ended)
        {
            return null;
        }

        var updated = ended with { TicketId = ticketId };
        _ended[incidentId] = updated;
        store?.SaveIncident(updated);
        _toPublish.Add(updated);
        PublishChanged();
        return updated;
    }

    private void Place(Alarm alarm, AlarmSnapshot snapshot, DateTimeOffset at)
    {
        var current = alarm.IncidentId is { } id ? _open.GetValueOrDefault(id) : null;
        Incident? target = null;
        if (alarm.SuppressedBy is { } root && root.IsOpen)
        {
            target = IncidentOf(root, at);
        }
        else if (current is null && Reopen(alarm, at) is { } reopened)
        {
            target = reopened;
        }
        else if (current is null)
        {
            foreach (var childId in snapshot.Suppresses)
            {
                if (open.TryGet(childId, out var child) && child.IncidentId is { } childIncident && _open.TryGetValue(childIncident, out var found))
                {
                    target = found;
                    break;
                }
            }

            target ??= ByLabels(alarm, at);
        }
        else
        {
            target = current;
        }

        if (!ReferenceEquals(current, target))
        {
            if (current is not null)
            {
                Leave(current, alarm.Id, at);
            }

            Join(target, alarm, at);
            return;
        }

        // the same incident: its severity or activity may have changed
        var changed = !target.Severities.TryGetValue(alarm.Id, out var severity) || severity != alarm.Severity;
        target.Severities[alarm.Id] = alarm.Severity;
        changed |= target.Active.Add(alarm.Id);
        if (changed && target.RefreshSeverity())
        {
            MarkChanged(target);
        }
    }

    /// <summary>
    /// An alarm raised again (a flapping port, a value back over its limit) within the window after its incident ended:
    /// the incident opens again rather than a new one each time, unless another open incident has its labels now.
    /// </summary>
    private Incident? Reopen(Alarm alarm, DateTimeOffset at)
    {
        if (alarm.IncidentId is not { } previous || _open.ContainsKey(previous))
        {
            return null;
        }

        // ended since this engine started, or before (a restart, or another node that led until it died): the store has it
        var ended = _ended.GetValueOrDefault(previous) ?? store?.FindIncident(previous);
        if (ended?.End is not { } end || at - end > policy.Window || !ended.AlarmIds.Contains(alarm.Id))
        {
            return null;
        }

        var key = Key(alarm.Rule, alarm.RuleId, alarm.Target);
        if (key is not null && _byKey.ContainsKey(key))
        {
            return null;
        }

        _ended.Remove(previous);
        var incident = Incident.From(ended with { End = null });
        incident.Key = key;
        _open[incident.Id] = incident;
        if (key is not null)
        {
            _byKey[key] = incident;
        }

        return incident;
    }

    /// <summary>The open incident of a root-cause alarm, made for it now if it has none (it may be raised later in this round).</summary>
    private Incident IncidentOf(Alarm root, DateTimeOffset at)
    {
        if (root.IncidentId is { } id && _open.TryGetValue(id, out var incident))
        {
            return incident;
        }

        incident = ByLabels(root, at);
        Join(incident, root, at);
        return incident;
    }

    private Incident ByLabels(Alarm alarm, DateTimeOffset at)
    {
        var key = Key(alarm.Rule, alarm.RuleId, alarm.Target);
        if (key is not null && _byKey.TryGetValue(key, out var incident) && at - incident.LastJoin <= policy.Window)
        {
            return incident;
        }

        incident = Create(++_lastId, alarm, at);
        incident.Key = key;
        _open[incident.Id] = incident;
        if (key is not null)
        {
            _byKey[key] = incident;
        }

        LogOpened(logger, incident.Id, incident.TitleEn, alarm.Id);
        return incident;
    }

    private void Join(Incident incident, Alarm alarm, DateTimeOffset at)
    {
        if (alarm.TicketWanted && incident.TicketId is null && alarm.SuppressedBy is null)
        {
            _askAgain.Add(alarm.Id);
        }

        alarm.IncidentId = incident.Id;
        if (!incident.AlarmIds.Contains(alarm.Id))
        {
            incident.AlarmIds.Add(alarm.Id);
        }

        incident.Severities[alarm.Id] = alarm.Severity;
        incident.Active.Add(alarm.Id);
        incident.LastJoin = at > incident.LastJoin ? at : incident.LastJoin;
        incident.RefreshSeverity();
        MarkChanged(incident);
    }

    /// <summary>An alarm moved on to its root cause's incident: it leaves this one, which ends when no alarm is left.</summary>
    private void Leave(Incident incident, long alarmId, DateTimeOffset at)
    {
        incident.AlarmIds.Remove(alarmId);
        incident.Severities.Remove(alarmId);
        incident.Active.Remove(alarmId);
        incident.RefreshSeverity();
        MarkChanged(incident);
        if (incident.Active.Count == 0)
        {
            End(incident, at);
        }
    }

    private void Inactive(long? incidentId, long alarmId, DateTimeOffset at)
    {
        if (incidentId is { } id && _open.TryGetValue(id, out var incident) && incident.Active.Remove(alarmId) && incident.Active.Count == 0)
        {
            End(incident, at);
        }
    }

    private void End(Incident incident, DateTimeOffset at)
    {
        incident.End = at;
        _open.Remove(incident.Id);
        if (incident.Key is { } key && _byKey.TryGetValue(key, out var indexed) && ReferenceEquals(indexed, incident))
        {
            _byKey.Remove(key);
        }

        _held.RemoveAll(e => e.Alarm.IncidentId == incident.Id);
        MarkChanged(incident);
        LogEnded(logger, incident.Id, incident.AlarmIds.Count);
    }

    private void MarkChanged(Incident incident)
    {
        incident.Invalidate();
        if (!incident.Dirty)
        {
            incident.Dirty = true;
            _changed.Add(incident);
        }
    }

    /// <summary>Changed incidents go to the store (ahead of the alarm event being grouped) and wait to be published after it.</summary>
    private void SaveChanged()
    {
        if (_changed.Count == 0)
        {
            return;
        }

        foreach (var incident in _changed)
        {
            incident.Dirty = false;
            var snapshot = incident.Snapshot();
            store?.SaveIncident(snapshot);
            _toPublish.Add(snapshot);
            if (snapshot.End is not null)
            {
                // kept for look-ups until restart (the store has it too); bounded by what ends while the server runs
                if (_ended.Count >= 10_000)
                {
                    _ended.Clear();
                }

                _ended[snapshot.Id] = snapshot;
            }
        }

        _changed.Clear();
    }

    private void PublishChanged()
    {
        if (_toPublish.Count == 0)
        {
            return;
        }

        var sinks = Volatile.Read(ref _sinks);
        foreach (var snapshot in _toPublish)
        {
            foreach (var sink in sinks)
            {
                try
                {
                    sink.OnIncident(snapshot);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogSinkFailed(logger, ex, sink.GetType().Name, snapshot.Id);
                }
            }
        }

        _toPublish.Clear();
    }

    private Incident Create(long id, Alarm alarm, DateTimeOffset at)
    {
        var rule = alarm.Rule;
        var cause = rule?.Cause;
        var room = inventory.FindRoom(alarm.Target.RoomId);
        var roomName = room?.Name ?? alarm.Target.RoomId;
        var roomEn = room?.NameEn ?? roomName;
        var device = inventory.FindDevice(alarm.Target.DeviceId)?.Name ?? alarm.Target.DeviceId;
        var (title, titleEn) = cause switch
        {
            "power" => ($"{roomName} 供电故障", $"Power failure in {roomEn}"),
            "cooling" => ($"{roomName} 制冷故障", $"Cooling failure in {roomEn}"),
            null => ($"{alarm.RuleName}：{device}", $"{rule?.NameEn ?? alarm.RuleName}: {device}"),
            _ => ($"{roomName} {cause} 故障", $"{cause} trouble in {roomEn}"),
        };
        return new Incident(id, title, titleEn, alarm.Target.RoomId, cause ?? alarm.RuleId, at)
        {
            LastJoin = at,
            Severity = alarm.Severity,
        };
    }

    /// <summary>The incident's labels again at start, from the rule and target it was made for (its first alarm's).</summary>
    private string? Key(Incident incident)
    {
        if (incident.AlarmIds.Count == 0 || !open.TryGet(incident.AlarmIds[0], out var first))
        {
            return null;
        }

        return Key(first.Rule, first.RuleId, first.Target);
    }

    /// <summary>The incident's labels as one string (null: the alarm groups with nothing by label).</summary>
    private string? Key(AlarmRule? rule, string ruleId, AlarmTarget target)
    {
        var cause = rule?.Cause;
        var by = policy.By;
        if (cause is null && by.Contains(IncidentGroupLabel.Cause))
        {
            return null;
        }

        var parts = new string[by.Count];
        for (var i = 0; i < by.Count; i++)
        {
            parts[i] = by[i] switch
            {
                IncidentGroupLabel.Room => target.RoomId,
                IncidentGroupLabel.Cause => cause ?? string.Empty,
                IncidentGroupLabel.Rack => target.RackId ?? string.Empty,
                IncidentGroupLabel.Device => target.DeviceId,
                _ => ruleId,
            };
        }

        return string.Join('\u001f', parts);
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "Incidents: {Open} open after start, {Asking} of them asking again for a ticket")]
    private static partial void LogLoaded(ILogger logger, int open, int asking);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Information, Message = "Incident {IncidentId} opened ({Title}) by alarm {AlarmId}")]
    private static partial void LogOpened(ILogger logger, long incidentId, string title, long alarmId);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Information, Message = "Incident {IncidentId} ended ({Alarms} alarms)")]
    private static partial void LogEnded(ILogger logger, long incidentId, int alarms);

    [LoggerMessage(EventId = 7013, Level = LogLevel.Error, Message = "Incident sink {Sink} failed on incident {IncidentId}")]
    private static partial void LogSinkFailed(ILogger logger, Exception exception, string sink, long incidentId);

    /// <summary>The stage's mutable record of one incident; only touched under the engine's lock.</summary>
    private sealed class Incident(long id, string title, string titleEn, string roomId, string cause, DateTimeOffset start)
    {
        private IncidentSnapshot? _snapshot;

        public long Id { get; } = id;
        public string Title { get; } = title;
        public string TitleEn { get; } = titleEn;
        public string RoomId { get; } = roomId;
        public string Cause { get; } = cause;
        public DateTimeOffset Start { get; } = start;
        public DateTimeOffset? End { get; set; }
        public DateTimeOffset LastJoin { get; set; }
        public AlarmSeverity Severity { get; set; }
        public string? TicketId { get; set; }
        public string? Key { get; set; }
        public bool Dirty { get; set; }
        public List<long> AlarmIds { get; } = [];
        public Dictionary<long, AlarmSeverity> Severities { get; } = [];
        public HashSet<long> Active { get; } = [];

        public static Incident From(IncidentSnapshot snapshot)
        {
            var incident = new Incident(snapshot.Id, snapshot.Title, snapshot.TitleEn, snapshot.RoomId, snapshot.Cause, snapshot.Start)
            {
                End = snapshot.End,
                LastJoin = snapshot.Start,
                Severity = snapshot.Severity,
                TicketId = snapshot.TicketId,
            };
            incident.AlarmIds.AddRange(snapshot.AlarmIds);
            return incident;
        }

        /// <summary>The highest severity of its alarms (kept when none is left); true when it changed.</summary>
        public bool RefreshSeverity()
        {
            if (Severities.Count == 0)
            {
                return false;
            }

            var highest = AlarmSeverity.Warning;
            foreach (var severity in Severities.Values)
            {
                highest = severity > highest ? severity : highest;
            }

            if (highest == Severity)
            {
                return false;
            }

            Severity = highest;
            _snapshot = null;
            return true;
        }

        public void Invalidate() => _snapshot = null;

        public IncidentSnapshot Snapshot() => _snapshot ??= new IncidentSnapshot
        {
            Id = Id,
            Title = Title,
            TitleEn = TitleEn,
            Severity = Severity,
            Start = Start,
            End = End,
            AlarmIds = [.. AlarmIds],
            TicketId = TicketId,
            RoomId = RoomId,
            Cause = Cause,
        };
    }
}
