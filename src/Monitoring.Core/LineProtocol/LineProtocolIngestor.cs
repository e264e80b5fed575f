using System.Buffers;
using System.Text;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;

namespace Monitoring.Core.LineProtocol;

/// <summary>
/// Turns a line-protocol body into samples. Every numeric or boolean field of every valid line becomes a
/// <see cref="Sample"/> ("measurement.field", true = 1, false = 0; string fields are accepted and produce none).
/// A <c>device</c> tag naming an inventory device puts the samples on that device, and its <c>port</c> tag (a port
/// index such as <c>12</c> or a port name of the model such as <c>GE1/0/12</c>) on that port; the other tags of
/// such a line are not part of the series. Lines without a <c>device</c> tag, or naming a device the inventory does
/// not have, become free-form series keyed by measurement and sorted tag set. Malformed lines are reported and
/// skipped; the rest of the body is kept. Once the series are interned, ingesting allocates nothing per line.
/// Thread-safe: any number of requests may ingest at once.
/// </summary>
public sealed class LineProtocolIngestor
{
    /// <summary>At most this many errors are kept in <see cref="IngestResult.Errors"/>; all are counted.</summary>
    public const int MaxReportedErrors = 100;

    private const int MaxStackTags = 64;
    private const int MaxStackFields = 64;

    private readonly Inventory.Inventory _inventory;
    private readonly SeriesRegistry _registry;
    private readonly PortLookup?[] _ports;
    private Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>>? _measurementDevices;

    public LineProtocolIngestor(Inventory.Inventory inventory, SeriesRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(registry);
        _inventory = inventory;
        _registry = registry;
        var byModel = new Dictionary<DeviceModel, PortLookup>(ReferenceEqualityComparer.Instance);
        _ports = new PortLookup?[inventory.Devices.Count];
        foreach (var device in inventory.Devices)
        {
            if (!byModel.TryGetValue(device.Model, out var lookup))
            {
                lookup = new PortLookup(device.Model);
                byModel.Add(device.Model, lookup);
            }

            _ports[device.Index] = lookup;
        }
    }

    /// <summary>
    /// Measurements whose lines without a <c>device</c> tag belong to one inventory device (issue 23: <c>security</c>, pushed by
    /// security tools, onto the room's security-posture device), as measurement → device id. Set at start; a device id the
    /// inventory does not have is left out (returned by <see cref="MapMeasurements"/>).
    /// </summary>
    public IReadOnlyList<string> MapMeasurements(IReadOnlyDictionary<string, string> measurementDevices)
    {
        ArgumentNullException.ThrowIfNull(measurementDevices);
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var (measurement, deviceId) in measurementDevices)
        {
            if (_inventory.FindDevice(deviceId) is { Training: false } device)
            {
                map[measurement] = device.Index;
            }
            else
            {
                unknown.Add(deviceId);
            }
        }

        _measurementDevices = map.Count == 0 ? null : map.GetAlternateLookup<ReadOnlySpan<char>>();
        return unknown;
    }

    /// <summary>The bounds every write keeps (sizes, how far ahead of the clock, new series per request); settable at start.</summary>
    public IngestLimits Limits { get; set; } = IngestLimits.Default;

    /// <summary>Adds the samples of <paramref name="body"/> to <paramref name="into"/>.</summary>
    /// <param name="body">UTF-8 line protocol.</param>
    /// <param name="precision">Unit of the body's timestamps.</param>
    /// <param name="nowNs">Unix nanoseconds for lines without a timestamp.</param>
    /// <param name="into">Receives one sample per numeric or boolean field of each valid line.</param>
    public IngestResult Ingest(ReadOnlySpan<byte> body, TimestampPrecision precision, long nowNs, SampleBatch into)
    {
        ArgumentNullException.ThrowIfNull(into);
        List<LineProtocolError>? errors = null;
        var rejected = 0;
        var lines = 0;
        var tally = new Tally { Limits = Limits, NowNs = nowNs };
        tally.LatestNs = nowNs > long.MaxValue - tally.Limits.MaxFutureNs ? long.MaxValue : nowNs + tally.Limits.MaxFutureNs;
        char[] chars = ArrayPool<char>.Shared.Rent(1024);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(512);
        var reader = new LineProtocolReader(body, precision, nowNs, tally.Limits.Line);
        try
        {
            while (reader.Read())
            {
                var error = reader.Error;
                var kind = reader.ErrorKind;
                if (error is null)
                {
                    var length = reader.Line.Length;
                    if (chars.Length < (3 * length) + 2)
                    {
                        ArrayPool<char>.Shared.Return(chars);
                        chars = ArrayPool<char>.Shared.Rent((3 * length) + 2);
                    }

                    if (bytes.Length < length)
                    {
                        ArrayPool<byte>.Shared.Return(bytes);
                        bytes = ArrayPool<byte>.Shared.Rent(length);
                    }

                    error = IngestLine(ref reader, chars, bytes, into, ref tally, out kind);
                }

                if (error is null)
                {
                    lines++;
                    continue;
                }

                rejected++;
                switch (kind)
                {
                    case LineProtocolErrorKind.Future:
                        tally.Future++;
                        break;
                    case LineProtocolErrorKind.Limit:
                        tally.OverLimits++;
                        break;
                    case LineProtocolErrorKind.Cardinality:
                        tally.OverCardinality++;
                        break;
                    default:
                        break;
                }

                if (rejected <= MaxReportedErrors)
                {
                    (errors ??= []).Add(new LineProtocolError(reader.LineNumber, error));
                }
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
        }

        IReadOnlyList<LineProtocolError> reported = errors is null ? Array.Empty<LineProtocolError>() : errors;
        return new IngestResult(lines, tally.Samples, rejected, reported)
        {
            FreeFormLines = tally.FreeForm,
            UnknownDeviceLines = tally.UnknownDevice,
            FirstUnknownDevice = tally.FirstUnknownDevice,
            LinesInFuture = tally.Future,
            LinesOverLimits = tally.OverLimits,
            LinesOverCardinality = tally.OverCardinality,
            NewSeries = tally.NewSeries,
        };
    }

    /// <summary>Adds one valid line's samples; returns why the line is refused instead (before adding anything), or null.</summary>
    private string? IngestLine(ref LineProtocolReader reader, char[] chars, byte[] bytes, SampleBatch into, ref Tally tally, out LineProtocolErrorKind kind)
    {
        kind = LineProtocolErrorKind.None;
        var timestamp = reader.TimestampNs;
        if (reader.HasTimestamp && timestamp > tally.LatestNs)
        {
            kind = LineProtocolErrorKind.Future;
            return FutureMessage(timestamp, tally.NowNs, tally.Limits.MaxFutureNs);
        }

        // chars: [0, lineLength] metric "measurement.field"; then device id, port, free-form key, each at most a line long
        var lineLength = reader.Line.Length;
        var metric = chars.AsSpan(0, lineLength + 1);
        var scratch = chars.AsSpan(lineLength + 1);
        var measurementLength = LineProtocolEscaping.UnescapeToChars(reader.Measurement, LineProtocolElement.Measurement, metric);
        var measurementOnly = measurementLength;
        metric[measurementLength++] = '.';

        var deviceIndex = -1;
        var portIndex = -1;
        var unknownDevice = false;
        if (reader.TryGetTag("device"u8, out var deviceTag))
        {
            var idLength = LineProtocolEscaping.UnescapeToChars(deviceTag.Value, LineProtocolElement.Name, scratch);
            if (_inventory.TryFindDevice(scratch[..idLength], out var device))
            {
                if (device.Training)
                {
                    kind = LineProtocolErrorKind.Model;
                    return $"device '{device.Id}' is in training room '{device.RoomId}': the live server takes no samples for a training room";
                }

                deviceIndex = device.Index;
                if (reader.TryGetTag("port"u8, out var portTag))
                {
                    var portLength = LineProtocolEscaping.UnescapeToChars(portTag.Value, LineProtocolElement.Name, scratch);
                    var port = scratch[..portLength];
                    var ports = _ports[deviceIndex];
                    if (ports is null || !ports.TryFind(port, out portIndex))
                    {
                        kind = LineProtocolErrorKind.Model;
                        return $"device '{device.Id}' (model {device.Model.Id}) has no port '{port}'";
                    }
                }
            }
            else
            {
                unknownDevice = true;
                tally.FirstUnknownDevice ??= scratch[..idLength].ToString();
            }
        }

        if (deviceIndex < 0 && !unknownDevice && _measurementDevices is { } mapped && mapped.TryGetValue(metric[..measurementOnly], out var owner))
        {
            deviceIndex = owner; // e.g. security,source=edr av_coverage=97.5 onto the security-posture device
        }

        var keyLength = 0;
        if (deviceIndex < 0)
        {
            keyLength = WriteCanonicalKey(ref reader, bytes, scratch);
        }

        var key = scratch[..keyLength];
        var fieldCount = reader.FieldCount;
        int[]? rented = null;
        var ids = fieldCount <= MaxStackFields ? stackalloc int[MaxStackFields] : (rented = ArrayPool<int>.Shared.Rent(fieldCount));
        try
        {
            // every series first, so a line refused by a cap adds no sample
            var numeric = 0;
            for (var f = 0; f < fieldCount; f++)
            {
                var field = reader.GetField(f);
                if (!field.IsNumeric)
                {
                    continue;
                }

                var nameLength = LineProtocolEscaping.UnescapeToChars(field.Key, LineProtocolElement.Name, metric[measurementLength..]);
                var name = metric[..(measurementLength + nameLength)];
                var known = deviceIndex >= 0 ? _registry.TryGet(deviceIndex, name, portIndex, out var id) : _registry.TryGetFreeForm(key, name, out id);
                if (!known)
                {
                    if (tally.NewSeries >= tally.Limits.MaxNewSeriesPerRequest)
                    {
                        kind = LineProtocolErrorKind.Limit;
                        return $"the request already created {tally.NewSeries} new series, the limit per request (MaxNewSeriesPerRequest): send the rest in another request";
                    }

                    var admission = deviceIndex >= 0
                        ? _registry.TryGetOrAdd(deviceIndex, name, portIndex, measurementOnly, out id)
                        : _registry.TryGetOrAddFreeForm(key, name, measurementOnly, out id);
                    if (admission != SeriesAdmission.Admitted)
                    {
                        kind = LineProtocolErrorKind.Cardinality;
                        return admission == SeriesAdmission.OverTotalLimit
                            ? $"series cardinality limit reached: the server holds {_registry.Count} series, the limit (MaxSeries) is {_registry.MaxSeries}; '{name}' is not created"
                            : $"series cardinality limit reached for measurement '{metric[..measurementOnly]}': {_registry.MaxSeriesPerMeasurement} series (MaxSeriesPerMeasurement); '{name}' is not created";
                    }

                    tally.NewSeries++;
                }

                ids[numeric++] = id;
            }

            numeric = 0;
            for (var f = 0; f < fieldCount; f++)
            {
                var field = reader.GetField(f);
                if (field.IsNumeric)
                {
                    into.Add(ids[numeric++], timestamp, field.ToDouble());
                }
            }

            tally.Samples += numeric;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }

        if (deviceIndex < 0)
        {
            tally.FreeForm++;
            if (unknownDevice)
            {
                tally.UnknownDevice++;
            }
        }

        return null;
    }

    private static string FutureMessage(long timestampNs, long nowNs, long maxFutureNs)
    {
        var at = DateTimeOffset.UnixEpoch.AddTicks(timestampNs / 100);
        var ahead = TimeSpan.FromTicks((timestampNs / 100) - (nowNs / 100));
        var howFar = ahead.TotalDays >= 2 ? $"{Math.Floor(ahead.TotalDays):0} days"
            : ahead.TotalHours >= 2 ? $"{Math.Floor(ahead.TotalHours):0} hours"
            : $"{Math.Ceiling(ahead.TotalMinutes):0} minutes";
        return string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"timestamp {at:yyyy-MM-dd'T'HH:mm:ss'Z'} is {howFar} ahead of the server's clock, more than the {maxFutureNs / 1_000_000_000} s allowed (MaxFutureSeconds)");
    }

    /// <summary>
    /// Writes "measurement,k1=v1,k2=v2" with the tags sorted by key (bytewise, as InfluxDB sorts them), kept escaped so
    /// the key is itself valid line protocol and two different tag sets never make the same key.
    /// </summary>
    private static int WriteCanonicalKey(ref LineProtocolReader reader, byte[] bytes, Span<char> destination)
    {
        var tagCount = reader.TagCount;
        var order = tagCount <= MaxStackTags ? stackalloc int[MaxStackTags] : new int[tagCount];
        order = order[..tagCount];
        for (var i = 0; i < tagCount; i++)
        {
            order[i] = i;
            var key = reader.GetTag(i).Key;
            var j = i;
            while (j > 0 && reader.GetTag(order[j - 1]).Key.SequenceCompareTo(key) > 0)
            {
                order[j] = order[j - 1];
                j--;
            }

            order[j] = i;
        }

        var measurement = reader.Measurement;
        measurement.CopyTo(bytes);
        var length = measurement.Length;
        foreach (var index in order)
        {
            var tag = reader.GetTag(index);
            bytes[length++] = (byte)',';
            tag.Key.CopyTo(bytes.AsSpan(length));
            length += tag.Key.Length;
            bytes[length++] = (byte)'=';
            tag.Value.CopyTo(bytes.AsSpan(length));
            length += tag.Value.Length;
        }

        return Encoding.UTF8.GetChars(bytes.AsSpan(0, length), destination);
    }

    /// <summary>What one write has done so far.</summary>
    private struct Tally
    {
        public IngestLimits Limits;
        public long NowNs;
        public long LatestNs;
        public int Samples;
        public int NewSeries;
        public int FreeForm;
        public int UnknownDevice;
        public string? FirstUnknownDevice;
        public int Future;
        public int OverLimits;
        public int OverCardinality;
    }

    /// <summary>A model's ports by index and by name (names compared ignoring case), for allocation-free look-ups.</summary>
    private sealed class PortLookup
    {
        private readonly HashSet<int> _indexes = [];
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _byName;

        public PortLookup(DeviceModel model)
        {
            var byName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            foreach (var port in model.Ports)
            {
                _indexes.Add(port.Index);
                byName.TryAdd(port.Name, port.Index);
            }

            _byName = byName.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public bool TryFind(ReadOnlySpan<char> port, out int index)
        {
            if (int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index) && _indexes.Contains(index))
            {
                return true;
            }

            return _byName.TryGetValue(port, out index);
        }
    }
}
