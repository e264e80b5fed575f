using Microsoft.Extensions.Logging;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;

namespace Monitoring.Core.Alarms;

/// <summary>
/// Evaluates alarm rules on every sample and input event, runs each alarm's lifecycle (raise, update, acknowledge,
/// clear, close, shelve, maintenance, flapping), marks alarms suppressed by their root cause, and asks for tickets.
/// <para>
/// Threading: <see cref="OnSamples"/> comes from the pipeline's single consumer thread, <see cref="Tick"/> from a
/// timer, commands from HTTP threads; one lock, held for the length of one call, orders them all. Events reach the
/// subscribed sinks in order, under that lock: a sink must not block (queue and return). The store is written through
/// its queue; operator commands wait (outside the lock) until their writes are durable.
/// </para>
/// </summary>
public sealed partial class AlarmEngine : IAlarmService, ISampleObserver, IDisposable
{
    private static readonly RuleInstance[] NoInstances = [];

    private readonly Inventory.Inventory _inventory;
    private readonly SeriesRegistry _registry;
    private readonly IAlarmStore _store;
    private readonly AlarmEngineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AlarmEngine> _logger;
    private readonly Lock _gate = new();
    private readonly AlarmTopology _topology;

    /// <summary>Per device index: the sample-driven and absence rules whose scope matches it.</summary>
    private readonly AlarmRule[][] _rulesByDevice;
    private readonly AlarmRule[][] _eventRulesByDevice;
    private readonly Dictionary<(AlarmRule Rule, int Device, int Port), RuleInstance> _instances = [];

    /// <summary>Device-wide absence instances, parents before children (so a root cause raises before what it causes).</summary>
    private readonly List<RuleInstance> _absence = [];
    private readonly List<RuleInstance>[] _absenceByDevice;
    private readonly long[] _deviceLastSeen;
    private readonly int[] _absentCount;
    private readonly List<RuleInstance> _metricAbsence = [];
    private readonly HashSet<RuleInstance> _pending = [];
    private readonly HashSet<RuleInstance> _trippedEvents = [];
    private readonly List<RuleInstance> _scratch = [];

    private readonly Dictionary<long, Alarm> _open = [];
    private readonly List<Alarm>[] _alarmsByDevice;
    private readonly List<MaintenanceWindow> _maintenance = [];
    private readonly List<(AlarmEventKind Kind, Alarm Alarm, AlarmSnapshot Snapshot)> _outbox = [];
    private readonly HashSet<Alarm> _dirtyRoots = [];
    private readonly HashSet<int> _visited = [];
    private readonly Queue<AlarmParent> _walk = new();

    private IAlarmEventSink[] _sinks = [];
    private RuleInstance[]?[] _bySeries = new RuleInstance[]?[1024];
    private int[] _seriesDevice = new int[1024];
    private double[] _last = new double[1024];
    private long _nextAlarmId;
    private long _nextMaintenanceId;
    private long _startedAt;
    private bool _started;
    private bool _disposed;
    private MuteRecord? _mute;
    private long _version;
    private long _activeVersion = -1;
    private IReadOnlyList<AlarmSnapshot> _activeCache = [];
    private long _samplesEvaluated;

    public AlarmEngine(
        AlarmRuleSet rules,
        Inventory.Inventory inventory,
        SeriesRegistry registry,
        IAlarmStore store,
        AlarmEngineOptions options,
        TimeProvider timeProvider,
        ILogger<AlarmEngine> logger)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        Rules = rules;
        _inventory = inventory;
        _registry = registry;
        _store = store;
        _options = options;
        _time = timeProvider;
        _logger = logger;
        _topology = new AlarmTopology(inventory);

        var count = inventory.Devices.Count;
        _rulesByDevice = new AlarmRule[count][];
        _eventRulesByDevice = new AlarmRule[count][];
        _absenceByDevice = new List<RuleInstance>[count];
        _alarmsByDevice = new List<Alarm>[count];
        _deviceLastSeen = new long[count];
        _absentCount = new int[count];
        foreach (var device in inventory.Devices)
        {
            var matching = rules.Rules.Where(r => r.Scope.Matches(device)).ToArray();
            _rulesByDevice[device.Index] = [.. matching.Where(r => r.Kind != AlarmRuleKind.Event)];
            _eventRulesByDevice[device.Index] = [.. matching.Where(r => r.Kind == AlarmRuleKind.Event)];
            _absenceByDevice[device.Index] = [];
            _alarmsByDevice[device.Index] = [];
        }

        Array.Fill(_seriesDevice, -1);
        Array.Fill(_last, double.NaN);
        foreach (var device in inventory.Devices.OrderBy(d => _topology.DepthOf(d.Index)))
        {
            foreach (var rule in _rulesByDevice[device.Index])
            {
                if (rule.Kind == AlarmRuleKind.Absence)
                {
                    var instance = InstanceFor(rule, device, -1);
                    _absence.Add(instance);
                    _absenceByDevice[device.Index].Add(instance);
                }
            }
        }
    }

    public AlarmRuleSet Rules { get; }

    public AlarmTopology Topology => _topology;

    /// <summary>Samples looked at since start (for diagnostics).</summary>
    public long SamplesEvaluated => Interlocked.Read(ref _samplesEvaluated);

    /// <summary>How many rule instances exist (precomputed absence ones and those created as series appeared).</summary>
    public int InstanceCount
    {
        get
        {
            lock (_gate)
            {
                return _instances.Count;
            }
        }
    }

    public IReadOnlyList<AlarmSnapshot> Active
    {
        get
        {
            lock (_gate)
            {
                if (_activeVersion != _version)
                {
                    var list = new List<AlarmSnapshot>(_open.Count);
                    foreach (var alarm in _open.Values)
                    {
                        list.Add(alarm.Snapshot());
                    }

                    list.Sort(static (a, b) => b.Severity != a.Severity ? b.Severity.CompareTo(a.Severity) : b.RaisedAt != a.RaisedAt ? b.RaisedAt.CompareTo(a.RaisedAt) : b.Id.CompareTo(a.Id));
                    _activeCache = list;
                    _activeVersion = _version;
                }

                return _activeCache;
            }
        }
    }

    public AlarmSeverity? HighestUnacknowledged
    {
        get
        {
            lock (_gate)
            {
                AlarmSeverity? highest = null;
                foreach (var alarm in _open.Values)
                {
                    if (alarm.State == AlarmState.Raised && !alarm.Silent && (highest is null || alarm.Severity > highest))
                    {
                        highest = alarm.Severity;
                    }
                }

                return highest;
            }
        }
    }

    public IReadOnlyList<MaintenanceWindow> Maintenance
    {
        get
        {
            lock (_gate)
            {
                return [.. _maintenance];
            }
        }
    }

    public MuteRecord? CurrentMute
    {
        get
        {
            lock (_gate)
            {
                return _mute is { } m && m.Until > _time.GetUtcNow() ? m : null;
            }
        }
    }

    /// <summary>Loads open alarms, maintenance windows and the mute from the store; call once before samples flow.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                return;
            }

            var now = _time.GetUtcNow();
            _startedAt = now.UtcTicks;
            var state = _store.Load(now);
            _nextAlarmId = state.LastAlarmId;
            _nextMaintenanceId = state.LastMaintenanceId;
            _maintenance.AddRange(state.Maintenance);
            _mute = state.Mute;
            foreach (var snapshot in state.Open)
            {
                Recover(snapshot, state.TicketWanted.Contains(snapshot.Id), now);
            }

            foreach (var alarm in _open.Values.OrderBy(a => _topology.DepthOf(a.DeviceIndex)).ToList())
            {
                SetSuppressor(alarm, FindSuppressor(alarm));
            }

            _dirtyRoots.Clear();
            _started = true;
            _version++;
            LogStarted(_logger, Rules.Rules.Count, _instances.Count, _open.Count);
        }
    }

    public AlarmSnapshot? Find(long id)
    {
        lock (_gate)
        {
            if (_open.TryGetValue(id, out var alarm))
            {
                return alarm.Snapshot();
            }
        }

        FlushForRead();
        return _store.Timeline(id) is { Count: > 0 } timeline ? timeline[^1].Alarm : null;
    }

    public IReadOnlyList<AlarmSnapshot> History(AlarmQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        FlushForRead();
        return _store.Query(query);
    }

    public IReadOnlyList<AlarmEvent> Timeline(long id)
    {
        FlushForRead();
        return _store.Timeline(id);
    }

    /// <summary>Mutes recorded, newest first.</summary>
    public IReadOnlyList<MuteRecord> MuteHistory(int limit = 100)
    {
        FlushForRead();
        return _store.Mutes(limit);
    }

    public IDisposable Subscribe(IAlarmEventSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (_gate)
        {
            _sinks = [.. _sinks, sink];
        }

        return new Subscription(this, sink);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _sinks = [];
        }

        try
        {
            _store.Flush();
        }
        catch (AlarmStoreUnavailableException ex)
        {
            LogStoreBehind(_logger, ex);
        }
    }

    /// <summary>
    /// A read sees what was queued before it once the store has kept it; while the store cannot write (a full disk),
    /// reads still answer from what it holds.
    /// </summary>
    private void FlushForRead()
    {
        try
        {
            _store.Flush();
        }
        catch (AlarmStoreUnavailableException ex)
        {
            LogStoreBehind(_logger, ex);
        }
    }

    private void Unsubscribe(IAlarmEventSink sink)
    {
        lock (_gate)
        {
            _sinks = [.. _sinks.Where(s => !ReferenceEquals(s, sink))];
        }
    }

    private void Recover(AlarmSnapshot snapshot, bool ticketWanted, DateTimeOffset now)
    {
        if (_inventory.FindDevice(snapshot.Target.DeviceId) is not { } device)
        {
            LogRecoverSkipped(_logger, snapshot.Id, snapshot.Target.ToString());
            return;
        }

        var port = snapshot.Target.Port ?? -1;
        var rule = Rules.Find(snapshot.RuleId);
        var alarm = new Alarm(snapshot.Id, rule, snapshot.RuleId, snapshot.RuleName, device.Index, port, AlarmTarget.For(device, snapshot.Target.Port), snapshot.RaisedAt)
        {
            Severity = snapshot.Severity,
            State = snapshot.State,
            Message = snapshot.Message,
            ChangedAt = snapshot.ChangedAt,
            Metric = snapshot.Metric,
            Value = snapshot.Value,
            Acknowledgement = snapshot.Acknowledgement,
            ClearedAt = snapshot.ClearedAt,
            Shelving = snapshot.Shelving,
            Flapping = snapshot.Flapping,
            TicketWanted = ticketWanted,
        };
        alarm.InMaintenance = InMaintenance(alarm.Target, now);
        _open[alarm.Id] = alarm;
        _alarmsByDevice[device.Index].Add(alarm);
        _nextAlarmId = Math.Max(_nextAlarmId, alarm.Id);
        if (rule is null || (rule.Scope.Matches(device) == false))
        {
            return; // the rule is gone or no longer applies: the alarm stays listed until someone closes it
        }

        var instance = InstanceFor(rule, device, port);
        instance.Alarm = alarm;
        alarm.Instance = instance;
        if (alarm.IsActive)
        {
            instance.Tripped = true;
            instance.LastTransition = now.UtcTicks;
            instance.LastSeen = now.UtcTicks;
            if (rule.Kind == AlarmRuleKind.Absence && rule.Absence!.Metric is null)
            {
                _absentCount[device.Index]++;
            }
            else if (rule.Kind == AlarmRuleKind.Event)
            {
                _trippedEvents.Add(instance);
            }
        }
    }

    private RuleInstance InstanceFor(AlarmRule rule, Device device, int port)
    {
        if (!_instances.TryGetValue((rule, device.Index, port), out var instance))
        {
            instance = new RuleInstance(rule, device, port, _options.RateSamples, _options.FlappingRaises);
            _instances[(rule, device.Index, port)] = instance;
            if (rule.Absence is { } absence)
            {
                instance.AbsenceAfterTicks = (absence.After ?? (_options.PollInterval * (absence.Intervals ?? 3))).Ticks;
                if (absence.Metric is not null)
                {
                    _metricAbsence.Add(instance);
                }
            }
        }

        return instance;
    }

    private sealed class Subscription(AlarmEngine engine, IAlarmEventSink sink) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                engine.Unsubscribe(sink);
            }
        }
    }

    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Alarm engine started: {Rules} rules, {Instances} rule instances, {Open} open alarms recovered")]
    private static partial void LogStarted(ILogger logger, int rules, int instances, int open);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Open alarm {AlarmId} on {Target} names a device no longer in the inventory; it is not recovered")]
    private static partial void LogRecoverSkipped(ILogger logger, long alarmId, string target);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Error, Message = "Alarm event sink {Sink} failed on a {Kind} event")]
    private static partial void LogSinkFailed(ILogger logger, Exception exception, string sink, AlarmEventKind kind);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Alarm {AlarmId} {Action} by {User}")]
    private static partial void LogCommand(ILogger logger, long alarmId, string action, string user);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Console muted by {User} until {Until}")]
    private static partial void LogMuted(ILogger logger, string user, DateTimeOffset until);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "The alarm store is behind (its writes stay queued and are retried)")]
    private static partial void LogStoreBehind(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Information, Message = "Maintenance window {WindowId} on {Scope} {Action} by {User}")]
    private static partial void LogMaintenance(ILogger logger, long windowId, string scope, string action, string user);
}
