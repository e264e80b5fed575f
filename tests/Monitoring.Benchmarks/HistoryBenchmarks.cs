using BenchmarkDotNet.Attributes;
using Monitoring.Core.Series;
using Monitoring.Storage;
using Monitoring.Storage.History;

namespace Monitoring.Benchmarks;

/// <summary>
/// Issue 6's history target: a day of one series answers in under 50 ms. The store holds two days of one series
/// sampled every 10 s (17,280 raw samples with their 1-minute and 1-hour rollups) among 50 other series, in SQLite in
/// a temp folder. QueryDay reads the 1-minute tier (1,440 points), QuerySixHoursRaw the raw tier (2,160 points),
/// QueryDayAt5m re-buckets a day to 288 points, QueryTwoDaysHourly reads the 1-hour tier.
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- --filter '*History*'
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class HistoryBenchmarks : IDisposable
{
    private static readonly DateTimeOffset End = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
    private string _directory = string.Empty;
    private HistoryStore _store = null!;
    private string _key = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("monitoring-history-bench-").FullName;
        var database = new Database(new StorageOptions { DataDirectory = _directory });
        new Migrator(database).MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        var registry = new SeriesRegistry();
        _store = new HistoryStore(database, registry, null, new HistoryOptions { BufferCapacity = 10_000_000 }, new FixedTime(End));
        var start = End.AddDays(-2);
        var ids = Enumerable.Range(0, 51).Select(i => registry.GetOrAddFreeForm($"cpu,host=h{i}", "cpu.usage")).ToArray();
        var batch = new Sample[ids.Length];
        for (var t = 0; t < 2 * 86_400; t += 10)
        {
            var ns = (start.AddSeconds(t).ToUnixTimeMilliseconds()) * 1_000_000;
            for (var s = 0; s < ids.Length; s++)
            {
                batch[s] = new Sample(ids[s], ns, (t / 10 + s) % 100);
            }

            _store.OnSamples(batch);
            if (t % 3600 == 0)
            {
                _store.FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
            }
        }

        _store.FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
        _key = HistoryStore.FreeFormKey("cpu,host=h7", "cpu.usage");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    public void Dispose()
    {
        _store?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public async Task<int> QueryDay() => (await _store.QueryAsync(_key, End.AddDays(-1), End, null, CancellationToken.None).ConfigureAwait(false))!.Points.Count;

    [Benchmark]
    public async Task<int> QuerySixHoursRaw() => (await _store.QueryAsync(_key, End.AddHours(-6), End, null, CancellationToken.None).ConfigureAwait(false))!.Points.Count;

    [Benchmark]
    public async Task<int> QueryDayAt5m() => (await _store.QueryAsync(_key, End.AddDays(-1), End, TimeSpan.FromMinutes(5), CancellationToken.None).ConfigureAwait(false))!.Points.Count;

    [Benchmark]
    public async Task<int> QueryTwoDaysHourly() => (await _store.QueryAsync(_key, End.AddDays(-8), End, null, CancellationToken.None).ConfigureAwait(false))!.Points.Count;

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
