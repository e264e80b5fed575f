using System.Globalization;
using Monitoring.Core.Series;
using Monitoring.Storage.History;

namespace Monitoring.Storage.Tests.History;

public sealed class HistoryStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-20T00:00:00Z", CultureInfo.InvariantCulture);

    private readonly string _directory = Directory.CreateTempSubdirectory("monitoring-history-").FullName;
    private readonly Clock _clock = new(T0.AddDays(1));
    private readonly List<HistoryStore> _stores = [];

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData(60, null, HistoryTier.Raw)]
    [InlineData(6 * 60, null, HistoryTier.Raw)]
    [InlineData(6 * 60 + 1, null, HistoryTier.Minute)]
    [InlineData(24 * 60, null, HistoryTier.Minute)]
    [InlineData(7 * 24 * 60, null, HistoryTier.Minute)]
    [InlineData(7 * 24 * 60 + 1, null, HistoryTier.Hour)]
    [InlineData(60, 300, HistoryTier.Minute)]
    [InlineData(60, 10, HistoryTier.Raw)]
    [InlineData(24 * 60, 7200, HistoryTier.Hour)]
    [InlineData(30 * 24 * 60, 10, HistoryTier.Hour)]
    public void The_tier_follows_the_range_and_step(int rangeMinutes, int? stepSeconds, HistoryTier expected)
    {
        var step = stepSeconds is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;

        Assert.Equal(expected, HistoryStore.ChooseTier(TimeSpan.FromMinutes(rangeMinutes), step));
    }

    [Fact]
    public async Task Rollups_keep_min_max_avg_last_and_count_across_flushes()
    {
        var (store, registry) = await OpenAsync();
        var id = registry.GetOrAddFreeForm("cpu,host=a", "cpu.usage");
        var first = new (int Second, double Value)[] { (10, 1), (20, 5), (50, 3), (70, 10) };
        var late = new (int Second, double Value)[] { (5, 2), (65, 7) };
        Feed(store, id, first);
        Assert.Equal(first.Length, await store.FlushAsync(CancellationToken.None));
        Feed(store, id, late);
        await store.FlushAsync(CancellationToken.None);

        var result = await store.QueryAsync(HistoryStore.FreeFormKey("cpu,host=a", "cpu.usage"), T0, T0.AddHours(7), null, CancellationToken.None);

        Assert.NotNull(result);
        Assert.Equal(HistoryTier.Minute, result.Tier);
        var all = first.Concat(late).ToArray();
        Assert.Equal(2, result.Points.Count);
        for (var minute = 0; minute < 2; minute++)
        {
            var inMinute = all.Where(x => x.Second / 60 == minute).ToArray();
            var point = result.Points[minute];
            Assert.Equal(HistoryStore.ToNs(T0.AddMinutes(minute)), point.TimestampNs);
            Assert.Equal(inMinute.Min(x => x.Value), point.Min);
            Assert.Equal(inMinute.Max(x => x.Value), point.Max);
            Assert.Equal(inMinute.Average(x => x.Value), point.Avg, 9);
            Assert.Equal(inMinute.MaxBy(x => x.Second).Value, point.Last);
            Assert.Equal(inMinute.Length, point.Count);
        }

        var hourly = await store.QueryAsync(HistoryStore.FreeFormKey("cpu,host=a", "cpu.usage"), T0, T0.AddDays(8), null, CancellationToken.None);
        Assert.Equal(HistoryTier.Hour, hourly!.Tier);
        var hour = Assert.Single(hourly.Points);
        Assert.Equal(all.Length, hour.Count);
        Assert.Equal(all.Average(x => x.Value), hour.Avg, 9);
        Assert.Equal(all.MaxBy(x => x.Second).Value, hour.Last);
    }

    [Fact]
    public async Task Short_ranges_answer_raw_samples_and_a_step_rebuckets_them()
    {
        var (store, registry) = await OpenAsync();
        var id = registry.GetOrAddFreeForm("temp,probe=1", "temp.value");
        var samples = Enumerable.Range(0, 360).Select(i => (Second: i * 10, Value: (double)(i % 17))).ToArray();
        Feed(store, id, samples);
        await store.FlushAsync(CancellationToken.None);
        var key = HistoryStore.FreeFormKey("temp,probe=1", "temp.value");

        var raw = await store.QueryAsync(key, T0, T0.AddHours(1), null, CancellationToken.None);
        var stepped = await store.QueryAsync(key, T0, T0.AddHours(1), TimeSpan.FromMinutes(5), CancellationToken.None);
        var window = await store.QueryAsync(key, T0.AddMinutes(10), T0.AddMinutes(20), null, CancellationToken.None);

        Assert.Equal(HistoryTier.Raw, raw!.Tier);
        Assert.Equal(samples.Select(s => s.Value), raw.Points.Select(p => p.Last));
        Assert.Equal(samples.Select(s => HistoryStore.ToNs(T0.AddSeconds(s.Second))), raw.Points.Select(p => p.TimestampNs));
        Assert.Equal(TimeSpan.FromMinutes(5), stepped!.Step);
        Assert.Equal(12, stepped.Points.Count);
        for (var b = 0; b < 12; b++)
        {
            var inBucket = samples.Where(s => s.Second / 300 == b).ToArray();
            Assert.Equal(HistoryStore.ToNs(T0.AddMinutes(5 * b)), stepped.Points[b].TimestampNs);
            Assert.Equal(inBucket.Length, stepped.Points[b].Count);
            Assert.Equal(inBucket.Average(s => s.Value), stepped.Points[b].Avg, 9);
            Assert.Equal(inBucket.Max(s => s.Value), stepped.Points[b].Max);
            Assert.Equal(inBucket.Min(s => s.Value), stepped.Points[b].Min);
            Assert.Equal(inBucket[^1].Value, stepped.Points[b].Last);
        }

        Assert.Equal(samples.Count(s => s.Second >= 600 && s.Second < 1200), window!.Points.Count);
    }

    [Fact]
    public async Task Retention_removes_each_tier_at_its_own_age()
    {
        var (store, registry) = await OpenAsync(new HistoryOptions
        {
            RawRetention = TimeSpan.FromHours(48),
            MinuteRetention = TimeSpan.FromDays(14),
            HourRetention = TimeSpan.FromDays(400),
        });
        var id = registry.GetOrAddFreeForm("ups,id=1", "ups.load");
        Feed(store, id, [(0, 40), (30, 42)]);
        await store.FlushAsync(CancellationToken.None);
        var key = HistoryStore.FreeFormKey("ups,id=1", "ups.load");

        _clock.Now = T0.AddDays(3);
        await store.ApplyRetentionAsync(CancellationToken.None);
        Assert.Empty((await store.QueryAsync(key, T0, T0.AddHours(1), null, CancellationToken.None))!.Points);
        Assert.Equal(2, Assert.Single((await store.QueryAsync(key, T0, T0.AddDays(1), null, CancellationToken.None))!.Points).Count);

        _clock.Now = T0.AddDays(15);
        await store.ApplyRetentionAsync(CancellationToken.None);
        Assert.Empty((await store.QueryAsync(key, T0, T0.AddDays(1), null, CancellationToken.None))!.Points);
        Assert.Equal(2, Assert.Single((await store.QueryAsync(key, T0, T0.AddDays(30), null, CancellationToken.None))!.Points).Count);

        _clock.Now = T0.AddDays(401);
        await store.ApplyRetentionAsync(CancellationToken.None);
        Assert.Empty((await store.QueryAsync(key, T0, T0.AddDays(30), null, CancellationToken.None))!.Points);
    }

    [Fact]
    public async Task A_restart_keeps_series_ids_and_data_whatever_order_series_come_back_in()
    {
        var (before, registry) = await OpenAsync();
        var a = registry.GetOrAddFreeForm("cpu,host=a", "cpu.usage");
        var b = registry.GetOrAddFreeForm("cpu,host=b", "cpu.usage");
        Feed(before, a, [(0, 1)]);
        Feed(before, b, [(0, 2)]);
        await before.FlushAsync(CancellationToken.None);
        var keyA = HistoryStore.FreeFormKey("cpu,host=a", "cpu.usage");
        var keyB = HistoryStore.FreeFormKey("cpu,host=b", "cpu.usage");
        var idA = await before.FindSeriesAsync(keyA, CancellationToken.None);
        var idB = await before.FindSeriesAsync(keyB, CancellationToken.None);
        before.Dispose();

        var (after, fresh) = await OpenAsync();
        var b2 = fresh.GetOrAddFreeForm("cpu,host=b", "cpu.usage");
        var a2 = fresh.GetOrAddFreeForm("cpu,host=a", "cpu.usage");
        Feed(after, a2, [(10, 3)]);
        Feed(after, b2, [(10, 4)]);
        await after.FlushAsync(CancellationToken.None);

        Assert.NotEqual(idA, idB);
        Assert.Equal(idA, await after.FindSeriesAsync(keyA, CancellationToken.None));
        Assert.Equal(idB, await after.FindSeriesAsync(keyB, CancellationToken.None));
        Assert.Equal([1.0, 3.0], (await after.QueryAsync(keyA, T0, T0.AddHours(1), null, CancellationToken.None))!.Points.Select(p => p.Last));
        Assert.Equal([2.0, 4.0], (await after.QueryAsync(keyB, T0, T0.AddHours(1), null, CancellationToken.None))!.Points.Select(p => p.Last));
        Assert.Null(await after.QueryAsync(HistoryStore.FreeFormKey("cpu,host=c", "cpu.usage"), T0, T0.AddHours(1), null, CancellationToken.None));
    }

    [Fact]
    public async Task A_full_buffer_keeps_every_sample_and_holds_producers_back_until_a_flush_makes_room()
    {
        // issue 14: the history never drops; past its capacity it says it is full (the pipeline then makes producers
        // wait and the ingest answers 503) and keeps what it was given
        var (store, registry) = await OpenAsync(new HistoryOptions { BufferCapacity = 10 });
        var id = registry.GetOrAddFreeForm("x,k=v", "x.v");
        var samples = Enumerable.Range(0, 15).Select(i => new Sample(id, HistoryStore.ToNs(T0.AddSeconds(i)), i)).ToArray();

        Assert.False(store.IsFull);
        store.OnSamples(samples);

        Assert.Equal(15, store.Pending);
        Assert.True(store.IsFull);
        var room = store.WaitForRoomAsync(CancellationToken.None);
        Assert.False(room.IsCompleted);
        Assert.Equal(15, await store.FlushAsync(CancellationToken.None));
        await room.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(store.IsFull);
        Assert.Equal(0, store.Pending);
        var points = (await store.QueryAsync(HistoryStore.FreeFormKey("x,k=v", "x.v"), T0, T0.AddHours(1), null, CancellationToken.None))!.Points;
        Assert.Equal(Enumerable.Range(0, 15).Select(i => (double)i), points.Select(p => p.Last));
    }

    [Fact]
    public async Task A_flush_records_the_journal_position_it_reaches_in_the_same_commit()
    {
        var (store, registry) = await OpenAsync();
        Assert.Equal(0, await store.LoadDurableLsnAsync(CancellationToken.None));
        var id = registry.GetOrAddFreeForm("x,k=v", "x.v");
        store.OnSamples([new Sample(id, HistoryStore.ToNs(T0), 1)], 41);
        store.OnSamples([new Sample(id, HistoryStore.ToNs(T0.AddSeconds(1)), 2)], 42);
        store.OnSamples([new Sample(id, HistoryStore.ToNs(T0.AddSeconds(2)), 3)]); // a collector's sample: no LSN
        Assert.Equal(3, await store.FlushAsync(CancellationToken.None));
        Assert.Equal(42, store.DurableLsn);

        var (reopened, _) = await OpenAsync();
        Assert.Equal(42, await reopened.LoadDurableLsnAsync(CancellationToken.None));
    }

    private async Task<(HistoryStore Store, SeriesRegistry Registry)> OpenAsync(HistoryOptions? options = null)
    {
        var database = new Database(new StorageOptions { DataDirectory = _directory });
        await new Migrator(database).MigrateAsync(CancellationToken.None);
        var registry = new SeriesRegistry();
        var store = new HistoryStore(database, registry, null, options ?? new HistoryOptions(), _clock);
        _stores.Add(store);
        return (store, registry);
    }

    private static void Feed(HistoryStore store, int id, (int Second, double Value)[] samples) =>
        store.OnSamples(samples.Select(s => new Sample(id, HistoryStore.ToNs(T0.AddSeconds(s.Second)), s.Value)).ToArray());

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
