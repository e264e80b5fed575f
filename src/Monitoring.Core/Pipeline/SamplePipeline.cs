using System.Runtime.InteropServices;
using System.Threading.Channels;
using Monitoring.Core.Live;
using Monitoring.Core.Series;

namespace Monitoring.Core.Pipeline;

/// <summary>
/// The one road every sample takes: producers (line-protocol ingest, collectors, the simulator) write pooled
/// batches into a bounded channel; a single consumer applies them to the live state, then hands them to every
/// observer (alarm engine, history, InfluxDB writer) and returns the batch to the pool.
/// A full channel makes producers wait (backpressure) rather than grow memory without bound, and so does a full
/// stage registered with <see cref="AddBackpressure"/> (the history store while it catches up).
/// </summary>
public sealed class SamplePipeline : ISampleSink
{
    private readonly Channel<SampleBatch> _channel;
    private readonly LiveState _live;
    private readonly List<ISampleObserver> _observers = [];
    private readonly List<ISampleBackpressure> _gates = [];
    private readonly TimeProvider _time;
    private readonly long[] _samplesBySource = new long[SampleSources.Count];
    private readonly List<IDeviceEventObserver> _eventObservers = [];
    private long _batchesIn;
    private long _samplesIn;
    private long _samplesProcessed;
    private long _observerFaults;

    public SamplePipeline(LiveState live, int capacity = 1024, TimeProvider? time = null)
    {
        _live = live;
        _time = time ?? TimeProvider.System;
        Capacity = capacity;
        _channel = Channel.CreateBounded<SampleBatch>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public int Capacity { get; }

    public long BatchesIn => Interlocked.Read(ref _batchesIn);

    public long SamplesIn => Interlocked.Read(ref _samplesIn);

    public long SamplesProcessed => Interlocked.Read(ref _samplesProcessed);

    public long ObserverFaults => Interlocked.Read(ref _observerFaults);

    public int QueuedBatches => _channel.Reader.Count;

    /// <summary>Samples accepted from one kind of producer since start (see <see cref="SampleSource"/>).</summary>
    public long SamplesFrom(SampleSource source) => (uint)source < (uint)_samplesBySource.Length ? Interlocked.Read(ref _samplesBySource[(int)source]) : 0;

    /// <summary>A sink for one kind of producer: it marks each batch with <paramref name="source"/>, then writes it here.</summary>
    public ISampleSink From(SampleSource source) => new SourceSink(this, source);

    public string? LastObserverError { get; private set; }

    /// <summary>Adds a stage that sees every sample after the live state. Call before <see cref="RunAsync"/>.</summary>
    public void AddObserver(ISampleObserver observer) => _observers.Add(observer);

    /// <summary>Adds a stage that sees every device event (traps, wills) after its batch's samples. Call before <see cref="RunAsync"/>.</summary>
    public void AddEventObserver(IDeviceEventObserver observer) => _eventObservers.Add(observer);

    /// <summary>
    /// Adds a stage that can fall behind: while it is full, <see cref="WriteAsync"/> waits for it to make room (so
    /// collectors slow down instead of anything being dropped). Call before producers start.
    /// </summary>
    public void AddBackpressure(ISampleBackpressure gate) => _gates.Add(gate);

    /// <summary>The first stage that is full now, or null: the ingest answers 503 with Retry-After while there is one.</summary>
    public ISampleBackpressure? FullStage
    {
        get
        {
            foreach (var gate in _gates)
            {
                if (gate.IsFull)
                {
                    return gate;
                }
            }

            return null;
        }
    }

    /// <summary>Completes once no stage is full.</summary>
    public async Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        while (FullStage is { } full)
        {
            await full.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Queues a batch; waits while the pipeline is full. The pipeline owns (and disposes) the batch from here on.</summary>
    public ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0 && batch.Events is null)
        {
            batch.Dispose();
            return ValueTask.CompletedTask;
        }

        if (_gates.Count > 0 && FullStage is not null)
        {
            return WaitThenWriteAsync(batch, cancellationToken);
        }

        Accepted(batch);
        if (_channel.Writer.TryWrite(batch))
        {
            return ValueTask.CompletedTask;
        }

        return WriteSlowAsync(batch, cancellationToken);
    }

    /// <summary>The consumer loop; runs until cancelled or <see cref="Complete"/> is called and the channel drains.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var batch))
            {
                Process(batch);
            }
        }
    }

    /// <summary>Processes whatever is queued, on the caller's thread (tests and benchmarks).</summary>
    public int DrainNow()
    {
        var drained = 0;
        while (_channel.Reader.TryRead(out var batch))
        {
            Process(batch);
            drained++;
        }

        return drained;
    }

    public void Complete() => _channel.Writer.TryComplete();

    private async ValueTask WaitThenWriteAsync(SampleBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            batch.Dispose();
            throw;
        }

        Accepted(batch);
        if (!_channel.Writer.TryWrite(batch))
        {
            await WriteSlowAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask WriteSlowAsync(SampleBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            await _channel.Writer.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _batchesIn);
            Interlocked.Add(ref _samplesIn, -batch.Count);
            Interlocked.Add(ref _samplesBySource[SourceIndex(batch)], -batch.Count);
            batch.Dispose();
            throw;
        }
    }

    private void Accepted(SampleBatch batch)
    {
        Interlocked.Increment(ref _batchesIn);
        Interlocked.Add(ref _samplesIn, batch.Count);
        Interlocked.Add(ref _samplesBySource[SourceIndex(batch)], batch.Count);
        if (batch.ReceivedTimestamp == 0)
        {
            batch.ReceivedTimestamp = _time.GetTimestamp();
        }
    }

    private static int SourceIndex(SampleBatch batch) => (uint)batch.Source < (uint)SampleSources.Count ? (int)batch.Source : 0;

    private void Process(SampleBatch batch)
    {
        InputArrival.Set(batch.ReceivedTimestamp);
        try
        {
            var samples = batch.Samples;
            _live.Apply(samples);
            if (batch.Mirrored)
            {
                // another node's alarm engine and writers have had these: this node's consoles see them, nothing else
                Interlocked.Add(ref _samplesProcessed, samples.Length);
                return;
            }

            // a batch of device events only (a trap without samples) has nothing for the sample stages
            foreach (var observer in samples.IsEmpty ? [] : CollectionsMarshal.AsSpan(_observers))
            {
                try
                {
                    if (observer is IJournaledSampleObserver journaled)
                    {
                        journaled.OnSamples(samples, batch.Lsn);
                    }
                    else
                    {
                        observer.OnSamples(samples);
                    }
                }
#pragma warning disable CA1031 // one faulty stage must not stop the live view or the other stages
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref _observerFaults);
                    LastObserverError = $"{observer.GetType().Name}: {ex.Message}";
                }
            }

            Interlocked.Add(ref _samplesProcessed, samples.Length);
            if (batch.Events is { } events)
            {
                Deliver(events);
            }
        }
        finally
        {
            InputArrival.Set(0);
            batch.Dispose();
        }
    }

    private void Deliver(List<DeviceEvent> events)
    {
        foreach (var deviceEvent in events)
        {
            foreach (var observer in _eventObservers)
            {
                try
                {
                    observer.OnDeviceEvent(deviceEvent);
                }
#pragma warning disable CA1031 // one faulty stage must not stop the others
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref _observerFaults);
                    LastObserverError = $"{observer.GetType().Name}: {ex.Message}";
                }
            }
        }
    }

    private sealed class SourceSink(SamplePipeline pipeline, SampleSource source) : ISampleSink
    {
        public ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(batch);
            batch.Source = source;
            return pipeline.WriteAsync(batch, cancellationToken);
        }
    }
}
