using Monitoring.Core.Inventory;

namespace Monitoring.Core.Alarms;

/// <summary>How bad an alarm is. Ordered: a higher value is worse.</summary>
public enum AlarmSeverity
{
    Warning = 1,
    Minor = 2,
    Major = 3,
    Critical = 4,
}

/// <summary>
/// Where an alarm's condition is. Raised: active, not yet acknowledged. Acknowledged: active, someone has taken it.
/// Cleared: the condition has gone (it may still be unacknowledged: <see cref="AlarmSnapshot.Acknowledgement"/> says).
/// Closed: finished (cleared and acknowledged, or closed by hand); kept only in history.
/// </summary>
public enum AlarmState
{
    Raised,
    Acknowledged,
    Cleared,
    Closed,
}

/// <summary>What an alarm points at: a device, or one port of it, placed in a room and rack.</summary>
public sealed record AlarmTarget(string DeviceId, int? Port, string RoomId, string? RackId)
{
    public static AlarmTarget For(Device device, int? port = null) => new(device.Id, port, device.RoomId, device.RackId);

    /// <summary>"device" or "device:port", the form used in room files' dependsOn and in the API.</summary>
    public override string ToString() => Port is { } p ? $"{DeviceId}:{p}" : DeviceId;
}

public sealed record AlarmAcknowledgement(string By, DateTimeOffset At, string? Comment);

public sealed record AlarmShelving(string By, DateTimeOffset Until, string Reason);

/// <summary>
/// One alarm as consoles, the API and other components see it: immutable, safe to hand across threads.
/// <see cref="Silent"/> is true when it must not alert (no sound, no lamp, no webhook, no ticket): suppressed by a
/// root cause, shelved, or its device/rack is in a maintenance window. Silent alarms are still listed.
/// </summary>
public sealed record AlarmSnapshot
{
    public required long Id { get; init; }
    public required string RuleId { get; init; }
    public required string RuleName { get; init; }
    public required AlarmSeverity Severity { get; init; }
    public required AlarmTarget Target { get; init; }
    /// <summary>Human text, e.g. "CPU 93.5 % above 90 % for 2 min".</summary>
    public required string Message { get; init; }
    /// <summary>The same text in English, from the rule's <c>messageEn</c>; null when the rule has none (show <see cref="Message"/>).</summary>
    public string? MessageEn { get; init; }
    public required AlarmState State { get; init; }
    public required DateTimeOffset RaisedAt { get; init; }
    public required DateTimeOffset ChangedAt { get; init; }
    /// <summary>The metric, if the rule watches one (e.g. "cpu.utilization"); the value that last raised or updated it.</summary>
    public string? Metric { get; init; }
    public double? Value { get; init; }
    public AlarmAcknowledgement? Acknowledgement { get; init; }
    public DateTimeOffset? ClearedAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public AlarmShelving? Shelving { get; init; }
    public bool InMaintenance { get; init; }
    public bool Flapping { get; init; }
    /// <summary>The root-cause alarm that silences this one, if any.</summary>
    public long? SuppressedBy { get; init; }
    /// <summary>The alarms this one (as root cause) is silencing.</summary>
    public IReadOnlyList<long> Suppresses { get; init; } = [];
    /// <summary>The incident the alarm belongs to (see <see cref="IncidentSnapshot"/>).</summary>
    public long? IncidentId { get; init; }
    public bool Silent => SuppressedBy is not null || Shelving is not null || InMaintenance;
}

public enum AlarmEventKind
{
    Raised,
    /// <summary>Value, severity, flapping, suppression, shelving or maintenance changed.</summary>
    Updated,
    Acknowledged,
    Cleared,
    Closed,
    /// <summary>A root-cause alarm of a configured severity stayed active for the configured time: a ticket should open.</summary>
    TicketWanted,
}

public sealed record AlarmEvent(AlarmEventKind Kind, AlarmSnapshot Alarm, DateTimeOffset At)
{
    /// <summary>
    /// The user whose command caused the event (acknowledge, shelve, unshelve, close; an acknowledgement that closes a
    /// cleared alarm stamps both events); null for the engine's own (a value, a timer). Not stored: the live
    /// observers (a training session's activity log) read it.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? By { get; init; }
}

/// <summary>Receives every alarm event. Called on the engine's thread, in order; must not block.</summary>
public interface IAlarmEventSink
{
    void OnAlarmEvent(AlarmEvent alarmEvent);
}

public sealed record MaintenanceWindow(long Id, string Scope, DateTimeOffset From, DateTimeOffset Until, string By, string Reason);

/// <summary>The console mute: who silenced the sound, why, and until when (at most a configured limit).</summary>
public sealed record MuteRecord(string By, string Reason, DateTimeOffset At, DateTimeOffset Until);

/// <summary>The outcome of an operator command: done, or why not (unknown alarm, wrong state, bad argument).</summary>
public readonly record struct AlarmCommandResult(bool Ok, string? Error, AlarmSnapshot? Alarm)
{
    public static AlarmCommandResult Done(AlarmSnapshot alarm) => new(true, null, alarm);

    public static AlarmCommandResult Failed(string error) => new(false, error, null);
}

/// <summary>A notification (SNMP trap, MQTT last will...) that an event rule may raise or clear an alarm on at once.</summary>
public sealed record AlarmInputEvent(string DeviceId, int? Port, string Name, DateTimeOffset At, string? Text = null);

public sealed record AlarmQuery(
    string? RoomId = null,
    string? DeviceId = null,
    AlarmSeverity? MinSeverity = null,
    AlarmState? State = null,
    DateTimeOffset? From = null,
    DateTimeOffset? Until = null,
    int Limit = 500);

/// <summary>What the server, the API and the hub use of the alarm engine.</summary>
public interface IAlarmService
{
    /// <summary>Every alarm not closed, worst first.</summary>
    IReadOnlyList<AlarmSnapshot> Active { get; }

    AlarmSnapshot? Find(long id);

    /// <summary>Alarms past and present, newest first, from the store.</summary>
    IReadOnlyList<AlarmSnapshot> History(AlarmQuery query);

    /// <summary>Every state change of one alarm, oldest first.</summary>
    IReadOnlyList<AlarmEvent> Timeline(long id);

    AlarmCommandResult Acknowledge(long id, string user, string? comment);

    AlarmCommandResult Shelve(long id, string user, TimeSpan duration, string reason);

    AlarmCommandResult Unshelve(long id, string user);

    AlarmCommandResult Close(long id, string user, string? comment);

    /// <summary>Scope: a device id, a rack id or a room id.</summary>
    MaintenanceWindow AddMaintenance(string scope, DateTimeOffset from, DateTimeOffset until, string user, string reason);

    bool EndMaintenance(long id, string user);

    IReadOnlyList<MaintenanceWindow> Maintenance { get; }

    MuteRecord Mute(string user, string reason, TimeSpan duration);

    void Unmute(string user);

    MuteRecord? CurrentMute { get; }

    /// <summary>The highest severity among alerting (not silent), unacknowledged, active alarms; null when none.</summary>
    AlarmSeverity? HighestUnacknowledged { get; }

    void OnInputEvent(AlarmInputEvent inputEvent);

    IDisposable Subscribe(IAlarmEventSink sink);
}
