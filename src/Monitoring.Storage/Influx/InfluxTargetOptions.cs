namespace Monitoring.Storage.Influx;

/// <summary>The InfluxDB writer's configuration: <c>Monitoring:Influx</c>.</summary>
public sealed class InfluxOptions
{
    public const string Section = "Monitoring:Influx";

    public List<InfluxTargetOptions> Targets { get; set; } = [];

    /// <summary>How many samples the writer holds between the pipeline and its encoder before it counts them as dropped.</summary>
    public int QueueCapacity { get; set; } = 1_000_000;
}

/// <summary>One InfluxDB (or compatible) database the writer sends every sample to.</summary>
public sealed class InfluxTargetOptions
{
    /// <summary>Names the target in /healthz and its buffer folder; defaults to its position.</summary>
    public string? Name { get; set; }

    /// <summary>Base address, e.g. <c>http://127.0.0.1:8086</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>1: <c>POST /write?db=&amp;rp=</c> with user/password; 2: <c>POST /api/v2/write?org=&amp;bucket=</c> with a token.</summary>
    public int Version { get; set; } = 2;

    public string? Database { get; set; }

    public string? RetentionPolicy { get; set; }

    public string? Org { get; set; }

    public string? Bucket { get; set; }

    public string? Token { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Points per request; a batch is sent when it is full or when <see cref="FlushIntervalMs"/> has passed.</summary>
    public int BatchSize { get; set; } = 5000;

    public int FlushIntervalMs { get; set; } = 1000;

    /// <summary>The bound of the on-disk buffer; past it the oldest segment is dropped and its points are counted lost.</summary>
    public long MaxBufferBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Gzip request bodies.</summary>
    public bool Gzip { get; set; } = true;

    public int TimeoutMs { get; set; } = 10_000;

    /// <summary>
    /// When the database answers 400 (a bad line, e.g. a field type conflict), at most this many extra requests are
    /// spent bisecting the batch to write its good lines and name its bad ones; past it, the rest is reported whole.
    /// </summary>
    public int MaxBisectRequests { get; set; } = 32;

    public override string ToString() => $"{Name} {Url} v{Version}";
}
