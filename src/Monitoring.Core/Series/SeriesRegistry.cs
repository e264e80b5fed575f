using System.Collections.Concurrent;
using Monitoring.Core.Inventory;

namespace Monitoring.Core.Series;

/// <summary>
/// Interns every series once to a dense integer id (0, 1, 2, ...), so the hot path moves ids, not strings.
/// Inventory series are keyed by (device index, metric, port index or -1); free-form series by their canonical
/// key (measurement and tags sorted by key) and metric. Thread-safe: looking up a known series takes no lock and
/// allocates nothing; adding one takes a lock. Ids are never reused or removed.
/// </summary>
public sealed class SeriesRegistry
{
    private readonly Inventory.Inventory? _inventory;
    private readonly ConcurrentDictionary<InventoryKey, int> _inventorySeries;
    private readonly ConcurrentDictionary<InventoryKey, int>.AlternateLookup<InventorySpanKey> _inventoryLookup;
    private readonly ConcurrentDictionary<FreeFormKey, int> _freeFormSeries;
    private readonly ConcurrentDictionary<FreeFormKey, int>.AlternateLookup<FreeFormSpanKey> _freeFormLookup;
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _stringLookup;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _perMeasurement = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _perMeasurementLookup;
    private long _refused;

    private SeriesInfo[] _infos = new SeriesInfo[1024];
    private int _count;
    private DeviceSeries?[] _byDevice;

    /// <summary>A registry whose inventory series carry their model's <see cref="MetricDefinition"/>.</summary>
    public SeriesRegistry(Inventory.Inventory inventory)
        : this()
    {
        ArgumentNullException.ThrowIfNull(inventory);
        _inventory = inventory;
        _byDevice = new DeviceSeries?[inventory.Devices.Count];
    }

    /// <summary>A registry without an inventory: series get no definition.</summary>
    public SeriesRegistry()
    {
        _inventorySeries = new ConcurrentDictionary<InventoryKey, int>(InventoryKeyComparer.Instance);
        _inventoryLookup = _inventorySeries.GetAlternateLookup<InventorySpanKey>();
        _freeFormSeries = new ConcurrentDictionary<FreeFormKey, int>(FreeFormKeyComparer.Instance);
        _freeFormLookup = _freeFormSeries.GetAlternateLookup<FreeFormSpanKey>();
        _stringLookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        _perMeasurementLookup = _perMeasurement.GetAlternateLookup<ReadOnlySpan<char>>();
        _byDevice = [];
    }

    /// <summary>
    /// The cardinality cap on the total: <see cref="TryGetOrAdd"/> and <see cref="TryGetOrAddFreeForm"/> create no series
    /// once <see cref="Count"/> (every series, whoever interned it) has reached it. <see cref="GetOrAdd"/> (collectors, whose
    /// series the inventory bounds) is not capped.
    /// </summary>
    public int MaxSeries { get; set; } = int.MaxValue;

    /// <summary>The cardinality cap per measurement, on the series created through the <c>TryGetOrAdd</c> methods.</summary>
    public int MaxSeriesPerMeasurement { get; set; } = int.MaxValue;

    /// <summary>How many series the caps have refused to create since start.</summary>
    public long SeriesRefused => Interlocked.Read(ref _refused);

    /// <summary>How many measurements have series created through the <c>TryGetOrAdd</c> methods.</summary>
    public int MeasurementCount
    {
        get
        {
            lock (_gate)
            {
                return _perMeasurement.Count;
            }
        }
    }

    /// <summary>How many series have been interned; ids run from 0 to Count - 1.</summary>
    public int Count => Volatile.Read(ref _count);

    public SeriesInfo this[int id]
    {
        get
        {
            var count = Volatile.Read(ref _count);
            if ((uint)id >= (uint)count)
            {
                throw new ArgumentOutOfRangeException(nameof(id), id, $"no series has id {id} (count {count})");
            }

            return Volatile.Read(ref _infos)[id];
        }
    }

    public bool TryGet(int deviceIndex, ReadOnlySpan<char> metric, int portIndex, out int id) =>
        _inventoryLookup.TryGetValue(new InventorySpanKey(deviceIndex, metric, portIndex), out id);

    public bool TryGetFreeForm(ReadOnlySpan<char> canonicalKey, ReadOnlySpan<char> metric, out int id) =>
        _freeFormLookup.TryGetValue(new FreeFormSpanKey(canonicalKey, metric), out id);

    /// <summary>The id of an inventory series, interning it the first time.</summary>
    /// <param name="deviceIndex">The device's <see cref="Device.Index"/>.</param>
    /// <param name="metric">"measurement.field".</param>
    /// <param name="portIndex">The port's index, or -1 for a device-scope metric.</param>
    public int GetOrAdd(int deviceIndex, ReadOnlySpan<char> metric, int portIndex)
    {
        if (_inventoryLookup.TryGetValue(new InventorySpanKey(deviceIndex, metric, portIndex), out var id))
        {
            return id;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(deviceIndex);
        ArgumentOutOfRangeException.ThrowIfLessThan(portIndex, -1);
        if (metric.IsEmpty)
        {
            throw new ArgumentException("a metric name is required", nameof(metric));
        }

        if (_inventory is not null && deviceIndex >= _inventory.Devices.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(deviceIndex), deviceIndex, $"the inventory has {_inventory.Devices.Count} devices");
        }

        lock (_gate)
        {
            if (_inventoryLookup.TryGetValue(new InventorySpanKey(deviceIndex, metric, portIndex), out id))
            {
                return id;
            }

            var name = Intern(metric);
            var definition = _inventory?.Devices[deviceIndex].Model.FindMetric(name);
            id = Append(new SeriesInfo(_count, deviceIndex, name, portIndex, null, definition));
            AddToDevice(deviceIndex, id);
            _inventorySeries[new InventoryKey(deviceIndex, name, portIndex)] = id;
            return id;
        }
    }

    /// <summary>
    /// The id of an inventory series, interning it the first time unless the cardinality caps are reached.
    /// <paramref name="measurementLength"/> is the length of the measurement at the start of <paramref name="metric"/>.
    /// </summary>
    public SeriesAdmission TryGetOrAdd(int deviceIndex, ReadOnlySpan<char> metric, int portIndex, int measurementLength, out int id)
    {
        if (_inventoryLookup.TryGetValue(new InventorySpanKey(deviceIndex, metric, portIndex), out id))
        {
            return SeriesAdmission.Admitted;
        }

        lock (_gate)
        {
            if (_inventoryLookup.TryGetValue(new InventorySpanKey(deviceIndex, metric, portIndex), out id))
            {
                return SeriesAdmission.Admitted;
            }

            var admission = Admit(metric[..measurementLength]);
            if (admission != SeriesAdmission.Admitted)
            {
                id = -1;
                return admission;
            }

            id = GetOrAdd(deviceIndex, metric, portIndex);
            CountSeries(metric[..measurementLength]);
            return SeriesAdmission.Admitted;
        }
    }

    /// <summary>The id of a free-form series, interning it the first time unless the cardinality caps are reached.</summary>
    public SeriesAdmission TryGetOrAddFreeForm(ReadOnlySpan<char> canonicalKey, ReadOnlySpan<char> metric, int measurementLength, out int id)
    {
        if (_freeFormLookup.TryGetValue(new FreeFormSpanKey(canonicalKey, metric), out id))
        {
            return SeriesAdmission.Admitted;
        }

        lock (_gate)
        {
            if (_freeFormLookup.TryGetValue(new FreeFormSpanKey(canonicalKey, metric), out id))
            {
                return SeriesAdmission.Admitted;
            }

            var admission = Admit(metric[..measurementLength]);
            if (admission != SeriesAdmission.Admitted)
            {
                id = -1;
                return admission;
            }

            id = GetOrAddFreeForm(canonicalKey, metric);
            CountSeries(metric[..measurementLength]);
            return SeriesAdmission.Admitted;
        }
    }

    /// <summary>How many series the <c>TryGetOrAdd</c> methods created for <paramref name="measurement"/>.</summary>
    public int CountOf(ReadOnlySpan<char> measurement)
    {
        lock (_gate)
        {
            return _perMeasurementLookup.TryGetValue(measurement, out var count) ? count : 0;
        }
    }

    /// <summary>The id of a free-form series (no inventory device), interning it the first time.</summary>
    /// <param name="canonicalKey">Measurement and tag set sorted by tag key, as line protocol writes it: <c>cpu,host=a,region=b</c>.</param>
    /// <param name="metric">"measurement.field".</param>
    public int GetOrAddFreeForm(ReadOnlySpan<char> canonicalKey, ReadOnlySpan<char> metric)
    {
        if (_freeFormLookup.TryGetValue(new FreeFormSpanKey(canonicalKey, metric), out var id))
        {
            return id;
        }

        if (canonicalKey.IsEmpty || metric.IsEmpty)
        {
            throw new ArgumentException("a free-form series needs a key and a metric name");
        }

        lock (_gate)
        {
            if (_freeFormLookup.TryGetValue(new FreeFormSpanKey(canonicalKey, metric), out id))
            {
                return id;
            }

            var key = Intern(canonicalKey);
            var name = Intern(metric);
            id = Append(new SeriesInfo(_count, -1, name, -1, key, null));
            _freeFormSeries[new FreeFormKey(key, name)] = id;
            return id;
        }
    }

    /// <summary>
    /// The ids of every series of one device (its own and its ports'), in the order they were interned.
    /// A snapshot: series added later are not in it. Allocates nothing.
    /// </summary>
    public ReadOnlyMemory<int> GetDeviceSeries(int deviceIndex)
    {
        var byDevice = Volatile.Read(ref _byDevice);
        if ((uint)deviceIndex >= (uint)byDevice.Length || Volatile.Read(ref byDevice[deviceIndex]) is not { } series)
        {
            return ReadOnlyMemory<int>.Empty;
        }

        var count = Volatile.Read(ref series.Count);
        return Volatile.Read(ref series.Ids).AsMemory(0, count);
    }

    private SeriesAdmission Admit(ReadOnlySpan<char> measurement)
    {
        SeriesAdmission admission;
        if (_count >= MaxSeries)
        {
            admission = SeriesAdmission.OverTotalLimit;
        }
        else if (_perMeasurementLookup.TryGetValue(measurement, out var count) && count >= MaxSeriesPerMeasurement)
        {
            admission = SeriesAdmission.OverMeasurementLimit;
        }
        else
        {
            return SeriesAdmission.Admitted;
        }

        Interlocked.Increment(ref _refused);
        return admission;
    }

    private void CountSeries(ReadOnlySpan<char> measurement)
    {
        if (_perMeasurementLookup.TryGetValue(measurement, out var count))
        {
            _perMeasurementLookup[measurement] = count + 1;
        }
        else
        {
            _perMeasurement.Add(measurement.ToString(), 1);
        }
    }

    private string Intern(ReadOnlySpan<char> text)
    {
        if (_stringLookup.TryGetValue(text, out var existing))
        {
            return existing;
        }

        var created = text.ToString();
        _strings.Add(created, created);
        return created;
    }

    private int Append(SeriesInfo info)
    {
        var id = _count;
        if (id == _infos.Length)
        {
            var bigger = new SeriesInfo[_infos.Length * 2];
            _infos.AsSpan().CopyTo(bigger);
            Volatile.Write(ref _infos, bigger);
        }

        _infos[id] = info;
        Volatile.Write(ref _count, id + 1);
        return id;
    }

    private void AddToDevice(int deviceIndex, int id)
    {
        if (deviceIndex >= _byDevice.Length)
        {
            var bigger = new DeviceSeries?[Math.Max(deviceIndex + 1, _byDevice.Length * 2)];
            _byDevice.AsSpan().CopyTo(bigger);
            Volatile.Write(ref _byDevice, bigger);
        }

        var series = _byDevice[deviceIndex];
        if (series is null)
        {
            series = new DeviceSeries();
            Volatile.Write(ref _byDevice[deviceIndex], series);
        }

        series.Add(id);
    }

    /// <summary>One device's ids: appended under the registry's lock, read without one (ids before Count never change).</summary>
    private sealed class DeviceSeries
    {
        public int[] Ids = new int[8];
        public int Count;

        public void Add(int id)
        {
            if (Count == Ids.Length)
            {
                var bigger = new int[Ids.Length * 2];
                Ids.AsSpan().CopyTo(bigger);
                Volatile.Write(ref Ids, bigger);
            }

            Ids[Count] = id;
            Volatile.Write(ref Count, Count + 1);
        }
    }

    private readonly record struct InventoryKey(int DeviceIndex, string Metric, int PortIndex);

    private readonly ref struct InventorySpanKey(int deviceIndex, ReadOnlySpan<char> metric, int portIndex)
    {
        public int DeviceIndex { get; } = deviceIndex;
        public ReadOnlySpan<char> Metric { get; } = metric;
        public int PortIndex { get; } = portIndex;
    }

    private readonly record struct FreeFormKey(string Key, string Metric);

    private readonly ref struct FreeFormSpanKey(ReadOnlySpan<char> key, ReadOnlySpan<char> metric)
    {
        public ReadOnlySpan<char> Key { get; } = key;
        public ReadOnlySpan<char> Metric { get; } = metric;
    }

    private sealed class InventoryKeyComparer : IEqualityComparer<InventoryKey>, IAlternateEqualityComparer<InventorySpanKey, InventoryKey>
    {
        public static readonly InventoryKeyComparer Instance = new();

        public bool Equals(InventoryKey x, InventoryKey y) =>
            x.DeviceIndex == y.DeviceIndex && x.PortIndex == y.PortIndex && string.Equals(x.Metric, y.Metric, StringComparison.Ordinal);

        public int GetHashCode(InventoryKey obj) => Hash(obj.DeviceIndex, obj.Metric, obj.PortIndex);

        public bool Equals(InventorySpanKey alternate, InventoryKey other) =>
            alternate.DeviceIndex == other.DeviceIndex && alternate.PortIndex == other.PortIndex && alternate.Metric.SequenceEqual(other.Metric);

        public int GetHashCode(InventorySpanKey alternate) => Hash(alternate.DeviceIndex, alternate.Metric, alternate.PortIndex);

        public InventoryKey Create(InventorySpanKey alternate) => new(alternate.DeviceIndex, alternate.Metric.ToString(), alternate.PortIndex);

        private static int Hash(int device, ReadOnlySpan<char> metric, int port) => HashCode.Combine(device, port, string.GetHashCode(metric, StringComparison.Ordinal));
    }

    private sealed class FreeFormKeyComparer : IEqualityComparer<FreeFormKey>, IAlternateEqualityComparer<FreeFormSpanKey, FreeFormKey>
    {
        public static readonly FreeFormKeyComparer Instance = new();

        public bool Equals(FreeFormKey x, FreeFormKey y) =>
            string.Equals(x.Key, y.Key, StringComparison.Ordinal) && string.Equals(x.Metric, y.Metric, StringComparison.Ordinal);

        public int GetHashCode(FreeFormKey obj) => Hash(obj.Key, obj.Metric);

        public bool Equals(FreeFormSpanKey alternate, FreeFormKey other) =>
            alternate.Key.SequenceEqual(other.Key) && alternate.Metric.SequenceEqual(other.Metric);

        public int GetHashCode(FreeFormSpanKey alternate) => Hash(alternate.Key, alternate.Metric);

        public FreeFormKey Create(FreeFormSpanKey alternate) => new(alternate.Key.ToString(), alternate.Metric.ToString());

        private static int Hash(ReadOnlySpan<char> key, ReadOnlySpan<char> metric) =>
            HashCode.Combine(string.GetHashCode(key, StringComparison.Ordinal), string.GetHashCode(metric, StringComparison.Ordinal));
    }
}

/// <summary>Whether a series could be created under the cardinality caps of a <see cref="SeriesRegistry"/>.</summary>
public enum SeriesAdmission
{
    Admitted,

    /// <summary><see cref="SeriesRegistry.MaxSeries"/> is reached.</summary>
    OverTotalLimit,

    /// <summary><see cref="SeriesRegistry.MaxSeriesPerMeasurement"/> is reached for the series' measurement.</summary>
    OverMeasurementLimit,
}
