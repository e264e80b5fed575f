namespace Monitoring.Core.Alarms;

/// <summary>What the engine finds in its store when it starts.</summary>
/// <param name="Open">Alarms not closed, as last recorded.</param>
/// <param name="TicketWanted">Ids of open alarms that have already asked for a ticket.</param>
/// <param name="LastAlarmId">The highest alarm id ever given (0 when none).</param>
/// <param name="Maintenance">Maintenance windows that have not ended.</param>
/// <param name="LastMaintenanceId">The highest maintenance window id ever given.</param>
/// <param name="Mute">The console mute, if one is still running.</param>
public sealed record AlarmStoreState(
    IReadOnlyList<AlarmSnapshot> Open,
    IReadOnlySet<long> TicketWanted,
    long LastAlarmId,
    IReadOnlyList<MaintenanceWindow> Maintenance,
    long LastMaintenanceId,
    MuteRecord? Mute)
{
    public static readonly AlarmStoreState Empty = new([], new HashSet<long>(), 0, [], 0, null);
}

/// <summary>
/// Where alarms, their events, maintenance windows and mutes are kept. The engine calls the write methods while
/// holding its lock, on the pipeline thread among others: they must queue and return at once, and a queued write is
/// never dropped (a failed one is retried, in order). <see cref="Flush"/> blocks until everything queued is durable;
/// the engine calls it (outside its lock) before an operator command returns, so a command that answers has been kept.
/// </summary>
public interface IAlarmStore
{
    AlarmStoreState Load(DateTimeOffset now);

    /// <summary>Records an event: the alarm's latest snapshot and one line of its timeline. Queued, in order.</summary>
    void Append(AlarmEvent alarmEvent);

    /// <summary>Records a maintenance window, new or changed (ended early: a new <see cref="MaintenanceWindow.Until"/>). Queued.</summary>
    void SaveMaintenance(MaintenanceWindow window, string? endedBy);

    /// <summary>Records a mute (<paramref name="endedBy"/> null) or its end by hand. Queued.</summary>
    void SaveMute(MuteRecord mute, string? endedBy, DateTimeOffset? endedAt);

    /// <summary>
    /// Blocks until every write queued before the call is durable. Throws <see cref="AlarmStoreUnavailableException"/>
    /// when they could not be stored (yet): they stay queued and are retried, in order, never dropped.
    /// </summary>
    void Flush();

    /// <summary>Alarms past and present, newest first.</summary>
    IReadOnlyList<AlarmSnapshot> Query(AlarmQuery query);

    /// <summary>Every event of one alarm, oldest first.</summary>
    IReadOnlyList<AlarmEvent> Timeline(long alarmId);

    /// <summary>Every mute recorded, newest first.</summary>
    IReadOnlyList<MuteRecord> Mutes(int limit);
}

/// <summary>
/// Alarm state changes could not be made durable (yet): the store keeps them queued and keeps trying, in order, but a
/// command waiting for them must not answer 2xx. <see cref="Exception.InnerException"/> says why (a full disk, a lock).
/// </summary>
public sealed class AlarmStoreUnavailableException : Exception
{
    public AlarmStoreUnavailableException()
    {
    }

    public AlarmStoreUnavailableException(string message)
        : base(message)
    {
    }

    public AlarmStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
