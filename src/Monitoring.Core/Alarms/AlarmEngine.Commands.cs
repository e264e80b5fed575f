using Microsoft.Extensions.Logging;

namespace Monitoring.Core.Alarms;

/// <summary>Operator commands: each runs as one round under the engine's lock, then waits (outside it) until its writes are durable.</summary>
public sealed partial class AlarmEngine
{
    public AlarmCommandResult Acknowledge(long id, string user, string? comment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        return Command(id, user, (alarm, now) =>
        {
            if (_lifecycle.Acknowledge(alarm, user, comment, now) is { } error)
            {
                return error;
            }

            LogCommand(_logger, id, "acknowledged", user);
            return null;
        });
    }

    public AlarmCommandResult Shelve(long id, string user, TimeSpan duration, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        if (_shelve.Refuse(duration, reason) is { } refused)
        {
            return AlarmCommandResult.Failed(refused);
        }

        return Command(id, user, (alarm, now) =>
        {
            _lifecycle.Shelve(alarm, user, duration, reason, now);
            LogCommand(_logger, id, "shelved", user);
            return null;
        });
    }

    public AlarmCommandResult Unshelve(long id, string user)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        return Command(id, user, (alarm, now) =>
        {
            if (_lifecycle.Unshelve(alarm, now) is { } error)
            {
                return error;
            }

            LogCommand(_logger, id, "unshelved", user);
            return null;
        });
    }

    public AlarmCommandResult Close(long id, string user, string? comment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        return Command(id, user, (alarm, now) =>
        {
            _lifecycle.CloseByOperator(alarm, user, comment, now);
            LogCommand(_logger, id, "closed", user);
            return null;
        });
    }

    public MaintenanceWindow AddMaintenance(string scope, DateTimeOffset from, DateTimeOffset until, string user, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        _maintenance.Validate(scope, from, until);
        MaintenanceWindow window;
        lock (_gate)
        {
            window = _maintenance.Add(scope, from, until, user, reason);
            _store.SaveMaintenance(window, null);
            var now = _time.GetUtcNow();
            _maintenance.Update(_lifecycle.Open, _outbox, now);
            EndRound(now.UtcTicks);
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
            var now = _time.GetUtcNow();
            if (_maintenance.End(id, now) is not { } ended)
            {
                return false;
            }

            _store.SaveMaintenance(ended, user);
            _maintenance.Update(_lifecycle.Open, _outbox, now);
            EndRound(now.UtcTicks);
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
            mute = _consoleMute.Mute(user, reason, duration, _time.GetUtcNow());
            _store.SaveMute(mute, null, null);
            _outbox.Touch();
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
            if (_consoleMute.Unmute() is not { } mute)
            {
                return;
            }

            _store.SaveMute(mute, user, _time.GetUtcNow());
            _outbox.Touch();
        }

        _store.Flush();
    }

    /// <summary>Runs an operator command on an open alarm under the lock, then waits for its writes to be durable.</summary>
    private AlarmCommandResult Command(long id, string user, Func<Alarm, long, string?> action)
    {
        AlarmSnapshot snapshot;
        lock (_gate)
        {
            if (!_lifecycle.Open.TryGet(id, out var alarm))
            {
                return AlarmCommandResult.Failed($"no open alarm has id {id}");
            }

            var now = _time.GetUtcNow().UtcTicks;
            if (action(alarm, now) is { } error)
            {
                return AlarmCommandResult.Failed(error);
            }

            _outbox.Actor = user;
            try
            {
                EndRound(now);
            }
            finally
            {
                _outbox.Actor = null;
            }

            snapshot = alarm.Snapshot();
        }

        _store.Flush();
        return AlarmCommandResult.Done(snapshot);
    }

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Alarm {AlarmId} {Action} by {User}")]
    private static partial void LogCommand(ILogger logger, long alarmId, string action, string user);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Console muted by {User} until {Until}")]
    private static partial void LogMuted(ILogger logger, string user, DateTimeOffset until);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Information, Message = "Maintenance window {WindowId} on {Scope} {Action} by {User}")]
    private static partial void LogMaintenance(ILogger logger, long windowId, string scope, string action, string user);
}
