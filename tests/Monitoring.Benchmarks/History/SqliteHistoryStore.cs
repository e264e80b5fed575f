using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Runtime.InteropServices;
using Monitoring.Core.Series;

using Monitoring.Storage;
using Monitoring.Storage.History;

namespace Monitoring.Benchmarks.History;

/// <summary>
/// The reference for the history-engines benchmark: the embedded history as it was before its own engine (main a1a68cf,
/// src/Monitoring.Storage/History/HistoryStore.cs), kept here unchanged but for its name, so the benchmark measures both
/// side by side in one run. Not used by the server.
/// <para>The embedded history: sees every sample on the pipeline's consumer thread, copies it into its own buffer (never
/// blocking, never dropping: while the buffer holds BufferCapacity samples or more the store reports itself full, so the
/// pipeline makes producers wait and the ingest answers 503 with Retry-After) and writes it on a background flush:
/// raw samples plus 1-minute and 1-hour rollups (min, max, sum, count, last) per series, in the SQLite database of the
/// data directory. Series are identified in the database by a stable key (device id, metric, port), so their ids
/// survive restarts whatever order the registry interns them in. A retention job trims each tier to its own age.
/// Each flush records, in the same transaction as its samples, the highest ingest-journal LSN it holds
/// (<see cref="DurableLsn"/>): a restart replays the journal's later records to this store, so a sample acknowledged
/// with a 2xx is in the history exactly once, whatever moment the process was killed at.</para>
/// </summary>
public sealed class SqliteHistoryStore : IJournaledSampleObserver, ISampleBackpressure, IDisposable
{
    public static readonly TimeSpan RawRangeLimit = TimeSpan.FromHours(6);
    public static readonly TimeSpan MinuteRangeLimit = TimeSpan.FromDays(7);

    private const long NsPerMinute = 60_000_000_000L;
    private const long NsPerHour = 60 * NsPerMinute;

    private const string UpsertTail =
        " (series, ts, min, max, sum, count, last, last_ts) VALUES (@s, @t, @min, @max, @sum, @n, @last, @lt)" +
        " ON CONFLICT(series, ts) DO UPDATE SET min = MIN(min, excluded.min), max = MAX(max, excluded.max), sum = sum + excluded.sum," +
        " count = count + excluded.count, last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END," +
        " last_ts = MAX(last_ts, excluded.last_ts)";

    private readonly Database _database;
    private readonly SeriesRegistry _registry;
    private readonly Core.Inventory.Inventory? _inventory;
    private readonly HistoryOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _bufferGate = new();
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly ConcurrentDictionary<string, long> _idsByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<(long Series, long Bucket), Rollup> _minutes = [];
    private readonly Dictionary<(long Series, long Bucket), Rollup> _hours = [];

    private Sample[] _pending = new Sample[4096];
    private Sample[] _spare = new Sample[4096];
    private int _pendingCount;
    private long[] _dbIds = new long[1024];
    private long _samplesWritten;
    private long _flushes;
    private long _pendingLsn;
    private long _durableLsn;
    private long _flushFailures;
    private int _flushing;
    private bool _schemaReady;
    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SqliteHistoryStore(Database database, SeriesRegistry registry, Core.Inventory.Inventory? inventory, HistoryOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _database = database;
        _registry = registry;
        _inventory = inventory;
        _options = options;
        _time = time;
    }

    public HistoryOptions Options => _options;

    public long SamplesWritten => Interlocked.Read(ref _samplesWritten);

    /// <summary>The highest ingest-journal LSN whose samples are committed (loaded by <see cref="LoadDurableLsnAsync"/>, then advanced by each flush).</summary>
    public long DurableLsn => Interlocked.Read(ref _durableLsn);

    /// <summary>Flushes that failed (their samples went back into the buffer and are retried).</summary>
    public long FlushFailures => Interlocked.Read(ref _flushFailures);

    /// <summary>Samples in the flush in progress (taken from the buffer, not yet committed); 0 between flushes.</summary>
    public int Flushing => Volatile.Read(ref _flushing);

    /// <inheritdoc/>
    public string Name => "history";

    /// <summary>True while the buffer holds BufferCapacity samples or more: producers wait, the ingest answers 503.</summary>
    public bool IsFull => Volatile.Read(ref _pendingCount) >= _options.BufferCapacity;

    public long Flushes => Interlocked.Read(ref _flushes);

    public int Pending
    {
        get
        {
            lock (_bufferGate)
            {
                return _pendingCount;
            }
        }
    }

    /// <summary>The stable key of an inventory series: device id, metric and port index (-1 for the device itself).</summary>
    public static string InventoryKey(string deviceId, string metric, int portIndex) =>
        string.Create(CultureInfo.InvariantCulture, $"d|{deviceId}|{metric}|{portIndex}");

    /// <summary>The stable key of a free-form series: its canonical measurement-and-tags key and metric.</summary>
    public static string FreeFormKey(string canonicalKey, string metric) => $"f|{canonicalKey}|{metric}";

    /// <summary>The tier a query of this range (and optional bucket width) reads: raw up to 6 h, 1-minute up to 7 days, 1-hour beyond.</summary>
    public static HistoryTier ChooseTier(TimeSpan range, TimeSpan? step)
    {
        var byRange = range <= RawRangeLimit ? HistoryTier.Raw : range <= MinuteRangeLimit ? HistoryTier.Minute : HistoryTier.Hour;
        if (step is not { } width)
        {
            return byRange;
        }

        var byStep = width >= TimeSpan.FromHours(1) ? HistoryTier.Hour : width >= TimeSpan.FromMinutes(1) ? HistoryTier.Minute : HistoryTier.Raw;
        return byStep > byRange ? byStep : byRange;
    }

    /// <summary>Copies samples that were not journaled into the buffer; see <see cref="OnSamples(ReadOnlySpan{Sample}, long)"/>.</summary>
    public void OnSamples(ReadOnlySpan<Sample> samples) => OnSamples(samples, 0);

    /// <summary>
    /// Copies the samples into the buffer; never blocks on I/O and never drops (the buffer grows past its capacity by
    /// what is already in the pipeline while producers are held back). Called on the pipeline's consumer thread.
    /// </summary>
    public void OnSamples(ReadOnlySpan<Sample> samples, long lsn)
    {
        lock (_bufferGate)
        {
            if (lsn > _pendingLsn)
            {
                _pendingLsn = lsn;
            }

            var take = samples.Length;
            if (take == 0)
            {
                return;
            }

            if (_pendingCount + take > _pending.Length)
            {
                var bigger = new Sample[Math.Max(_pending.Length * 2, _pendingCount + take)];
                _pending.AsSpan(0, _pendingCount).CopyTo(bigger);
                _pending = bigger;
            }

            samples.CopyTo(_pending.AsSpan(_pendingCount));
            Volatile.Write(ref _pendingCount, _pendingCount + take);
        }
    }

    /// <inheritdoc/>
    public async Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_bufferGate)
            {
                if (!IsFull)
                {
                    return;
                }

                signal = _room.Task;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the LSN of the last committed flush (creating its table on first use); call before replaying the journal.</summary>
    public async Task<long> LoadDurableLsnAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await EnsureSchemaAsync(connection, null, cancellationToken).ConfigureAwait(false);
        await using var select = connection.Command("SELECT lsn FROM history_checkpoint WHERE id = 1");
        var found = await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        var lsn = found is null or DBNull ? 0L : Convert.ToInt64(found, CultureInfo.InvariantCulture);
        Interlocked.Exchange(ref _durableLsn, Math.Max(lsn, DurableLsn));
        return DurableLsn;
    }

    /// <summary>Flushes, then trims, on the configured intervals until cancelled; flushes once more on the way out.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(10, _options.FlushIntervalMs)), _time);
        var lastRetention = DateTimeOffset.MinValue;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await OnOwnThread(() => FlushAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
                var now = _time.GetUtcNow();
                if (now - lastRetention >= _options.RetentionInterval)
                {
                    await OnOwnThread(() => ApplyRetentionAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
                    lastRetention = now;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // on the way out: finish the flush in progress (flushes are not cancelled once started) and write the rest
            while (Pending > 0 && await FlushAsync(CancellationToken.None).ConfigureAwait(false) > 0)
            {
            }
        }
    }

    /// <summary>
    /// Runs a flush or a trim on a thread of its own. SQLite's async calls complete synchronously, so a flush of a
    /// second's 100,000 samples holds its thread for hundreds of milliseconds; on a thread-pool worker that starved the
    /// hub's sends and the pipeline on a 2-core machine (alarm latency p99 about 200 ms, `alarm-latency`). A dedicated
    /// thread a second costs far less than that.
    /// </summary>
    private static Task<int> OnOwnThread(Func<Task<int>> work, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    /// <summary>
    /// Writes every buffered sample (raw and into both rollups) and the journal LSN they reach in one transaction.
    /// Returns how many were written. <paramref name="cancellationToken"/> only cancels waiting for another flush:
    /// a flush that has started runs to its commit. If it fails, its samples go back into the buffer to be retried.
    /// </summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        await _flushGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Sample[] batch;
            int count;
            long lsn;
            lock (_bufferGate)
            {
                batch = _pending;
                count = _pendingCount;
                lsn = _pendingLsn;
                _pending = _spare;
                Volatile.Write(ref _pendingCount, 0);
                _spare = batch;
                Volatile.Write(ref _flushing, count);
                var room = _room;
                _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                room.TrySetResult();
            }

            if (count == 0 && lsn <= DurableLsn)
            {
                return 0;
            }

            try
            {
                var written = await WriteAsync(batch, count, lsn, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Add(ref _samplesWritten, written);
                Interlocked.Increment(ref _flushes);
                if (lsn > DurableLsn)
                {
                    Interlocked.Exchange(ref _durableLsn, lsn);
                }

                return written;
            }
            catch
            {
                Interlocked.Increment(ref _flushFailures);
                Restore(batch, count);
                throw;
            }
        }
        finally
        {
            Volatile.Write(ref _flushing, 0);
            _flushGate.Release();
        }
    }

    /// <summary>Puts the samples of a failed flush back in front of what arrived since, so the next flush retries them.</summary>
    private void Restore(Sample[] batch, int count)
    {
        lock (_bufferGate)
        {
            var merged = new Sample[Math.Max(_pending.Length, count + _pendingCount)];
            batch.AsSpan(0, count).CopyTo(merged);
            _pending.AsSpan(0, _pendingCount).CopyTo(merged.AsSpan(count));
            _pending = merged;
            Volatile.Write(ref _pendingCount, count + _pendingCount);
        }
    }

    private async Task EnsureSchemaAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _schemaReady))
        {
            return;
        }

        await using var create = connection.Command(
            "CREATE TABLE IF NOT EXISTS history_checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), lsn INTEGER NOT NULL)", transaction);
        await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (transaction is null)
        {
            Volatile.Write(ref _schemaReady, true); // inside a transaction the table exists only if it commits
        }
    }

    private async Task<int> WriteAsync(Sample[] batch, int count, long lsn, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var raw = connection.Command("INSERT OR REPLACE INTO history_raw (series, ts, value) VALUES (@s, @t, @v)", transaction);
        var rs = raw.Param("@s");
        var rt = raw.Param("@t");
        var rv = raw.Param("@v");
        _minutes.Clear();
        _hours.Clear();
        var written = 0;
        for (var i = 0; i < count; i++)
        {
            var sample = batch[i];
            if (!double.IsFinite(sample.Value))
            {
                continue;
            }

            var id = await ResolveAsync(connection, transaction, sample.SeriesId, cancellationToken).ConfigureAwait(false);
            rs.Value = id;
            rt.Value = sample.TimestampNs;
            rv.Value = sample.Value;
            await raw.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Accumulate(_minutes, id, Floor(sample.TimestampNs, NsPerMinute), sample);
            Accumulate(_hours, id, Floor(sample.TimestampNs, NsPerHour), sample);
            written++;
        }

        await UpsertAsync(connection, transaction, "history_1m", _minutes, cancellationToken).ConfigureAwait(false);
        await UpsertAsync(connection, transaction, "history_1h", _hours, cancellationToken).ConfigureAwait(false);
        if (lsn > 0)
        {
            await EnsureSchemaAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await using var checkpoint = connection.Command(
                "INSERT INTO history_checkpoint (id, lsn) VALUES (1, @l) ON CONFLICT(id) DO UPDATE SET lsn = MAX(lsn, excluded.lsn)", transaction)
                .With("@l", lsn);
            await checkpoint.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return written;
    }

    /// <summary>Deletes raw samples and rollups older than their tier's retention. Returns the rows removed.</summary>
    public async Task<int> ApplyRetentionAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var removed = 0;
        foreach (var (table, keep) in new[] { ("history_raw", _options.RawRetention), ("history_1m", _options.MinuteRetention), ("history_1h", _options.HourRetention) })
        {
            await using var delete = connection.Command($"DELETE FROM {table} WHERE ts < @cut").With("@cut", ToNs(now - keep));
            removed += await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return removed;
    }

    /// <summary>The database id of a series key, or null if nothing was ever stored for it.</summary>
    public async Task<long?> FindSeriesAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_idsByKey.TryGetValue(key, out var cached))
        {
            return cached;
        }

        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.Command("SELECT id FROM history_series WHERE key = @k").With("@k", key);
        var found = await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (found is null or DBNull)
        {
            return null;
        }

        var id = Convert.ToInt64(found, CultureInfo.InvariantCulture);
        _idsByKey[key] = id;
        return id;
    }

    /// <summary>
    /// The points of one series in [from, to): the tier from <see cref="ChooseTier"/>; with a step, points re-bucketed to
    /// that width (a step finer than the tier's resolution gives the tier's own points). Null if the series is unknown.
    /// </summary>
    public async Task<HistoryResult?> QueryAsync(string key, DateTimeOffset from, DateTimeOffset to, TimeSpan? step, CancellationToken cancellationToken)
    {
        if (to <= from)
        {
            throw new ArgumentException("'to' must be after 'from'", nameof(to));
        }

        if (step is { } s && s <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "a step must be positive");
        }

        if (await FindSeriesAsync(key, cancellationToken).ConfigureAwait(false) is not { } id)
        {
            return null;
        }

        var tier = ChooseTier(to - from, step);
        var resolution = tier switch { HistoryTier.Minute => NsPerMinute, HistoryTier.Hour => NsPerHour, _ => 0L };
        var stepNs = step is { } w ? Math.Max(w.Ticks * 100, resolution) : resolution;
        var bucketed = stepNs > resolution;
        var points = new List<HistoryPoint>();
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var sql = tier == HistoryTier.Raw
            ? "SELECT ts, value, value, value, 1, value FROM history_raw WHERE series = @s AND ts >= @f AND ts < @t ORDER BY ts"
            : $"SELECT ts, min, max, sum, count, last FROM {(tier == HistoryTier.Minute ? "history_1m" : "history_1h")} WHERE series = @s AND ts >= @f AND ts < @t ORDER BY ts";
        var fromNs = bucketed ? Floor(ToNs(from), stepNs) : (resolution > 0 ? Floor(ToNs(from), resolution) : ToNs(from));
        await using var select = connection.Command(sql).With("@s", id).With("@f", fromNs).With("@t", ToNs(to));
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var current = default(Rollup);
        var currentBucket = long.MinValue;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var ts = reader.GetInt64(0);
            var row = new Rollup(reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetInt64(4), reader.GetDouble(5), ts);
            if (!bucketed)
            {
                points.Add(row.ToPoint(ts));
                continue;
            }

            var bucket = Floor(ts, stepNs);
            if (bucket != currentBucket)
            {
                if (currentBucket != long.MinValue)
                {
                    points.Add(current.ToPoint(currentBucket));
                }

                currentBucket = bucket;
                current = row;
            }
            else
            {
                current = current.Merge(row);
            }
        }

        if (bucketed && currentBucket != long.MinValue)
        {
            points.Add(current.ToPoint(currentBucket));
        }

        return new HistoryResult(tier, TimeSpan.FromTicks(stepNs / 100), points);
    }

    public void Dispose() => _flushGate.Dispose();

    internal static long ToNs(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    private static long Floor(long value, long width)
    {
        var q = value / width;
        if (value < 0 && q * width != value)
        {
            q--;
        }

        return q * width;
    }

    private static void Accumulate(Dictionary<(long, long), Rollup> rollups, long series, long bucket, Sample sample)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(rollups, (series, bucket), out var exists);
        var one = new Rollup(sample.Value, sample.Value, sample.Value, 1, sample.Value, sample.TimestampNs);
        slot = exists ? slot.Merge(one) : one;
    }

    private static async Task UpsertAsync(DbConnection connection, DbTransaction transaction, string table, Dictionary<(long Series, long Bucket), Rollup> rollups, CancellationToken cancellationToken)
    {
        await using var upsert = connection.Command("INSERT INTO " + table + UpsertTail, transaction);
        var s = upsert.Param("@s");
        var t = upsert.Param("@t");
        var min = upsert.Param("@min");
        var max = upsert.Param("@max");
        var sum = upsert.Param("@sum");
        var n = upsert.Param("@n");
        var last = upsert.Param("@last");
        var lastTs = upsert.Param("@lt");
        foreach (var ((series, bucket), r) in rollups)
        {
            s.Value = series;
            t.Value = bucket;
            min.Value = r.Min;
            max.Value = r.Max;
            sum.Value = r.Sum;
            n.Value = r.Count;
            last.Value = r.Last;
            lastTs.Value = r.LastTs;
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<long> ResolveAsync(DbConnection connection, DbTransaction transaction, int seriesId, CancellationToken cancellationToken)
    {
        if ((uint)seriesId < (uint)_dbIds.Length && _dbIds[seriesId] > 0)
        {
            return _dbIds[seriesId];
        }

        var info = _registry[seriesId];
        string key;
        string? deviceId = null;
        if (info.IsFreeForm)
        {
            key = FreeFormKey(info.FreeFormKey ?? string.Empty, info.Metric);
        }
        else
        {
            deviceId = _inventory is not null && info.DeviceIndex < _inventory.Devices.Count
                ? _inventory.Devices[info.DeviceIndex].Id
                : "#" + info.DeviceIndex.ToString(CultureInfo.InvariantCulture);
            key = InventoryKey(deviceId, info.Metric, info.PortIndex);
        }

        await using (var insert = connection.Command(
            "INSERT OR IGNORE INTO history_series (key, device_id, metric, port) VALUES (@k, @d, @m, @p)", transaction)
            .With("@k", key).With("@d", deviceId).With("@m", info.Metric).With("@p", info.PortIndex))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var select = connection.Command("SELECT id FROM history_series WHERE key = @k", transaction).With("@k", key);
        var id = Convert.ToInt64(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (seriesId >= _dbIds.Length)
        {
            Array.Resize(ref _dbIds, Math.Max(seriesId + 1, _dbIds.Length * 2));
        }

        _dbIds[seriesId] = id;
        _idsByKey[key] = id;
        return id;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly record struct Rollup(double Min, double Max, double Sum, long Count, double Last, long LastTs)
    {
        public Rollup Merge(Rollup other) => new(
            Math.Min(Min, other.Min), Math.Max(Max, other.Max), Sum + other.Sum, Count + other.Count,
            other.LastTs >= LastTs ? other.Last : Last, Math.Max(LastTs, other.LastTs));

        public HistoryPoint ToPoint(long bucket) => new(bucket, Min, Max, Count == 0 ? double.NaN : Sum / Count, Last, Count);
    }
}
