using System.Buffers;

namespace Monitoring.Core.Series;

/// <summary>
/// A pooled, growable run of samples: what producers (ingest, collectors, simulator) hand to the pipeline.
/// The pipeline disposes it after every observer has seen it; a batch must not be used after that.
/// </summary>
public sealed class SampleBatch : IDisposable
{
    private Sample[] _buffer;

    private SampleBatch(int capacity)
    {
        _buffer = ArrayPool<Sample>.Shared.Rent(Math.Max(capacity, 16));
    }

    public int Count { get; private set; }

    /// <summary>The journal record the samples came from (see IngestJournal), or 0 when they were not journaled.</summary>
    public long Lsn { get; set; }

    /// <summary>Who produced the samples (the <c>source</c> label of /metrics' samples-ingested figure).</summary>
    public Pipeline.SampleSource Source { get; set; }

    /// <summary>When the input entered the server (a <see cref="TimeProvider"/> timestamp); the pipeline sets it on entry when the producer did not.</summary>
    public long ReceivedTimestamp { get; set; }

    public ReadOnlySpan<Sample> Samples => _buffer.AsSpan(0, Count);

    /// <summary>
    /// A copy of what another cluster node's pipeline processed (its alarm engine evaluated and its writers stored them):
    /// the pipeline applies it to the live state only, for this node's consoles; no observer sees it.
    /// </summary>
    public bool Mirrored { get; set; }

    /// <summary>Device events that travel with the samples (traps, wills); null for the usual batch of samples only.</summary>
    public List<DeviceEvent>? Events { get; private set; }

    /// <summary>Adds a device event, delivered after the batch's samples.</summary>
    public void AddEvent(DeviceEvent deviceEvent)
    {
        ArgumentNullException.ThrowIfNull(deviceEvent);
        (Events ??= []).Add(deviceEvent);
    }

    public static SampleBatch Rent(int capacity = 256) => new(capacity);

    public void Add(in Sample sample)
    {
        if (Count == _buffer.Length)
        {
            Grow();
        }

        _buffer[Count++] = sample;
    }

    public void Add(int seriesId, long timestampNs, double value) => Add(new Sample(seriesId, timestampNs, value));

    public void Clear() => Count = 0;

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        Count = 0;
        Events = null;
        Mirrored = false;
        if (buffer.Length > 0)
        {
            ArrayPool<Sample>.Shared.Return(buffer);
        }
    }

    private void Grow()
    {
        var bigger = ArrayPool<Sample>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, Count).CopyTo(bigger);
        ArrayPool<Sample>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
