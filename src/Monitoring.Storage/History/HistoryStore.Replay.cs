using System.Runtime.InteropServices;
using Monitoring.Storage.History.Tsdb;

namespace Monitoring.Storage.History;

/// <summary>A stored inventory series: its history id and what it measures (device, metric, port index or -1).</summary>
public sealed record StoredSeries(int Id, string DeviceId, string Metric, int Port);

/// <summary>One raw sample read back from the history.</summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct HistorySample(long TimestampNs, double Value);

/// <summary>
/// Reading many series at once, for the replay of a room: every file (hour block, segment) is opened and its index read
/// once for all the series asked, rather than once per series as <see cref="QueryAsync"/> does.
/// </summary>
public sealed partial class HistoryStore
{
    /// <summary>The inventory series stored for these devices (whatever their metric), from the series catalog.</summary>
    public async Task<IReadOnlyList<StoredSeries>> ListDeviceSeriesAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        var wanted = deviceIds as IReadOnlySet<string> ?? new HashSet<string>(deviceIds, StringComparer.Ordinal);
        var result = new List<StoredSeries>();
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.Command("SELECT id, device_id, metric, port FROM history_series WHERE device_id IS NOT NULL ORDER BY id");
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var device = reader.GetString(1);
            if (wanted.Contains(device))
            {
                result.Add(new StoredSeries(checked((int)reader.GetInt64(0)), device, reader.GetString(2), checked((int)reader.GetInt64(3))));
            }
        }

        return result;
    }

    /// <summary>
    /// The raw samples of each series in [<paramref name="from"/>, <paramref name="to"/>), in time order (a duplicate
    /// timestamp keeping the last arrival), read from the hour blocks, the segments and the head like a raw query.
    /// Series with no sample in the range are absent from the answer.
    /// </summary>
    public Dictionary<int, List<HistorySample>> ReadRawMany(IReadOnlyCollection<int> seriesIds, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        ReadRawMany(seriesIds, ToNs(from), ToNs(to), cancellationToken);

    /// <summary><see cref="ReadRawMany(IReadOnlyCollection{int}, DateTimeOffset, DateTimeOffset, CancellationToken)"/> in Unix nanoseconds.</summary>
    public Dictionary<int, List<HistorySample>> ReadRawMany(IReadOnlyCollection<int> seriesIds, long fromNs, long toNs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seriesIds);
        EnsureOpen();
        var sorted = seriesIds.Distinct().Order().ToArray();
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var raw = ReadRawManyOnce(sorted, fromNs, toNs, _files, cancellationToken);
                var result = new Dictionary<int, List<HistorySample>>(raw.Count);
                foreach (var (id, points) in raw)
                {
                    var ordered = SortAndDeduplicate(points);
                    if (ordered.Count > 0)
                    {
                        result[id] = ordered.ConvertAll(p => new HistorySample(p.TimestampNs, p.Value));
                    }
                }

                return result;
            }
            catch (FileNotFoundException) when (attempt < 3)
            {
                // a compaction or the retention replaced a file after this read took its list: read the new list
            }
        }
    }

    /// <summary>
    /// The last sample at or before <paramref name="at"/> of each series, looking back no further than
    /// <paramref name="notBefore"/>: hour by hour backwards, each series dropped from the search once found.
    /// </summary>
    public Dictionary<int, HistorySample> LastAtOrBefore(IReadOnlyCollection<int> seriesIds, DateTimeOffset at, DateTimeOffset notBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seriesIds);
        var result = new Dictionary<int, HistorySample>();
        var remaining = new HashSet<int>(seriesIds);
        var endNs = ToNs(at) + 1; // at itself is included
        var floorNs = ToNs(notBefore);
        for (var window = Floor(endNs - 1, Window); remaining.Count > 0 && window + Window > floorNs; window -= Window)
        {
            var from = Math.Max(window, floorNs);
            var to = Math.Min(window + Window, endNs);
            var found = ReadRawMany(remaining, from, to, cancellationToken);
            foreach (var (id, points) in found)
            {
                result[id] = points[^1];
                remaining.Remove(id);
            }
        }

        return result;
    }

    private Dictionary<int, List<RawPoint>> ReadRawManyOnce(int[] sorted, long from, long to, FileSet files, CancellationToken cancellationToken)
    {
        var points = new Dictionary<int, List<RawPoint>>();
        List<RawPoint> For(int id)
        {
            if (!points.TryGetValue(id, out var list))
            {
                points[id] = list = [];
            }

            return list;
        }

        for (var window = Floor(from, Window); window < to; window += Window)
        {
            if (files.Raw.TryGetValue(window, out var block))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var handle = File.OpenHandle(block.Path);
                ChunkFileWriter.ReadMany(handle, block.Header, sorted, (id, count, bytes) => SampleChunkWriter.Decode(bytes, count, from, to, For(id)));
            }
        }

        var decoded = new List<RawPoint>();
        foreach (var segment in files.Segments)
        {
            if (segment.Header.MaxTs < from || segment.Header.MinTs >= to)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            using var handle = File.OpenHandle(segment.Path);
            ChunkFileWriter.ReadMany(handle, segment.Header, sorted, (id, count, bytes) =>
            {
                decoded.Clear();
                SampleChunkWriter.Decode(bytes, count, from, to, decoded);
                List<RawPoint>? list = null;
                foreach (var p in decoded)
                {
                    // what an hour's block already absorbed is read from the block
                    if (segment.Seq > Absorbed(files, null, Floor(p.TimestampNs, Window)))
                    {
                        (list ??= For(id)).Add(p);
                    }
                }
            });
        }

        var heads = new List<(int Id, byte[] Bytes, int Count)>();
        lock (_headGate)
        {
            foreach (var id in sorted)
            {
                if (_registryByDbId.TryGetValue(id, out var registryId) && _head[registryId] is { Count: > 0 } chunk)
                {
                    heads.Add((id, chunk.Bytes.ToArray(), chunk.Count));
                }
            }
        }

        foreach (var (id, bytes, count) in heads)
        {
            SampleChunkWriter.Decode(bytes, count, from, to, For(id));
        }

        return points;
    }
}
