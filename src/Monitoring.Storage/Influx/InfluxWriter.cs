using System.Buffers;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;

namespace Monitoring.Storage.Influx;

/// <summary>
/// Writes every sample the pipeline sees to each configured InfluxDB target. <see cref="OnSamples(ReadOnlySpan{Sample}, long)"/>
/// (the pipeline's consumer thread) only copies samples into a queue and never waits nor drops: while the queue holds
/// QueueCapacity samples the writer reports itself full (<see cref="ISampleBackpressure"/>), so producers wait and the
/// ingest answers 503. Journaled samples carry their LSN into each target's disk buffer (a journaled request is never
/// split across two batches), so a restart replays exactly what a target had not buffered (<see cref="Replay"/>). One encoder loop turns samples into line protocol (series prefixes encoded once, see
/// <see cref="SeriesPrefixCache"/>) and cuts a batch when it holds BatchSize points or FlushIntervalMs has passed since
/// its first point (the smallest of the targets' settings); each target then buffers and sends it (see
/// <see cref="InfluxTargetWriter"/>). On shutdown the queue is encoded and buffered on disk before the loops end.
/// </summary>
public sealed partial class InfluxWriter : IJournaledSampleObserver, ISampleBackpressure, IDisposable
{
    private readonly Channel<Chunk> _queue;
    private readonly SeriesPrefixCache _prefixes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly InfluxTargetWriter[] _targets;
    private readonly HttpClient? _ownedHttp;
    private readonly int _capacity;
    private readonly int _batchSize;
    private readonly TimeSpan _flushInterval;
    private readonly ArrayBufferWriter<byte> _batch = new(1 << 20);
    private int _batchPoints;
    private long _firstPointTicks;
    private long _queuedSamples;
    private long _samplesDropped;
    private long _samplesSkipped;
    private long _samplesEncoded;
    private long _batchLsn;
    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="bufferRoot">Where each target's disk buffer lives: <c>bufferRoot/&lt;target&gt;/</c>.</param>
    /// <param name="http">A shared client; when null the writer makes one over its own <see cref="SocketsHttpHandler"/>.</param>
    public InfluxWriter(
        InfluxOptions options, SeriesRegistry registry, Inventory? inventory, string bufferRoot, TimeProvider time, ILoggerFactory loggers, HttpClient? http = null, RetryPolicy? retry = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        if (options.Targets.Count == 0)
        {
            throw new ArgumentException("no InfluxDB target is configured", nameof(options));
        }

        _time = time;
        _logger = loggers.CreateLogger<InfluxWriter>();
        _prefixes = new SeriesPrefixCache(registry, inventory);
        _capacity = Math.Max(options.QueueCapacity, 1024);
        _queue = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        _batchSize = Math.Max(1, options.Targets.Min(t => t.BatchSize));
        _flushInterval = TimeSpan.FromMilliseconds(Math.Max(1, options.Targets.Min(t => t.FlushIntervalMs)));
        if (http is null)
        {
            _ownedHttp = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 4 })
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
            http = _ownedHttp;
        }

        var targetLogger = loggers.CreateLogger<InfluxTargetWriter>();
        _targets = new InfluxTargetWriter[options.Targets.Count];
        for (var i = 0; i < options.Targets.Count; i++)
        {
            var target = options.Targets[i];
            var name = string.IsNullOrWhiteSpace(target.Name) ? i.ToString(CultureInfo.InvariantCulture) : target.Name;
            _targets[i] = new InfluxTargetWriter(name, target, Path.Combine(bufferRoot, SafeFolder(name)), http, time, targetLogger, retry);
        }
    }

    public IReadOnlyList<InfluxTargetWriter> Targets => _targets;

    /// <summary>Samples not taken (never silent: shown in /healthz); the writer holds producers back instead, so this stays 0 unless a queue write fails.</summary>
    public long SamplesDropped => Interlocked.Read(ref _samplesDropped);

    /// <inheritdoc/>
    public string Name => "InfluxDB writer";

    /// <summary>True while QueueCapacity samples or more wait to be encoded: producers wait, the ingest answers 503.</summary>
    public bool IsFull => Interlocked.Read(ref _queuedSamples) >= _capacity;

    /// <summary>The lowest journal LSN every target has buffered (and, after <see cref="SyncBuffers"/>, fsync'd).</summary>
    public long AppendedLsn => _targets.Min(t => t.Buffer.AppendedLsn);

    /// <summary>Samples that line protocol cannot carry (NaN, infinity), left out.</summary>
    public long SamplesSkipped => Interlocked.Read(ref _samplesSkipped);

    /// <summary>Samples encoded into batches so far.</summary>
    public long SamplesEncoded => Interlocked.Read(ref _samplesEncoded);

    public long QueuedSamples => Interlocked.Read(ref _queuedSamples);

    /// <summary>
    /// Called on the encoder thread with each batch's line protocol and point count once every target has put it in its
    /// disk buffer (not when a buffer write failed): what the writer now holds across a kill of the process. A remote
    /// collector node keeps its audit of written samples with it (<c>--record</c>).
    /// </summary>
    public Action<ReadOnlyMemory<byte>, int>? Buffered { get; set; }

    public void OnSamples(ReadOnlySpan<Sample> samples) => OnSamples(samples, 0);

    public void OnSamples(ReadOnlySpan<Sample> samples, long lsn)
    {
        if (samples.IsEmpty)
        {
            return;
        }

        Interlocked.Add(ref _queuedSamples, samples.Length);
        var array = ArrayPool<Sample>.Shared.Rent(samples.Length);
        samples.CopyTo(array);
        if (!_queue.Writer.TryWrite(new Chunk(array, samples.Length, lsn)))
        {
            ArrayPool<Sample>.Shared.Return(array);
            Interlocked.Add(ref _queuedSamples, -samples.Length);
            Interlocked.Add(ref _samplesDropped, samples.Length);
        }
    }

    /// <summary>Runs the encoder and every target's sender until cancelled, then buffers what is still queued.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var senders = _targets.Select(t => Task.Run(() => t.RunAsync(cancellationToken), CancellationToken.None)).ToArray();
        try
        {
            await EncodeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            // nothing taken from the pipeline is lost on a stop: encode the rest and put it in the disk buffers
            DrainQueue();
            Flush();
        }

        try
        {
            await Task.WhenAll(senders).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc/>
    public async Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        while (IsFull)
        {
            var signal = Volatile.Read(ref _room).Task;
            if (!IsFull)
            {
                return;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Fsyncs every target's disk buffer; returns the LSN every target now holds durably (the journal may let go of the rest).</summary>
    public long SyncBuffers()
    {
        var lsn = long.MaxValue;
        foreach (var target in _targets)
        {
            lsn = Math.Min(lsn, target.Buffer.Sync());
        }

        return lsn;
    }

    /// <summary>
    /// At start, before <see cref="RunAsync"/>: one journal record's samples, encoded and buffered as a batch of their
    /// own, for the targets that had not buffered <paramref name="lsn"/> yet.
    /// </summary>
    public void Replay(ReadOnlySpan<Sample> samples, long lsn)
    {
        Flush();
        Encode(samples, journaled: true);
        _batchLsn = lsn;
        Flush();
    }

    /// <summary>Encodes whatever is queued and hands it to the targets now (for tests and shutdown).</summary>
    public void FlushNow()
    {
        DrainQueue();
        Flush();
    }

    public void Dispose()
    {
        foreach (var target in _targets)
        {
            target.Dispose();
        }

        _ownedHttp?.Dispose();
    }

    private async Task EncodeAsync(CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        while (true)
        {
            DrainQueue();
            if (_batchPoints > 0 && _time.GetElapsedTime(_firstPointTicks) >= _flushInterval)
            {
                Flush();
            }

            if (_batchPoints == 0)
            {
                await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var remaining = _flushInterval - _time.GetElapsedTime(_firstPointTicks);
            if (remaining <= TimeSpan.Zero)
            {
                continue;
            }

            using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var data = reader.WaitToReadAsync(wake.Token).AsTask();
            var timer = Task.Delay(remaining, _time, wake.Token);
            await Task.WhenAny(data, timer).ConfigureAwait(false);
            await wake.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private void DrainQueue()
    {
        while (_queue.Reader.TryRead(out var chunk))
        {
            try
            {
                Encode(chunk.Samples.AsSpan(0, chunk.Count), journaled: chunk.Lsn > 0);
                if (chunk.Lsn > _batchLsn)
                {
                    _batchLsn = chunk.Lsn;
                }

                if (_batchPoints >= _batchSize)
                {
                    Flush();
                }
            }
            finally
            {
                if (Interlocked.Add(ref _queuedSamples, -chunk.Count) < _capacity)
                {
                    var room = Interlocked.Exchange(ref _room, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                    room.TrySetResult();
                }

                ArrayPool<Sample>.Shared.Return(chunk.Samples);
            }
        }
    }

    /// <summary>Encodes samples into the batch; a journaled chunk is never cut in two (the batch may pass BatchSize by one chunk).</summary>
    private void Encode(ReadOnlySpan<Sample> samples, bool journaled)
    {
        foreach (ref readonly var sample in samples)
        {
            if (!LineProtocolEncoder.WritePoint(_batch, _prefixes.Get(sample.SeriesId), sample.Value, sample.TimestampNs))
            {
                Interlocked.Increment(ref _samplesSkipped);
                continue;
            }

            if (_batchPoints++ == 0)
            {
                _firstPointTicks = _time.GetTimestamp();
            }

            if (!journaled && _batchPoints >= _batchSize)
            {
                Flush();
            }
        }
    }

    private void Flush()
    {
        if (_batchPoints == 0)
        {
            return;
        }

        var buffered = true;
        foreach (var target in _targets)
        {
            try
            {
                target.Accept(_batch.WrittenSpan, _batchPoints, _batchLsn);
            }
            catch (IOException e)
            {
                buffered = false;
                LogBufferFailed(_logger, target.Name, _batchPoints, e);
            }
        }

        if (buffered)
        {
            Buffered?.Invoke(_batch.WrittenMemory, _batchPoints);
        }

        Interlocked.Add(ref _samplesEncoded, _batchPoints);
        _batch.ResetWrittenCount();
        _batchPoints = 0;
        _batchLsn = 0;
    }

    private static string SafeFolder(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] is not '-' and not '_')
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "InfluxDB target {Target}: could not buffer {Points} point(s) on disk")]
    private static partial void LogBufferFailed(ILogger logger, string target, int points, Exception exception);

    private readonly record struct Chunk(Sample[] Samples, int Count, long Lsn);
}
