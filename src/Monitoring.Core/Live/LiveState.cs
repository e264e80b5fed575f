using System.Collections.Frozen;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;

namespace Monitoring.Core.Live;

/// <summary>
/// The latest value of every series and the status of every device and port derived from them.
/// One writer (the pipeline's consumer) calls <see cref="Apply"/>; any number of readers (REST, hub) read.
/// Values are kept in flat arrays indexed by series id: applying a sample is an array store, no allocation.
/// </summary>
public sealed class LiveState
{
    private const byte Clean = 0;
    private const byte Dirty = 1;

    private readonly Inventory.Inventory _inventory;
    private readonly SeriesRegistry _registry;
    private readonly TimeProvider _time;
    private long _futureIgnored;
    private readonly object _gate = new();
    private readonly Status[] _deviceStatus;
    private readonly Status[][] _portStatus;
    /// <summary>Ports shut down on purpose (ifAdminStatus down): their status is Unknown, and this tells why.</summary>
    private readonly bool[][] _portAdminDown;
    private readonly byte[] _deviceDirty;
    private readonly byte[][] _portDirty;
    private readonly long[] _deviceLastSeen;
    private readonly List<int>?[][] _portSeries;
    private readonly FrozenDictionary<string, FrozenDictionary<int, int>> _portPositions;

    private long[] _timestamps = new long[1024];
    private double[] _values = new double[1024];
    private Status[] _seriesStatus = new Status[1024];
    private byte[] _seriesDirty = new byte[1024];
    private bool[] _known = new bool[1024];
    private ChangeSet _pending = new();

    public LiveState(Inventory.Inventory inventory, SeriesRegistry registry)
        : this(inventory, registry, TimeProvider.System)
    {
    }

    /// <param name="inventory">The devices and ports whose status is kept.</param>
    /// <param name="registry">The series the samples name.</param>
    /// <param name="time">The clock that tells a sample from the future (see <see cref="MaxFuture"/>).</param>
    public LiveState(Inventory.Inventory inventory, SeriesRegistry registry, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(time);
        _inventory = inventory;
        _registry = registry;
        _time = time;
        var count = inventory.Devices.Count;
        _deviceStatus = new Status[count];
        _deviceDirty = new byte[count];
        _deviceLastSeen = new long[count];
        _portStatus = new Status[count][];
        _portAdminDown = new bool[count][];
        _portDirty = new byte[count][];
        _portSeries = new List<int>?[count][];
        for (var i = 0; i < count; i++)
        {
            var ports = inventory.Devices[i].Model.Ports.Count;
            _portStatus[i] = new Status[ports];
            _portAdminDown[i] = new bool[ports];
            _portDirty[i] = new byte[ports];
            _portSeries[i] = new List<int>?[ports];
        }

        _portPositions = inventory.Models.ToFrozenDictionary(
            m => m.Id,
            m => m.Ports.Select((p, position) => (p.Index, position)).ToFrozenDictionary(x => x.Index, x => x.position),
            StringComparer.Ordinal);
    }

    public Inventory.Inventory Inventory => _inventory;

    public SeriesRegistry Registry => _registry;

    /// <summary>
    /// How far ahead of the clock a sample may be dated and still be shown. A sample dated later is not applied (and
    /// counted in <see cref="FutureSamplesIgnored"/>), and a value held with such a date (the clock was set back) gives
    /// way to the next sample: a reading from the future never pins a live value or a status.
    /// </summary>
    public TimeSpan MaxFuture { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Samples not applied because they were dated more than <see cref="MaxFuture"/> ahead of the clock.</summary>
    public long FutureSamplesIgnored => Interlocked.Read(ref _futureIgnored);

    /// <summary>Takes a run of samples. Single writer only.</summary>
    public void Apply(ReadOnlySpan<Sample> samples)
    {
        lock (_gate)
        {
            EnsureCapacity(_registry.Count);
            var latestNs = LatestAllowedNs();
            foreach (ref readonly var sample in samples)
            {
                ApplyOne(sample, latestNs);
            }
        }
    }

    public bool TryGetLatest(int seriesId, out long timestampNs, out double value)
    {
        var known = Volatile.Read(ref _known);
        if ((uint)seriesId < (uint)known.Length && known[seriesId])
        {
            timestampNs = Volatile.Read(ref _timestamps)[seriesId];
            value = Volatile.Read(ref _values)[seriesId];
            return true;
        }

        timestampNs = 0;
        value = 0;
        return false;
    }

    public Status GetSeriesStatus(int seriesId)
    {
        var statuses = Volatile.Read(ref _seriesStatus);
        return (uint)seriesId < (uint)statuses.Length ? statuses[seriesId] : Status.Unknown;
    }

    public Status GetDeviceStatus(int deviceIndex) => _deviceStatus[deviceIndex];

    /// <summary>Statuses of the device's ports, in the order of its model's port list.</summary>
    public ReadOnlySpan<Status> GetPortStatuses(int deviceIndex) => _portStatus[deviceIndex];

    /// <summary>
    /// Per port position: shut down on purpose (its <c>interface.admin_status</c> is down, 2). Such a port's status is
    /// Unknown (not a fault); this flag lets the views show it as administratively down rather than as unknown.
    /// </summary>
    public ReadOnlySpan<bool> GetPortsAdminDown(int deviceIndex) => _portAdminDown[deviceIndex];

    public Status GetPortStatus(int deviceIndex, int portIndex) =>
        TryGetPortPosition(deviceIndex, portIndex, out var position) ? _portStatus[deviceIndex][position] : Status.Unknown;

    public bool TryGetPortPosition(int deviceIndex, int portIndex, out int position) =>
        _portPositions[_inventory.Devices[deviceIndex].Model.Id].TryGetValue(portIndex, out position);

    /// <summary>Unix nanoseconds of the newest sample seen for the device, 0 if none.</summary>
    public long LastSeen(int deviceIndex) => Volatile.Read(ref _deviceLastSeen[deviceIndex]);

    /// <summary>The ids of every series of the device (a snapshot; see <see cref="SeriesRegistry.GetDeviceSeries"/>).</summary>
    public ReadOnlySpan<int> SeriesOf(int deviceIndex) => _registry.GetDeviceSeries(deviceIndex).Span;

    /// <summary>Hands over everything that changed since the previous call; the caller owns the returned set.</summary>
    public ChangeSet DrainChanges(ChangeSet? recycle = null)
    {
        var fresh = recycle ?? new ChangeSet();
        fresh.Clear();
        lock (_gate)
        {
            var taken = _pending;
            _pending = fresh;
            foreach (var id in taken.Series)
            {
                _seriesDirty[id] = Clean;
            }

            foreach (var device in taken.Devices)
            {
                _deviceDirty[device] = Clean;
            }

            foreach (var (device, position) in taken.Ports)
            {
                _portDirty[device][position] = Clean;
            }

            return taken;
        }
    }

    private long LatestAllowedNs()
    {
        var nowNs = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
        var aheadNs = MaxFuture.Ticks * 100;
        return nowNs > long.MaxValue - aheadNs ? long.MaxValue : nowNs + aheadNs;
    }

    private void ApplyOne(in Sample sample, long latestNs)
    {
        var id = sample.SeriesId;
        if ((uint)id >= (uint)_values.Length)
        {
            return;
        }

        if (sample.TimestampNs > latestNs)
        {
            Interlocked.Increment(ref _futureIgnored);
            return; // dated in the future: it would hide every present reading until its date
        }

        var firstTime = !_known[id];
        if (!firstTime && sample.TimestampNs < _timestamps[id] && _timestamps[id] <= latestNs)
        {
            return; // late, out-of-order sample: the live view keeps the newest value (unless the newest is from the future)
        }

        var previous = _values[id];

        _timestamps[id] = sample.TimestampNs;
        _values[id] = sample.Value;
        _known[id] = true;
        if (_seriesDirty[id] == Clean)
        {
            _seriesDirty[id] = Dirty;
            _pending.Series.Add(id);
        }

        var info = _registry[id];
        if (info.DeviceIndex < 0)
        {
            return;
        }

        var device = info.DeviceIndex;
        var position = -1;
        if (info.PortIndex >= 0 && !TryGetPortPosition(device, info.PortIndex, out position))
        {
            position = -1;
        }

        if (firstTime && position >= 0)
        {
            (_portSeries[device][position] ??= []).Add(id);
        }

        if (sample.TimestampNs > _deviceLastSeen[device] || _deviceLastSeen[device] > latestNs)
        {
            Volatile.Write(ref _deviceLastSeen[device], sample.TimestampNs);
        }

        var status = StatusRules.Evaluate(info.Definition, sample.Value);
        var adminChanged = position >= 0 && previous != sample.Value
            && string.Equals(info.Metric, StatusRules.AdminStatusMetric, StringComparison.Ordinal);
        if (!firstTime && status == _seriesStatus[id] && !adminChanged)
        {
            return;
        }

        _seriesStatus[id] = status;
        if (position >= 0)
        {
            SetPortStatus(device, position, ComputePortStatus(device, position, out var adminDown), adminDown);
        }

        SetDeviceStatus(device, ComputeDeviceStatus(device));
    }

    private Status ComputePortStatus(int device, int position, out bool adminDown)
    {
        adminDown = false;
        var settings = _inventory.Devices[device].PortSettings;
        if (settings.Count > 0 && settings.TryGetValue(_inventory.Devices[device].Model.Ports[position].Index, out var setting) && !setting.Monitored)
        {
            return Status.Unknown; // declared unused in the room file: whatever it reports is not a fault
        }

        var worst = Status.Unknown;
        foreach (var id in _portSeries[device][position] ?? [])
        {
            var info = _registry[id];
            if (string.Equals(info.Metric, StatusRules.AdminStatusMetric, StringComparison.Ordinal) && _values[id] == StatusRules.AdminDown)
            {
                adminDown = true;
                return Status.Unknown; // shut down on purpose: not a fault
            }

            if (_seriesStatus[id] > worst)
            {
                worst = _seriesStatus[id];
            }
        }

        return worst;
    }

    private Status ComputeDeviceStatus(int device)
    {
        var worst = Status.Unknown;
        foreach (var id in _registry.GetDeviceSeries(device).Span)
        {
            // ids interned by a producer after this batch was sized have no status yet
            if ((uint)id < (uint)_seriesStatus.Length && _registry[id].PortIndex < 0 && _seriesStatus[id] > worst)
            {
                worst = _seriesStatus[id];
            }
        }

        foreach (var port in _portStatus[device])
        {
            // a failed port makes its device worth a look, not a device failure
            var implied = port >= Status.Alarm ? Status.Warning : port == Status.Unknown ? Status.Unknown : Status.Ok;
            if (implied > worst)
            {
                worst = implied;
            }
        }

        return worst;
    }

    private void SetPortStatus(int device, int position, Status status, bool adminDown)
    {
        if (_portStatus[device][position] == status && _portAdminDown[device][position] == adminDown)
        {
            return;
        }

        _portStatus[device][position] = status;
        _portAdminDown[device][position] = adminDown;
        if (_portDirty[device][position] == Clean)
        {
            _portDirty[device][position] = Dirty;
            _pending.Ports.Add((device, position));
        }
    }

    private void SetDeviceStatus(int device, Status status)
    {
        if (_deviceStatus[device] == status)
        {
            return;
        }

        _deviceStatus[device] = status;
        if (_deviceDirty[device] == Clean)
        {
            _deviceDirty[device] = Dirty;
            _pending.Devices.Add(device);
        }
    }

    private void EnsureCapacity(int count)
    {
        if (count <= _values.Length)
        {
            return;
        }

        var size = Math.Max(count, _values.Length * 2);
        var timestamps = _timestamps;
        var values = _values;
        var statuses = _seriesStatus;
        var dirty = _seriesDirty;
        var known = _known;
        Array.Resize(ref timestamps, size);
        Array.Resize(ref values, size);
        Array.Resize(ref statuses, size);
        Array.Resize(ref dirty, size);
        Array.Resize(ref known, size);
        Volatile.Write(ref _timestamps, timestamps);
        Volatile.Write(ref _values, values);
        Volatile.Write(ref _seriesStatus, statuses);
        Volatile.Write(ref _seriesDirty, dirty);
        Volatile.Write(ref _known, known);
    }
}
