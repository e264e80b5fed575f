using System.Globalization;
using Monitoring.Core.Series;
using Monitoring.Storage.History;
using Monitoring.Storage.History.Tsdb;

namespace Monitoring.Storage.Tests.History;

/// <summary>The history engine's own parts: the chunk codec, checkpoints and replay, block cut, rollups and retention.</summary>
public sealed class TsdbTests : IDisposable
{
    private const long Second = 1_000_000_000L;
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-20T00:00:00Z", CultureInfo.InvariantCulture);

    private readonly string _directory = Directory.CreateTempSubdirectory("monitoring-tsdb-").FullName;
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

    [Fact]
    public void The_chunk_codec_round_trips_every_bit_pattern_and_any_timestamp_order()
    {
        var random = new Random(7);
        var t = 1_700_000_000_000_000_000L;
        var samples = new List<(long Ts, double Value)>
        {
            (t, double.NaN), (t + Second, double.PositiveInfinity), (t + (2 * Second), double.NegativeInfinity), (t + (3 * Second), -0.0),
            (t + (4 * Second), 0.0), (t + (5 * Second), 0.0), (t + (6 * Second), 0.0), (t + (7 * Second), double.Epsilon),
            (t + (8 * Second), double.MaxValue), (t + (9 * Second), double.MinValue),
            (t + (9 * Second), 42), // duplicate timestamp
            (t - (3600 * Second), 1.5), // out of order by an hour
            (long.MaxValue - 1, 1), (long.MinValue, 2), (0, 3), // extremes (the decoder's range ends before long.MaxValue)
            (t, BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_1234)), // a NaN with a payload
            (t, 17), (t, 17.5), (t, 0.125), (t, -3.25), (t, 1e20), (t, 123456.789), (t, 0.1 + 0.2), (t, 4.5e15), (t, -4.5e15 - 2), // decimals and not
            (t, 52.3), (t, 52.4), (t, 52.4 + 1e6), (t, 52.4 - 4e9), (t, 0.000001), (t, 1.0000001), // scale kept, far jumps, scale changes
        };
        var ts = t;
        for (var i = 0; i < 5000; i++)
        {
            ts += random.Next(4) switch { 0 => 10 * Second, 1 => (10 * Second) + random.Next(-1_000_000, 1_000_000), 2 => random.NextInt64(-Second, 100 * Second), _ => random.NextInt64(1L << 45) };
            var value = random.Next(3) switch { 0 => Math.Round(random.NextDouble() * 100, 1), 1 => samples[^1].Value, _ => BitConverter.Int64BitsToDouble(random.NextInt64()) };
            samples.Add((ts, value));
        }

        var writer = new SampleChunkWriter();
        foreach (var (time, value) in samples)
        {
            writer.Append(time, value);
        }

        var decoded = new List<RawPoint>();
        SampleChunkWriter.Decode(writer.Bytes, writer.Count, long.MinValue, long.MaxValue, decoded);

        Assert.Equal(samples.Count, decoded.Count);
        for (var i = 0; i < samples.Count; i++)
        {
            Assert.Equal(samples[i].Ts, decoded[i].TimestampNs);
            Assert.Equal(BitConverter.DoubleToInt64Bits(samples[i].Value), BitConverter.DoubleToInt64Bits(decoded[i].Value));
        }

        // reused after a reset, it starts a fresh chunk
        writer.Reset();
        writer.Append(5, 6);
        decoded.Clear();
        SampleChunkWriter.Decode(writer.Bytes, writer.Count, long.MinValue, long.MaxValue, decoded);
        Assert.Equal([new RawPoint(5, 6)], decoded);
    }

    [Fact]
    public void Readings_with_one_decimal_take_under_two_bytes_a_sample()
    {
        var writer = new SampleChunkWriter();
        var values = new List<double>();
        for (var i = 0; i < 360; i++)
        {
            var value = Math.Round(50 + (20 * Math.Sin(i / 30.0)) + ((i * 7919 % 100) / 50.0), 1);
            values.Add(value);
            writer.Append(1_700_000_000_000_000_000L + (i * 10 * Second), value);
        }

        Assert.True(writer.Bytes.Length < 2 * 360, $"{writer.Bytes.Length} bytes for 360 samples");
        var decoded = new List<RawPoint>();
        SampleChunkWriter.Decode(writer.Bytes, writer.Count, long.MinValue, long.MaxValue, decoded);
        Assert.Equal(values, decoded.Select(p => p.Value));
    }

    [Fact]
    public void Regular_samples_compress_to_a_few_bits_and_rollups_round_trip()
    {
        var writer = new SampleChunkWriter();
        for (var i = 0; i < 360; i++)
        {
            writer.Append(1_700_000_000_000_000_000L + (i * 10 * Second), 50);
        }

        // 16 bytes for the first sample, 45 bits for the first interval, then one bit each for the time and the value
        Assert.True(writer.Bytes.Length <= 16 + 6 + 90 + 1, $"{writer.Bytes.Length} bytes");

        var rollups = new RollupChunkWriter();
        var expected = Enumerable.Range(0, 60).Select(i => new Rollup(i * 60 * Second, i, i + 1.5, i * 6.25, 6 + (i % 2), double.NaN, (i * 60 * Second) + (50 * Second))).ToList();
        foreach (var r in expected)
        {
            rollups.Append(r);
        }

        var back = new List<Rollup>();
        RollupChunkWriter.Decode(rollups.Bytes, rollups.Count, long.MinValue, long.MaxValue, back);
        Assert.Equal(expected.Count, back.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Bucket, back[i].Bucket);
            Assert.Equal(expected[i].Min, back[i].Min);
            Assert.Equal(expected[i].Max, back[i].Max);
            Assert.Equal(expected[i].Sum, back[i].Sum);
            Assert.Equal(expected[i].Count, back[i].Count);
            Assert.True(double.IsNaN(back[i].Last));
            Assert.Equal(expected[i].LastTs, back[i].LastTs);
        }
    }

    [Fact]
    public async Task Out_of_order_samples_come_back_sorted_and_a_duplicate_timestamp_keeps_the_last_arrival_before_and_after_compaction()
    {
        var (store, registry) = await OpenAsync();
        var id = registry.GetOrAddFreeForm("cpu,host=a", "cpu.usage");
        var key = HistoryStore.FreeFormKey("cpu,host=a", "cpu.usage");
        Feed(store, id, [(30, 3), (10, 1), (20, 2)]);
        await store.FlushAsync(CancellationToken.None);
        Feed(store, id, [(20, 22), (5, 0.5)]); // a duplicate of second 20, and an older one
        await store.MoveToHeadAsync(CancellationToken.None);

        async Task AssertAsync(string when)
        {
            var raw = (await store.QueryAsync(key, T0, T0.AddHours(1), null, CancellationToken.None))!.Points;
            Assert.True(raw.Select(p => p.TimestampNs).SequenceEqual(new[] { 5, 10, 20, 30 }.Select(s => Ns(s))), when);
            Assert.True(raw.Select(p => p.Last).SequenceEqual([0.5, 1, 22, 3]), when);
            var minute = Assert.Single((await store.QueryAsync(key, T0, T0.AddHours(7), null, CancellationToken.None))!.Points);
            Assert.Equal(4, minute.Count);
            Assert.Equal(0.5 + 1 + 22 + 3, minute.Avg * 4, 9);
            Assert.Equal(22, minute.Max);
            Assert.Equal(3, minute.Last);
        }

        await AssertAsync("in segment and head");
        await store.FlushAsync(CancellationToken.None);
        Assert.Equal(2, await store.CompactAsync(CancellationToken.None));
        await AssertAsync("in a block");
    }

    [Fact]
    public async Task A_crash_loses_the_head_but_the_checkpoint_and_the_journal_replay_give_back_every_sample_once()
    {
        var (before, registry) = await OpenAsync(new HistoryOptions { FlushIntervalMs = 100, CheckpointIntervalMs = 600_000 });
        var id = registry.GetOrAddFreeForm("x,k=v", "x.v");
        var key = HistoryStore.FreeFormKey("x,k=v", "x.v");
        var journal = new List<(long Lsn, Sample[] Samples)>();
        for (var lsn = 1; lsn <= 6; lsn++)
        {
            var samples = Enumerable.Range(0, 10).Select(i => new Sample(id, Ns(((lsn - 1) * 10) + i), (lsn * 100) + i)).ToArray();
            journal.Add((lsn, samples));
            before.OnSamples(samples, lsn);
            if (lsn == 3)
            {
                await before.FlushAsync(CancellationToken.None); // a checkpoint: LSNs 1-3 are on disk
            }
        }

        await before.MoveToHeadAsync(CancellationToken.None); // LSNs 4-6 only in memory
        Assert.Equal(3, before.DurableLsn);
        Assert.Equal(30, before.Flushing);
        Assert.Equal(60, (await before.QueryAsync(key, T0, T0.AddHours(1), null, CancellationToken.None))!.Points.Count);
        // the crash: the process is gone, and a checkpoint it was writing left a half file behind
        await File.WriteAllBytesAsync(Path.Combine(before.Directory, "seg-000000000099.hts.tmp"), new byte[100]);

        var (after, fresh) = await OpenAsync();
        var durable = await after.LoadDurableLsnAsync(CancellationToken.None);
        Assert.Equal(3, durable);
        Assert.False(File.Exists(Path.Combine(after.Directory, "seg-000000000099.hts.tmp")));
        var id2 = fresh.GetOrAddFreeForm("x,k=v", "x.v");
        foreach (var (lsn, samples) in journal.Where(j => j.Lsn > durable))
        {
            after.OnSamples(samples.Select(s => s with { SeriesId = id2 }).ToArray(), lsn);
        }

        await after.FlushAsync(CancellationToken.None);
        Assert.Equal(6, after.DurableLsn);
        var points = (await after.QueryAsync(key, T0, T0.AddHours(1), null, CancellationToken.None))!.Points;
        Assert.Equal(journal.SelectMany(j => j.Samples).Select(s => s.Value), points.Select(p => p.Last));
        var (third, _) = await OpenAsync();
        Assert.Equal(6, await third.LoadDurableLsnAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Closed_hours_become_one_block_and_rollup_files_late_samples_supersede_them_and_retention_deletes_whole_files()
    {
        var (store, registry) = await OpenAsync(new HistoryOptions { RawRetention = TimeSpan.FromHours(24), MinuteRetention = TimeSpan.FromDays(3), HourRetention = TimeSpan.FromDays(10) });
        var a = registry.GetOrAddFreeForm("a", "m");
        var b = registry.GetOrAddFreeForm("b", "m");
        var keyA = HistoryStore.FreeFormKey("a", "m");
        _clock.Now = T0.AddHours(2).AddMinutes(30);
        for (var i = 0; i < 3; i++)
        {
            // two checkpoints in hour 0, one in hour 1, then one sample in the open hour 2
            Feed(store, a, Enumerable.Range(0, 180).Select(s => ((i * 1800) + (s * 10), (double)s)).ToArray());
            Feed(store, b, [((i * 1800) + 5, i)]);
            await store.FlushAsync(CancellationToken.None);
        }

        Feed(store, a, [(2 * 3600, 7)]);
        await store.FlushAsync(CancellationToken.None);
        var beforeRaw = (await store.QueryAsync(keyA, T0, T0.AddHours(3), null, CancellationToken.None))!.Points;
        var beforeMinute = (await store.QueryAsync(keyA, T0, T0.AddHours(7), null, CancellationToken.None))!.Points;

        Assert.Equal(3, await store.CompactAsync(CancellationToken.None)); // the segment with hour 2 waits
        Assert.Equal(["1h", "1h", "1m", "1m", "raw", "raw", "seg"], Kinds(store));
        Assert.Equal(beforeRaw, (await store.QueryAsync(keyA, T0, T0.AddHours(3), null, CancellationToken.None))!.Points);
        Assert.Equal(beforeMinute, (await store.QueryAsync(keyA, T0, T0.AddHours(7), null, CancellationToken.None))!.Points);

        // a late sample for hour 0: a new segment, seen at once, then a new version of hour 0's files
        Feed(store, a, [(3599, 1000)]);
        await store.FlushAsync(CancellationToken.None);
        Assert.Equal(1000, (await store.QueryAsync(keyA, T0, T0.AddHours(1), null, CancellationToken.None))!.Points[^1].Last);
        _clock.Now = T0.AddHours(3).AddMinutes(5);
        Assert.Equal(2, await store.CompactAsync(CancellationToken.None));
        Assert.Equal(["1h", "1h", "1h", "1m", "1m", "1m", "raw", "raw", "raw"], Kinds(store));
        var hourly = (await store.QueryAsync(keyA, T0, T0.AddDays(8), null, CancellationToken.None))!.Points;
        Assert.Equal([361L, 180L, 1L], hourly.Select(p => p.Count));
        Assert.Equal(1000, hourly[0].Max);

        // retention: raw after a day, minute rollups after 3, hour rollups after 10 — whole files
        _clock.Now = T0.AddHours(26).AddMinutes(5);
        Assert.Equal(2, await store.ApplyRetentionAsync(CancellationToken.None));
        Assert.Empty((await store.QueryAsync(keyA, T0, T0.AddHours(1), null, CancellationToken.None))!.Points);
        Assert.Single((await store.QueryAsync(keyA, T0.AddHours(2), T0.AddHours(3), null, CancellationToken.None))!.Points);
        Assert.Equal(beforeMinute.Count, (await store.QueryAsync(keyA, T0, T0.AddHours(7), null, CancellationToken.None))!.Points.Count);
        _clock.Now = T0.AddDays(4);
        await store.ApplyRetentionAsync(CancellationToken.None);
        Assert.Equal(["1h", "1h", "1h"], Kinds(store));
        _clock.Now = T0.AddDays(11);
        await store.ApplyRetentionAsync(CancellationToken.None);
        Assert.Empty(Kinds(store));
        Assert.Empty((await store.QueryAsync(keyA, T0, T0.AddDays(30), null, CancellationToken.None))!.Points);
    }

    [Fact]
    public async Task Rollups_and_raw_answers_match_a_brute_force_computation_across_blocks_segments_and_the_head()
    {
        var (store, registry) = await OpenAsync();
        var random = new Random(11);
        var keys = Enumerable.Range(0, 5).Select(i => $"s{i}").ToArray();
        var ids = keys.Select(k => registry.GetOrAddFreeForm(k, "m")).ToArray();
        var truth = keys.Select(_ => new Dictionary<long, double>()).ToArray();
        _clock.Now = T0.AddHours(4);

        async Task FeedRandomAsync(int fromSecond, int toSecond, int count)
        {
            var batch = new List<Sample>();
            for (var i = 0; i < count; i++)
            {
                var s = random.Next(keys.Length);
                var ts = Ns(random.Next(fromSecond, toSecond));
                var value = Math.Round(random.NextDouble() * 100, 2);
                truth[s][ts] = value; // the last arrival of a timestamp wins
                batch.Add(new Sample(ids[s], ts, value));
            }

            store.OnSamples(batch.ToArray());
            await Task.CompletedTask;
        }

        // hours 0 and 1 in blocks (checkpointed in pieces, compacted), hour 2 in segments, hour 3 in the head
        for (var part = 0; part < 4; part++)
        {
            await FeedRandomAsync(0, 7200, 400);
            await store.FlushAsync(CancellationToken.None);
        }

        Assert.Equal(4, await store.CompactAsync(CancellationToken.None));
        await FeedRandomAsync(0, 7200, 50); // late samples, duplicates included, over the blocks
        await FeedRandomAsync(7200, 10800, 300);
        await store.FlushAsync(CancellationToken.None);
        await FeedRandomAsync(10800, 14400, 300);
        await store.MoveToHeadAsync(CancellationToken.None);

        for (var s = 0; s < keys.Length; s++)
        {
            var key = HistoryStore.FreeFormKey(keys[s], "m");
            var all = truth[s].OrderBy(kv => kv.Key).ToArray();
            var raw = (await store.QueryAsync(key, T0.AddMinutes(90), T0.AddMinutes(200), null, CancellationToken.None))!;
            Assert.Equal(HistoryTier.Raw, raw.Tier);
            var window = all.Where(kv => kv.Key >= Ns(90 * 60) && kv.Key < Ns(200 * 60)).ToArray();
            Assert.Equal(window.Select(kv => kv.Key), raw.Points.Select(p => p.TimestampNs));
            Assert.Equal(window.Select(kv => kv.Value), raw.Points.Select(p => p.Last));

            foreach (var (days, width) in new[] { (1, 60L), (8, 3600L) })
            {
                var result = (await store.QueryAsync(key, T0, T0.AddDays(days), null, CancellationToken.None))!;
                var expected = all.GroupBy(kv => kv.Key / (width * Second)).OrderBy(g => g.Key).ToArray();
                Assert.Equal(expected.Length, result.Points.Count);
                for (var i = 0; i < expected.Length; i++)
                {
                    var point = result.Points[i];
                    var group = expected[i];
                    Assert.Equal(group.Key * width * Second, point.TimestampNs);
                    Assert.Equal(group.Count(), point.Count);
                    Assert.Equal(group.Min(kv => kv.Value), point.Min);
                    Assert.Equal(group.Max(kv => kv.Value), point.Max);
                    Assert.Equal(group.Average(kv => kv.Value), point.Avg, 9);
                    Assert.Equal(group.MaxBy(kv => kv.Key).Value, point.Last);
                }
            }
        }
    }

    [Fact]
    public async Task Non_finite_values_are_counted_not_kept()
    {
        var (store, registry) = await OpenAsync();
        var id = registry.GetOrAddFreeForm("n", "m");
        Feed(store, id, [(0, double.NaN), (1, 1), (2, double.PositiveInfinity)]);
        await store.FlushAsync(CancellationToken.None);
        Assert.Equal(2, store.NonFiniteSkipped);
        Assert.Equal([1.0], (await store.QueryAsync(HistoryStore.FreeFormKey("n", "m"), T0, T0.AddHours(1), null, CancellationToken.None))!.Points.Select(p => p.Last));
    }

    [Fact]
    public async Task Each_flush_reports_its_duration()
    {
        var (store, registry) = await OpenAsync();
        var seen = new List<HistoryFlushEventArgs>();
        store.FlushCompleted += (_, e) => seen.Add(e);
        Feed(store, registry.GetOrAddFreeForm("f", "m"), [(0, 1), (1, 2)]);
        await store.FlushAsync(CancellationToken.None);

        Assert.Equal([false, true], seen.Select(e => e.Checkpoint));
        Assert.All(seen, e => Assert.Equal(2, e.Samples));
        Assert.All(seen, e => Assert.True(e.Duration > TimeSpan.Zero));
        Assert.Equal(seen[^1].Duration, store.LastFlushDuration);
        Assert.Equal(seen[0].Duration + seen[1].Duration, store.FlushDurationTotal);
    }

    private static string[] Kinds(HistoryStore store) =>
        [.. Directory.EnumerateFiles(store.Directory, "*.hts").Select(f => Path.GetFileName(f).Split('-')[0]).Order(StringComparer.Ordinal)];

    private async Task<(HistoryStore Store, SeriesRegistry Registry)> OpenAsync(HistoryOptions? options = null)
    {
        var database = new Database(new StorageOptions { DataDirectory = _directory });
        await new Migrator(database).MigrateAsync(CancellationToken.None);
        var registry = new SeriesRegistry();
        var store = new HistoryStore(database, registry, null, options ?? new HistoryOptions(), _clock);
        _stores.Add(store);
        return (store, registry);
    }

    private static long Ns(int second) => HistoryStore.ToNs(T0.AddSeconds(second));

    private static void Feed(HistoryStore store, int id, (int Second, double Value)[] samples) =>
        store.OnSamples(samples.Select(s => new Sample(id, Ns(s.Second), s.Value)).ToArray());

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
