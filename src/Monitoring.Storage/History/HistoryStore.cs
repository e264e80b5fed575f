using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Monitoring.Core.Series;
using Monitoring.Storage.History.Tsdb;

namespace Monitoring.Storage.History;

/// <summary>What one history flush did, for /metrics ("history flush time").</summary>
public sealed class HistoryFlushEventArgs(TimeSpan duration, int samples, bool checkpoint) : EventArgs
{
    /// <summary>How long the flush took.</summary>
    public TimeSpan Duration { get; } = duration;

    /// <summary>Samples it moved (into the head, or to disk for a checkpoint).</summary>
    public int Samples { get; } = samples;

    /// <summary>True for a checkpoint (head written to a segment file and fsync'd), false for a move of the buffer into the head.</summary>
    public bool Checkpoint { get; } = checkpoint;
}

/// <summary>
/// The embedded history, a time-series engine of its own (docs/ARCHITECTURE.md, "History"):
/// <list type="bullet">
/// <item>the pipeline's consumer thread copies samples into a buffer (never blocking, never dropping: past BufferCapacity
/// the store says it is full, so producers wait and the ingest answers 503 with Retry-After);</item>
/// <item>every FlushIntervalMs the buffer moves into the head: per series an append-only Gorilla-compressed chunk
/// (timestamps delta-of-delta, values XOR) in memory, readable by queries at once;</item>
/// <item>every CheckpointIntervalMs (and by <see cref="FlushAsync"/>, and on the way out) the head is written as one
/// immutable segment file (series-sorted chunks and an index), fsync'd and renamed into place; only then does
/// <see cref="DurableLsn"/> advance, so the ingest journal (the write-ahead log) replays exactly what no file holds;</item>
/// <item>once an hour is closed, its segments are compacted into one block file per hour, and its 1-minute and 1-hour
/// rollups (min, max, sum, count, last) are computed from it and written once, compressed, into files of their own;</item>
/// <item>retention deletes whole files (no row deletes, no pauses);</item>
/// <item>SQLite (history.db) keeps only the series catalog: a stable integer id per series key.</item>
/// </list>
/// A duplicate timestamp of a series replaces the earlier value (raw and rollups); samples may arrive in any order.
/// </summary>
public sealed partial class HistoryStore : IJournaledSampleObserver, ISampleBackpressure, IDisposable
{
    public static readonly TimeSpan RawRangeLimit = TimeSpan.FromHours(6);
    public static readonly TimeSpan MinuteRangeLimit = TimeSpan.FromDays(7);

    /// <summary>How long after an hour ends its segments wait for late samples before they are compacted into its block.</summary>
    public static readonly TimeSpan CompactionGrace = TimeSpan.FromMinutes(2);

    private const long NsPerMinute = 60_000_000_000L;
    private const long NsPerHour = 60 * NsPerMinute;
    private const long Window = NsPerHour;

    private readonly Database _database;
    private readonly SeriesRegistry _registry;
    private readonly Core.Inventory.Inventory? _inventory;
    private readonly HistoryOptions _options;
    private readonly TimeProvider _time;
    private readonly string _directory;
    private readonly Lock _bufferGate = new();
    private readonly Lock _headGate = new();
    private readonly Lock _filesGate = new();
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly SemaphoreSlim _maintenanceGate = new(1, 1);
    private readonly ConcurrentDictionary<string, long> _idsByKey = new(StringComparer.Ordinal);

    private Sample[] _pending = new Sample[4096];
    private Sample[] _spare = new Sample[4096];
    private int _pendingCount;
    private long _pendingLsn;
    private int[] _dbIds = new int[1024];
    private SampleChunkWriter?[] _head = new SampleChunkWriter?[1024];
    private readonly List<int> _headSeries = [];
    private readonly Dictionary<int, int> _registryByDbId = [];
    private int _headCount;
    private long _headLsn;
    private FileSet _files = FileSet.Empty;
    private bool _opened;
    private long _nextSeq = 1;
    private long _samplesWritten;
    private long _flushes;
    private long _checkpoints;
    private long _durableLsn;
    private long _flushFailures;
    private long _nonFinite;
    private long _pastRetention;
    private long _lastFlushTicks;
    private long _flushTicksTotal;
    private int _moving;
    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HistoryStore(Database database, SeriesRegistry registry, Core.Inventory.Inventory? inventory, HistoryOptions options, TimeProvider time)
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
        _directory = Path.Combine(database.DataDirectory, "history");
    }

    /// <summary>Raised after each flush (buffer into head) and each checkpoint (head to disk) with its duration.</summary>
    public event EventHandler<HistoryFlushEventArgs>? FlushCompleted;

    public HistoryOptions Options => _options;

    /// <summary>The folder of the history's files (segments, blocks, rollups, checkpoint).</summary>
    public string Directory => _directory;

    /// <summary>Samples on disk: written by a checkpoint (fsync'd).</summary>
    public long SamplesWritten => Interlocked.Read(ref _samplesWritten);

    /// <summary>The highest ingest-journal LSN whose samples are in a file (loaded by <see cref="LoadDurableLsnAsync"/>, then advanced by each checkpoint).</summary>
    public long DurableLsn => Interlocked.Read(ref _durableLsn);

    /// <summary>Flushes or checkpoints that failed (their samples stay in the buffer or head and are retried).</summary>
    public long FlushFailures => Interlocked.Read(ref _flushFailures);

    /// <summary>Samples taken from the buffer but not yet on disk (in the head, or being moved into it); 0 right after a checkpoint.</summary>
    public int Flushing => Volatile.Read(ref _headCount) + Volatile.Read(ref _moving);

    /// <summary>Checkpoints written (head to an fsync'd segment file).</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>Samples whose value was NaN or infinite: not kept (a rollup of them means nothing), counted here.</summary>
    public long NonFiniteSkipped => Interlocked.Read(ref _nonFinite);

    /// <summary>Late samples that arrived after every tier of their hour had passed its retention: counted, not kept.</summary>
    public long PastRetentionSkipped => Interlocked.Read(ref _pastRetention);

    /// <summary>How long the last flush or checkpoint took.</summary>
    public TimeSpan LastFlushDuration => TimeSpan.FromTicks(Interlocked.Read(ref _lastFlushTicks));

    /// <summary>The time spent in flushes and checkpoints since start.</summary>
    public TimeSpan FlushDurationTotal => TimeSpan.FromTicks(Interlocked.Read(ref _flushTicksTotal));

    /// <inheritdoc/>
    public string Name => "history";

    /// <summary>
    /// True while the buffer holds BufferCapacity samples or more, or the head (not yet checkpointed) holds 16 times that
    /// (checkpoints failing): producers wait, the ingest answers 503.
    /// </summary>
    public bool IsFull => Volatile.Read(ref _pendingCount) >= _options.BufferCapacity || Volatile.Read(ref _headCount) >= HeadLimit;

    /// <summary>Flushes of the buffer into the head.</summary>
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

    private long HeadLimit => (long)_options.BufferCapacity * 16;

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

    /// <summary>Opens the history's files and reads the LSN of the last checkpoint; call before replaying the journal.</summary>
    public Task<long> LoadDurableLsnAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EnsureOpen();
        return Task.FromResult(DurableLsn);
    }

    /// <summary>
    /// Every FlushIntervalMs moves the buffer into the head; every CheckpointIntervalMs (or sooner when the head holds
    /// 4 x BufferCapacity samples) writes the head to disk and compacts closed hours; trims on RetentionInterval.
    /// On the way out: moves and checkpoints everything left.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(10, _options.FlushIntervalMs)), _time);
        var lastRetention = DateTimeOffset.MinValue;
        var lastCheckpoint = _time.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await OnOwnThread(() => MoveToHeadAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
                var now = _time.GetUtcNow();
                if (now - lastCheckpoint >= TimeSpan.FromMilliseconds(Math.Max(10, _options.CheckpointIntervalMs))
                    || Volatile.Read(ref _headCount) >= (long)_options.BufferCapacity * 4)
                {
                    await OnOwnThread(() => FlushAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
                    lastCheckpoint = now;
                    await OnOwnThread(() => CompactAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
                }

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
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
            while (Pending > 0 && await FlushAsync(CancellationToken.None).ConfigureAwait(false) > 0)
            {
            }
        }
    }

    /// <summary>
    /// Runs a flush, checkpoint or compaction on a thread of its own, so its synchronous file and SQLite work never holds a
    /// thread-pool worker the hub and the pipeline need on a 2-core machine.
    /// </summary>
    private static Task<int> OnOwnThread(Func<Task<int>> work, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    /// <summary>
    /// Moves every buffered sample into the head, then checkpoints the head: writes it to a segment file, fsyncs it, and
    /// advances <see cref="DurableLsn"/> to the journal LSN it reaches. Returns how many samples were moved.
    /// <paramref name="cancellationToken"/> only cancels waiting for another flush: a flush that has started runs to its end.
    /// If it fails, its samples stay in the buffer or head and are retried.
    /// </summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        await _flushGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var moved = await MoveLockedAsync().ConfigureAwait(false);
            CheckpointLocked();
            return moved;
        }
        finally
        {
            _flushGate.Release();
        }
    }

    /// <summary>Moves the buffer into the head (no disk write but the series catalog's new keys).</summary>
    internal async Task<int> MoveToHeadAsync(CancellationToken cancellationToken)
    {
        await _flushGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await MoveLockedAsync().ConfigureAwait(false);
        }
        finally
        {
            _flushGate.Release();
        }
    }

    private async Task<int> MoveLockedAsync()
    {
        EnsureOpen();
        var watch = Stopwatch.StartNew();
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
            Volatile.Write(ref _moving, count);
            SignalRoom();
        }

        try
        {
            await ResolveAllAsync(batch, count).ConfigureAwait(false);
            var kept = 0;
            lock (_headGate)
            {
                for (var i = 0; i < count; i++)
                {
                    ref readonly var sample = ref batch[i];
                    if (!double.IsFinite(sample.Value))
                    {
                        _nonFinite++;
                        continue;
                    }

                    var id = sample.SeriesId;
                    var chunk = _head[id];
                    if (chunk is null)
                    {
                        chunk = _head[id] = new SampleChunkWriter();
                    }

                    if (chunk.Count == 0)
                    {
                        _headSeries.Add(id);
                    }

                    chunk.Append(sample.TimestampNs, sample.Value);
                    kept++;
                }

                _headLsn = Math.Max(_headLsn, lsn);
                Volatile.Write(ref _headCount, _headCount + kept);
                Volatile.Write(ref _moving, 0);
            }

            Interlocked.Increment(ref _flushes);
            Record(watch.Elapsed, count, checkpoint: false);
            return count;
        }
        catch
        {
            Interlocked.Increment(ref _flushFailures);
            Restore(batch, count);
            throw;
        }
        finally
        {
            Volatile.Write(ref _moving, 0);
        }
    }

    private void SignalRoom()
    {
        var room = _room;
        _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        room.TrySetResult();
    }

    private void Record(TimeSpan elapsed, int samples, bool checkpoint)
    {
        Interlocked.Exchange(ref _lastFlushTicks, elapsed.Ticks);
        Interlocked.Add(ref _flushTicksTotal, elapsed.Ticks);
        Core.Diagnostics.MonitoringInstruments.HistoryFlushTook(elapsed, samples); // metrics: history flush time (moves and checkpoints)
        FlushCompleted?.Invoke(this, new HistoryFlushEventArgs(elapsed, samples, checkpoint));
    }

    /// <summary>Writes the head as one segment file (fsync, rename), then empties it and advances the durable LSN.</summary>
    private void CheckpointLocked()
    {
        var watch = Stopwatch.StartNew();
        int[] series;
        long lsn;
        lock (_headGate)
        {
            series = [.. _headSeries];
            lsn = _headLsn;
        }

        if (series.Length == 0)
        {
            if (lsn > DurableLsn)
            {
                WriteCheckpointFile(lsn, Interlocked.Read(ref _nextSeq) - 1);
                Interlocked.Exchange(ref _durableLsn, lsn);
            }

            return;
        }

        try
        {
            // the head is not written to while the flush gate is held; queries only read it
            Array.Sort(series, (a, b) => _dbIds[a].CompareTo(_dbIds[b]));
            var seq = Interlocked.Increment(ref _nextSeq) - 1;
            var path = Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"seg-{seq:D12}.hts"));
            long minTs = long.MaxValue, maxTs = long.MinValue, samples = 0;
            ChunkFileHeader header;
            using (var writer = new ChunkFileWriter(path, ChunkFileKind.Raw))
            {
                foreach (var id in series)
                {
                    var chunk = _head[id]!;
                    writer.Add(_dbIds[id], chunk.Count, chunk.Bytes);
                    minTs = Math.Min(minTs, chunk.MinTs);
                    maxTs = Math.Max(maxTs, chunk.MaxTs);
                    samples += chunk.Count;
                }

                header = writer.Commit(lsn, minTs, maxTs, 0);
            }

            var entry = new FileEntry(path, seq, 0, header);
            lock (_headGate)
            {
                lock (_filesGate)
                {
                    _files = _files with { Segments = [.. _files.Segments, entry] };
                }

                foreach (var id in series)
                {
                    _head[id]!.Reset();
                }

                _headSeries.Clear();
                Volatile.Write(ref _headCount, 0);
            }

            lock (_bufferGate)
            {
                SignalRoom();
            }

            if (lsn > DurableLsn)
            {
                Interlocked.Exchange(ref _durableLsn, lsn);
            }

            Interlocked.Add(ref _samplesWritten, samples);
            Interlocked.Increment(ref _checkpoints);
            Record(watch.Elapsed, (int)samples, checkpoint: true);
        }
        catch
        {
            Interlocked.Increment(ref _flushFailures);
            throw;
        }
    }

    /// <summary>Puts the samples of a failed move back in front of what arrived since, so the next flush retries them.</summary>
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

    /// <summary>Gives every series of the batch its catalog id (one SQLite transaction for the new ones) and a head slot.</summary>
    private async Task ResolveAllAsync(Sample[] batch, int count)
    {
        DbConnection? connection = null;
        DbTransaction? transaction = null;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var id = batch[i].SeriesId;
                if ((uint)id < (uint)_dbIds.Length && _dbIds[id] > 0)
                {
                    continue;
                }

                if (connection is null)
                {
                    connection = await _database.OpenAsync(CancellationToken.None).ConfigureAwait(false);
                    transaction = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
                }

                await ResolveAsync(connection, transaction!, id).ConfigureAwait(false);
            }

            if (transaction is not null)
            {
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
            }

            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task ResolveAsync(DbConnection connection, DbTransaction transaction, int seriesId)
    {
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
            await insert.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }

        await using var select = connection.Command("SELECT id FROM history_series WHERE key = @k", transaction).With("@k", key);
        var id = checked((int)Convert.ToInt64(await select.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false), CultureInfo.InvariantCulture));
        lock (_headGate)
        {
            if (seriesId >= _dbIds.Length)
            {
                var size = Math.Max(seriesId + 1, _dbIds.Length * 2);
                Array.Resize(ref _dbIds, size);
                Array.Resize(ref _head, size);
            }

            _dbIds[seriesId] = id;
            _registryByDbId[id] = seriesId;
        }

        _idsByKey[key] = id;
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
    /// Reads the head, the segments, the blocks and the rollup files, whichever hold the range.
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

        EnsureOpen();
        var tier = ChooseTier(to - from, step);
        var resolution = tier switch { HistoryTier.Minute => NsPerMinute, HistoryTier.Hour => NsPerHour, _ => 0L };
        var stepNs = step is { } w ? Math.Max(w.Ticks * 100, resolution) : resolution;
        var bucketed = stepNs > resolution;
        var fromNs = bucketed ? Floor(ToNs(from), stepNs) : (resolution > 0 ? Floor(ToNs(from), resolution) : ToNs(from));
        var toNs = ToNs(to);
        var series = checked((int)id);
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var rows = tier == HistoryTier.Raw
                    ? ReadRaw(series, fromNs, toNs, _files, forRollup: null).Select(p => Rollup.Of(p.TimestampNs, p.TimestampNs, p.Value)).ToList()
                    : ReadRollups(series, tier, resolution, fromNs, toNs);
                return new HistoryResult(tier, TimeSpan.FromTicks(stepNs / 100), Bucket(rows, bucketed, stepNs));
            }
            catch (FileNotFoundException) when (attempt < 3)
            {
                // a compaction or the retention replaced a file after this query took its list: read the new list
            }
        }
    }

    private static List<HistoryPoint> Bucket(List<Rollup> rows, bool bucketed, long stepNs)
    {
        var points = new List<HistoryPoint>(rows.Count);
        if (!bucketed)
        {
            points.AddRange(rows.Select(r => r.ToPoint(r.Bucket)));
            return points;
        }

        var current = default(Rollup);
        var currentBucket = long.MinValue;
        foreach (var row in rows)
        {
            var bucket = Floor(row.Bucket, stepNs);
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

        if (currentBucket != long.MinValue)
        {
            points.Add(current.ToPoint(currentBucket));
        }

        return points;
    }

    /// <summary>
    /// The raw samples of a series in [from, to), in time order, a duplicate timestamp keeping the value that arrived last:
    /// the hour blocks, then the segments not yet absorbed into them (oldest first), then the head. With
    /// <paramref name="forRollup"/>, the hours that have a rollup file of that tier skip their block and the segments it absorbed.
    /// </summary>
    private List<RawPoint> ReadRaw(int series, long from, long to, FileSet files, Dictionary<long, FileEntry>? forRollup)
    {
        var points = new List<RawPoint>();
        for (var window = Floor(from, Window); window < to; window += Window)
        {
            if (forRollup is not null && forRollup.ContainsKey(window))
            {
                continue;
            }

            if (files.Raw.TryGetValue(window, out var block))
            {
                ReadChunk(block, series, from, to, points);
            }
        }

        foreach (var segment in files.Segments)
        {
            if (segment.Header.MaxTs < from || segment.Header.MinTs >= to)
            {
                continue;
            }

            var before = points.Count;
            ReadChunk(segment, series, from, to, points);
            // drop what an hour's block (or rollup file) already absorbed
            var kept = before;
            for (var i = before; i < points.Count; i++)
            {
                var window = Floor(points[i].TimestampNs, Window);
                if (segment.Seq > Absorbed(files, forRollup, window))
                {
                    points[kept++] = points[i];
                }
            }

            points.RemoveRange(kept, points.Count - kept);
        }

        byte[]? head = null;
        var headCount = 0;
        lock (_headGate)
        {
            if (_registryByDbId.TryGetValue(series, out var registryId) && _head[registryId] is { Count: > 0 } chunk)
            {
                head = chunk.Bytes.ToArray();
                headCount = chunk.Count;
            }
        }

        if (head is not null)
        {
            SampleChunkWriter.Decode(head, headCount, from, to, points);
        }

        return SortAndDeduplicate(points);
    }

    private static long Absorbed(FileSet files, Dictionary<long, FileEntry>? forRollup, long window)
    {
        if (forRollup is not null && forRollup.TryGetValue(window, out var rollup))
        {
            return rollup.AbsorbedSeq;
        }

        return files.Raw.TryGetValue(window, out var block) ? block.AbsorbedSeq : 0;
    }

    /// <summary>Stable sort by time; of equal timestamps the last one (the latest arrival) stays.</summary>
    internal static List<RawPoint> SortAndDeduplicate(List<RawPoint> points)
    {
        var sorted = true;
        for (var i = 1; i < points.Count && sorted; i++)
        {
            sorted = points[i - 1].TimestampNs < points[i].TimestampNs;
        }

        if (sorted)
        {
            return points;
        }

        var order = new (long Ts, int Index)[points.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = (points[i].TimestampNs, i);
        }

        Array.Sort(order);
        var result = new List<RawPoint>(points.Count);
        for (var i = 0; i < order.Length; i++)
        {
            if (i + 1 < order.Length && order[i + 1].Ts == order[i].Ts)
            {
                continue; // a later arrival of the same timestamp follows
            }

            result.Add(points[order[i].Index]);
        }

        return result;
    }

    private static void ReadChunk(FileEntry file, int series, long from, long to, List<RawPoint> into)
    {
        using var handle = File.OpenHandle(file.Path);
        if (ChunkFileWriter.TryRead(handle, file.Header, series, out var bytes, out var count))
        {
            SampleChunkWriter.Decode(bytes, count, from, to, into);
        }
    }

    /// <summary>
    /// A series' rollups of one tier in [from, to): the rollup files of closed hours, plus rollups computed from the raw
    /// samples no rollup file holds yet (open hours, late samples). An hour whose late samples may replace a sample of
    /// its block (a duplicate timestamp) is computed again from all its raw samples while its block is kept.
    /// </summary>
    private List<Rollup> ReadRollups(int series, HistoryTier tier, long resolution, long from, long to)
    {
        var files = _files;
        var tierFiles = tier == HistoryTier.Minute ? files.Minute : files.Hour;
        var buckets = new SortedDictionary<long, Rollup>();
        var pending = ReadRaw(series, from, to, files, tierFiles);
        var recompute = new HashSet<long>();
        foreach (var p in pending)
        {
            var window = Floor(p.TimestampNs, Window);
            if (tierFiles.ContainsKey(window) && files.Raw.ContainsKey(window))
            {
                recompute.Add(window);
            }
        }

        var partials = new List<Rollup>();
        for (var window = Floor(from, Window); window < to; window += Window)
        {
            if (recompute.Contains(window) || !tierFiles.TryGetValue(window, out var file))
            {
                continue;
            }

            using var handle = File.OpenHandle(file.Path);
            if (ChunkFileWriter.TryRead(handle, file.Header, series, out var bytes, out var count))
            {
                RollupChunkWriter.Decode(bytes, count, from, to, partials);
            }
        }

        foreach (var r in partials)
        {
            Add(buckets, r);
        }

        foreach (var p in pending)
        {
            if (!recompute.Contains(Floor(p.TimestampNs, Window)))
            {
                Add(buckets, Rollup.Of(Floor(p.TimestampNs, resolution), p.TimestampNs, p.Value));
            }
        }

        foreach (var window in recompute)
        {
            foreach (var p in ReadRaw(series, Math.Max(from, window), Math.Min(to, window + Window), files, forRollup: null))
            {
                Add(buckets, Rollup.Of(Floor(p.TimestampNs, resolution), p.TimestampNs, p.Value));
            }
        }

        return [.. buckets.Values];
    }

    private static void Add(SortedDictionary<long, Rollup> buckets, Rollup r) =>
        buckets[r.Bucket] = buckets.TryGetValue(r.Bucket, out var existing) ? existing.Merge(r) : r;

    public void Dispose()
    {
        _flushGate.Dispose();
        _maintenanceGate.Dispose();
    }

    internal static long ToNs(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    internal static long Floor(long value, long width)
    {
        var q = value / width;
        if (value < 0 && q * width != value)
        {
            q--;
        }

        return q * width;
    }

    /// <summary>The checkpoint file: the durable LSN and the last segment sequence number, for when no segment is left to carry them.</summary>
    private void WriteCheckpointFile(long lsn, long seq)
    {
        var path = Path.Combine(_directory, "checkpoint");
        var temporary = path + ".tmp";
        var bytes = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, lsn);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), seq);
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads the folder once: leftovers of an interrupted write are removed, superseded files too.</summary>
    private void EnsureOpen()
    {
        if (Volatile.Read(ref _opened))
        {
            return;
        }

        lock (_filesGate)
        {
            if (_opened)
            {
                return;
            }

            System.IO.Directory.CreateDirectory(_directory);
            long lsn = 0, seq = 0;
            var checkpoint = Path.Combine(_directory, "checkpoint");
            if (File.Exists(checkpoint))
            {
                var bytes = File.ReadAllBytes(checkpoint);
                if (bytes.Length == 16)
                {
                    lsn = BinaryPrimitives.ReadInt64LittleEndian(bytes);
                    seq = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
                }
            }

            var segments = new List<FileEntry>();
            var raw = new Dictionary<long, FileEntry>();
            var minute = new Dictionary<long, FileEntry>();
            var hour = new Dictionary<long, FileEntry>();
            foreach (var path in System.IO.Directory.EnumerateFiles(_directory))
            {
                var name = Path.GetFileName(path);
                if (name.EndsWith(".tmp", StringComparison.Ordinal))
                {
                    File.Delete(path);
                    continue;
                }

                if (!name.EndsWith(".hts", StringComparison.Ordinal))
                {
                    continue;
                }

                var parts = name[..^4].Split('-');
                var header = ChunkFileWriter.ReadHeader(path);
                lsn = Math.Max(lsn, header.Lsn);
                seq = Math.Max(seq, header.AbsorbedSeq);
                if (parts is ["seg", var s])
                {
                    var segmentSeq = long.Parse(s, CultureInfo.InvariantCulture);
                    seq = Math.Max(seq, segmentSeq);
                    segments.Add(new FileEntry(path, segmentSeq, 0, header));
                }
                else if (parts is [var kind, var w, var v])
                {
                    var entry = new FileEntry(path, long.Parse(v, CultureInfo.InvariantCulture), long.Parse(w, CultureInfo.InvariantCulture), header);
                    var target = kind switch { "raw" => raw, "1m" => minute, "1h" => hour, _ => null };
                    if (target is null)
                    {
                        continue;
                    }

                    if (target.TryGetValue(entry.Window, out var other))
                    {
                        // an interrupted compaction left two versions: the newer holds all the older did
                        var (keep, drop) = other.Seq > entry.Seq ? (other, entry) : (entry, other);
                        File.Delete(drop.Path);
                        entry = keep;
                    }

                    target[entry.Window] = entry;
                }
            }

            segments.Sort((a, b) => a.Seq.CompareTo(b.Seq));
            _files = new FileSet([.. segments], raw, minute, hour);
            Interlocked.Exchange(ref _durableLsn, Math.Max(lsn, DurableLsn));
            _nextSeq = Math.Max(_nextSeq, seq + 1);
            Volatile.Write(ref _opened, true);
        }
    }

    /// <summary>The files of the history at one moment (replaced, never changed, so a query reads a consistent list).</summary>
    private sealed record FileSet(
        FileEntry[] Segments, Dictionary<long, FileEntry> Raw, Dictionary<long, FileEntry> Minute, Dictionary<long, FileEntry> Hour)
    {
        public static readonly FileSet Empty = new([], new Dictionary<long, FileEntry>(), new Dictionary<long, FileEntry>(), new Dictionary<long, FileEntry>());
    }

    /// <summary>One file: a segment (its sequence number) or an hour's block or rollups (the hour and its version).</summary>
    private sealed record FileEntry(string Path, long Seq, long Window, ChunkFileHeader Header)
    {
        /// <summary>Segments with a sequence number up to this one are in this file (for its hour).</summary>
        public long AbsorbedSeq => Header.AbsorbedSeq;
    }
}
