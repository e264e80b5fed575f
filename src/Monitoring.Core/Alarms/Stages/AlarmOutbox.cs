namespace Monitoring.Core.Alarms;

/// <summary>
/// The alarm changes of one round (one call into the engine), in the order they were decided. An alarm's later change
/// in the same round that belongs to the same decision (its root cause found in the same round) refreshes its queued
/// event instead of adding another. At the end of the round the engine drains it, in order, into the store and on to
/// the grouping and fan-out stages. Also the version the engine's list of active alarms is cached against.
/// </summary>
internal sealed class AlarmOutbox
{
    private readonly List<(AlarmEventKind Kind, Alarm Alarm, AlarmSnapshot Snapshot)> _pending = [];

    /// <summary>Moves on with every change (and with <see cref="Touch"/>): a cache of the active alarms built at another version is stale.</summary>
    public long Version { get; private set; }

    public int Count => _pending.Count;

    /// <summary>The user whose command this round runs (stamped on its events as <see cref="AlarmEvent.By"/>); null for the engine's own rounds.</summary>
    public string? Actor { get; set; }

    public void Touch() => Version++;

    /// <summary>Queues an event with the alarm as it is now.</summary>
    public void Emit(AlarmEventKind kind, Alarm alarm)
    {
        Version++;
        alarm.OutboxIndex = _pending.Count;
        _pending.Add((kind, alarm, alarm.Snapshot()));
    }

    /// <summary>Refreshes the alarm's raised/updated event of this round with the alarm as it is now, or queues an update.</summary>
    public void EmitOrRefresh(Alarm alarm)
    {
        var index = alarm.OutboxIndex;
        if (index >= 0 && index < _pending.Count && ReferenceEquals(_pending[index].Alarm, alarm)
            && _pending[index].Kind is AlarmEventKind.Raised or AlarmEventKind.Updated)
        {
            Version++;
            _pending[index] = (_pending[index].Kind, alarm, alarm.Snapshot());
            return;
        }

        Emit(AlarmEventKind.Updated, alarm);
    }

    /// <summary>Hands every queued event, in order and stamped <paramref name="at"/>, to <paramref name="next"/>, and empties the round.</summary>
    public void Drain(DateTimeOffset at, Action<AlarmEvent> next)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        foreach (var (kind, alarm, snapshot) in _pending)
        {
            alarm.OutboxIndex = -1;
            next(new AlarmEvent(kind, snapshot, at) { By = Actor });
        }

        _pending.Clear();
    }
}
