using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Monitoring.Core.Series;
using Monitoring.Storage;
using Monitoring.Storage.History;

namespace Monitoring.Benchmarks.History;

/// <summary>
/// Issue 6's history target: 100,000 series at one sample every 10 s (10,000 samples/s) into the real
/// <see cref="HistoryStore"/>, wired as the server wires it (SQLite in a temp data directory, migrations applied,
/// default options but a bigger buffer).
/// <para>
/// <c>compressed</c> (default): simulated time, as fast as the store goes. Each simulated second, the 10,000 series
/// due that second (series i at second i mod 10) are handed over in pipeline-sized chunks of 1,000 and flushed (the
/// store's own 1-second flush); the simulated clock starts at 00:57 so minute and hour rollups both close; the
/// retention job runs at the end. Reports the samples/s the store sustains, i.e. how many times real time it keeps up.
/// </para>
/// <para>
/// <c>realtime</c>: wall-clock time, the store's own background loop (<see cref="HistoryStore.RunAsync"/>) with the
/// system clock, a producer feeding 10,000 samples/s in chunks of 1,000 every 100 ms; reports CPU share, flush lag
/// and samples dropped.
/// </para>
/// Both report disk bytes per sample (the database VACUUMed, then again without the rollups to split raw from
/// rollups) and per day extrapolated, and memory (working set, GC heap).
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- history-scale [compressed [SIMULATED_MINUTES=5] | realtime [SECONDS=60]] [SERIES=100000]
/// </summary>
public static class HistoryScaleBench
{
    private const int Chunk = 1000;
    private const int IntervalSeconds = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var mode = args.Length > 0 ? args[0] : "compressed";
        var realtime = mode == "realtime";
        var length = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : realtime ? 60 : 5;
        var seriesCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100_000;
        var directory = Directory.CreateTempSubdirectory("history-scale-").FullName;
        try
        {
            var database = new Database(new StorageOptions { DataDirectory = directory });
            await new Migrator(database).MigrateAsync(CancellationToken.None).ConfigureAwait(false);
            var registry = new SeriesRegistry();
            var ids = new int[seriesCount];
            for (var i = 0; i < seriesCount; i++)
            {
                ids[i] = registry.GetOrAddFreeForm(string.Create(CultureInfo.InvariantCulture, $"interface,device=sw{i / 100},port={i % 100}"), "interface.in_bps");
            }

            var clock = new SimulatedTime(new DateTimeOffset(2026, 11, 22, 0, 57, 0, TimeSpan.Zero));
            var options = new HistoryOptions { BufferCapacity = 1_000_000 };
            using var store = new HistoryStore(database, registry, null, options, realtime ? TimeProvider.System : clock);
            Console.WriteLine($"history-scale: {mode}, {seriesCount:N0} series, one sample every {IntervalSeconds} s = {seriesCount / IntervalSeconds:N0} samples/s, {(realtime ? $"{length} s of real time" : $"{length} min of simulated time")}, {Environment.ProcessorCount} cores");

            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            long produced;
            string extra;
            if (realtime)
            {
                (produced, extra) = await RealTimeAsync(store, ids, length).ConfigureAwait(false);
            }
            else
            {
                (produced, extra) = await CompressedAsync(store, ids, clock, length * 60).ConfigureAwait(false);
            }

            var seconds = wall.Elapsed.TotalSeconds;
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
            var workingSet = process.WorkingSet64;
            var heap = GC.GetGCMemoryInfo().HeapSizeBytes;
            var managed = GC.GetTotalMemory(forceFullCollection: false);

            var retention = Stopwatch.StartNew();
            var removed = await store.ApplyRetentionAsync(CancellationToken.None).ConfigureAwait(false);
            var retentionMs = retention.Elapsed.TotalMilliseconds;
            var written = store.SamplesWritten;
            var minuteRows = await ScalarAsync(directory, "SELECT COUNT(*) FROM history_1m").ConfigureAwait(false);
            var hourRows = await ScalarAsync(directory, "SELECT COUNT(*) FROM history_1h").ConfigureAwait(false);
            SqliteConnection.ClearAllPools();

            // sizes compacted (VACUUM), then again without the rollups: the difference is what the rollups take
            var all = await CompactedBytesAsync(directory, deleteRollups: false).ConfigureAwait(false);
            var rawOnly = await CompactedBytesAsync(directory, deleteRollups: true).ConfigureAwait(false);
            var rollupBytes = all - rawOnly;
            var rawPerSample = (double)rawOnly / written;
            var perRollup = (double)rollupBytes / (minuteRows + hourRows);

            Console.WriteLine();
            Console.WriteLine($"samples produced {produced:N0}, written {written:N0}, still buffered {store.Pending:N0}, flushes {store.Flushes:N0}");
            Console.WriteLine($"wall {seconds:F1} s, process CPU {cpu:F1} s = {cpu / seconds / Environment.ProcessorCount * 100:F0} % of {Environment.ProcessorCount} cores ({cpu / seconds * 100:F0} % of one core)");
            Console.WriteLine(realtime
                ? $"kept up with {written / seconds:N0} samples/s (offered {seriesCount / IntervalSeconds:N0}/s); {extra}"
                : $"sustained {written / seconds:N0} samples/s = {written / seconds / (seriesCount / IntervalSeconds):F2} x real time (wall clock); CPU per sample {cpu / written * 1e6:F1} us = {written / cpu:N0} samples per CPU-second; {extra}");
            Console.WriteLine($"memory: working set {workingSet / 1048576.0:F0} MiB, GC heap {heap / 1048576.0:F0} MiB ({managed / 1048576.0:F0} MiB live)");
            Console.WriteLine($"retention pass: {retentionMs:F0} ms, {removed} rows removed");
            Console.WriteLine($"disk (VACUUMed): {all / 1048576.0:F1} MiB for {written:N0} samples; raw + series {rawOnly / 1048576.0:F1} MiB = {rawPerSample:F1} bytes per sample; rollups {rollupBytes / 1048576.0:F1} MiB for {minuteRows + hourRows:N0} rows = {perRollup:F1} bytes per row");
            var samplesPerDay = (double)seriesCount / IntervalSeconds * 86_400;
            var minutePerDay = (double)seriesCount * 1440;
            var hourPerDay = (double)seriesCount * 24;
            var perDay = (samplesPerDay * rawPerSample) + ((minutePerDay + hourPerDay) * perRollup);
            Console.WriteLine($"per day extrapolated: raw {samplesPerDay * rawPerSample / 1e9:F1} GB + 1-minute rollups {minutePerDay * perRollup / 1e9:F2} GB + 1-hour {hourPerDay * perRollup / 1e9:F3} GB = {perDay / 1e9:F1} GB/day; " +
                $"held at the default retention (raw 48 h, 1 min 14 d, 1 h 400 d): {((2 * samplesPerDay * rawPerSample) + (14 * minutePerDay * perRollup) + (400 * hourPerDay * perRollup)) / 1e9:F0} GB");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(long Produced, string Extra)> CompressedAsync(HistoryStore store, int[] ids, SimulatedTime clock, int simulatedSeconds)
    {
        var chunk = new Sample[Chunk];
        var produced = 0L;
        var flushTimes = new List<double>();
        var flush = new Stopwatch();
        var random = new Random(1);
        for (var second = 0; second < simulatedSeconds; second++)
        {
            var now = clock.Start.AddSeconds(second);
            clock.Now = now;
            var ns = now.ToUnixTimeMilliseconds() * 1_000_000;
            var n = 0;
            for (var i = second % IntervalSeconds; i < ids.Length; i += IntervalSeconds)
            {
                chunk[n++] = new Sample(ids[i], ns + (i % 997 * 1_000_000L), Math.Round(random.NextDouble() * 1e6, 1));
                if (n == Chunk)
                {
                    store.OnSamples(chunk);
                    produced += n;
                    n = 0;
                }
            }

            store.OnSamples(chunk.AsSpan(0, n));
            produced += n;
            flush.Restart();
            await store.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            flushTimes.Add(flush.Elapsed.TotalMilliseconds);
            if (second % 60 == 59)
            {
                Console.WriteLine($"  simulated minute {(second + 1) / 60}: last flush {flushTimes[^1]:F0} ms, median {Percentile(flushTimes, 0.5):F0} ms");
            }
        }

        return (produced, $"flush of one second's 10,000 samples: median {Percentile(flushTimes, 0.5):F0} ms, p95 {Percentile(flushTimes, 0.95):F0} ms, max {flushTimes.Max():F0} ms");
    }

    private static async Task<(long Produced, string Extra)> RealTimeAsync(HistoryStore store, int[] ids, int seconds)
    {
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(() => store.RunAsync(stop.Token));
        var chunk = new Sample[Chunk];
        var random = new Random(1);
        var produced = 0L;
        var next = 0;
        var perTick = ids.Length / IntervalSeconds / 10;
        var start = Stopwatch.StartNew();
        using var ticker = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var maxPending = 0;
        while (start.Elapsed.TotalSeconds < seconds && await ticker.WaitForNextTickAsync().ConfigureAwait(false))
        {
            var ns = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
            for (var k = 0; k < perTick; k += Chunk)
            {
                var n = Math.Min(Chunk, perTick - k);
                for (var j = 0; j < n; j++)
                {
                    chunk[j] = new Sample(ids[next], ns, Math.Round(random.NextDouble() * 1e6, 1));
                    next = (next + 1) % ids.Length;
                }

                store.OnSamples(chunk.AsSpan(0, n));
                produced += n;
            }

            maxPending = Math.Max(maxPending, store.Pending);
        }

        var lag = store.Pending;
        await stop.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        return (produced, $"pending at the end {lag:N0}, most pending {maxPending:N0} (a flush that keeps up leaves at most ~1 s of samples)");
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
    }

    private static async Task<long> CompactedBytesAsync(string directory, bool deleteRollups)
    {
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "history.db")};Pooling=False"))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = (deleteRollups ? "DELETE FROM history_1m; DELETE FROM history_1h; " : "") + "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);";
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        return Directory.GetFiles(directory).Sum(f => new FileInfo(f).Length);
    }

    private static async Task<long> ScalarAsync(string directory, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "history.db")};Pooling=False");
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>A clock the benchmark moves: the store's retention reads it.</summary>
    private sealed class SimulatedTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Start { get; } = start;

        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
