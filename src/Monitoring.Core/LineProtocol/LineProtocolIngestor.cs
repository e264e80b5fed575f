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

    private readonly Inventory.Inventory _inventory;
    private readonly SeriesRegistry _registry;
    private readonly PortLookup?[] _ports;

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
        var samples = 0;
        char[] chars = ArrayPool<char>.Shared.Rent(1024);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(512);
        var reader = new LineProtocolReader(body, precision, nowNs);
        try
        {
            while (reader.Read())
            {
                var error = reader.Error;
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

                    error = IngestLine(ref reader, chars, bytes, into, ref samples);
                }

                if (error is null)
                {
                    lines++;
                    continue;
                }

                rejected++;
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
        return new IngestResult(lines, samples, rejected, reported);
    }

    /// <summary>Adds one valid line's samples; returns why the line is refused instead (before adding anything), or null.</summary>
    private string? IngestLine(ref LineProtocolReader reader, char[] chars, byte[] bytes, SampleBatch into, ref int samples)
    {
        // chars: [0, lineLength] metric "measurement.field"; then device id, port, free-form key, each at most a line long
        var lineLength = reader.Line.Length;
        var metric = chars.AsSpan(0, lineLength + 1);
        var scratch = chars.AsSpan(lineLength + 1);
        var measurementLength = LineProtocolEscaping.UnescapeToChars(reader.Measurement, LineProtocolElement.Measurement, metric);
        metric[measurementLength++] = '.';

        var deviceIndex = -1;
        var portIndex = -1;
        if (reader.TryGetTag("device"u8, out var deviceTag))
        {
            var idLength = LineProtocolEscaping.UnescapeToChars(deviceTag.Value, LineProtocolElement.Name, scratch);
            if (_inventory.TryFindDevice(scratch[..idLength], out var device))
            {
                deviceIndex = device.Index;
                if (reader.TryGetTag("port"u8, out var portTag))
                {
                    var portLength = LineProtocolEscaping.UnescapeToChars(portTag.Value, LineProtocolElement.Name, scratch);
                    var port = scratch[..portLength];
                    var ports = _ports[deviceIndex];
                    if (ports is null || !ports.TryFind(port, out portIndex))
                    {
                        return $"device '{device.Id}' (model {device.Model.Id}) has no port '{port}'";
                    }
                }
            }
        }

        var keyLength = 0;
        if (deviceIndex < 0)
        {
            keyLength = WriteCanonicalKey(ref reader, bytes, scratch);
        }

        var key = scratch[..keyLength];
        var timestamp = reader.TimestampNs;
        for (var f = 0; f < reader.FieldCount; f++)
        {
            var field = reader.GetField(f);
            if (!field.IsNumeric)
            {
                continue;
            }

            var nameLength = LineProtocolEscaping.UnescapeToChars(field.Key, LineProtocolElement.Name, metric[measurementLength..]);
            var name = metric[..(measurementLength + nameLength)];
            var id = deviceIndex >= 0
                ? _registry.GetOrAdd(deviceIndex, name, portIndex)
                : _registry.GetOrAddFreeForm(key, name);
            into.Add(id, timestamp, field.ToDouble());
            samples++;
        }

        return null;
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
