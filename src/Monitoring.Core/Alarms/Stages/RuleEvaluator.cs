using Monitoring.Core.Inventory;
using Monitoring.Core.Series;

namespace Monitoring.Core.Alarms;

/// <summary>
/// The evaluation stage: the rules against samples and input events. It owns the rule instances (one per rule,
/// device and port, made as series appear), the last value of each series, hold timers, rate windows, absence and the
/// flapping count of raises; it tells the lifecycle stage when an instance trips or untrips, nothing else. Allocates
/// nothing on the steady path: an array look-up per sample.
/// </summary>
internal sealed class RuleEvaluator
{
    private static readonly RuleInstance[] NoInstances = [];

    private readonly Inventory.Inventory _inventory;
    private readonly SeriesRegistry _registry;
    private readonly AlarmEngineOptions _options;
    private readonly AlarmLifecycle _lifecycle;

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

    private RuleInstance[]?[] _bySeries = new RuleInstance[]?[1024];
    private int[] _seriesDevice = new int[1024];
    private double[] _last = new double[1024];
    private long _startedAt;
    private long _samplesEvaluated;

    public RuleEvaluator(AlarmRuleSet rules, Inventory.Inventory inventory, SeriesRegistry registry, AlarmTopology topology, AlarmEngineOptions options, AlarmLifecycle lifecycle)
    {
        _inventory = inventory;
        _registry = registry;
        _options = options;
        _lifecycle = lifecycle;
        var count = inventory.Devices.Count;
        _rulesByDevice = new AlarmRule[count][];
        _eventRulesByDevice = new AlarmRule[count][];
        _absenceByDevice = new List<RuleInstance>[count];
        _deviceLastSeen = new long[count];
        _absentCount = new int[count];
        foreach (var device in inventory.Devices)
        {
            // a training room's devices are not the live engine's: no rule, no absence timer, no alarm (issue 21)
            var matching = device.Training ? [] : rules.Rules.Where(r => r.Scope.Matches(device)).ToArray();
            _rulesByDevice[device.Index] = [.. matching.Where(r => r.Kind != AlarmRuleKind.Event)];
            _eventRulesByDevice[device.Index] = [.. matching.Where(r => r.Kind == AlarmRuleKind.Event)];
            _absenceByDevice[device.Index] = [];
        }

        Array.Fill(_seriesDevice, -1);
        Array.Fill(_last, double.NaN);
        foreach (var device in inventory.Devices.OrderBy(d => topology.DepthOf(d.Index)))
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

    public int InstanceCount => _instances.Count;

    /// <summary>Samples looked at since start (for diagnostics).</summary>
    public long SamplesEvaluated => Interlocked.Read(ref _samplesEvaluated);

    /// <summary>Absence is counted from here for devices and metrics not seen since.</summary>
    public void Start(long now) => _startedAt = now;

    /// <summary>Ties a recovered open alarm to its rule instance again (an active one leaves the instance tripped).</summary>
    public void Restore(Alarm alarm, AlarmRule rule, Device device, int port, long now)
    {
        var instance = InstanceFor(rule, device, port);
        instance.Alarm = alarm;
        alarm.Instance = instance;
        if (alarm.IsActive)
        {
            instance.Tripped = true;
            instance.LastTransition = now;
            instance.LastSeen = now;
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

    /// <summary>Evaluates a run of samples taken in at <paramref name="now"/>.</summary>
    public void OnSamples(ReadOnlySpan<Sample> samples, long now)
    {
        foreach (ref readonly var sample in samples)
        {
            var id = sample.SeriesId;
            if ((uint)id >= (uint)_bySeries.Length || _bySeries[id] is null)
            {
                Resolve(id);
                if ((uint)id >= (uint)_bySeries.Length)
                {
                    continue;
                }
            }

            _last[id] = sample.Value;
            var device = _seriesDevice[id];
            if (device >= 0)
            {
                _deviceLastSeen[device] = now;
                if (_absentCount[device] > 0)
                {
                    Reappeared(device, now);
                }
            }

            var instances = _bySeries[id]!;
            for (var i = 0; i < instances.Length; i++)
            {
                Evaluate(instances[i], now);
            }
        }

        Interlocked.Add(ref _samplesEvaluated, samples.Length);
    }

    /// <summary>Time-driven evaluation: hold timers that ran out, absence, event auto-clear.</summary>
    public void Tick(long now)
    {
        if (_startedAt == 0)
        {
            _startedAt = now;
        }

        if (_pending.Count > 0)
        {
            _scratch.Clear();
            _scratch.AddRange(_pending);
            foreach (var instance in _scratch)
            {
                Evaluate(instance, now);
            }
        }

        foreach (var instance in _absence)
        {
            var last = _deviceLastSeen[instance.Device.Index];
            CheckAbsence(instance, last == 0 ? _startedAt : last, now);
        }

        foreach (var instance in _metricAbsence)
        {
            CheckAbsence(instance, instance.LastSeen == 0 ? _startedAt : instance.LastSeen, now);
        }

        if (_trippedEvents.Count > 0)
        {
            _scratch.Clear();
            _scratch.AddRange(_trippedEvents);
            foreach (var instance in _scratch)
            {
                if (instance.Rule.Event!.AutoClear is { } autoClear && now - instance.LastSeen >= autoClear.Ticks)
                {
                    Untrip(instance, now);
                }
            }
        }
    }

    /// <summary>An input event (a trap, an MQTT event) of a device in the inventory: raises or clears its event rules.</summary>
    public void OnInputEvent(AlarmInputEvent inputEvent, Device device, long now)
    {
        foreach (var rule in _eventRulesByDevice[device.Index])
        {
            var condition = rule.Event!;
            var port = inputEvent.Port ?? -1;
            if (port >= 0 && !rule.Scope.MatchesPort(device, port))
            {
                continue;
            }

            if (port < 0 && rule.Scope.Ports.Count > 0)
            {
                continue;
            }

            if (condition.Raise.Contains(inputEvent.Name, StringComparer.Ordinal))
            {
                var instance = InstanceFor(rule, device, port);
                instance.LastSeen = now;
                instance.EventName = inputEvent.Name;
                instance.EventText = inputEvent.Text;
                if (instance.Tripped)
                {
                    _lifecycle.Repeated(instance, now);
                }
                else
                {
                    Trip(instance, now, rule.Severity, null);
                    _trippedEvents.Add(instance);
                }
            }
            else if (condition.ClearOn.Contains(inputEvent.Name, StringComparer.Ordinal)
                && _instances.TryGetValue((rule, device.Index, port), out var instance) && instance.Tripped)
            {
                instance.EventName = inputEvent.Name;
                instance.EventText = inputEvent.Text;
                Untrip(instance, now);
            }
        }
    }

    /// <summary>Finds the rule instances of a series the first time it is seen (and grows the per-series arrays).</summary>
    private void Resolve(int id)
    {
        if (id < 0 || id >= _registry.Count)
        {
            return;
        }

        if (id >= _bySeries.Length)
        {
            var size = Math.Max(id + 1, _bySeries.Length * 2);
            Array.Resize(ref _bySeries, size);
            var old = _seriesDevice.Length;
            Array.Resize(ref _seriesDevice, size);
            Array.Resize(ref _last, size);
            _seriesDevice.AsSpan(old).Fill(-1);
            _last.AsSpan(old).Fill(double.NaN);
        }

        var info = _registry[id];
        if (info.IsFreeForm || info.DeviceIndex >= _inventory.Devices.Count)
        {
            _bySeries[id] = NoInstances;
            return;
        }

        var device = _inventory.Devices[info.DeviceIndex];
        _seriesDevice[id] = device.Index;
        var port = info.PortIndex;
        List<RuleInstance>? found = null;
        foreach (var rule in _rulesByDevice[device.Index])
        {
            if (port >= 0 && !rule.Scope.MatchesPort(device, port))
            {
                continue;
            }

            if (port < 0 && rule.Scope.Ports.Count > 0)
            {
                continue;
            }

            RuleInstance? instance = null;
            if (string.Equals(rule.Metric, info.Metric, StringComparison.Ordinal))
            {
                if (rule.Kind == AlarmRuleKind.Absence)
                {
                    instance = InstanceFor(rule, device, -1);
                }
                else
                {
                    instance = InstanceFor(rule, device, port);
                    instance.PrimarySeries = id;
                }
            }
            else if (rule.State?.WhileMetric is { } whileMetric && string.Equals(whileMetric, info.Metric, StringComparison.Ordinal))
            {
                instance = InstanceFor(rule, device, port);
                instance.WhileSeries = id;
            }

            if (instance is not null)
            {
                (found ??= []).Add(instance);
            }
        }

        _bySeries[id] = found is null ? NoInstances : [.. found];
    }

    private void Evaluate(RuleInstance instance, long now)
    {
        switch (instance.Rule.Kind)
        {
            case AlarmRuleKind.Threshold:
                EvaluateThreshold(instance, now);
                break;
            case AlarmRuleKind.State:
                EvaluateState(instance, now);
                break;
            case AlarmRuleKind.Rate:
                EvaluateRate(instance, now);
                break;
            case AlarmRuleKind.Absence:
                instance.LastSeen = now;
                if (instance.Tripped)
                {
                    Untrip(instance, now);
                }

                break;
        }
    }

    private void EvaluateThreshold(RuleInstance instance, long now)
    {
        if (instance.PrimarySeries < 0)
        {
            return;
        }

        var condition = instance.Rule.Threshold!;
        var value = _last[instance.PrimarySeries];
        if (double.IsNaN(value))
        {
            return;
        }

        instance.LastValue = value;
        if (instance.Tripped)
        {
            var holds = condition.Above ? value >= condition.Clear : value <= condition.Clear;
            if (!holds)
            {
                Untrip(instance, now);
            }
            else
            {
                AlarmLifecycle.Revalue(instance, value);
            }

            return;
        }

        var crossed = condition.Above ? value > condition.Limit : value < condition.Limit;
        Hold(instance, crossed, condition.For, now, instance.Rule.Severity, value);
    }

    private void EvaluateState(RuleInstance instance, long now)
    {
        if (instance.PrimarySeries < 0)
        {
            return;
        }

        var condition = instance.Rule.State!;
        var value = _last[instance.PrimarySeries];
        if (double.IsNaN(value))
        {
            return;
        }

        instance.LastValue = value;
        var holds = condition.Values.TryGetValue(value, out var severity);
        if (holds && condition.WhileMetric is not null)
        {
            holds = false;
            if (instance.WhileSeries >= 0)
            {
                var other = _last[instance.WhileSeries];
                foreach (var allowed in condition.WhileValues)
                {
                    if (other == allowed)
                    {
                        holds = true;
                        break;
                    }
                }
            }
        }

        if (instance.Tripped)
        {
            if (!holds)
            {
                Untrip(instance, now);
            }
            else
            {
                _lifecycle.Restate(instance, severity, value, now);
            }

            return;
        }

        Hold(instance, holds, condition.For, now, severity, value);
    }

    private void EvaluateRate(RuleInstance instance, long now)
    {
        if (instance.PrimarySeries < 0)
        {
            return;
        }

        var condition = instance.Rule.Rate!;
        var value = _last[instance.PrimarySeries];
        if (double.IsNaN(value))
        {
            return;
        }

        instance.LastValue = value;
        var times = instance.RateTimes!;
        var values = instance.RateValues!;
        var window = condition.Window.Ticks;

        // drop samples older than the window, then add this one (the oldest is overwritten when the ring is full)
        while (instance.RateCount > 0)
        {
            var oldest = (instance.RateHead - instance.RateCount + times.Length) % times.Length;
            if (now - times[oldest] <= window)
            {
                break;
            }

            instance.RateCount--;
        }

        times[instance.RateHead] = now;
        values[instance.RateHead] = value;
        instance.RateHead = (instance.RateHead + 1) % times.Length;
        instance.RateCount = Math.Min(instance.RateCount + 1, times.Length);

        var extreme = value;
        for (var i = 0; i < instance.RateCount; i++)
        {
            var v = values[(instance.RateHead - 1 - i + times.Length) % times.Length];
            extreme = condition.Rising ? Math.Min(extreme, v) : Math.Max(extreme, v);
        }

        var change = condition.Rising ? value - extreme : extreme - value;
        var holds = change >= condition.Delta;
        if (instance.Tripped)
        {
            if (!holds)
            {
                Untrip(instance, now);
            }
            else
            {
                AlarmLifecycle.Revalue(instance, value);
            }

            return;
        }

        if (holds)
        {
            Trip(instance, now, instance.Rule.Severity, value);
        }
    }

    private void CheckAbsence(RuleInstance instance, long lastSeen, long now)
    {
        if (!instance.Tripped && now - lastSeen >= instance.AbsenceAfterTicks)
        {
            Trip(instance, now, instance.Rule.Severity, TimeSpan.FromTicks(now - lastSeen).TotalSeconds);
            if (instance.Rule.Absence!.Metric is null)
            {
                _absentCount[instance.Device.Index]++;
            }
        }
    }

    private void Reappeared(int device, long now)
    {
        foreach (var instance in _absenceByDevice[device])
        {
            if (instance.Tripped)
            {
                Untrip(instance, now);
            }
        }
    }

    /// <summary>Starts, keeps or resets the hold timer; trips once the condition has held for <paramref name="hold"/>.</summary>
    private void Hold(RuleInstance instance, bool holds, TimeSpan hold, long now, AlarmSeverity severity, double value)
    {
        if (!holds)
        {
            if (instance.PendingSince != 0)
            {
                instance.PendingSince = 0;
                _pending.Remove(instance);
            }

            // a flapping alarm whose condition went away stays up, but its stability clock starts now
            return;
        }

        if (instance.PendingSince == 0)
        {
            instance.PendingSince = now;
            if (hold > TimeSpan.Zero)
            {
                _pending.Add(instance);
            }
        }

        if (now - instance.PendingSince >= hold.Ticks)
        {
            instance.PendingSince = 0;
            _pending.Remove(instance);
            Trip(instance, now, severity, value);
        }
    }

    private void Trip(RuleInstance instance, long now, AlarmSeverity severity, double? value)
    {
        instance.Tripped = true;
        instance.LastTransition = now;
        var raises = instance.RecordRaise(now, _options.FlappingWindow.Ticks);
        var flapping = raises > _options.FlappingRaises;
        _lifecycle.Raise(instance, now, severity, value, flapping);
    }

    private void Untrip(RuleInstance instance, long now)
    {
        instance.Tripped = false;
        instance.LastTransition = now;
        instance.PendingSince = 0;
        _pending.Remove(instance);
        _trippedEvents.Remove(instance);
        if (instance.Rule.Kind == AlarmRuleKind.Absence && instance.Rule.Absence!.Metric is null && _absentCount[instance.Device.Index] > 0)
        {
            _absentCount[instance.Device.Index]--;
        }

        _lifecycle.Untripped(instance, now);
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
}
