namespace Monitoring.Storage.History;

/// <summary>The embedded history. Bound from the "Monitoring:History" configuration section.</summary>
public sealed class HistoryOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>How long raw samples are kept (default 24 hours): whole hour blocks are deleted past it.</summary>
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long 1-minute rollups are kept (default 14 days).</summary>
    public TimeSpan MinuteRetention { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long 1-hour rollups are kept (default 400 days).</summary>
    public TimeSpan HourRetention { get; set; } = TimeSpan.FromDays(400);

    /// <summary>How often the background writer moves buffered samples into the in-memory head (compressed, queryable at once).</summary>
    public int FlushIntervalMs { get; set; } = 1000;

    /// <summary>
    /// How often the head is checkpointed: written to a segment file and fsync'd, after which the ingest journal may drop
    /// what it holds (default 30 s). Sooner when the head holds 4 x BufferCapacity samples.
    /// </summary>
    public int CheckpointIntervalMs { get; set; } = 30_000;

    /// <summary>How often the retention job (compaction of closed hours, then deletion of files past their tier's age) runs.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Samples buffered between flushes before the store says it is full (producers wait, the ingest answers 503); nothing is dropped.</summary>
    public int BufferCapacity { get; set; } = 1_000_000;
}
