namespace Monitoring.Server.Training.Replay;

/// <summary>
/// The replay clock's state as the consoles follow it: where the replay stands (<c>position</c>, recorded time), how
/// fast it runs (<c>speed</c>, recorded seconds per real second), whether it plays, and the server's time when this was
/// read (a console moves its slider on by (now - serverTime) x speed while it plays, until the next message).
/// </summary>
public sealed record ReplayClockDto(
    string SessionId, string? RoomId, DateTimeOffset From, DateTimeOffset To, DateTimeOffset Position, double Speed, bool Playing, bool Ended, DateTimeOffset ServerTime);

/// <summary>
/// The clock of a replay session: a position in the recorded window [From, To] that runs at 1x-60x while it plays and
/// stops at the end. The instructor plays, pauses, changes the speed and seeks; every change is raised through
/// <see cref="Changed"/> (the hub sends it to every console of the session). Time from the injected clock.
/// </summary>
public sealed class ReplayClock
{
    public const double MinSpeed = 1;
    public const double MaxSpeed = 60;

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private DateTimeOffset _anchorPosition;
    private DateTimeOffset _anchorWall;
    private double _speed = 1;
    private bool _playing;

    public ReplayClock(string sessionId, string? roomId, DateTimeOffset from, DateTimeOffset to, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (to <= from)
        {
            throw new ArgumentException("the replay window must end after it starts", nameof(to));
        }

        SessionId = sessionId;
        RoomId = roomId;
        From = from;
        To = to;
        _time = time;
        _anchorPosition = from;
        _anchorWall = time.GetUtcNow();
    }

    /// <summary>Raised after every change made by a command (play, pause, speed, seek), with the new state.</summary>
    public event EventHandler<ReplayClockDto>? Changed;

    public string SessionId { get; }

    public string? RoomId { get; }

    public DateTimeOffset From { get; }

    public DateTimeOffset To { get; }

    /// <summary>The recorded instant shown now.</summary>
    public DateTimeOffset Position => State.Position;

    public ReplayClockDto State
    {
        get
        {
            lock (_gate)
            {
                return Read(_time.GetUtcNow());
            }
        }
    }

    public ReplayClockDto Play() => Change(now =>
    {
        if (Read(now).Ended)
        {
            _anchorPosition = From; // played to the end: play again from the start
        }

        _playing = true;
    });

    public ReplayClockDto Pause() => Change(_ => _playing = false);

    /// <summary>Sets the speed (recorded seconds per real second, <see cref="MinSpeed"/> to <see cref="MaxSpeed"/>).</summary>
    public ReplayClockDto SetSpeed(double speed)
    {
        if (!double.IsFinite(speed) || speed < MinSpeed || speed > MaxSpeed)
        {
            throw new ArgumentOutOfRangeException(nameof(speed), speed, $"speed must be {MinSpeed} to {MaxSpeed}");
        }

        return Change(_ => _speed = speed);
    }

    /// <summary>Moves to <paramref name="position"/>, which must lie in the window; plays on from there if it was playing.</summary>
    public ReplayClockDto Seek(DateTimeOffset position)
    {
        if (position < From || position > To)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, $"t must lie in the replay window {From:O} .. {To:O}");
        }

        return Change(_ => _anchorPosition = position);
    }

    private ReplayClockDto Change(Action<DateTimeOffset> apply)
    {
        ReplayClockDto state;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var current = Read(now);
            // re-anchor at the present position, then apply the command
            _anchorPosition = current.Position;
            _anchorWall = now;
            _playing = current.Playing;
            apply(now);
            state = Read(now);
        }

        Changed?.Invoke(this, state);
        return state;
    }

    private ReplayClockDto Read(DateTimeOffset now)
    {
        var position = _anchorPosition;
        if (_playing)
        {
            var run = (now - _anchorWall).Ticks * _speed;
            var left = (To - _anchorPosition).Ticks;
            position = run >= left ? To : _anchorPosition + TimeSpan.FromTicks((long)run);
        }

        var ended = position >= To;
        return new ReplayClockDto(SessionId, RoomId, From, To, position, _speed, _playing && !ended, ended, now);
    }
}

/// <summary>The session host's replay clock, or null: on the live host, in a drill session, or a replay session without a window.</summary>
public sealed class ReplayClockAccess(TrainingContext context, TimeProvider time)
{
    public ReplayClock? Clock { get; } =
        context.IsSession && context.Options.Kind == TrainingSessionKind.Replay && context.Options.ReplayFrom is { } from && context.Options.ReplayTo is { } to && to > from
            ? new ReplayClock(context.SessionId!, context.Options.RoomId, from, to, time)
            : null;

    /// <summary>Why there is no clock, for the 409 answer.</summary>
    public string Refusal =>
        !context.IsSession ? "only in a training session"
        : context.Options.Kind != TrainingSessionKind.Replay ? "only in a replay session: this session plays a drill"
        : "this replay session has no window (ReplayFrom before ReplayTo)";
}
