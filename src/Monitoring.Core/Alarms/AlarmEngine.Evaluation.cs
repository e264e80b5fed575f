using Monitoring.Core.Series;

namespace Monitoring.Core.Alarms;

public sealed partial class AlarmEngine
{
    /// <summary>Evaluates a run of samples (pipeline thread). Allocates nothing on the steady path: an array look-up per sample.</summary>
    public void OnSamples(ReadOnlySpan<Sample> samples)
    {
        if (samples.IsEmpty)
        {
            return;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetUtcNow().UtcTicks;
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

            _samplesEvaluated += samples.Length;
            FlushOutbox(now);
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
            if (_disposed)
            {
                return;
            }

            var nowOffset = _time.GetUtcNow();
            var now = nowOffset.UtcTicks;
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

            TickAlarms(nowOffset);
            if (_mute is { } mute && mute.Until <= nowOffset)
            {
                _mute = null;
            }

            _maintenance.RemoveAll(w => w.Until <= nowOffset);
            FlushOutbox(now);
        }
    }

    public void OnInputEvent(AlarmInputEvent inputEvent)
    {
        ArgumentNullException.ThrowIfNull(inputEvent);
        lock (_gate)
        {
            if (_disposed || _inventory.FindDevice(inputEvent.DeviceId) is not { } device)
            {
                return;
            }

            var now = _time.GetUtcNow().UtcTicks;
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
                        if (instance.Alarm is { } alarm)
                        {
                            alarm.Message = AlarmMessage.Format(instance, null);
                            alarm.ChangedAt = At(now);
                            Emit(AlarmEventKind.Updated, alarm);
                        }
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

            FlushOutbox(now);
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
            else if (instance.Alarm is { } alarm)
            {
                alarm.Value = value;
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
            else if (instance.Alarm is { IsOpen: true } alarm && (alarm.Severity != severity || alarm.Value != value))
            {
                var changed = alarm.Severity != severity;
                alarm.Severity = severity;
                alarm.Value = value;
                if (changed)
                {
                    alarm.Message = AlarmMessage.Format(instance, value);
                    alarm.ChangedAt = At(now);
                    Emit(AlarmEventKind.Updated, alarm);
                }
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
            else if (instance.Alarm is { } alarm)
            {
                alarm.Value = value;
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
        Raise(instance, now, severity, value, flapping);
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

        if (instance.Alarm is { } alarm && alarm.IsActive && !alarm.Flapping)
        {
            ClearAlarm(alarm, now);
        }
    }

    private static DateTimeOffset At(long ticks) => new(ticks, TimeSpan.Zero);
}
