using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Snmp.Collector;

/// <summary>
/// Polls one SNMP device with its profile: the scalars (and sysUpTime) in one GET (split only as far as the agent
/// needs), the table columns side by side with GETBULK, counters turned into rates over the agent's sysUpTime,
/// rows mapped to the model's ports by name. Series are interned once; each poll writes one batch.
/// Not thread-safe: the scheduler never overlaps two polls of one device.
/// </summary>
public sealed class SnmpDevicePoller : IDevicePoller
{
    private const int RemapEveryPolls = 10;
    private static readonly Oid SysUpTime = Oid.Parse("1.3.6.1.2.1.1.3.0");
    private static readonly Oid HrStorageType = Oid.Parse("1.3.6.1.2.1.25.2.3.1.2");
    private static readonly Oid HrStorageSize = Oid.Parse("1.3.6.1.2.1.25.2.3.1.5");
    private static readonly Oid HrStorageUsed = Oid.Parse("1.3.6.1.2.1.25.2.3.1.6");
    private static readonly Oid HrStorageRam = Oid.Parse("1.3.6.1.2.1.25.2.1.2");
    private static readonly Oid EntPhySensorType = Oid.Parse("1.3.6.1.2.1.99.1.1.1.1");
    private static readonly Oid EntPhySensorScale = Oid.Parse("1.3.6.1.2.1.99.1.1.1.2");
    private static readonly Oid EntPhySensorPrecision = Oid.Parse("1.3.6.1.2.1.99.1.1.1.3");
    private static readonly Oid EntPhySensorValue = Oid.Parse("1.3.6.1.2.1.99.1.1.1.4");
    private static readonly Oid EntPhySensorOperStatus = Oid.Parse("1.3.6.1.2.1.99.1.1.1.5");
    private static readonly Oid IfDescr = Oid.Parse("1.3.6.1.2.1.2.2.1.2");
    private static readonly Oid IfName = Oid.Parse("1.3.6.1.2.1.31.1.1.1.1");
    private static readonly Oid IfAlias = Oid.Parse("1.3.6.1.2.1.31.1.1.1.18");

    private readonly Device _device;
    private readonly SnmpProfile _profile;
    private readonly SnmpClient _client;
    private readonly TimeProvider _time;
    private readonly Oid[] _get;
    private readonly Oid[] _columns;
    private readonly Dictionary<Oid, int> _getIndex = [];
    private readonly Dictionary<Oid, int> _columnIndex = [];
    private readonly SnmpDeviceMetric[] _deviceMetrics;
    private readonly int[] _deviceSeries;
    private readonly SnmpPortMetric[] _portMetrics;
    private readonly int[][] _portSeries;
    private readonly CounterState[][] _inState;
    private readonly CounterState[][] _outState;
    private readonly CounterState[][] _cpuTicks;
    private readonly Dictionary<int, int> _portSlot = [];
    private readonly int _nameColumn = -1;
    private Dictionary<uint, int>? _map;
    private int _pollsSinceMap;

    public SnmpDevicePoller(Device device, SnmpProfile profile, SnmpTarget target, SnmpClient client, SeriesRegistry series, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(series);
        _device = device;
        _profile = profile;
        Target = target;
        _client = client;
        _time = time ?? TimeProvider.System;

        bool Declared(string metric) => device.Model.Metrics.Count == 0 || device.Model.FindMetric(metric) is not null;
        _deviceMetrics = profile.DeviceMetrics.Where(m => Declared(m.Metric)).ToArray();
        _portMetrics = device.Model.Ports.Count == 0 ? [] : profile.PortMetrics.Where(m => Declared(m.Metric)).ToArray();

        var get = new List<Oid> { SysUpTime };
        var columns = new List<Oid>();
        void Get(Oid oid)
        {
            if (!get.Contains(oid))
            {
                get.Add(oid);
            }
        }

        void Column(Oid oid)
        {
            if (!columns.Contains(oid))
            {
                columns.Add(oid);
            }
        }

        foreach (var m in _deviceMetrics)
        {
            switch (m.Compute)
            {
                case SnmpDeviceCompute.Value:
                    Get(m.Oid);
                    break;
                case SnmpDeviceCompute.Average or SnmpDeviceCompute.Max:
                    Column(m.Oid);
                    break;
                case SnmpDeviceCompute.UsedFree or SnmpDeviceCompute.TotalAvailable or SnmpDeviceCompute.CpuTicks:
                    foreach (var o in m.Operands)
                    {
                        Get(o);
                    }

                    Get(m.Other);
                    break;
                case SnmpDeviceCompute.HrStorageRam:
                    Column(HrStorageType);
                    Column(HrStorageSize);
                    Column(HrStorageUsed);
                    break;
                case SnmpDeviceCompute.EntitySensor:
                    Column(EntPhySensorType);
                    Column(EntPhySensorScale);
                    Column(EntPhySensorPrecision);
                    Column(EntPhySensorValue);
                    Column(EntPhySensorOperStatus);
                    break;
            }
        }

        foreach (var m in _portMetrics)
        {
            Column(m.Column);
            if (m.Compute == SnmpPortCompute.Utilisation)
            {
                Column(m.Out);
                Column(m.Speed);
                if (!m.HighSpeed.IsEmpty)
                {
                    Column(m.HighSpeed);
                }
            }
        }

        if (_portMetrics.Length > 0 && profile.PortMatch != SnmpPortMatch.IfIndex)
        {
            var nameOid = profile.PortMatch switch { SnmpPortMatch.IfDescr => IfDescr, SnmpPortMatch.IfAlias => IfAlias, _ => IfName };
            Column(nameOid);
            _nameColumn = columns.IndexOf(nameOid);
        }

        _get = [.. get];
        _columns = [.. columns];
        for (var i = 0; i < _get.Length; i++)
        {
            _getIndex[_get[i]] = i;
        }

        for (var i = 0; i < _columns.Length; i++)
        {
            _columnIndex[_columns[i]] = i;
        }

        _deviceSeries = _deviceMetrics.Select(m => series.GetOrAdd(device.Index, m.Metric, -1)).ToArray();
        var ports = device.Model.Ports;
        for (var p = 0; p < ports.Count; p++)
        {
            _portSlot[ports[p].Index] = p;
        }

        _portSeries = _portMetrics.Select(m => ports.Select(p => series.GetOrAdd(device.Index, m.Metric, p.Index)).ToArray()).ToArray();
        _inState = _portMetrics.Select(_ => new CounterState[ports.Count]).ToArray();
        _outState = _portMetrics.Select(_ => new CounterState[ports.Count]).ToArray();
        _cpuTicks = _deviceMetrics.Select(m => new CounterState[m.Compute == SnmpDeviceCompute.CpuTicks ? 2 : 0]).ToArray();
    }

    public string DeviceId => _device.Id;

    public string Collector => "snmp";

    public TimeSpan Interval => _profile.Interval;

    public SnmpTarget Target { get; }

    /// <summary>ifIndex → port index as last mapped (empty before the first poll).</summary>
    public IReadOnlyDictionary<uint, int> PortMap => _map ?? [];

    public async ValueTask<PollResult> PollAsync(ISampleSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var scalars = await _client.GetAsync(Target, _get, cancellationToken).ConfigureAwait(false);
        if (!scalars.IsSuccess)
        {
            return Failure(scalars.Error!);
        }

        var values = scalars.Value;
        var scalar = new SnmpValue[_get.Length];
        foreach (var vb in values)
        {
            if (_getIndex.TryGetValue(vb.Oid, out var i))
            {
                scalar[i] = vb.Value;
            }
        }

        if (scalar[0].Type != SnmpValueType.TimeTicks)
        {
            return PollResult.Failure(PollOutcome.ProtocolError, $"{_device.Id}: the agent at {Target.EndPoint} did not return sysUpTime.0, needed to compute rates");
        }

        var uptime = scalar[0].AsUInt32();
        var (rows, walkError) = await TableWalker.WalkAsync(_client, Target, _columns, cancellationToken).ConfigureAwait(false);
        var ns = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
        var batch = SampleBatch.Rent(_deviceSeries.Length + (_portSeries.Length * _device.Model.Ports.Count));
        try
        {
            WriteDeviceMetrics(batch, scalar, rows, uptime, ns);
            WritePortMetrics(batch, rows, uptime, ns);
            var count = batch.Count;
            if (count > 0)
            {
                await sink.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                batch = null;
            }

            return walkError is null ? PollResult.Success(count) : Failure(walkError) with { Samples = count };
        }
        finally
        {
            batch?.Dispose();
        }
    }

    private PollResult Failure(SnmpError error)
    {
        var outcome = error.Kind switch
        {
            SnmpErrorKind.Timeout => PollOutcome.Timeout,
            SnmpErrorKind.PortUnreachable => PollOutcome.Unreachable,
            SnmpErrorKind.WrongDigest or SnmpErrorKind.UnknownUserName or SnmpErrorKind.UnsupportedSecurityLevel
                or SnmpErrorKind.DecryptionError or SnmpErrorKind.UnknownEngineId or SnmpErrorKind.NotInTimeWindow => PollOutcome.AuthenticationFailed,
            _ => PollOutcome.ProtocolError,
        };
        // the client's words first, the same the CLI prints ("no response within N ms", "port unreachable (ICMP)",
        // "authentication failed"), then what it most likely means for this device
        var hint = error.Kind switch
        {
            SnmpErrorKind.Timeout when Target.Version != SnmpVersion.V3 =>
                " (no answer: the device is down or unreachable, or the community is wrong: agents drop a wrong community without a word)",
            SnmpErrorKind.Timeout => " (no answer: the device is down or unreachable, or the privacy password is wrong)",
            SnmpErrorKind.WrongDigest => " (wrong authentication password)",
            SnmpErrorKind.UnknownUserName => " (unknown user)",
            SnmpErrorKind.DecryptionError => " (wrong privacy password)",
            _ => string.Empty,
        };
        return PollResult.Failure(outcome, $"{_device.Id}: {error.Message}{hint}");
    }

    private void WriteDeviceMetrics(SampleBatch batch, SnmpValue[] scalar, List<VarBind>[] rows, uint uptime, long ns)
    {
        for (var i = 0; i < _deviceMetrics.Length; i++)
        {
            var m = _deviceMetrics[i];
            double? value = m.Compute switch
            {
                SnmpDeviceCompute.Value => Number(scalar[_getIndex[m.Oid]]),
                SnmpDeviceCompute.Average => Aggregate(rows[_columnIndex[m.Oid]], average: true),
                SnmpDeviceCompute.Max => Aggregate(rows[_columnIndex[m.Oid]], average: false),
                SnmpDeviceCompute.UsedFree => UsedFree(Number(scalar[_getIndex[m.Operands[0]]]), Number(scalar[_getIndex[m.Other]])),
                SnmpDeviceCompute.TotalAvailable => TotalAvailable(Number(scalar[_getIndex[m.Operands[0]]]), Number(scalar[_getIndex[m.Other]])),
                SnmpDeviceCompute.CpuTicks => CpuTicks(i, m, scalar, uptime),
                SnmpDeviceCompute.HrStorageRam => RamPercent(rows),
                SnmpDeviceCompute.EntitySensor => EntitySensor(rows, m.SensorType),
                _ => null,
            };
            if (value is { } v && double.IsFinite(v))
            {
                batch.Add(_deviceSeries[i], ns, m.Compute is SnmpDeviceCompute.Value or SnmpDeviceCompute.Average or SnmpDeviceCompute.Max or SnmpDeviceCompute.EntitySensor ? v * m.Scale : v);
            }
        }
    }

    private double? CpuTicks(int metric, SnmpDeviceMetric m, SnmpValue[] scalar, uint uptime)
    {
        ulong busy = 0;
        foreach (var o in m.Operands)
        {
            if (Number(scalar[_getIndex[o]]) is not { } b)
            {
                return null;
            }

            busy += (ulong)b;
        }

        if (Number(scalar[_getIndex[m.Other]]) is not { } idle)
        {
            return null;
        }

        // the sum of several Counter32 wraps like a Counter32 only when taken modulo 2^32
        var states = _cpuTicks[metric];
        var okBusy = states[0].Next(busy & uint.MaxValue, uptime, is64Bit: false, out var busyRate);
        var okIdle = states[1].Next((ulong)idle & uint.MaxValue, uptime, is64Bit: false, out var idleRate);
        if (!okBusy || !okIdle || busyRate + idleRate <= 0)
        {
            return null;
        }

        return Math.Clamp(100 * busyRate / (busyRate + idleRate), 0, 100);
    }

    private double? RamPercent(List<VarBind>[] rows)
    {
        var types = rows[_columnIndex[HrStorageType]];
        var sizes = ByIndex(rows[_columnIndex[HrStorageSize]], HrStorageSize);
        var used = ByIndex(rows[_columnIndex[HrStorageUsed]], HrStorageUsed);
        double size = 0, usage = 0;
        foreach (var vb in types)
        {
            if (vb.Value.Type != SnmpValueType.ObjectIdentifier || vb.Value.AsOid() != HrStorageRam || RowIndex(vb.Oid, HrStorageType) is not { } index)
            {
                continue;
            }

            if (sizes.TryGetValue(index, out var s) && used.TryGetValue(index, out var u))
            {
                size += s;
                usage += u;
            }
        }

        return size > 0 ? Math.Clamp(100 * usage / size, 0, 100) : null;
    }

    /// <summary>The largest reading of the sensors of one type, each as value × 10^(3 × (scale − 9)) / 10^precision (RFC 3433).</summary>
    private double? EntitySensor(List<VarBind>[] rows, EntitySensorType type)
    {
        var scales = ByIndex(rows[_columnIndex[EntPhySensorScale]], EntPhySensorScale);
        var precisions = ByIndex(rows[_columnIndex[EntPhySensorPrecision]], EntPhySensorPrecision);
        var values = ByIndex(rows[_columnIndex[EntPhySensorValue]], EntPhySensorValue);
        var status = ByIndex(rows[_columnIndex[EntPhySensorOperStatus]], EntPhySensorOperStatus);
        double? best = null;
        foreach (var vb in rows[_columnIndex[EntPhySensorType]])
        {
            if (Number(vb.Value) is not { } t || (int)t != (int)type || RowIndex(vb.Oid, EntPhySensorType) is not { } index
                || !values.TryGetValue(index, out var raw) || (status.TryGetValue(index, out var ok) && ok != 1))
            {
                continue;
            }

            // scale: units(9) = 10^0, milli(8) = 10^-3, kilo(10) = 10^3; precision: decimal places in the value
            var scale = scales.TryGetValue(index, out var sc) ? sc : 9;
            var precision = precisions.TryGetValue(index, out var pr) ? pr : 0;
            var reading = raw * Math.Pow(10, (3 * (scale - 9)) - precision);
            best = best is { } b ? Math.Max(b, reading) : reading;
        }

        return best;
    }

    private void WritePortMetrics(SampleBatch batch, List<VarBind>[] rows, uint uptime, long ns)
    {
        if (_portMetrics.Length == 0)
        {
            return;
        }

        if (_map is null || ++_pollsSinceMap >= RemapEveryPolls)
        {
            _map = BuildMap(rows);
            _pollsSinceMap = 0;
        }

        for (var mi = 0; mi < _portMetrics.Length; mi++)
        {
            var m = _portMetrics[mi];
            var column = rows[_columnIndex[m.Column]];
            var outs = m.Compute == SnmpPortCompute.Utilisation ? ByIndexRaw(rows[_columnIndex[m.Out]], m.Out) : null;
            var speeds = m.Compute == SnmpPortCompute.Utilisation ? ByIndex(rows[_columnIndex[m.Speed]], m.Speed) : null;
            var highSpeeds = m.Compute == SnmpPortCompute.Utilisation && !m.HighSpeed.IsEmpty ? ByIndex(rows[_columnIndex[m.HighSpeed]], m.HighSpeed) : null;
            foreach (var vb in column)
            {
                if (RowIndex(vb.Oid, m.Column) is not { } ifIndex || !_map.TryGetValue(ifIndex, out var port) || !_portSlot.TryGetValue(port, out var slot))
                {
                    continue;
                }

                var series = _portSeries[mi][slot];
                switch (m.Compute)
                {
                    case SnmpPortCompute.Value:
                        if (Number(vb.Value) is { } value)
                        {
                            batch.Add(series, ns, value);
                        }

                        break;
                    case SnmpPortCompute.BitRate or SnmpPortCompute.Rate:
                        if (Counter(vb.Value, out var raw, out var is64) && _inState[mi][slot].Next(raw, uptime, is64, out var rate))
                        {
                            batch.Add(series, ns, m.Compute == SnmpPortCompute.BitRate ? rate * 8 : rate);
                        }

                        break;
                    case SnmpPortCompute.Utilisation:
                        if (!Counter(vb.Value, out var inRaw, out var in64) || !outs!.TryGetValue(ifIndex, out var outValue) || !Counter(outValue, out var outRaw, out var out64))
                        {
                            break;
                        }

                        var okIn = _inState[mi][slot].Next(inRaw, uptime, in64, out var inRate);
                        var okOut = _outState[mi][slot].Next(outRaw, uptime, out64, out var outRate);
                        var bits = (highSpeeds is not null && highSpeeds.TryGetValue(ifIndex, out var high) && high > 0 ? high * 1_000_000 : 0)
                            is var hs && hs > 0 ? hs : (speeds!.TryGetValue(ifIndex, out var speed) ? speed : 0);
                        if (okIn && okOut && bits > 0)
                        {
                            batch.Add(series, ns, Utilisation(inRate * 8, outRate * 8, bits));
                        }

                        break;
                }
            }
        }
    }

    private Dictionary<uint, int> BuildMap(List<VarBind>[] rows)
    {
        IEnumerable<(uint, string)> names;
        if (_nameColumn >= 0)
        {
            names = rows[_nameColumn].Select(vb => (RowIndex(vb.Oid, _columns[_nameColumn]) ?? 0u, vb.Value.Type == SnmpValueType.OctetString ? vb.Value.AsText() : string.Empty))
                .Where(r => r.Item1 != 0).ToList();
        }
        else
        {
            var first = _portMetrics[0].Column;
            names = rows[_columnIndex[first]].Select(vb => (RowIndex(vb.Oid, first) ?? 0u, string.Empty)).Where(r => r.Item1 != 0).ToList();
        }

        return PortMapper.Map(_device.Model.Ports, names, _profile.PortMatch, _profile.PortIndexOffset);
    }

    /// <summary>100 × the busier direction over the port's speed, capped at 100 (RFC 2863's counters include framing the speed may not).</summary>
    public static double Utilisation(double inBitsPerSecond, double outBitsPerSecond, double speedBitsPerSecond) =>
        speedBitsPerSecond <= 0 ? 0 : Math.Clamp(100 * Math.Max(inBitsPerSecond, outBitsPerSecond) / speedBitsPerSecond, 0, 100);

    /// <summary>100 × used / (used + free).</summary>
    public static double? UsedFree(double? used, double? free) =>
        used is { } u && free is { } f && u + f > 0 ? 100 * u / (u + f) : null;

    /// <summary>100 × (total − available) / total.</summary>
    public static double? TotalAvailable(double? total, double? available) =>
        total is { } t && available is { } a && t > 0 ? Math.Clamp(100 * (t - a) / t, 0, 100) : null;

    private static double? Aggregate(List<VarBind> rows, bool average)
    {
        double sum = 0, max = double.MinValue;
        var n = 0;
        foreach (var vb in rows)
        {
            if (Number(vb.Value) is { } v)
            {
                sum += v;
                max = Math.Max(max, v);
                n++;
            }
        }

        return n == 0 ? null : average ? sum / n : max;
    }

    private static double? Number(SnmpValue value) => value.IsNumeric ? value.AsDouble() : null;

    private static bool Counter(SnmpValue value, out ulong raw, out bool is64)
    {
        switch (value.Type)
        {
            case SnmpValueType.Counter64:
                raw = value.AsUInt64();
                is64 = true;
                return true;
            case SnmpValueType.Counter32 or SnmpValueType.Gauge32 or SnmpValueType.TimeTicks:
                raw = value.AsUInt32();
                is64 = false;
                return true;
            default:
                raw = 0;
                is64 = false;
                return false;
        }
    }

    /// <summary>The single-arc row index after a column OID (ifIndex, hrStorageIndex, entPhysicalIndex).</summary>
    internal static uint? RowIndex(Oid oid, Oid column) =>
        oid.Length == column.Length + 1 && oid.StartsWith(column) ? oid.Arcs[^1] : null;

    private static Dictionary<uint, double> ByIndex(List<VarBind> rows, Oid column)
    {
        var map = new Dictionary<uint, double>(rows.Count);
        foreach (var vb in rows)
        {
            if (RowIndex(vb.Oid, column) is { } index && Number(vb.Value) is { } v)
            {
                map[index] = v;
            }
        }

        return map;
    }

    private static Dictionary<uint, SnmpValue> ByIndexRaw(List<VarBind> rows, Oid column)
    {
        var map = new Dictionary<uint, SnmpValue>(rows.Count);
        foreach (var vb in rows)
        {
            if (RowIndex(vb.Oid, column) is { } index)
            {
                map[index] = vb.Value;
            }
        }

        return map;
    }
}
