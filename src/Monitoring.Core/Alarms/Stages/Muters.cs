namespace Monitoring.Core.Alarms;

/// <summary>
/// A mute stage, as an Alertmanager muter: it answers whether it silences an alarm. A silenced alarm stays listed,
/// keeps being evaluated and still reaches its listeners (marked so); it only stops alerting: no webhook, no ticket,
/// no lamp. Each muter keeps its own state and marks the alarm when that state changes.
/// </summary>
internal interface IAlarmMuter
{
    string Name { get; }

    bool Mutes(Alarm alarm);
}

/// <summary>
/// The alarm mute stages composed in order: root-cause inhibition, maintenance, shelve. (The fourth mute stage, the
/// console mute of <see cref="ConsoleMuteStage"/>, silences the console's horn and lamp rather than alarms.)
/// </summary>
internal sealed class AlarmMuters(params IAlarmMuter[] muters)
{
    public IReadOnlyList<IAlarmMuter> InOrder { get; } = muters;

    /// <summary>The first muter that silences the alarm, or null when it alerts.</summary>
    public IAlarmMuter? MutedBy(Alarm alarm)
    {
        foreach (var muter in muters)
        {
            if (muter.Mutes(alarm))
            {
                return muter;
            }
        }

        return null;
    }

    public bool Silent(Alarm alarm) => MutedBy(alarm) is not null;
}

/// <summary>
/// Shelving: an operator silences one alarm for a while with a reason; it comes back by itself when the time is up.
/// </summary>
internal sealed class ShelveMuter(TimeSpan maxShelve) : IAlarmMuter
{
    public string Name => "shelve";

    public TimeSpan MaxShelve { get; } = maxShelve;

    public bool Mutes(Alarm alarm) => alarm.Shelving is not null;

    /// <summary>Why the request is refused, or null.</summary>
    public string? Refuse(TimeSpan duration, string reason)
    {
        if (duration <= TimeSpan.Zero || duration > MaxShelve)
        {
            return $"shelve for more than zero and at most {AlarmMessage.Duration(MaxShelve)}";
        }

        return string.IsNullOrWhiteSpace(reason) ? "shelving needs a reason" : null;
    }

    public static void Shelve(Alarm alarm, string user, TimeSpan duration, string reason, DateTimeOffset now)
    {
        alarm.Shelving = new AlarmShelving(user, now + duration, reason);
        alarm.ChangedAt = now;
    }

    /// <summary>False when the alarm was not shelved.</summary>
    public static bool Unshelve(Alarm alarm, DateTimeOffset now)
    {
        if (alarm.Shelving is null)
        {
            return false;
        }

        alarm.Shelving = null;
        alarm.ChangedAt = now;
        return true;
    }

    /// <summary>Ends a shelving whose time is up; true when it did.</summary>
    public static bool Expire(Alarm alarm, DateTimeOffset now)
    {
        if (alarm.Shelving is { } shelving && shelving.Until <= now)
        {
            alarm.Shelving = null;
            alarm.ChangedAt = now;
            return true;
        }

        return false;
    }
}

/// <summary>
/// Maintenance windows: every alarm of a device, rack or room is silenced from the window's start to its end. The
/// windows come back from the store at start; an alarm's mark follows the clock (<see cref="Update"/>).
/// </summary>
internal sealed class MaintenanceMuter(Inventory.Inventory inventory) : IAlarmMuter
{
    private readonly List<MaintenanceWindow> _windows = [];
    private long _nextId;

    public string Name => "maintenance";

    public bool Mutes(Alarm alarm) => alarm.InMaintenance;

    public IReadOnlyList<MaintenanceWindow> Windows => [.. _windows];

    public void Load(IReadOnlyList<MaintenanceWindow> windows, long lastId)
    {
        _nextId = lastId;
        _windows.AddRange(windows);
    }

    /// <summary>Checks the scope names a device, rack or room and the window ends after it starts; throws <see cref="ArgumentException"/> if not.</summary>
    public void Validate(string scope, DateTimeOffset from, DateTimeOffset until)
    {
        if (until <= from)
        {
            throw new ArgumentException("a maintenance window must end after it starts", nameof(until));
        }

        if (inventory.FindDevice(scope) is null && inventory.FindRoom(scope) is null && !inventory.Rooms.SelectMany(r => r.Racks).Any(r => r.Id == scope))
        {
            throw new ArgumentException($"'{scope}' is not a device, rack or room of the inventory", nameof(scope));
        }
    }

    public MaintenanceWindow Add(string scope, DateTimeOffset from, DateTimeOffset until, string user, string reason)
    {
        var window = new MaintenanceWindow(++_nextId, scope, from, until, user, reason);
        _windows.Add(window);
        return window;
    }

    /// <summary>Ends a window now (or at its start, when it has not begun); null when no window has that id.</summary>
    public MaintenanceWindow? End(long id, DateTimeOffset now)
    {
        var index = _windows.FindIndex(w => w.Id == id);
        if (index < 0)
        {
            return null;
        }

        var window = _windows[index];
        _windows.RemoveAt(index);
        return window with { Until = now < window.From ? window.From : now };
    }

    public bool Covers(AlarmTarget target, DateTimeOffset now)
    {
        foreach (var window in _windows)
        {
            if (window.From <= now && now < window.Until
                && (window.Scope == target.DeviceId || window.Scope == target.RackId || window.Scope == target.RoomId))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Marks or unmarks every open alarm as the windows say now; each alarm whose mark changed gets an update.</summary>
    public void Update(OpenAlarms open, AlarmOutbox outbox, DateTimeOffset now)
    {
        foreach (var alarm in open.All)
        {
            var covered = Covers(alarm.Target, now);
            if (covered != alarm.InMaintenance)
            {
                alarm.InMaintenance = covered;
                alarm.ChangedAt = now;
                outbox.Emit(AlarmEventKind.Updated, alarm);
            }
        }
    }

    /// <summary>Forgets windows that have ended.</summary>
    public void Expire(DateTimeOffset now) => _windows.RemoveAll(w => w.Until <= now);
}

/// <summary>
/// The console mute: one operator silences the consoles' horn and the alarm lamp for a while (at most
/// <see cref="MaxMute"/>). It does not silence alarms: lists, webhooks and tickets go on.
/// </summary>
internal sealed class ConsoleMuteStage(TimeSpan maxMute)
{
    private MuteRecord? _mute;

    public TimeSpan MaxMute { get; } = maxMute;

    public void Load(MuteRecord? mute) => _mute = mute;

    /// <summary>The mute in force at <paramref name="now"/>, or null.</summary>
    public MuteRecord? Current(DateTimeOffset now) => _mute is { } m && m.Until > now ? m : null;

    public MuteRecord Mute(string user, string reason, TimeSpan duration, DateTimeOffset now)
    {
        _mute = new MuteRecord(user, reason, now, now + (duration > MaxMute ? MaxMute : duration));
        return _mute;
    }

    /// <summary>Ends the mute; returns the one that was in force (null when there was none).</summary>
    public MuteRecord? Unmute()
    {
        var mute = _mute;
        _mute = null;
        return mute;
    }

    public void Expire(DateTimeOffset now)
    {
        if (_mute is { } mute && mute.Until <= now)
        {
            _mute = null;
        }
    }
}
