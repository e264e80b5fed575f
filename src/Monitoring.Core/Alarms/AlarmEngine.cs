using Microsoft.Extensions.Logging;
using Monitoring.Core.Series;

namespace Monitoring.Core.Alarms;

/// <summary>
/// The alarm engine: a pipeline of small stages, each with its own state, run one round at a time.
/// <code>
/// samples, input events, tick
///   → evaluation (<see cref="RuleEvaluator"/>: rules against samples and events; trips and untrips rule instances)
///   → lifecycle (<see cref="AlarmLifecycle"/>: raise, update, acknowledge, clear, close, flapping, tickets wanted)
///   → mute stages, in order (<see cref="RootCauseMuter"/>, <see cref="MaintenanceMuter"/>, <see cref="ShelveMuter"/>;
///     then <see cref="ConsoleMuteStage"/>, which silences the consoles' horn and lamp rather than alarms)
///   → grouping, first step (<see cref="IncidentGrouper"/>: the alarm joins, leaves or ends an incident; changed
///     incidents are queued to the store ahead of the alarm event that names them)
///   → the round's outbox, drained in order into the store (ordered and retried: state changes are never dropped)
///   → grouping, second step (ticket requests of a young incident held for group.wait; incident changes published)
///   → fan-out (<see cref="AlarmFanOut"/>: the one place alarm changes leave the engine for its listeners).
/// </code>
/// <para>
/// Threading: <see cref="OnSamples"/> comes from the pipeline's single consumer thread, <see cref="Tick"/> from a
/// timer, commands from HTTP threads; one lock, held for the length of one round, orders them all, so the stages need
/// no locks of their own. Events reach the subscribed sinks in order, under that lock: a sink must not block (queue
/// and return). The store is written through its queue; operator commands wait (outside the lock) until their writes
/// are durable.
/// </para>
/// </summary>
public sealed partial class AlarmEngine : IAlarmService, IIncidentService, ISampleObserver, IDisposable
{
    private readonly Inventory.Inventory _inventory;
    private readonly IAlarmStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<AlarmEngine> _logger;
    private readonly Lock _gate = new();

    private readonly AlarmOutbox _outbox = new();
    private readonly RuleEvaluator _evaluation;
    private readonly AlarmLifecycle _lifecycle;
    private readonly RootCauseMuter _rootCause;
    private readonly MaintenanceMuter _maintenance;
    private readonly ShelveMuter _shelve;
    private readonly ConsoleMuteStage _consoleMute;
    private readonly AlarmMuters _muters;
    private readonly IAlarmGrouping _grouping;
    private readonly IncidentGrouper? _incidents;
    private readonly IIncidentStore? _incidentStore;
    private readonly AlarmFanOut _fanOut;
    private readonly Action<AlarmEvent> _leave;

    private bool _started;
    private bool _disposed;
    private long _activeVersion = -1;
    private IReadOnlyList<AlarmSnapshot> _activeCache = [];

    public AlarmEngine(
        AlarmRuleSet rules,
        Inventory.Inventory inventory,
        SeriesRegistry registry,
        IAlarmStore store,
        AlarmEngineOptions options,
        TimeProvider timeProvider,
        ILogger<AlarmEngine> logger)
        : this(rules, inventory, registry, store, options, timeProvider, logger, null)
    {
    }

    /// <summary>An engine with another grouping stage; null: the incidents (<see cref="IncidentGrouper"/>).</summary>
    internal AlarmEngine(
        AlarmRuleSet rules,
        Inventory.Inventory inventory,
        SeriesRegistry registry,
        IAlarmStore store,
        AlarmEngineOptions options,
        TimeProvider timeProvider,
        ILogger<AlarmEngine> logger,
        IAlarmGrouping? grouping)
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
        _store = store;
        _time = timeProvider;
        _logger = logger;
        Topology = new AlarmTopology(inventory);

        var open = new OpenAlarms(inventory.Devices.Count);
        _rootCause = new RootCauseMuter(Topology, open, _outbox, timeProvider);
        _maintenance = new MaintenanceMuter(inventory);
        _shelve = new ShelveMuter(options.MaxShelve);
        _consoleMute = new ConsoleMuteStage(options.MaxMute);
        _muters = new AlarmMuters(_rootCause, _maintenance, _shelve);
        _lifecycle = new AlarmLifecycle(open, _outbox, _rootCause, _maintenance, _muters, options);
        _evaluation = new RuleEvaluator(rules, inventory, registry, Topology, options, _lifecycle);
        _fanOut = new AlarmFanOut(logger);
        _incidentStore = store as IIncidentStore;
        _incidents = grouping is null ? new IncidentGrouper(rules.Grouping, open, inventory, _incidentStore, logger) : null;
        _grouping = grouping ?? _incidents!;
        _leave = Leave;
    }

    public AlarmRuleSet Rules { get; }

    public AlarmTopology Topology { get; }

    /// <summary>Samples looked at since start (for diagnostics).</summary>
    public long SamplesEvaluated => _evaluation.SamplesEvaluated;

    /// <summary>Alarm events handed to the listeners since start.</summary>
    public long EventsPublished => _fanOut.Published;

    /// <summary>How many rule instances exist (precomputed absence ones and those created as series appeared).</summary>
    public int InstanceCount
    {
        get
        {
            lock (_gate)
            {
                return _evaluation.InstanceCount;
            }
        }
    }

    public IReadOnlyList<AlarmSnapshot> Active
    {
        get
        {
            lock (_gate)
            {
                if (_activeVersion != _outbox.Version)
                {
                    var list = new List<AlarmSnapshot>(_lifecycle.Open.Count);
                    foreach (var alarm in _lifecycle.Open.All)
                    {
                        list.Add(alarm.Snapshot());
                    }

                    list.Sort(static (a, b) => b.Severity != a.Severity ? b.Severity.CompareTo(a.Severity) : b.RaisedAt != a.RaisedAt ? b.RaisedAt.CompareTo(a.RaisedAt) : b.Id.CompareTo(a.Id));
                    _activeCache = list;
                    _activeVersion = _outbox.Version;
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
                foreach (var alarm in _lifecycle.Open.All)
                {
                    if (alarm.State == AlarmState.Raised && !_muters.Silent(alarm) && (highest is null || alarm.Severity > highest))
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
                return _maintenance.Windows;
            }
        }
    }

    public MuteRecord? CurrentMute
    {
        get
        {
            lock (_gate)
            {
                return _consoleMute.Current(_time.GetUtcNow());
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
            _evaluation.Start(now.UtcTicks);
            var state = _store.Load(now);
            _lifecycle.Load(state.LastAlarmId);
            _maintenance.Load(state.Maintenance, state.LastMaintenanceId);
            _consoleMute.Load(state.Mute);
            foreach (var snapshot in state.Open)
            {
                Recover(snapshot, state.TicketWanted.Contains(snapshot.Id), now);
            }

            foreach (var alarm in _lifecycle.Open.All.OrderBy(a => Topology.DepthOf(a.DeviceIndex)).ToList())
            {
                _rootCause.Assign(alarm);
            }

            _rootCause.ForgetDirty();
            if (_incidents is not null)
            {
                // incidents come back consistent with the alarms; those still without a ticket ask again
                foreach (var alarm in _incidents.Load(_lifecycle.Open.All, now))
                {
                    _outbox.Emit(AlarmEventKind.TicketWanted, alarm);
                }
            }

            _started = true;
            EndRound(now.UtcTicks);
            _outbox.Touch();
            LogStarted(_logger, Rules.Rules.Count, _evaluation.InstanceCount, _lifecycle.Open.Count);
        }
    }

    /// <summary>Evaluates a run of samples (pipeline thread). Allocates nothing on the steady path: an array look-up per sample.</summary>
    public void OnSamples(ReadOnlySpan<Sample> samples)
    {
        if (samples.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            // before Start nothing is evaluated: alarm and incident ids, open alarms and incidents are not loaded yet (a
            // cluster node that has just become the leader gets samples while it rebuilds)
            if (_disposed || !_started)
            {
                return;
            }

            var now = _time.GetUtcNow().UtcTicks;
            _evaluation.OnSamples(samples, now);
            EndRound(now);
        }
    }

    /// <summary>
    /// Time-driven work (call about once a second): hold timers, absence, event auto-clear, flapping, shelve expiry,
    /// maintenance windows, tickets wanted, mute expiry.
    /// </summary>
    public void Tick()
    {
        lock (_gate)
        {
            if (_disposed || !_started)
            {
                return;
            }

            var nowOffset = _time.GetUtcNow();
            var now = nowOffset.UtcTicks;
            _evaluation.Tick(now);
            _lifecycle.Tick(nowOffset);
            _consoleMute.Expire(nowOffset);
            _maintenance.Expire(nowOffset);
            EndRound(now);
            _grouping.Tick(nowOffset, _fanOut);
        }
    }

    public void OnInputEvent(AlarmInputEvent inputEvent)
    {
        ArgumentNullException.ThrowIfNull(inputEvent);
        lock (_gate)
        {
            if (_disposed || !_started || _inventory.FindDevice(inputEvent.DeviceId) is not { } device)
            {
                return;
            }

            var now = _time.GetUtcNow().UtcTicks;
            _evaluation.OnInputEvent(inputEvent, device, now);
            EndRound(now);
        }
    }

    public AlarmSnapshot? Find(long id)
    {
        lock (_gate)
        {
            if (_lifecycle.Open.TryGet(id, out var alarm))
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

    public IReadOnlyList<IncidentSnapshot> Incidents(bool? open, int limit = 500)
    {
        limit = Math.Clamp(limit, 1, 10_000);
        if (_incidents is null)
        {
            return [];
        }

        List<IncidentSnapshot> live;
        lock (_gate)
        {
            live = _incidents.OpenSnapshots();
        }

        // what is listed has been kept: an incident a client was shown is there after a restart
        FlushForRead();
        if (open == true || _incidentStore is null)
        {
            return open == false ? [] : live.Count > limit ? live.GetRange(0, limit) : live;
        }

        var stored = _incidentStore.QueryIncidents(open, limit);
        if (open == false)
        {
            return stored;
        }

        // both: the live ones are the newest word on the open incidents
        var byId = stored.ToDictionary(i => i.Id);
        foreach (var incident in live)
        {
            byId[incident.Id] = incident;
        }

        return [.. byId.Values.OrderByDescending(i => i.Id).Take(limit)];
    }

    public IncidentSnapshot? FindIncident(long id)
    {
        if (_incidents is null)
        {
            return null;
        }

        IncidentSnapshot? found;
        lock (_gate)
        {
            found = _incidents.Find(id);
        }

        FlushForRead();
        return found ?? _incidentStore?.FindIncident(id);
    }

    public IncidentSnapshot? SetIncidentTicket(long incidentId, string ticketId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ticketId);
        IncidentSnapshot? result;
        lock (_gate)
        {
            if (_disposed || _incidents is null)
            {
                return null;
            }

            result = _incidents.SetTicket(incidentId, ticketId);
        }

        FlushForRead();
        return result;
    }

    public IDisposable SubscribeIncidents(IIncidentSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (_gate)
        {
            _incidents?.Subscribe(sink);
        }

        return new IncidentSubscription(this, sink);
    }

    public IDisposable Subscribe(IAlarmEventSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (_gate)
        {
            _fanOut.Subscribe(sink);
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
            _fanOut.Clear();
            _incidents?.Clear();
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
    /// Ends a round (under the lock): causes whose lists changed are refreshed, then every change of the round goes,
    /// in order, to the store and on through grouping to the fan-out.
    /// </summary>
    private void EndRound(long now)
    {
        _rootCause.FlushDirtyRoots();
        if (_outbox.Count > 0)
        {
            _outbox.Drain(new DateTimeOffset(now, TimeSpan.Zero), _leave);
        }
    }

    /// <summary>One alarm change leaves the engine: kept by the store first (ordered, retried), then grouped and fanned out.</summary>
    private void Leave(AlarmEvent alarmEvent)
    {
        alarmEvent = _grouping.Group(alarmEvent);
        _store.Append(alarmEvent);
        _grouping.OnAlarmEvent(alarmEvent, _fanOut);
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
            _fanOut.Unsubscribe(sink);
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
            MessageEn = snapshot.MessageEn,
            ChangedAt = snapshot.ChangedAt,
            Metric = snapshot.Metric,
            Value = snapshot.Value,
            Acknowledgement = snapshot.Acknowledgement,
            ClearedAt = snapshot.ClearedAt,
            Shelving = snapshot.Shelving,
            Flapping = snapshot.Flapping,
            TicketWanted = ticketWanted,
            IncidentId = snapshot.IncidentId,
        };
        _lifecycle.Recover(alarm, now);
        if (rule is null || (rule.Scope.Matches(device) == false))
        {
            return; // the rule is gone or no longer applies: the alarm stays listed until someone closes it
        }

        _evaluation.Restore(alarm, rule, device, port, now.UtcTicks);
    }

    private sealed class IncidentSubscription(AlarmEngine engine, IIncidentSink sink) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (engine._gate)
                {
                    engine._incidents?.Unsubscribe(sink);
                }
            }
        }
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

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "The alarm store is behind (its writes stay queued and are retried)")]
    private static partial void LogStoreBehind(ILogger logger, Exception exception);
}
