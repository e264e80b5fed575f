namespace Monitoring.Core.Alarms;

/// <summary>
/// Root-cause inhibition, as Alertmanager's inhibition but along the room's topology: an active down/unreachable alarm
/// on a device (or on the port a device hangs from) suppresses the alarms of everything below it. Suppressed alarms
/// stay listed and keep being evaluated; they only stop alerting. An alarm names its topmost cause, and that cause
/// lists it: a cause whose list changed is refreshed once at the end of the round (<see cref="FlushDirtyRoots"/>).
/// </summary>
internal sealed class RootCauseMuter(AlarmTopology topology, OpenAlarms open, AlarmOutbox outbox, TimeProvider time) : IAlarmMuter
{
    private readonly HashSet<Alarm> _dirtyRoots = [];
    private readonly HashSet<int> _visited = [];
    private readonly Queue<AlarmParent> _walk = new();

    public string Name => "root-cause";

    public bool Mutes(Alarm alarm) => alarm.SuppressedBy is not null;

    /// <summary>Gives the alarm its suppressor as the topology and the open down alarms say now.</summary>
    public void Assign(Alarm alarm) => SetSuppressor(alarm, FindSuppressor(alarm));

    /// <summary>The alarm closed: it no longer counts toward its cause's list.</summary>
    public void Release(Alarm alarm) => SetSuppressor(alarm, null);

    /// <summary>Forgets which causes changed (after recovery at start, where nothing is sent).</summary>
    public void ForgetDirty() => _dirtyRoots.Clear();

    /// <summary>Each cause whose list changed this round gets its event refreshed (or an update) with the new list.</summary>
    public void FlushDirtyRoots()
    {
        if (_dirtyRoots.Count == 0)
        {
            return;
        }

        foreach (var root in _dirtyRoots)
        {
            root.Invalidate();
            if (root.IsOpen)
            {
                outbox.EmitOrRefresh(root);
            }
        }

        _dirtyRoots.Clear();
    }

    /// <summary>A down alarm came or went: recompute the suppression of its device's and its descendants' alarms, parents first.</summary>
    public void DownChanged(Alarm cause)
    {
        Recompute(cause.DeviceIndex, cause);
        foreach (var device in topology.Descendants(cause.DeviceIndex))
        {
            Recompute(device, cause);
        }

        if (cause.Suppresses.Count > 0 && !cause.IsDownCause)
        {
            foreach (var orphan in cause.Suppresses.ToList())
            {
                Reassign(orphan);
            }
        }
    }

    /// <summary>
    /// The root-cause alarm that silences <paramref name="alarm"/>, or null: a device-wide down alarm on its own
    /// device (for its other alarms), or the farthest active down alarm up its chain of parents.
    /// </summary>
    internal Alarm? FindSuppressor(Alarm alarm)
    {
        if (!alarm.IsOpen)
        {
            return null;
        }

        Alarm? found = null;
        var ownIsDeviceDown = alarm.Rule is { Down: true } && alarm.Port < 0;
        if (!ownIsDeviceDown)
        {
            foreach (var other in open.OnDevice(alarm.DeviceIndex))
            {
                if (!ReferenceEquals(other, alarm) && other.IsDownCause && other.Port < 0)
                {
                    found = other;
                    break;
                }
            }
        }

        _visited.Clear();
        _walk.Clear();
        foreach (var parent in topology.Parents(alarm.DeviceIndex))
        {
            _walk.Enqueue(parent);
        }

        while (_walk.TryDequeue(out var parent))
        {
            if (DownAlarmOn(parent) is { } down)
            {
                found = down;
            }

            if (_visited.Add(parent.DeviceIndex))
            {
                foreach (var grandparent in topology.Parents(parent.DeviceIndex))
                {
                    _walk.Enqueue(grandparent);
                }
            }
        }

        return found;
    }

    /// <summary>An active down alarm on the parent: on the whole device, or on the very port the child hangs from.</summary>
    private Alarm? DownAlarmOn(AlarmParent parent)
    {
        Alarm? portDown = null;
        foreach (var alarm in open.OnDevice(parent.DeviceIndex))
        {
            if (!alarm.IsDownCause)
            {
                continue;
            }

            if (alarm.Port < 0)
            {
                return alarm;
            }

            if (parent.Port >= 0 && alarm.Port == parent.Port)
            {
                portDown = alarm;
            }
        }

        return portDown;
    }

    private void SetSuppressor(Alarm alarm, Alarm? suppressor)
    {
        var current = alarm.SuppressedBy;
        if (ReferenceEquals(current, suppressor))
        {
            return;
        }

        if (current is not null && current.Suppresses.Remove(alarm))
        {
            _dirtyRoots.Add(current);
        }

        if (suppressor is not null && suppressor.Suppresses.Add(alarm))
        {
            _dirtyRoots.Add(suppressor);
        }

        alarm.SuppressedBy = suppressor;
    }

    private void Recompute(int device, Alarm cause)
    {
        var alarms = open.OnDevice(device);
        for (var i = 0; i < alarms.Count; i++)
        {
            // cleared alarms keep their cause until they are raised again (or their cause goes: see DownChanged)
            if (!ReferenceEquals(alarms[i], cause) && alarms[i].IsActive)
            {
                Reassign(alarms[i]);
            }
        }
    }

    private void Reassign(Alarm alarm)
    {
        var suppressor = FindSuppressor(alarm);
        if (ReferenceEquals(suppressor, alarm.SuppressedBy))
        {
            return;
        }

        SetSuppressor(alarm, suppressor);
        alarm.ChangedAt = time.GetUtcNow();
        outbox.EmitOrRefresh(alarm);
    }
}
