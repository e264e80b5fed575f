using System.Globalization;
using Monitoring.Storage.History.Tsdb;

namespace Monitoring.Storage.History;

/// <summary>Compaction of closed hours into blocks and rollup files, and retention by whole files.</summary>
public sealed partial class HistoryStore
{
    /// <summary>
    /// Compacts the oldest segments whose samples all lie in closed hours (an hour is closed <see cref="CompactionGrace"/>
    /// after it ends): per hour, one block file of series-sorted chunks (time-sorted, duplicates resolved) and its 1-minute
    /// and 1-hour rollups, each written once; then the segments are deleted. Segments go in order: one that still holds
    /// an open hour waits, and so do the later ones. Returns the segments compacted.
    /// </summary>
    public async Task<int> CompactAsync(CancellationToken cancellationToken)
    {
        await _maintenanceGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Compact();
        }
        finally
        {
            _maintenanceGate.Release();
        }
    }

    private int Compact()
    {
        EnsureOpen();
        var files = _files;
        var now = ToNs(_time.GetUtcNow());
        var closedBefore = Floor(now - (CompactionGrace.Ticks * 100), Window);
        var prefix = files.Segments.TakeWhile(s => s.Header.MaxTs < closedBefore).ToArray();
        if (prefix.Length == 0)
        {
            return 0;
        }

        var absorbed = prefix[^1].Seq;
        var lsn = prefix.Max(s => s.Header.Lsn);
        var windows = new SortedSet<long>();
        foreach (var segment in prefix)
        {
            AddWindows(segment, windows);
        }

        var written = new List<FileEntry>();
        foreach (var window in windows)
        {
            written.AddRange(CompactWindow(window, prefix, files, now, absorbed, lsn));
        }

        WriteCheckpointFile(Math.Max(lsn, DurableLsn), absorbed);
        var obsolete = new List<string>();
        lock (_filesGate)
        {
            var current = _files;
            var raw = new Dictionary<long, FileEntry>(current.Raw);
            var minute = new Dictionary<long, FileEntry>(current.Minute);
            var hour = new Dictionary<long, FileEntry>(current.Hour);
            foreach (var entry in written)
            {
                var target = entry.Header.Kind switch { ChunkFileKind.Minute => minute, ChunkFileKind.Hour => hour, _ => raw };
                if (target.TryGetValue(entry.Window, out var old))
                {
                    obsolete.Add(old.Path);
                }

                target[entry.Window] = entry;
            }

            obsolete.AddRange(prefix.Select(s => s.Path));
            _files = new FileSet([.. current.Segments.Where(s => s.Seq > absorbed)], raw, minute, hour);
        }

        foreach (var path in obsolete)
        {
            File.Delete(path);
        }

        return prefix.Length;
    }

    /// <summary>The hours a segment holds samples of (from its header, or from its samples when its range is wide).</summary>
    private static void AddWindows(FileEntry segment, SortedSet<long> windows)
    {
        var first = Floor(segment.Header.MinTs, Window);
        var last = Floor(segment.Header.MaxTs, Window);
        if ((last - first) / Window <= 48)
        {
            for (var w = first; w <= last; w += Window)
            {
                windows.Add(w);
            }

            return;
        }

        var points = new List<RawPoint>();
        foreach (var (_, count, bytes) in ChunkFileWriter.ReadAll(segment.Path))
        {
            points.Clear();
            SampleChunkWriter.Decode(bytes, count, long.MinValue, long.MaxValue, points);
            foreach (var p in points)
            {
                windows.Add(Floor(p.TimestampNs, Window));
            }
        }
    }

    /// <summary>Merges one hour's block (if any) and the segments' samples of that hour into new block and rollup files.</summary>
    private List<FileEntry> CompactWindow(long window, FileEntry[] prefix, FileSet files, long now, long absorbed, long lsn)
    {
        var end = window + Window;
        var keepRaw = end > now - (_options.RawRetention.Ticks * 100);
        var keepMinute = end > now - (_options.MinuteRetention.Ticks * 100);
        var keepHour = end > now - (_options.HourRetention.Ticks * 100);
        var block = keepRaw && files.Raw.TryGetValue(window, out var b) ? b : null;
        // with the block, rollups are computed again from all the hour's samples; without it, new samples add to the old rollups
        var exact = block is not null;
        var minuteFile = !exact && files.Minute.TryGetValue(window, out var m) ? m : null;
        var hourFile = !exact && files.Hour.TryGetValue(window, out var h) ? h : null;
        var rawAbsorbed = block?.AbsorbedSeq ?? 0;
        var minuteAbsorbed = exact ? rawAbsorbed : minuteFile?.AbsorbedSeq ?? 0;
        var hourAbsorbed = exact ? rawAbsorbed : hourFile?.AbsorbedSeq ?? 0;
        var segments = prefix.Where(s => s.Header.MinTs < end && s.Header.MaxTs >= window && s.Seq > Math.Min(rawAbsorbed, Math.Min(minuteAbsorbed, hourAbsorbed))).ToArray();
        if (segments.Length == 0)
        {
            return [];
        }

        var version = string.Create(CultureInfo.InvariantCulture, $"{window}-{absorbed}");
        var cursors = new List<Cursor>();
        try
        {
            if (block is not null)
            {
                cursors.Add(new Cursor(ChunkFileWriter.ReadAll(block.Path), Source.Block, 0));
            }

            cursors.AddRange(segments.Select(s => new Cursor(ChunkFileWriter.ReadAll(s.Path), Source.Segment, s.Seq)));
            if (minuteFile is not null)
            {
                cursors.Add(new Cursor(ChunkFileWriter.ReadAll(minuteFile.Path), Source.Minute, 0));
            }

            if (hourFile is not null)
            {
                cursors.Add(new Cursor(ChunkFileWriter.ReadAll(hourFile.Path), Source.Hour, 0));
            }

            using var rawWriter = keepRaw ? new ChunkFileWriter(Path.Combine(_directory, $"raw-{version}.hts"), ChunkFileKind.Raw) : null;
            using var minuteWriter = keepMinute ? new ChunkFileWriter(Path.Combine(_directory, $"1m-{version}.hts"), ChunkFileKind.Minute) : null;
            using var hourWriter = keepHour ? new ChunkFileWriter(Path.Combine(_directory, $"1h-{version}.hts"), ChunkFileKind.Hour) : null;
            var chunk = new SampleChunkWriter();
            var rollupChunk = new RollupChunkWriter();
            var raw = new List<RawPoint>();
            var forMinute = new List<RawPoint>();
            var forHour = new List<RawPoint>();
            var oldMinute = new List<Rollup>();
            var oldHour = new List<Rollup>();
            var decoded = new List<RawPoint>();
            long minTs = long.MaxValue, maxTs = long.MinValue;
            var any = false;
            while (true)
            {
                var series = int.MaxValue;
                foreach (var cursor in cursors)
                {
                    if (cursor.HasCurrent && cursor.Series < series)
                    {
                        series = cursor.Series;
                    }
                }

                if (series == int.MaxValue)
                {
                    break;
                }

                raw.Clear();
                forMinute.Clear();
                forHour.Clear();
                oldMinute.Clear();
                oldHour.Clear();
                var fresh = 0;
                foreach (var cursor in cursors)
                {
                    if (!cursor.HasCurrent || cursor.Series != series)
                    {
                        continue;
                    }

                    switch (cursor.Kind)
                    {
                        case Source.Minute:
                            RollupChunkWriter.Decode(cursor.Bytes, cursor.Count, long.MinValue, long.MaxValue, oldMinute);
                            break;
                        case Source.Hour:
                            RollupChunkWriter.Decode(cursor.Bytes, cursor.Count, long.MinValue, long.MaxValue, oldHour);
                            break;
                        default:
                            decoded.Clear();
                            SampleChunkWriter.Decode(cursor.Bytes, cursor.Count, window, end, decoded);
                            var isBlock = cursor.Kind == Source.Block;
                            if (isBlock || cursor.Seq > rawAbsorbed)
                            {
                                raw.AddRange(decoded);
                                fresh += isBlock ? 0 : decoded.Count;
                            }

                            if (!exact && cursor.Seq > minuteAbsorbed)
                            {
                                forMinute.AddRange(decoded);
                            }

                            if (!exact && cursor.Seq > hourAbsorbed)
                            {
                                forHour.AddRange(decoded);
                            }

                            break;
                    }

                    cursor.Next();
                }

                var sorted = SortAndDeduplicate(raw);
                if (fresh > 0 || (!exact && (forMinute.Count > 0 || forHour.Count > 0)))
                {
                    any = true;
                }

                if (!keepRaw && !keepMinute && !keepHour)
                {
                    _pastRetention += fresh;
                    continue;
                }

                if (rawWriter is not null && sorted.Count > 0)
                {
                    chunk.Reset();
                    foreach (var p in sorted)
                    {
                        chunk.Append(p.TimestampNs, p.Value);
                    }

                    rawWriter.Add(series, chunk.Count, chunk.Bytes);
                    minTs = Math.Min(minTs, sorted[0].TimestampNs);
                    maxTs = Math.Max(maxTs, sorted[^1].TimestampNs);
                }

                if (minuteWriter is not null)
                {
                    WriteRollups(minuteWriter, rollupChunk, series, exact ? sorted : SortAndDeduplicate(forMinute), oldMinute, NsPerMinute);
                }

                if (hourWriter is not null)
                {
                    WriteRollups(hourWriter, rollupChunk, series, exact ? sorted : SortAndDeduplicate(forHour), oldHour, NsPerHour);
                }
            }

            if (!any)
            {
                return [];
            }

            var result = new List<FileEntry>();
            // the block first: if the process dies before the rollups are written, the next start compacts this hour again
            foreach (var (prefixName, writer) in new[] { ("raw", rawWriter), ("1m", minuteWriter), ("1h", hourWriter) })
            {
                if (writer is null)
                {
                    continue;
                }

                var header = writer.Commit(lsn, minTs == long.MaxValue ? window : minTs, maxTs == long.MinValue ? window : maxTs, absorbed);
                result.Add(new FileEntry(Path.Combine(_directory, $"{prefixName}-{version}.hts"), absorbed, window, header));
            }

            return result;
        }
        finally
        {
            foreach (var cursor in cursors)
            {
                cursor.Dispose();
            }
        }
    }

    private static void WriteRollups(ChunkFileWriter writer, RollupChunkWriter chunk, int series, List<RawPoint> points, List<Rollup> old, long width)
    {
        if (points.Count == 0 && old.Count == 0)
        {
            return;
        }

        chunk.Reset();
        if (old.Count == 0)
        {
            // time-sorted samples: one pass, bucket after bucket
            var current = Rollup.Of(Floor(points[0].TimestampNs, width), points[0].TimestampNs, points[0].Value);
            for (var i = 1; i < points.Count; i++)
            {
                var p = points[i];
                var bucket = Floor(p.TimestampNs, width);
                if (bucket == current.Bucket)
                {
                    current = current.Merge(Rollup.Of(bucket, p.TimestampNs, p.Value));
                }
                else
                {
                    chunk.Append(current);
                    current = Rollup.Of(bucket, p.TimestampNs, p.Value);
                }
            }

            chunk.Append(current);
        }
        else
        {
            var buckets = new SortedDictionary<long, Rollup>();
            foreach (var r in old)
            {
                Add(buckets, r);
            }

            foreach (var p in points)
            {
                Add(buckets, Rollup.Of(Floor(p.TimestampNs, width), p.TimestampNs, p.Value));
            }

            foreach (var r in buckets.Values)
            {
                chunk.Append(r);
            }
        }

        writer.Add(series, chunk.Count, chunk.Bytes);
    }

    /// <summary>
    /// Compacts what is closed, then deletes whole files past their tier's retention: hour blocks after RawRetention,
    /// 1-minute rollup files after MinuteRetention, 1-hour rollup files after HourRetention. Returns the files removed.
    /// </summary>
    public async Task<int> ApplyRetentionAsync(CancellationToken cancellationToken)
    {
        await CompactAsync(cancellationToken).ConfigureAwait(false);
        await _maintenanceGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = ToNs(_time.GetUtcNow());
            var removed = new List<string>();
            lock (_filesGate)
            {
                var current = _files;
                _files = current with
                {
                    Raw = Keep(current.Raw, now - (_options.RawRetention.Ticks * 100), removed),
                    Minute = Keep(current.Minute, now - (_options.MinuteRetention.Ticks * 100), removed),
                    Hour = Keep(current.Hour, now - (_options.HourRetention.Ticks * 100), removed),
                };
            }

            foreach (var path in removed)
            {
                File.Delete(path);
            }

            return removed.Count;
        }
        finally
        {
            _maintenanceGate.Release();
        }
    }

    private static Dictionary<long, FileEntry> Keep(Dictionary<long, FileEntry> files, long cut, List<string> removed)
    {
        var kept = new Dictionary<long, FileEntry>();
        foreach (var (window, entry) in files)
        {
            if (window + Window <= cut)
            {
                removed.Add(entry.Path);
            }
            else
            {
                kept[window] = entry;
            }
        }

        return kept;
    }

    private enum Source
    {
        Block,
        Segment,
        Minute,
        Hour,
    }

    /// <summary>A file read chunk by chunk in series order.</summary>
    private sealed class Cursor : IDisposable
    {
        private readonly IEnumerator<(int Series, int Count, byte[] Bytes)> _chunks;

        public Cursor(IEnumerable<(int Series, int Count, byte[] Bytes)> chunks, Source kind, long seq)
        {
            _chunks = chunks.GetEnumerator();
            Kind = kind;
            Seq = seq;
            Next();
        }

        public Source Kind { get; }

        public long Seq { get; }

        public bool HasCurrent { get; private set; }

        public int Series => _chunks.Current.Series;

        public int Count => _chunks.Current.Count;

        public byte[] Bytes => _chunks.Current.Bytes;

        public void Next() => HasCurrent = _chunks.MoveNext();

        public void Dispose() => _chunks.Dispose();
    }
}
