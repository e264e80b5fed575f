using Monitoring.Core.Simulation;
using Monitoring.Core.Training;

namespace Monitoring.Server.Training.Drills;

/// <summary>Where the drill runner stands.</summary>
public enum DrillRunStatus
{
    Idle,
    Running,
    Paused,
    Finished,
}

/// <summary>A command the runner refused: the status code to answer with and the message (naming the field).</summary>
public sealed class DrillCommandException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>A step that fired: when (wall and drill time), whether the instructor injected it, and what went wrong if it failed.</summary>
public sealed record FiredDrillStep(int? Index, DrillStep Step, DateTimeOffset FiredAt, TimeSpan DrillTime, bool Injected, string? Error);

/// <summary>
/// The drill runner of one training session's host (the host's <see cref="IDrillClock"/>): plays a drill's timeline
/// against the session's own simulated devices through <see cref="IScenarioSource"/> and <see cref="IFaultInjector"/>.
/// Drill time = the drill time at the last change + the wall time since (from the injected <see cref="TimeProvider"/>)
/// × speed, frozen while paused; steps fire in order once drill time passes their <c>at</c>, and a step's <c>for</c>
/// (and a drift's <c>over</c>) count in drill time. One background loop calls <see cref="Tick"/>; the commands apply
/// under the same lock, persist the state (fsync) before they return, and push it to the consoles. A failing injection
/// is logged, counted and shown in the state; it never stops the timeline. Without a drill, an injected fault's
/// <c>for</c> counts in wall time.
/// </summary>
public sealed partial class DrillRunner : IDrillClock
{
    public const double MinSpeed = 1;
    public const double MaxSpeed = 10;

    private readonly Lock _gate = new();
    private readonly TrainingContext _context;
    private readonly DrillCatalog _catalog;
    private readonly IFaultInjector _faults;
    private readonly IScenarioSource _scenarios;
    private readonly TimeProvider _time;
    private readonly DrillRunnerStore? _store;
    private readonly ILogger _logger;
    private readonly DateTimeOffset _freeEpoch;
    private readonly List<FiredDrillStep> _fired = [];
    private readonly List<ActiveFault> _active = [];

    private Drill? _drill;
    private DrillRunStatus _status = DrillRunStatus.Idle;
    private double _speed = 1;
    private TimeSpan _anchorDrill;
    private DateTimeOffset _anchorWall;
    private int _next;
    private long _failures;
    private long _version;

    public DrillRunner(
        TrainingContext context, DrillCatalog catalog, IFaultInjector faults, IScenarioSource scenarios, TimeProvider time, DrillRunnerStore? store, ILogger<DrillRunner> logger)
    {
        _context = context;
        _catalog = catalog;
        _faults = faults;
        _scenarios = scenarios;
        _time = time;
        _store = store;
        _logger = logger;
        _freeEpoch = time.GetUtcNow();
    }

    /// <summary>Called after every change of the state (the hub relay pushes it to the consoles).</summary>
    public event Action<DrillRunnerStateDto>? Changed;

    public bool IsSession => _context.IsSession;

    public string? DrillId
    {
        get
        {
            lock (_gate)
            {
                return _drill?.Id;
            }
        }
    }

    public TimeSpan? Now
    {
        get
        {
            lock (_gate)
            {
                return _drill is null ? null : DrillTime(_time.GetUtcNow());
            }
        }
    }

    public DrillRunStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>Injections that failed since the runner started (also in the state).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Changes so far (a test waits on it).</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Starts <paramref name="drillId"/> at <paramref name="speed"/>; refused while another drill runs or is paused (reset first).</summary>
    public DrillRunnerStateDto Start(string drillId, double speed)
    {
        var drill = _catalog.Find(drillId) ?? throw new DrillCommandException(StatusCodes.Status404NotFound, $"drillId: no drill '{drillId}'");
        CheckSpeed(speed);
        if (_context.Options.RoomId is { Length: > 0 } room && !string.Equals(room, drill.RoomId, StringComparison.Ordinal))
        {
            throw new DrillCommandException(StatusCodes.Status400BadRequest, $"drillId: drill '{drillId}' is written for room '{drill.RoomId}'; this session trains on '{room}'");
        }

        lock (_gate)
        {
            if (_status is DrillRunStatus.Running or DrillRunStatus.Paused)
            {
                throw new DrillCommandException(StatusCodes.Status409Conflict, $"drill '{_drill!.Id}' is {Name(_status)}: reset it before starting another");
            }

            HealAllLocked();
            _fired.Clear();
            _drill = drill;
            _speed = speed;
            _anchorDrill = TimeSpan.Zero;
            _anchorWall = _time.GetUtcNow();
            _next = 0;
            _status = DrillRunStatus.Running;
            LogStarted(_logger, drill.Id, speed);
            TickLocked(_anchorWall);
            return CommitLocked();
        }
    }

    public DrillRunnerStateDto Pause()
    {
        lock (_gate)
        {
            if (_status != DrillRunStatus.Running)
            {
                throw new DrillCommandException(StatusCodes.Status409Conflict, $"no drill is running (the runner is {Name(_status)})");
            }

            var now = _time.GetUtcNow();
            TickLocked(now);
            if (_status == DrillRunStatus.Running)
            {
                Anchor(now);
                _status = DrillRunStatus.Paused;
            }

            return CommitLocked();
        }
    }

    public DrillRunnerStateDto Resume()
    {
        lock (_gate)
        {
            if (_status != DrillRunStatus.Paused)
            {
                throw new DrillCommandException(StatusCodes.Status409Conflict, $"no drill is paused (the runner is {Name(_status)})");
            }

            _anchorWall = _time.GetUtcNow();
            _status = DrillRunStatus.Running;
            return CommitLocked();
        }
    }

    public DrillRunnerStateDto SetSpeed(double speed)
    {
        CheckSpeed(speed);
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            TickLocked(now);
            Anchor(now);
            _speed = speed;
            return CommitLocked();
        }
    }

    /// <summary>Heals every fault, forgets the drill: back to idle.</summary>
    public DrillRunnerStateDto Reset()
    {
        lock (_gate)
        {
            HealAllLocked();
            foreach (var restore in (string[])["mains-restore", "cooling-restore", "leak-clear", "door-close", "probe-revive"])
            {
                if (_scenarios.State.Enabled && _scenarios.State.Scenarios.Contains(restore))
                {
                    _scenarios.Run(restore);
                }
            }

            _drill = null;
            _fired.Clear();
            _next = 0;
            _speed = 1;
            _anchorDrill = TimeSpan.Zero;
            _status = DrillRunStatus.Idle;
            LogReset(_logger);
            return CommitLocked();
        }
    }

    /// <summary>Applies one step now (the instructor's live injection); a refused injection throws 400 with the reason.</summary>
    public DrillRunnerStateDto Inject(DrillStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (!_faults.Enabled && step.Kind != DrillFaultKind.Scenario)
        {
            throw new DrillCommandException(StatusCodes.Status409Conflict, NoFaults.Message);
        }

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            TickLocked(now);
            var clock = ClockLocked(now);
            var result = Apply(step, clock);
            if (!result.Applied)
            {
                throw new DrillCommandException(
                    result.Problem == NoFaults.Message || !_scenarios.State.Enabled ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest,
                    result.Problem ?? "refused");
            }

            _fired.Add(new FiredDrillStep(null, step, now, _drill is null ? TimeSpan.Zero : clock, true, null));
            LogInjected(_logger, step.Kind, step.DeviceId ?? step.Scenario);
            return CommitLocked();
        }
    }

    public DrillRunnerStateDto State()
    {
        lock (_gate)
        {
            return StateLocked(_time.GetUtcNow());
        }
    }

    /// <summary>Advances the timeline to now: fires the steps due (in order), heals the faults whose time is up, moves drifts.</summary>
    public void Tick()
    {
        lock (_gate)
        {
            if (TickLocked(_time.GetUtcNow()))
            {
                CommitLocked();
            }
        }
    }

    /// <summary>Reads the persisted state (a restarted host): the drill continues from its drill time at the last change, its faults re-applied.</summary>
    public void Restore()
    {
        if (_store?.Load(_catalog) is not { } saved)
        {
            return;
        }

        lock (_gate)
        {
            _drill = saved.Drill;
            _status = saved.Status;
            _speed = saved.Speed;
            _anchorDrill = saved.DrillTime;
            _anchorWall = _time.GetUtcNow();
            _next = saved.Next;
            _failures = saved.Failures;
            _fired.AddRange(saved.Fired);
            var clock = ClockLocked(_anchorWall);
            foreach (var fired in saved.Fired.Where(f => f.Error is null))
            {
                var started = fired.Index is { } i && _drill is not null ? _drill.Timeline[i].At : fired.DrillTime;
                if (fired.Step.For is { } lasting && started + lasting <= clock)
                {
                    continue; // healed before the restart
                }

                var result = Apply(fired.Step, started);
                if (!result.Applied)
                {
                    Interlocked.Increment(ref _failures);
                    LogInjectionFailed(_logger, fired.Step.Kind, fired.Step.DeviceId ?? fired.Step.Scenario, result.Problem ?? "refused");
                }
            }

            LogRestored(_logger, _drill?.Id, _status, clock);
            TickLocked(_anchorWall);
            CommitLocked();
        }
    }

    private static void CheckSpeed(double speed)
    {
        if (!double.IsFinite(speed) || speed < MinSpeed || speed > MaxSpeed)
        {
            throw new DrillCommandException(StatusCodes.Status400BadRequest, $"speed must be {MinSpeed} to {MaxSpeed}; it is {speed}");
        }
    }

    private static string Name(DrillRunStatus status) => status.ToString().ToLowerInvariant();

    private TimeSpan DrillTime(DateTimeOffset now) =>
        _status == DrillRunStatus.Running ? _anchorDrill + ((now - _anchorWall) * _speed) : _anchorDrill;

    /// <summary>What a fault's times count in: drill time with a drill, else wall time since the runner began.</summary>
    private TimeSpan ClockLocked(DateTimeOffset now) => _drill is null ? now - _freeEpoch : DrillTime(now);

    private void Anchor(DateTimeOffset now)
    {
        _anchorDrill = DrillTime(now);
        _anchorWall = now;
    }

    /// <returns>Whether the state changed (a step fired, a fault healed, the drill finished).</returns>
    private bool TickLocked(DateTimeOffset now)
    {
        var changed = false;
        var clock = ClockLocked(now);
        if (_drill is { } drill && _status == DrillRunStatus.Running)
        {
            while (_next < drill.Timeline.Count && drill.Timeline[_next].At <= clock)
            {
                var index = _next++;
                var step = drill.Timeline[index];
                var result = Apply(step, step.At);
                if (!result.Applied)
                {
                    Interlocked.Increment(ref _failures);
                    LogInjectionFailed(_logger, step.Kind, step.DeviceId ?? step.Scenario, result.Problem ?? "refused");
                }

                _fired.Add(new FiredDrillStep(index, step, now, clock, false, result.Applied ? null : result.Problem ?? "refused"));
                changed = true;
            }
        }

        for (var i = 0; i < _active.Count; i++)
        {
            var fault = _active[i];
            if (fault.HealAt is { } heal && heal <= clock)
            {
                _active.RemoveAt(i--);
                Heal(fault);
                changed = true;
            }
            else if (fault.Step.Kind == DrillFaultKind.SensorDrift && fault.Step.By is { } by)
            {
                var over = fault.Step.Over is { } o && o > TimeSpan.Zero ? o : TimeSpan.FromTicks(1);
                var share = Math.Clamp((clock - fault.Started) / over, 0, 1);
                if (share != fault.Share)
                {
                    _active[i] = fault with { Share = share };
                    Report(fault.Step, _faults.SetDrift(fault.Step.DeviceId!, fault.Step.Metric!, by * share));
                }
            }
        }

        if (_drill is { } done && _status == DrillRunStatus.Running && _next >= done.Timeline.Count && clock >= done.Duration)
        {
            Anchor(now);
            _status = DrillRunStatus.Finished;
            foreach (var fault in _active.Where(f => f.HealAt is not null).ToList())
            {
                _active.Remove(fault);
                Heal(fault);
            }

            LogFinished(_logger, done.Id);
            changed = true;
        }

        return changed;
    }

    /// <summary>Plays one step; the fault it leaves is remembered (to heal after its <c>for</c>, or on reset).</summary>
    private FaultResult Apply(DrillStep step, TimeSpan started)
    {
        FaultResult result;
        switch (step.Kind)
        {
            case DrillFaultKind.Scenario:
                {
                    var name = step.SimulatorScenario ?? step.Scenario ?? string.Empty;
                    var run = step.SimulatorDevice is { } device ? _scenarios.Run(name, device) : _scenarios.Run(name);
                    return run.Ran ? FaultResult.Done : FaultResult.Refused(run.Problem ?? $"scenario '{name}' refused");
                }

            case DrillFaultKind.PortDown:
                result = _faults.SetPortDown(step.DeviceId!, step.PortIndex!.Value, true);
                break;
            case DrillFaultKind.PortUp:
                _active.RemoveAll(f => f.Step.Kind == DrillFaultKind.PortDown && f.Step.DeviceId == step.DeviceId && f.Step.PortIndex == step.PortIndex);
                return _faults.SetPortDown(step.DeviceId!, step.PortIndex!.Value, false);
            case DrillFaultKind.ProbeLeak:
                result = _faults.SetProbeLeak(step.DeviceId!, true);
                break;
            case DrillFaultKind.SensorDrift:
                result = _faults.SetDrift(step.DeviceId!, step.Metric ?? string.Empty, 0);
                break;
            case DrillFaultKind.DeviceSilent:
                result = _faults.SetSilent(step.DeviceId!, true);
                break;
            case DrillFaultKind.TrapStorm:
                result = _faults.SetTrapStorm(step.DeviceId!, step.Rate ?? 0);
                break;
            default:
                return FaultResult.Refused($"kind: unknown fault {step.Kind}");
        }

        if (result.Applied)
        {
            _active.Add(new ActiveFault(step, started, step.For is { } lasting ? started + lasting : null, -1));
        }

        return result;
    }

    private void Heal(ActiveFault fault)
    {
        var step = fault.Step;
        var result = step.Kind switch
        {
            DrillFaultKind.PortDown => _faults.SetPortDown(step.DeviceId!, step.PortIndex!.Value, false),
            DrillFaultKind.ProbeLeak => _faults.SetProbeLeak(step.DeviceId!, false),
            DrillFaultKind.SensorDrift => _faults.SetDrift(step.DeviceId!, step.Metric!, 0),
            DrillFaultKind.DeviceSilent => _faults.SetSilent(step.DeviceId!, false),
            DrillFaultKind.TrapStorm => _faults.SetTrapStorm(step.DeviceId!, 0),
            _ => FaultResult.Done,
        };
        Report(step, result);
    }

    private void Report(DrillStep step, FaultResult result)
    {
        if (!result.Applied)
        {
            Interlocked.Increment(ref _failures);
            LogInjectionFailed(_logger, step.Kind, step.DeviceId ?? step.Scenario, result.Problem ?? "refused");
        }
    }

    private void HealAllLocked()
    {
        _active.Clear();
        _faults.HealAll();
    }

    private DrillRunnerStateDto CommitLocked()
    {
        var now = _time.GetUtcNow();
        var state = StateLocked(now);
        _store?.Save(new DrillRunnerSaved(_drill, _status, _speed, DrillTime(now), _next, Interlocked.Read(ref _failures), [.. _fired]));
        Interlocked.Increment(ref _version);
        try
        {
            Changed?.Invoke(state);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogPushFailed(_logger, ex);
        }

        return state;
    }

    private DrillRunnerStateDto StateLocked(DateTimeOffset now)
    {
        var drill = _drill;
        var clock = drill is null ? (TimeSpan?)null : DrillTime(now);
        return new DrillRunnerStateDto(
            _context.SessionId,
            drill?.Id,
            drill?.Name,
            drill?.NameEn,
            Name(_status),
            clock?.TotalSeconds,
            drill?.Duration.TotalSeconds,
            _speed,
            now,
            [.. _fired.Select(f => new FiredDrillStepDto(f.Index, DrillViews.Step(f.Step), f.FiredAt, f.DrillTime.TotalSeconds, f.Injected, f.Error))],
            drill is null ? [] : [.. drill.Timeline.Skip(_next).Select(DrillViews.Step)],
            [.. _active.Select(f => DrillViews.Step(f.Step))],
            Interlocked.Read(ref _failures),
            _faults.Enabled);
    }

    private sealed record ActiveFault(DrillStep Step, TimeSpan Started, TimeSpan? HealAt, double Share);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drill {Drill} started at {Speed}x")]
    private static partial void LogStarted(ILogger logger, string drill, double speed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drill {Drill} finished")]
    private static partial void LogFinished(ILogger logger, string drill);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drill runner reset: every fault healed, idle")]
    private static partial void LogReset(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drill step injected by the instructor: {Kind} on {Target}")]
    private static partial void LogInjected(ILogger logger, DrillFaultKind kind, string? target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drill step {Kind} on {Target} failed: {Problem}; the timeline goes on")]
    private static partial void LogInjectionFailed(ILogger logger, DrillFaultKind kind, string? target, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drill runner restored: drill {Drill}, {Status}, at {DrillTime} of drill time")]
    private static partial void LogRestored(ILogger logger, string? drill, DrillRunStatus status, TimeSpan drillTime);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drill state could not be pushed to the consoles")]
    private static partial void LogPushFailed(ILogger logger, Exception exception);
}

/// <summary>
/// GET /api/training/drill and the hub's "drill" message: the runner's state. <c>status</c>: idle, running, paused,
/// finished; <c>drillSeconds</c>: drill time now (null without a drill); <c>fired</c>: the steps played so far, with
/// the wall time and drill time of each and the error of a failed one; <c>next</c>: the timeline's steps still to come;
/// <c>active</c>: the injected faults in force; <c>failures</c>: injections that failed.
/// </summary>
public sealed record DrillRunnerStateDto(
    string? SessionId, string? DrillId, string? Name, string? NameEn, string Status, double? DrillSeconds, double? DurationSeconds, double Speed,
    DateTimeOffset At, IReadOnlyList<FiredDrillStepDto> Fired, IReadOnlyList<DrillStepDto> Next, IReadOnlyList<DrillStepDto> Active, long Failures,
    bool Simulator);

/// <summary>One step played: its index in the timeline (null when injected), the step, when, and its error if it failed.</summary>
public sealed record FiredDrillStepDto(int? Index, DrillStepDto Step, DateTimeOffset FiredAt, double DrillSeconds, bool Injected, string? Error);
