namespace Monitoring.Core.Alarms;

/// <summary>
/// Root cause, as Alertmanager's inhibition but along the room's topology: an active down/unreachable alarm on a
/// device (or on the port a device hangs from) suppresses the alarms of everything below it. Suppressed alarms stay
/// listed and keep being evaluated; they only stop alerting. An alarm names its topmost cause, and that cause lists it.
/// </summary>
public sealed partial class AlarmEngine
{
    /// <summary>
    /// The root-cause alarm that silences <paramref name="alarm"/>, or null: a device-wide down alarm on its own
    /// device (for its other alarms), or the farthest active down alarm up its chain of parents.
    /// </summary>
    private Alarm? FindSuppressor(Alarm alarm)
    {
        if (!alarm.IsOpen)
        {
            return null;
        }

        Alarm? found = null;
        var ownIsDeviceDown = alarm.Rule is { Down: true } && alarm.Port < 0;
        if (!ownIsDeviceDown)
        {
            foreach (var other in _alarmsByDevice[alarm.DeviceIndex])
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
        foreach (var parent in _topology.Parents(alarm.DeviceIndex))
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
                foreach (var grandparent in _topology.Parents(parent.DeviceIndex))
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
        foreach (var alarm in _alarmsByDevice[parent.DeviceIndex])
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

    /// <summary>A down alarm came or went: recompute the suppression of its device's and its descendants' alarms, parents first.</summary>
    private void DownChanged(Alarm cause)
    {
        Recompute(cause.DeviceIndex, cause);
        foreach (var device in _topology.Descendants(cause.DeviceIndex))
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

    private void Recompute(int device, Alarm cause)
    {
        var alarms = _alarmsByDevice[device];
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
        alarm.ChangedAt = _time.GetUtcNow();
        EmitOrRefresh(alarm);
    }
}
