using Monitoring.Core.Inventory;

namespace Monitoring.Core.Alarms;

/// <summary>The engine's mutable record of one alarm; only touched under the engine's lock. Snapshots are cached until it changes.</summary>
internal sealed class Alarm
{
    private AlarmSnapshot? _snapshot;
    private AlarmAcknowledgement? _acknowledgement;
    private AlarmShelving? _shelving;
    private AlarmSeverity _severity;
    private AlarmState _state;
    private string _message = string.Empty;
    private string? _messageEn;
    private bool _inMaintenance;
    private bool _flapping;
    private Alarm? _suppressedBy;
    private DateTimeOffset? _clearedAt;
    private DateTimeOffset? _closedAt;
    private double? _value;
    private DateTimeOffset _raisedAt;
    private DateTimeOffset _changedAt;
    private long? _incidentId;

    public Alarm(long id, AlarmRule? rule, string ruleId, string ruleName, int deviceIndex, int port, AlarmTarget target, DateTimeOffset raisedAt)
    {
        Id = id;
        Rule = rule;
        RuleId = ruleId;
        RuleName = ruleName;
        DeviceIndex = deviceIndex;
        Port = port;
        Target = target;
        RaisedAt = raisedAt;
        ChangedAt = raisedAt;
        ActiveSince = raisedAt;
    }

    public long Id { get; }
    public AlarmRule? Rule { get; }
    public string RuleId { get; }
    public string RuleName { get; }
    public int DeviceIndex { get; }
    /// <summary>The port index, or -1 for the whole device.</summary>
    public int Port { get; }
    public AlarmTarget Target { get; }
    public RuleInstance? Instance { get; set; }
    public DateTimeOffset RaisedAt { get => _raisedAt; set => Set(ref _raisedAt, value); }
    public DateTimeOffset ChangedAt { get => _changedAt; set => Set(ref _changedAt, value); }
    public string? Metric { get; set; }
    public bool TicketWanted { get; set; }

    /// <summary>
    /// When the alarm's current raise began: its first raise, a raise again after it had cleared, or the last trip of a
    /// flapping run once the run ends. The ticket hold-off counts from here (not from <see cref="RaisedAt"/>).
    /// </summary>
    public DateTimeOffset ActiveSince { get; set; }
    /// <summary>Index of this alarm's latest event in the engine's outbox during the current round, or -1.</summary>
    public int OutboxIndex { get; set; } = -1;
    public HashSet<Alarm> Suppresses { get; } = [];

    public AlarmSeverity Severity { get => _severity; set => Set(ref _severity, value); }
    public AlarmState State { get => _state; set => Set(ref _state, value); }
    public string Message { get => _message; set => Set(ref _message, value); }
    public string? MessageEn { get => _messageEn; set => Set(ref _messageEn, value); }
    public double? Value { get => _value; set => Set(ref _value, value); }
    public AlarmAcknowledgement? Acknowledgement { get => _acknowledgement; set => Set(ref _acknowledgement, value); }
    public AlarmShelving? Shelving { get => _shelving; set => Set(ref _shelving, value); }
    public bool InMaintenance { get => _inMaintenance; set => Set(ref _inMaintenance, value); }
    public bool Flapping { get => _flapping; set => Set(ref _flapping, value); }
    public Alarm? SuppressedBy { get => _suppressedBy; set => Set(ref _suppressedBy, value); }
    public DateTimeOffset? ClearedAt { get => _clearedAt; set => Set(ref _clearedAt, value); }
    public DateTimeOffset? ClosedAt { get => _closedAt; set => Set(ref _closedAt, value); }
    /// <summary>The incident the grouping stage put it in.</summary>
    public long? IncidentId { get => _incidentId; set => Set(ref _incidentId, value); }

    public bool IsActive => _state is AlarmState.Raised or AlarmState.Acknowledged;

    public bool IsOpen => _state != AlarmState.Closed;

    /// <summary>A down/unreachable alarm still in force: what suppresses dependants.</summary>
    public bool IsDownCause => IsActive && Rule is { Down: true };

    /// <summary>The list of suppressed alarms changed: the cached snapshot is stale.</summary>
    public void Invalidate() => _snapshot = null;

    public AlarmSnapshot Snapshot()
    {
        if (_snapshot is { } cached)
        {
            return cached;
        }

        long[] suppresses = [];
        if (Suppresses.Count > 0)
        {
            suppresses = new long[Suppresses.Count];
            var i = 0;
            foreach (var alarm in Suppresses)
            {
                suppresses[i++] = alarm.Id;
            }

            Array.Sort(suppresses);
        }

        _snapshot = new AlarmSnapshot
        {
            Id = Id,
            RuleId = RuleId,
            RuleName = RuleName,
            Severity = _severity,
            Target = Target,
            Message = _message,
            MessageEn = _messageEn,
            State = _state,
            RaisedAt = RaisedAt,
            ChangedAt = ChangedAt,
            Metric = Metric,
            Value = _value,
            Acknowledgement = _acknowledgement,
            ClearedAt = _clearedAt,
            ClosedAt = _closedAt,
            Shelving = _shelving,
            InMaintenance = _inMaintenance,
            Flapping = _flapping,
            SuppressedBy = _suppressedBy?.Id,
            Suppresses = suppresses,
            IncidentId = _incidentId,
        };
        return _snapshot;
    }

    private void Set<T>(ref T field, T value)
    {
        if (!EqualityComparer<T>.Default.Equals(field, value))
        {
            field = value;
            _snapshot = null;
        }
    }
}

/// <summary>One rule applied to one target (a device, or a port of it): its evaluation state and its alarm, if any.</summary>
internal sealed class RuleInstance
{
    private readonly long[] _raises;
    private int _raiseCount;
    private int _raiseHead;

    public RuleInstance(AlarmRule rule, Device device, int port, int rateCapacity, int flappingRaises)
    {
        Rule = rule;
        Device = device;
        Port = port;
        Target = AlarmTarget.For(device, port < 0 ? null : port);
        _raises = new long[Math.Clamp(flappingRaises + 1, 2, 1001)];
        if (rule.Kind == AlarmRuleKind.Rate)
        {
            RateTimes = new long[Math.Max(2, rateCapacity)];
            RateValues = new double[RateTimes.Length];
        }
    }

    public AlarmRule Rule { get; }
    public Device Device { get; }
    public int Port { get; }
    public AlarmTarget Target { get; }
    public int PrimarySeries { get; set; } = -1;
    public int WhileSeries { get; set; } = -1;

    /// <summary>The condition holds (after its hold time) and an alarm was raised for it.</summary>
    public bool Tripped { get; set; }

    /// <summary>UTC ticks since when the condition has held without yet tripping (hold time running), or 0.</summary>
    public long PendingSince { get; set; }

    /// <summary>UTC ticks of the last trip or untrip, for flapping stability.</summary>
    public long LastTransition { get; set; }

    /// <summary>Absence rules with a metric: UTC ticks of the last sample; event rules: of the raising event.</summary>
    public long LastSeen { get; set; }

    public double LastValue { get; set; } = double.NaN;

    /// <summary>Absence rules: how long without a sample trips it, in ticks (resolved from the rule and the poll interval).</summary>
    public long AbsenceAfterTicks { get; set; }
    public string? EventName { get; set; }
    public string? EventText { get; set; }
    public Alarm? Alarm { get; set; }

    public long[]? RateTimes { get; }
    public double[]? RateValues { get; }
    public int RateHead { get; set; }
    public int RateCount { get; set; }

    /// <summary>Records a raise; returns how many raises fall within <paramref name="window"/> ticks of now, this one included.</summary>
    public int RecordRaise(long now, long window)
    {
        _raises[_raiseHead] = now;
        _raiseHead = (_raiseHead + 1) % _raises.Length;
        _raiseCount = Math.Min(_raiseCount + 1, _raises.Length);
        var count = 0;
        for (var i = 0; i < _raiseCount; i++)
        {
            if (now - _raises[i] <= window)
            {
                count++;
            }
        }

        return count;
    }
}
