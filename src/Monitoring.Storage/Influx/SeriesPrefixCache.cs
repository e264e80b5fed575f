using System.Buffers;
using System.Text;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;

namespace Monitoring.Storage.Influx;

/// <summary>
/// The line-protocol prefix of every series (<c>measurement,tag=value,... field=</c>), encoded once per series id
/// and kept, so encoding a point copies bytes and formats two numbers. Not thread-safe: one encoder thread uses it.
/// Schema (docs/INFLUXDB.md): the metric <c>cpu.usage</c> becomes measurement <c>cpu</c>, field <c>usage</c>; inventory
/// series carry the tags device, model, name, port, rack, room (sorted by key, empty ones left out); free-form series
/// keep the measurement and tags they arrived with.
/// </summary>
public sealed class SeriesPrefixCache(SeriesRegistry registry, Inventory? inventory)
{
    private byte[]?[] _prefixes = new byte[]?[1024];

    /// <summary>The prefix of a series, built the first time it is asked for.</summary>
    public ReadOnlySpan<byte> Get(int seriesId)
    {
        if ((uint)seriesId < (uint)_prefixes.Length && _prefixes[seriesId] is { } cached)
        {
            return cached;
        }

        return Build(seriesId);
    }

    private byte[] Build(int seriesId)
    {
        if (seriesId >= _prefixes.Length)
        {
            Array.Resize(ref _prefixes, Math.Max(seriesId + 1, _prefixes.Length * 2));
        }

        var prefix = Encode(registry[seriesId], inventory);
        _prefixes[seriesId] = prefix;
        return prefix;
    }

    /// <summary>Encodes the prefix of one series.</summary>
    public static byte[] Encode(SeriesInfo info, Inventory? inventory)
    {
        ArgumentNullException.ThrowIfNull(info);
        var writer = new ArrayBufferWriter<byte>(128);
        string field;
        if (info.IsFreeForm)
        {
            // the canonical key is measurement and tags as line protocol writes them (already escaped)
            var key = info.FreeFormKey!;
            var measurement = UnescapedMeasurement(key);
            field = info.Metric.Length > measurement.Length + 1 && info.Metric.StartsWith(measurement, StringComparison.Ordinal)
                ? info.Metric[(measurement.Length + 1)..]
                : "value";
            Encoding.UTF8.GetBytes(key, writer);
        }
        else
        {
            var dot = info.Metric.IndexOf('.', StringComparison.Ordinal);
            var measurement = dot > 0 ? info.Metric[..dot] : info.Metric;
            field = dot > 0 && dot < info.Metric.Length - 1 ? info.Metric[(dot + 1)..] : "value";
            LineProtocolEncoder.WriteMeasurement(writer, measurement);
            var device = inventory is not null && info.DeviceIndex < inventory.Devices.Count ? inventory.Devices[info.DeviceIndex] : null;
            if (device is not null)
            {
                var port = info.PortIndex >= 0 ? device.Model.FindPort(info.PortIndex)?.Name ?? info.PortIndex.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
                Tag(writer, "device", device.Id);
                Tag(writer, "model", device.Model.Id);
                Tag(writer, "name", device.Name);
                Tag(writer, "port", port);
                Tag(writer, "rack", device.RackId);
                Tag(writer, "room", device.RoomId);
            }
            else
            {
                Tag(writer, "device", "#" + info.DeviceIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Tag(writer, "port", info.PortIndex >= 0 ? info.PortIndex.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
            }
        }

        writer.Write(" "u8);
        LineProtocolEncoder.WriteKey(writer, field);
        writer.Write("="u8);
        return writer.WrittenSpan.ToArray();
    }

    private static void Tag(ArrayBufferWriter<byte> writer, string key, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        writer.Write(","u8);
        LineProtocolEncoder.WriteKey(writer, key);
        writer.Write("="u8);
        LineProtocolEncoder.WriteKey(writer, value);
    }

    private static string UnescapedMeasurement(string key)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c == '\\' && i + 1 < key.Length && key[i + 1] is ',' or ' ')
            {
                builder.Append(key[++i]);
                continue;
            }

            if (c == ',' || c == ' ')
            {
                break;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
