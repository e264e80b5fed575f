namespace Monitoring.Storage.History;

/// <summary>The embedded history. Bound from the "Monitoring:History" configuration section.</summary>
public sealed class HistoryOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>How long raw samples are kept (default 48 hours).</summary>
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromHours(48);

    /// <summary>How long 1-minute rollups are kept (default 14 days).</summary>
    public TimeSpan MinuteRetention { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long 1-hour rollups are kept (default 400 days).</summary>
    public TimeSpan HourRetention { get; set; } = TimeSpan.FromDays(400);

    /// <summary>How often the background writer flushes buffered samples to the database.</summary>
    public int FlushIntervalMs { get; set; } = 1000;

    /// <summary>How often the retention job runs.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Samples buffered between flushes before new ones are dropped (and counted).</summary>
    public int BufferCapacity { get; set; } = 1_000_000;
}
