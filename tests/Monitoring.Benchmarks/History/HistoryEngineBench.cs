using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using Monitoring.Core.Series;
using Monitoring.Storage;
using Monitoring.Storage.History;

namespace Monitoring.Benchmarks.History;

/// <summary>
/// Issue 14's engine question, side by side on the same data in one run: the SQLite history the server had before
/// (<see cref="SqliteHistoryStore"/>, kept here as the reference: row per sample, 1-minute and 1-hour rollups upserted
/// per flush), the server's own engine (<see cref="HistoryStore"/>: Gorilla chunks in a head, checkpoint segments, hour
/// blocks and rollup files) and a DuckDB layout (DuckDB.NET's Appender into a columnar raw table; per flush, partial
/// 1-minute and 1-hour rollups appended and merged at read time with GROUP BY; a prototype written here).
/// <para>
/// Raw phase: SERIES series, one sample each every 10 s for one hour (flushed every simulated 10 s, as the server flushes
/// each second at 10x the rate; the own engine moves each step into its head, checkpoints every third step, about its
/// 30 s, and compacts the closed hour at the end, all inside the measured CPU time), values a noisy sine with one
/// decimal. Reports samples appended per CPU-second (process CPU time: managed and native threads), disk bytes per
/// sample of the raw tier alone and of all tiers (catalog included), and the median of 20 queries of one series over
/// that hour (raw).
/// Rollup phase: 200 series, one sample an hour for 90 days, then the median of 20 queries of one series over 90 days
/// (1-hour tier).
/// </para>
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- history-engines [SERIES=5000] [RUNS=3]
/// </summary>
public static class HistoryEngineBench
{
    private const long NsPerSecond = 1_000_000_000L;
    private const long NsPerMinute = 60 * NsPerSecond;
    private const long NsPerHour = 60 * NsPerMinute;
    private static readonly DateTimeOffset End = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var seriesCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
        var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        Console.WriteLine($"history-engines: {seriesCount:N0} series x 360 samples (1 h at 10 s) raw; 200 series x 2,160 hourly samples (90 d); {runs} runs; {Environment.ProcessorCount} cores");
        var results = new Dictionary<string, List<Figures>>(StringComparer.Ordinal) { ["sqlite (before)"] = [], ["own engine"] = [], ["duckdb"] = [] };
        for (var run = 0; run < runs; run++)
        {
            var sqlite = await SqliteAsync(seriesCount).ConfigureAwait(false);
            Print($"run {run + 1} sqlite", sqlite);
            results["sqlite (before)"].Add(sqlite);
            var own = await OwnAsync(seriesCount).ConfigureAwait(false);
            Print($"run {run + 1} own", own);
            results["own engine"].Add(own);
            var duck = Duck(seriesCount);
            Print($"run {run + 1} duckdb", duck);
            results["duckdb"].Add(duck);
        }

        Console.WriteLine();
        Console.WriteLine("| engine | samples/CPU-s | bytes/sample, raw tier | bytes/sample, all tiers | 1 h raw query ms | 90 d rollup query ms |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (engine, figures) in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {engine} | {Spread(figures.Select(f => f.SamplesPerCpuSecond), "N0")} | {Spread(figures.Select(f => f.RawBytesPerSample), "F2")} | {Spread(figures.Select(f => f.BytesPerSample), "F2")} | {Spread(figures.Select(f => f.RawQueryMs), "F1")} | {Spread(figures.Select(f => f.RollupQueryMs), "F1")} |"));
        }

        var sqliteMedian = Median(results["sqlite (before)"].Select(f => f.SamplesPerCpuSecond));
        var ownMedian = Median(results["own engine"].Select(f => f.SamplesPerCpuSecond));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"own engine / sqlite, samples per CPU-second (medians): {ownMedian / sqliteMedian:F1}x"));

        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string Spread(IEnumerable<double> values, string format)
    {
        if (values.Any(double.IsNaN))
        {
            return "n/a";
        }

        var sorted = values.Order().ToArray();
        var median = sorted[sorted.Length / 2];
        return string.Create(CultureInfo.InvariantCulture, $"{sorted[0].ToString(format, CultureInfo.InvariantCulture)} / {median.ToString(format, CultureInfo.InvariantCulture)} / {sorted[^1].ToString(format, CultureInfo.InvariantCulture)}");
    }

    private static void Print(string label, Figures f) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label}: {f.Samples:N0} samples, {f.SamplesPerCpuSecond:N0} samples/CPU-s, {f.RawBytesPerSample:F2} bytes/sample raw, {f.BytesPerSample:F2} all tiers, 1 h raw query {f.RawQueryMs:F1} ms, 90 d rollup query {f.RollupQueryMs:F1} ms"));

    /// <summary>The value of series <paramref name="s"/> at step <paramref name="i"/>: a sine per series plus noise, one decimal.</summary>
    private static double Value(int s, int i) => Math.Round(50 + (20 * Math.Sin((i + s) / 30.0)) + ((((s * 7919) + (i * 104729)) % 100) / 50.0), 1);

    private static async Task<Figures> SqliteAsync(int seriesCount)
    {
        var directory = Directory.CreateTempSubdirectory("engines-sqlite-").FullName;
        try
        {
            var registry = new SeriesRegistry();
            var ids = Enumerable.Range(0, seriesCount).Select(s => registry.GetOrAddFreeForm($"cpu,host=h{s}", "cpu.usage")).ToArray();
            var database = new Database(new StorageOptions { DataDirectory = directory });
            await new Migrator(database).MigrateAsync(CancellationToken.None).ConfigureAwait(false);
            using var store = new SqliteHistoryStore(database, registry, null, new HistoryOptions { BufferCapacity = 10_000_000 }, new FixedTime(End));
            var start = ToNs(End.AddHours(-1));
            var chunk = new Sample[seriesCount];
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < 360; i++)
            {
                for (var s = 0; s < seriesCount; s++)
                {
                    chunk[s] = new Sample(ids[s], start + (i * 10 * NsPerSecond) + (s * 1000), Value(s, i));
                }

                store.OnSamples(chunk);
                await store.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }

            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var samples = 360L * seriesCount;
            await using (var connection = await database.OpenAsync(CancellationToken.None).ConfigureAwait(false))
            {
                await using var checkpoint = connection.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                await checkpoint.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            var bytes = Directory.GetFiles(directory, "*.db*").Sum(f => new FileInfo(f).Length);
            var rawBytes = await TableBytesAsync(database, "history_raw").ConfigureAwait(false);
            var key = HistoryStore.FreeFormKey($"cpu,host=h{seriesCount / 2}", "cpu.usage");
            var rawMs = await MedianMsAsync(async () => (await store.QueryAsync(key, End.AddHours(-1), End, null, CancellationToken.None).ConfigureAwait(false))!.Points.Count, 360).ConfigureAwait(false);

            // 90 days of hourly samples for 200 series, then one series over 90 days from the 1-hour tier
            var first = ToNs(End.AddDays(-90));
            var daily = new Sample[200];
            for (var h = 0; h < 90 * 24; h++)
            {
                for (var s = 0; s < 200; s++)
                {
                    daily[s] = new Sample(ids[s], first + (h * NsPerHour) + (s * 1000), Value(s, h));
                }

                store.OnSamples(daily);
                if (h % 24 == 23)
                {
                    await store.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            await store.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            var rollupKey = HistoryStore.FreeFormKey("cpu,host=h100", "cpu.usage");
            var rollupMs = await MedianMsAsync(async () => (await store.QueryAsync(rollupKey, End.AddDays(-90), End, null, CancellationToken.None).ConfigureAwait(false))!.Points.Count, 2160).ConfigureAwait(false);
            return new Figures(samples, samples / cpuSeconds, rawBytes / samples, (double)bytes / samples, rawMs, rollupMs);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The server's own engine, driven as the server drives it (move each step into the head, checkpoint about every 30 s).</summary>
    private static async Task<Figures> OwnAsync(int seriesCount)
    {
        var directory = Directory.CreateTempSubdirectory("engines-own-").FullName;
        try
        {
            var registry = new SeriesRegistry();
            var ids = Enumerable.Range(0, seriesCount).Select(s => registry.GetOrAddFreeForm($"cpu,host=h{s}", "cpu.usage")).ToArray();
            var database = new Database(new StorageOptions { DataDirectory = directory });
            await new Migrator(database).MigrateAsync(CancellationToken.None).ConfigureAwait(false);
            // five minutes after the hour: it is closed, so its segments are compacted into its block and rollup files
            var clock = new FixedTime(End.AddMinutes(5));
            using var store = new HistoryStore(database, registry, null, new HistoryOptions { BufferCapacity = 10_000_000, HourRetention = TimeSpan.FromDays(400) }, clock);
            await store.LoadDurableLsnAsync(CancellationToken.None).ConfigureAwait(false);
            var start = ToNs(End.AddHours(-1));
            var chunk = new Sample[seriesCount];
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < 360; i++)
            {
                for (var s = 0; s < seriesCount; s++)
                {
                    chunk[s] = new Sample(ids[s], start + (i * 10 * NsPerSecond) + (s * 1000), Value(s, i));
                }

                store.OnSamples(chunk, i + 1);
                if (i % 3 == 2)
                {
                    await store.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    await store.MoveToHeadAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            await store.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await store.CompactAsync(CancellationToken.None).ConfigureAwait(false);
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var samples = 360L * seriesCount;
            var rawBytes = Directory.GetFiles(store.Directory, "raw-*.hts").Sum(f => new FileInfo(f).Length);
            var bytes = Directory.GetFiles(store.Directory).Sum(f => new FileInfo(f).Length) + Directory.GetFiles(directory, "history.db*").Sum(f => new FileInfo(f).Length);
            var key = HistoryStore.FreeFormKey($"cpu,host=h{seriesCount / 2}", "cpu.usage");
            var rawMs = await MedianMsAsync(async () => (await store.QueryAsync(key, End.AddHours(-1), End, null, CancellationToken.None).ConfigureAwait(false))!.Points.Count, 360).ConfigureAwait(false);

            var first = ToNs(End.AddDays(-90));
            var daily = new Sample[200];
            for (var h = 0; h < 90 * 24; h++)
            {
                for (var s = 0; s < 200; s++)
                {
                    daily[s] = new Sample(ids[s], first + (h * NsPerHour) + (s * 1000), Value(s, h));
                }

                store.OnSamples(daily);
                if (h % 24 == 23)
                {
                    await store.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            await store.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await store.CompactAsync(CancellationToken.None).ConfigureAwait(false);
            var rollupKey = HistoryStore.FreeFormKey("cpu,host=h100", "cpu.usage");
            var rollupMs = await MedianMsAsync(async () => (await store.QueryAsync(rollupKey, End.AddDays(-90), End, null, CancellationToken.None).ConfigureAwait(false))!.Points.Count, 2160).ConfigureAwait(false);
            return new Figures(samples, samples / cpuSeconds, (double)rawBytes / samples, (double)bytes / samples, rawMs, rollupMs);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The bytes of one SQLite table (dbstat), or NaN where the library lacks dbstat.</summary>
    private static async Task<double> TableBytesAsync(Database database, string table)
    {
        try
        {
            await using var connection = await database.OpenAsync(CancellationToken.None).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT SUM(pgsize) FROM dbstat WHERE name = '{table}'";
            return Convert.ToDouble(await command.ExecuteScalarAsync().ConfigureAwait(false), CultureInfo.InvariantCulture);
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return double.NaN;
        }
    }

    private static Figures Duck(int seriesCount)
    {
        var directory = Directory.CreateTempSubdirectory("engines-duckdb-").FullName;
        try
        {
            var path = Path.Combine(directory, "history.duckdb");
            using var connection = new DuckDBConnection($"Data Source={path}");
            connection.Open();
            Execute(connection, "CREATE TABLE raw (series INTEGER, ts BIGINT, value DOUBLE)");
            foreach (var table in new[] { "r1m", "r1h" })
            {
                Execute(connection, $"CREATE TABLE {table} (series INTEGER, bucket BIGINT, min DOUBLE, max DOUBLE, sum DOUBLE, count BIGINT, last DOUBLE, last_ts BIGINT)");
            }

            var start = ToNs(End.AddHours(-1));
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var chunk = new Sample[seriesCount];
            for (var i = 0; i < 360; i++)
            {
                for (var s = 0; s < seriesCount; s++)
                {
                    chunk[s] = new Sample(s, start + (i * 10 * NsPerSecond) + (s * 1000), Value(s, i));
                }

                Flush(connection, chunk);
            }

            Execute(connection, "CHECKPOINT");
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var samples = 360L * seriesCount;
            var bytes = new FileInfo(path).Length + (File.Exists(path + ".wal") ? new FileInfo(path + ".wal").Length : 0);
            var series = seriesCount / 2;
            var rawMs = MedianMs(() => QueryRaw(connection, series, start, ToNs(End)), 360);

            var first = ToNs(End.AddDays(-90));
            var daily = new Sample[200 * 24];
            for (var d = 0; d < 90; d++)
            {
                for (var h = 0; h < 24; h++)
                {
                    for (var s = 0; s < 200; s++)
                    {
                        daily[(h * 200) + s] = new Sample(s, first + (((d * 24) + h) * NsPerHour) + (s * 1000), Value(s, (d * 24) + h));
                    }
                }

                Flush(connection, daily);
            }

            var rollupMs = MedianMs(() => QueryRollup(connection, 100, first, ToNs(End)), 2160);
            return new Figures(samples, samples / cpuSeconds, double.NaN, (double)bytes / samples, rawMs, rollupMs);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>One flush: the raw samples through the Appender, and the flush's partial rollups per (series, bucket).</summary>
    private static void Flush(DuckDBConnection connection, Sample[] samples)
    {
        using (var raw = connection.CreateAppender("raw"))
        {
            foreach (var sample in samples)
            {
                raw.CreateRow().AppendValue(sample.SeriesId).AppendValue(sample.TimestampNs).AppendValue(sample.Value).EndRow();
            }
        }

        AppendRollups(connection, "r1m", samples, NsPerMinute);
        AppendRollups(connection, "r1h", samples, NsPerHour);
    }

    private static void AppendRollups(DuckDBConnection connection, string table, Sample[] samples, long width)
    {
        var rollups = new Dictionary<(int, long), (double Min, double Max, double Sum, long Count, double Last, long LastTs)>();
        foreach (var sample in samples)
        {
            var key = (sample.SeriesId, sample.TimestampNs - (sample.TimestampNs % width));
            rollups[key] = rollups.TryGetValue(key, out var r)
                ? (Math.Min(r.Min, sample.Value), Math.Max(r.Max, sample.Value), r.Sum + sample.Value, r.Count + 1, sample.TimestampNs >= r.LastTs ? sample.Value : r.Last, Math.Max(r.LastTs, sample.TimestampNs))
                : (sample.Value, sample.Value, sample.Value, 1, sample.Value, sample.TimestampNs);
        }

        using var appender = connection.CreateAppender(table);
        foreach (var ((series, bucket), r) in rollups)
        {
            appender.CreateRow().AppendValue(series).AppendValue(bucket).AppendValue(r.Min).AppendValue(r.Max).AppendValue(r.Sum)
                .AppendValue(r.Count).AppendValue(r.Last).AppendValue(r.LastTs).EndRow();
        }
    }

    private static int QueryRaw(DuckDBConnection connection, int series, long from, long to)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT ts, value FROM raw WHERE series = $s AND ts >= $f AND ts < $t ORDER BY ts";
        command.Parameters.Add(new DuckDBParameter("s", series));
        command.Parameters.Add(new DuckDBParameter("f", from));
        command.Parameters.Add(new DuckDBParameter("t", to));
        using var reader = command.ExecuteReader();
        var n = 0;
        while (reader.Read())
        {
            _ = reader.GetInt64(0) + reader.GetDouble(1);
            n++;
        }

        return n;
    }

    private static int QueryRollup(DuckDBConnection connection, int series, long from, long to)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT bucket, min(min), max(max), sum(sum), sum(count), arg_max(last, last_ts) FROM r1h " +
            "WHERE series = $s AND bucket >= $f AND bucket < $t GROUP BY bucket ORDER BY bucket";
        command.Parameters.Add(new DuckDBParameter("s", series));
        command.Parameters.Add(new DuckDBParameter("f", from));
        command.Parameters.Add(new DuckDBParameter("t", to));
        using var reader = command.ExecuteReader();
        var n = 0;
        while (reader.Read())
        {
            n++;
        }

        return n;
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static double MedianMs(Func<int> query, int expected)
    {
        var times = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var watch = Stopwatch.StartNew();
            var n = query();
            times.Add(watch.Elapsed.TotalMilliseconds);
            if (n != expected)
            {
                throw new InvalidOperationException($"the query returned {n} points, expected {expected}");
            }
        }

        return times.Order().ElementAt(times.Count / 2);
    }

    private static async Task<double> MedianMsAsync(Func<Task<int>> query, int expected)
    {
        var times = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var watch = Stopwatch.StartNew();
            var n = await query().ConfigureAwait(false);
            times.Add(watch.Elapsed.TotalMilliseconds);
            if (n != expected)
            {
                throw new InvalidOperationException($"the query returned {n} points, expected {expected}");
            }
        }

        return times.Order().ElementAt(times.Count / 2);
    }

    private static long ToNs(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private sealed record Figures(long Samples, double SamplesPerCpuSecond, double RawBytesPerSample, double BytesPerSample, double RawQueryMs, double RollupQueryMs);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
