namespace Monitoring.Core.Alarms;

/// <summary>
/// The alarm state machine: raised → acknowledged / cleared → closed, with updates in between, a flapping alarm that
/// stands for a run of raises and clears until it is stable again, shelving and tickets asked for after a while. It
/// owns the open alarms and their ids; the evaluation stage tells it when a rule instance trips or untrips, operators
/// through the engine's commands. Each change goes to the round's <see cref="AlarmOutbox"/>; the mute stages mark the
/// alarm (root cause on raise and close, maintenance when the alarm opens and as the clock moves).
/// </summary>
internal sealed class AlarmLifecycle(
    OpenAlarms open,
    AlarmOutbox outbox,
    RootCauseMuter rootCause,
    MaintenanceMuter maintenance,
    AlarmMuters muters,
    AlarmEngineOptions options)
{
    private long _lastId;

    public OpenAlarms Open => open;

    /// <summary>The highest alarm id given so far (from the store at start).</summary>
    public long LastId => _lastId;

    public void Load(long lastId) => _lastId = lastId;

    /// <summary>Takes back an open alarm from the store at start (no event is sent).</summary>
    public void Recover(Alarm alarm, DateTimeOffset now)
    {
        alarm.InMaintenance = maintenance.Covers(alarm.Target, now);
        RecoverTicketClock(alarm);
        open.Add(alarm);
        _lastId = Math.Max(_lastId, alarm.Id);
    }

    /// <summary>A rule instance tripped: raises a new alarm, raises a cleared one again, or updates the open one.</summary>
    public void Raise(RuleInstance instance, long now, AlarmSeverity severity, double? value, bool flapping)
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
            AlarmMessage.Apply(alarm, instance, value);
            alarm.ChangedAt = At(now);
            alarm.Flapping = flapping;
            if (wasCleared)
            {
                alarm.State = AlarmState.Raised;
                alarm.ClearedAt = null;
                RestartTicketClock(alarm, now);
                rootCause.Assign(alarm);
                outbox.Emit(AlarmEventKind.Raised, alarm);
                if (alarm.IsDownCause)
                {
                    rootCause.DownChanged(alarm);
                }
            }
            else
            {
                outbox.Emit(AlarmEventKind.Updated, alarm);
            }

            return;
        }

        var at = At(now);
        alarm = new Alarm(++_lastId, instance.Rule, instance.Rule.Id, instance.Rule.Name, instance.Device.Index, instance.Port, instance.Target, at)
        {
            Severity = severity,
            State = AlarmState.Raised,
            Message = AlarmMessage.Format(instance, value),
            MessageEn = AlarmMessage.FormatEn(instance, value),
            Metric = instance.Rule.Metric,
            Value = value,
            Flapping = flapping,
            Instance = instance,
        };
        alarm.InMaintenance = maintenance.Covers(alarm.Target, at);
        instance.Alarm = alarm;
        open.Add(alarm);
        rootCause.Assign(alarm);
        outbox.Emit(AlarmEventKind.Raised, alarm);
        if (alarm.IsDownCause)
        {
            rootCause.DownChanged(alarm);
        }
    }

    /// <summary>A rule instance untripped: its active alarm clears (a flapping one stays up until it is stable).</summary>
    public void Untripped(RuleInstance instance, long now)
    {
        if (instance.Alarm is { } alarm && alarm.IsActive && !alarm.Flapping)
        {
            Clear(alarm, now);
        }
    }

    /// <summary>The condition still holds with a new value: kept on the alarm, no event.</summary>
    public static void Revalue(RuleInstance instance, double value)
    {
        if (instance.Alarm is { } alarm)
        {
            alarm.Value = value;
        }
    }

    /// <summary>A state rule still holds with another value: a change of severity is an update, a value alone is kept.</summary>
    public void Restate(RuleInstance instance, AlarmSeverity severity, double value, long now)
    {
        if (instance.Alarm is { IsOpen: true } alarm && (alarm.Severity != severity || alarm.Value != value))
        {
            var changed = alarm.Severity != severity;
            alarm.Severity = severity;
            alarm.Value = value;
            if (changed)
            {
                AlarmMessage.Apply(alarm, instance, value);
                alarm.ChangedAt = At(now);
                outbox.Emit(AlarmEventKind.Updated, alarm);
            }
        }
    }

    /// <summary>The event that raised the alarm came again: its text is an update.</summary>
    public void Repeated(RuleInstance instance, long now)
    {
        if (instance.Alarm is { } alarm)
        {
            AlarmMessage.Apply(alarm, instance, null);
            alarm.ChangedAt = At(now);
            outbox.Emit(AlarmEventKind.Updated, alarm);
        }
    }

    /// <summary>Why the alarm cannot be acknowledged, or null when it was.</summary>
    public string? Acknowledge(Alarm alarm, string user, string? comment, long now)
    {
        if (alarm.Acknowledgement is not null)
        {
            return $"alarm {alarm.Id} was already acknowledged by {alarm.Acknowledgement.By}";
        }

        alarm.Acknowledgement = new AlarmAcknowledgement(user, At(now), comment);
        alarm.ChangedAt = At(now);
        if (alarm.State == AlarmState.Raised)
        {
            alarm.State = AlarmState.Acknowledged;
        }

        outbox.Emit(AlarmEventKind.Acknowledged, alarm);
        if (alarm.State == AlarmState.Cleared)
        {
            Close(alarm, now);
        }

        return null;
    }

    public void Shelve(Alarm alarm, string user, TimeSpan duration, string reason, long now)
    {
        ShelveMuter.Shelve(alarm, user, duration, reason, At(now));
        outbox.Emit(AlarmEventKind.Updated, alarm);
    }

    public string? Unshelve(Alarm alarm, long now)
    {
        if (!ShelveMuter.Unshelve(alarm, At(now)))
        {
            return $"alarm {alarm.Id} is not shelved";
        }

        outbox.Emit(AlarmEventKind.Updated, alarm);
        return null;
    }

    /// <summary>An operator closes the alarm (acknowledging it if nobody had).</summary>
    public void CloseByOperator(Alarm alarm, string user, string? comment, long now)
    {
        alarm.Acknowledgement ??= new AlarmAcknowledgement(user, At(now), comment);
        Close(alarm, now);
    }

    /// <summary>Flapping ends, shelves expire, maintenance windows begin and end, tickets are asked for.</summary>
    public void Tick(DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        maintenance.Update(open, outbox, now);
        if (open.Count == 0)
        {
            return;
        }

        var alarms = open.All.ToList();
        foreach (var alarm in alarms)
        {
            if (!alarm.IsOpen)
            {
                continue;
            }

            if (alarm.Flapping && alarm.Instance is { } instance && ticks - instance.LastTransition >= options.FlappingStable.Ticks)
            {
                alarm.ChangedAt = now;
                if (instance.Tripped)
                {
                    alarm.Flapping = false;
                    RestartTicketClock(alarm, instance.LastTransition);
                    outbox.Emit(AlarmEventKind.Updated, alarm);
                }
                else
                {
                    Clear(alarm, ticks);
                    continue;
                }
            }

            if (ShelveMuter.Expire(alarm, now))
            {
                outbox.Emit(AlarmEventKind.Updated, alarm);
            }

            if (WantsTicket(alarm, ticks))
            {
                alarm.TicketWanted = true;
                outbox.Emit(AlarmEventKind.TicketWanted, alarm);
            }
        }
    }

    /// <summary>
    /// Whether the alarm asks for a ticket now: it has not yet, it is active and alerting (not muted), of a ticket
    /// severity, not flapping (a flapping alarm never opens a ticket by itself), and its current raise has lasted the
    /// hold-off (<see cref="AlarmEngineOptions.TicketAfter"/>).
    /// </summary>
    private bool WantsTicket(Alarm alarm, long now) =>
        !alarm.TicketWanted && alarm.IsActive && !alarm.Flapping && !muters.Silent(alarm) && options.TicketSeverities.Contains(alarm.Severity)
        && now - alarm.ActiveSince.UtcTicks >= options.TicketAfter.Ticks;

    /// <summary>The alarm is raised again (after a clear, or as a flapping run ends while tripped): the hold-off starts over.</summary>
    private static void RestartTicketClock(Alarm alarm, long since) => alarm.ActiveSince = At(since);

    /// <summary>
    /// An alarm taken back at start: the store keeps its first raise, not its current one, so the hold-off counts from its
    /// last change, which is never earlier than the current raise (a ticket may come later, never too early).
    /// </summary>
    private static void RecoverTicketClock(Alarm alarm) => alarm.ActiveSince = alarm.ChangedAt > alarm.RaisedAt ? alarm.ChangedAt : alarm.RaisedAt;

    private void Clear(Alarm alarm, long now)
    {
        var wasDown = alarm.IsDownCause;
        alarm.State = AlarmState.Cleared;
        alarm.ClearedAt = At(now);
        alarm.ChangedAt = At(now);
        alarm.Flapping = false;
        outbox.Emit(AlarmEventKind.Cleared, alarm);
        if (alarm.Acknowledgement is not null)
        {
            Close(alarm, now);
        }
        else if (wasDown)
        {
            rootCause.DownChanged(alarm);
        }
    }

    private void Close(Alarm alarm, long now)
    {
        var wasDown = alarm.IsDownCause || alarm.Suppresses.Count > 0;
        alarm.State = AlarmState.Closed;
        alarm.ClosedAt = At(now);
        alarm.ChangedAt = At(now);
        alarm.Flapping = false;
        open.Remove(alarm);
        if (alarm.Instance is { } instance && ReferenceEquals(instance.Alarm, alarm))
        {
            instance.Alarm = null;
        }

        rootCause.Release(alarm);
        outbox.Emit(AlarmEventKind.Closed, alarm);
        if (wasDown)
        {
            rootCause.DownChanged(alarm);
        }
    }

    private static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);
}
