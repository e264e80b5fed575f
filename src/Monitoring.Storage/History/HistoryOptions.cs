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

    /// <summary>
    /// Where <c>GET /api/series</c> (the trend charts) reads: <c>Embedded</c> (this node's own history, the default),
    /// <c>Influx</c> (an InfluxDB 1.x through InfluxQL) or <c>VictoriaMetrics</c> (its Prometheus query API). A cluster
    /// sets a remote one: the embedded history holds only what reached this node.
    /// </summary>
    public SeriesReadSource ReadFrom { get; set; } = SeriesReadSource.Embedded;

    /// <summary>The remote the trend charts read from when <see cref="ReadFrom"/> is not <c>Embedded</c>.</summary>
    public RemoteSeriesOptions Remote { get; set; } = new();
}

/// <summary>Where the trend charts read.</summary>
public enum SeriesReadSource
{
    Embedded,
    Influx,
    VictoriaMetrics,
}

/// <summary>The time-series database the trend charts read from in a cluster: <c>Monitoring:History:Remote</c>.</summary>
public sealed class RemoteSeriesOptions
{
    /// <summary>Names the target in /healthz and in 503 answers; defaults to the URL's host and port.</summary>
    public string? Name { get; set; }

    /// <summary>Base address, e.g. <c>http://vm.noc.local:8428</c> or <c>http://influx.noc.local:8086</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>InfluxDB 1.x database (required for Influx).</summary>
    public string? Database { get; set; }

    /// <summary>InfluxDB 1.x retention policy (optional).</summary>
    public string? RetentionPolicy { get; set; }

    /// <summary>InfluxDB 1.x user (HTTP basic, with <see cref="Password"/>).</summary>
    public string? Username { get; set; }

    /// <summary>Never logged, never in /healthz.</summary>
    public string? Password { get; set; }

    /// <summary>Bearer token (VictoriaMetrics behind vmauth) or InfluxDB token; never logged, never in /healthz.</summary>
    public string? Token { get; set; }

    /// <summary>Per query; past it the chart answers 503 naming the target.</summary>
    public int TimeoutMs { get; set; } = 10_000;
}
