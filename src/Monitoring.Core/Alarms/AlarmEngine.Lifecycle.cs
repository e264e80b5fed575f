using Microsoft.Extensions.Logging;

namespace Monitoring.Core.Alarms;

public sealed partial class AlarmEngine
{
    public AlarmCommandResult Acknowledge(long id, string user, string? comment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        var result = Command(id, (alarm, now) =>
        {
            if (alarm.Acknowledgement is not null)
            {
                return $"alarm {id} was already acknowledged by {alarm.Acknowledgement.By}";
            }

            alarm.Acknowledgement = new AlarmAcknowledgement(user, At(now), comment);
            alarm.ChangedAt = At(now);
            if (alarm.State == AlarmState.Raised)
            {
                alarm.State = AlarmState.Acknowledged;
            }

            Emit(AlarmEventKind.Acknowledged, alarm);
            if (alarm.State == AlarmState.Cleared)
            {
                CloseAlarm(alarm, now);
            }

            LogCommand(_logger, id, "acknowledged", user);
            return null;
        });
        return result;
    }

    public AlarmCommandResult Shelve(long id, string user, TimeSpan duration, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        if (duration <= TimeSpan.Zero || duration > _options.MaxShelve)
        {
            return AlarmCommandResult.Failed($"shelve for more than zero and at most {AlarmMessage.Duration(_options.MaxShelve)}");
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            return AlarmCommandResult.Failed("shelving needs a reason");
        }

        return Command(id, (alarm, now) =>
        {
            alarm.Shelving = new AlarmShelving(user, At(now) + duration, reason);
            alarm.ChangedAt = At(now);
            Emit(AlarmEventKind.Updated, alarm);
            LogCommand(_logger, id, "shelved", user);
            return null;
        });
    }

    public AlarmCommandResult Unshelve(long id, string user)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        return Command(id, (alarm, now) =>
        {
            if (alarm.Shelving is null)
            {
                return $"alarm {id} is not shelved";
            }

            alarm.Shelving = null;
            alarm.ChangedAt = At(now);
            Emit(AlarmEventKind.Updated, alarm);
            LogCommand(_logger, id, "unshelved", user);
            return null;
        });
    }

    public AlarmCommandResult Close(long id, string user, string? comment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        return Command(id, (alarm, now) =>
        {
            alarm.Acknowledgement ??= new AlarmAcknowledgement(user, At(now), comment);
            CloseAlarm(alarm, now);
            LogCommand(_logger, id, "closed", user);
            return null;
        });
    }

    public MaintenanceWindow AddMaintenance(string scope, DateTimeOffset from, DateTimeOffset until, string user, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (until <= from)
        {
            throw new ArgumentException("a maintenance window must end after it starts", nameof(until));
        }

        if (_inventory.FindDevice(scope) is null && _inventory.FindRoom(scope) is null && !_inventory.Rooms.SelectMany(r => r.Racks).Any(r => r.Id == scope))
        {
            throw new ArgumentException($"'{scope}' is not a device, rack or room of the inventory", nameof(scope));
        }

        MaintenanceWindow window;
        lock (_gate)
        {
            window = new MaintenanceWindow(++_nextMaintenanceId, scope, from, until, user, reason);
            _maintenance.Add(window);
            _store.SaveMaintenance(window, null);
            var now = _time.GetUtcNow();
            UpdateMaintenance(now);
            FlushOutbox(now.UtcTicks);
            LogMaintenance(_logger, window.Id, scope, "added", user);
        }

        _store.Flush();
        return window;
    }

    public bool EndMaintenance(long id, string user)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        lock (_gate)
        {
            var index = _maintenance.FindIndex(w => w.Id == id);
            if (index < 0)
            {
                return false;
            }

            var now = _time.GetUtcNow();
            var ended = _maintenance[index] with { Until = now < _maintenance[index].From ? _maintenance[index].From : now };
            _maintenance.RemoveAt(index);
            _store.SaveMaintenance(ended, user);
            UpdateMaintenance(now);
            FlushOutbox(now.UtcTicks);
            LogMaintenance(_logger, id, ended.Scope, "ended", user);
        }

        _store.Flush();
        return true;
    }

    public MuteRecord Mute(string user, string reason, TimeSpan duration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new ArgumentException("muting needs a reason", nameof(reason));
        }

        if (duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "mute for more than zero");
        }

        MuteRecord mute;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            mute = new MuteRecord(user, reason, now, now + (duration > _options.MaxMute ? _options.MaxMute : duration));
            _mute = mute;
            _store.SaveMute(mute, null, null);
            _version++;
            LogMuted(_logger, user, mute.Until);
        }

        _store.Flush();
        return mute;
    }

    public void Unmute(string user)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        lock (_gate)
        {
            if (_mute is not { } mute)
            {
                return;
            }

            var now = _time.GetUtcNow();
            _mute = null;
            _store.SaveMute(mute, user, now);
            _version++;
        }

        _store.Flush();
    }

    /// <summary>Runs an operator command on an open alarm under the lock, then waits for its writes to be durable.</summary>
    private AlarmCommandResult Command(long id, Func<Alarm, long, string?> action)
    {
        AlarmSnapshot snapshot;
        lock (_gate)
        {
            if (!_open.TryGetValue(id, out var alarm))
            {
                return AlarmCommandResult.Failed($"no open alarm has id {id}");
            }

            var now = _time.GetUtcNow().UtcTicks;
            if (action(alarm, now) is { } error)
            {
                return AlarmCommandResult.Failed(error);
            }

            FlushOutbox(now);
            snapshot = alarm.Snapshot();
        }

        _store.Flush();
        return AlarmCommandResult.Done(snapshot);
    }

    private void Raise(RuleInstance instance, long now, AlarmSeverity severity, double? value, bool flapping)
    {
        var alarm = instance.Alarm;
        if (alarm is { IsOpen: true })
        {
            alarm.Value = value;
            if (alarm.Flapping)
            {
                return; // one flapping alarm stands for the whole run of raises and clears
            }

            var wasCleared = alarm.State == AlarmState.Cleared;
            alarm.Severity = severity;
            alarm.Message = AlarmMessage.Format(instance, value);
            alarm.ChangedAt = At(now);
            alarm.Flapping = flapping;
            if (wasCleared)
            {
                alarm.State = AlarmState.Raised;
                alarm.ClearedAt = null;
                SetSuppressor(alarm, FindSuppressor(alarm));
                Emit(AlarmEventKind.Raised, alarm);
                if (alarm.IsDownCause)
                {
                    DownChanged(alarm);
                }
            }
            else
            {
                Emit(AlarmEventKind.Updated, alarm);
            }

            return;
        }

        var at = At(now);
        alarm = new Alarm(++_nextAlarmId, instance.Rule, instance.Rule.Id, instance.Rule.Name, instance.Device.Index, instance.Port, instance.Target, at)
        {
            Severity = severity,
            State = AlarmState.Raised,
            Message = AlarmMessage.Format(instance, value),
            Metric = instance.Rule.Metric,
            Value = value,
            Flapping = flapping,
            Instance = instance,
        };
        alarm.InMaintenance = InMaintenance(alarm.Target, at);
        instance.Alarm = alarm;
        _open[alarm.Id] = alarm;
        _alarmsByDevice[alarm.DeviceIndex].Add(alarm);
        SetSuppressor(alarm, FindSuppressor(alarm));
        Emit(AlarmEventKind.Raised, alarm);
        if (alarm.IsDownCause)
        {
            DownChanged(alarm);
        }
    }

    private void ClearAlarm(Alarm alarm, long now)
    {
        var wasDown = alarm.IsDownCause;
        alarm.State = AlarmState.Cleared;
        alarm.ClearedAt = At(now);
        alarm.ChangedAt = At(now);
        alarm.Flapping = false;
        Emit(AlarmEventKind.Cleared, alarm);
        if (alarm.Acknowledgement is not null)
        {
            CloseAlarm(alarm, now);
        }
        else if (wasDown)
        {
            DownChanged(alarm);
        }
    }

    private void CloseAlarm(Alarm alarm, long now)
    {
        var wasDown = alarm.IsDownCause || alarm.Suppresses.Count > 0;
        alarm.State = AlarmState.Closed;
        alarm.ClosedAt = At(now);
        alarm.ChangedAt = At(now);
        alarm.Flapping = false;
        _open.Remove(alarm.Id);
        _alarmsByDevice[alarm.DeviceIndex].Remove(alarm);
        if (alarm.Instance is { } instance && ReferenceEquals(instance.Alarm, alarm))
        {
            instance.Alarm = null;
        }

        SetSuppressor(alarm, null);
        Emit(AlarmEventKind.Closed, alarm);
        if (wasDown)
        {
            DownChanged(alarm);
        }
    }

    /// <summary>Flapping ends, shelves expire, maintenance windows begin and end, tickets are asked for.</summary>
    private void TickAlarms(DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        UpdateMaintenance(now);
        if (_open.Count == 0)
        {
            return;
        }

        var alarms = _open.Values.ToList();
        foreach (var alarm in alarms)
        {
            if (!alarm.IsOpen)
            {
                continue;
            }

            if (alarm.Flapping && alarm.Instance is { } instance && ticks - instance.LastTransition >= _options.FlappingStable.Ticks)
            {
                alarm.ChangedAt = now;
                if (instance.Tripped)
                {
                    alarm.Flapping = false;
                    Emit(AlarmEventKind.Updated, alarm);
                }
                else
                {
                    ClearAlarm(alarm, ticks);
                    continue;
                }
            }

            if (alarm.Shelving is { } shelving && shelving.Until <= now)
            {
                alarm.Shelving = null;
                alarm.ChangedAt = now;
                Emit(AlarmEventKind.Updated, alarm);
            }

            if (!alarm.TicketWanted && alarm.IsActive && !alarm.Silent && _options.TicketSeverities.Contains(alarm.Severity)
                && ticks - alarm.RaisedAt.UtcTicks >= _options.TicketAfter.Ticks)
            {
                alarm.TicketWanted = true;
                Emit(AlarmEventKind.TicketWanted, alarm);
            }
        }
    }

    private void UpdateMaintenance(DateTimeOffset now)
    {
        foreach (var alarm in _open.Values)
        {
            var inMaintenance = InMaintenance(alarm.Target, now);
            if (inMaintenance != alarm.InMaintenance)
            {
                alarm.InMaintenance = inMaintenance;
                alarm.ChangedAt = now;
                Emit(AlarmEventKind.Updated, alarm);
            }
        }
    }

    private bool InMaintenance(AlarmTarget target, DateTimeOffset now)
    {
        foreach (var window in _maintenance)
        {
            if (window.From <= now && now < window.Until
                && (window.Scope == target.DeviceId || window.Scope == target.RackId || window.Scope == target.RoomId))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Queues an event with the alarm as it is now; an alarm's later change in the same round refreshes its last event instead.</summary>
    private void Emit(AlarmEventKind kind, Alarm alarm)
    {
        _version++;
        alarm.OutboxIndex = _outbox.Count;
        _outbox.Add((kind, alarm, alarm.Snapshot()));
    }

    /// <summary>
    /// A change that is part of the same decision as the alarm's last event (its root cause found in the same round):
    /// refresh that event rather than sending another.
    /// </summary>
    private void EmitOrRefresh(Alarm alarm)
    {
        var index = alarm.OutboxIndex;
        if (index >= 0 && index < _outbox.Count && ReferenceEquals(_outbox[index].Alarm, alarm)
            && _outbox[index].Kind is AlarmEventKind.Raised or AlarmEventKind.Updated)
        {
            _version++;
            _outbox[index] = (_outbox[index].Kind, alarm, alarm.Snapshot());
            return;
        }

        Emit(AlarmEventKind.Updated, alarm);
    }

    private void FlushOutbox(long now)
    {
        if (_dirtyRoots.Count > 0)
        {
            foreach (var root in _dirtyRoots)
            {
                root.Invalidate();
                if (root.IsOpen)
                {
                    EmitOrRefresh(root);
                }
            }

            _dirtyRoots.Clear();
        }

        if (_outbox.Count == 0)
        {
            return;
        }

        var at = At(now);
        var sinks = _sinks;
        foreach (var (kind, alarm, snapshot) in _outbox)
        {
            alarm.OutboxIndex = -1;
            var alarmEvent = new AlarmEvent(kind, snapshot, at);
            _store.Append(alarmEvent);
            foreach (var sink in sinks)
            {
                try
                {
                    sink.OnAlarmEvent(alarmEvent);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogSinkFailed(_logger, ex, sink.GetType().Name, kind);
                }
            }
        }

        _outbox.Clear();
    }
}
