namespace Monitoring.Server.Hosting;

/// <summary>The "Monitoring" configuration section (appsettings.json, environment MONITORING__..., command line).</summary>
public sealed class MonitoringOptions
{
    public const string Section = "Monitoring";

    /// <summary>The device-profiles/ folder: models, rooms and (later) protocol profiles and rules. Defaults to the copy shipped beside the server.</summary>
    public string? ProfilesDirectory { get; set; }

    /// <summary>The folder served as the web console; defaults to the repository's web/wwwroot or the copy beside the server.</summary>
    public string? WebRoot { get; set; }

    public LiveOptions Live { get; set; } = new();

    // Monitoring:Snmp, Monitoring:Modbus, Monitoring:Mqtt and Monitoring:Simulator belong to their modules
    // (collectors/*/Hosting, src/Monitoring.Mqtt.Broker, src/Monitoring.Simulator/Hosting), each bound and validated there.

    public IngestOptions Ingest { get; set; } = new();

    /// <summary>The embedded history: retention per tier, flush interval (the class is in Monitoring.Storage.History).</summary>
    public Monitoring.Storage.History.HistoryOptions History { get; set; } = new();

    /// <summary>The InfluxDB writer's targets: Monitoring:Influx:Targets:N:{Url,Version,...} (the class is in Monitoring.Storage.Influx).</summary>
    public Monitoring.Storage.Influx.InfluxOptions Influx { get; set; } = new();

    /// <summary>Incident tickets: the SLA clock's interval (the class is in Tickets/).</summary>
    public Monitoring.Server.Tickets.TicketOptions Tickets { get; set; } = new();

    /// <summary>Alarms: rules folder, mute and shelve limits, the lamp, webhooks (the class is in Alarms/).</summary>
    public Alarms.AlarmOptions Alarms { get; set; } = new();
}

public sealed class LiveOptions
{
    /// <summary>How often coalesced changes are pushed to consoles; 250 ms = at most 4 messages a second per client.</summary>
    public int BroadcastIntervalMs { get; set; } = 250;

    /// <summary>What may wait to be sent to one hub connection; past it, the queue is dropped and the console told to resync (min 64 KiB).</summary>
    public long MaxQueuedBytesPerClient { get; set; } = 1024 * 1024;

    /// <summary>Devices whose values one hub connection may subscribe to at once (an open panel, a rack: tens).</summary>
    public int MaxSubscriptionsPerClient { get; set; } = 256;

    /// <summary>How often open hub connections are checked against their session or token (expiry); revocation closes them at once anyway.</summary>
    public int SessionCheckSeconds { get; set; } = 5;
}

public sealed class IngestOptions
{
    /// <summary>Largest accepted write body, after decompression (InfluxDB's default max-body-size is 25 MB).</summary>
    public long MaxBodyBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>Most physical lines in one write (Telegraf sends 1,000 a batch by default; InfluxDB advises 5,000).</summary>
    public int MaxLinesPerRequest { get; set; } = 100_000;

    /// <summary>Longest line, in bytes as sent.</summary>
    public int MaxLineBytes { get; set; } = Monitoring.Core.LineProtocol.LineProtocolLimits.Default.MaxLineBytes;

    /// <summary>Longest measurement, tag key or field key, in bytes as sent.</summary>
    public int MaxNameBytes { get; set; } = Monitoring.Core.LineProtocol.LineProtocolLimits.Default.MaxNameBytes;

    /// <summary>Longest tag value, in bytes as sent.</summary>
    public int MaxTagValueBytes { get; set; } = Monitoring.Core.LineProtocol.LineProtocolLimits.Default.MaxTagValueBytes;

    /// <summary>Longest measurement and tag set together (InfluxDB's own bound is 65,535; every key is held in memory here).</summary>
    public int MaxSeriesKeyBytes { get; set; } = Monitoring.Core.LineProtocol.LineProtocolLimits.Default.MaxSeriesKeyBytes;

    /// <summary>Longest string field value (InfluxDB's bound: 64 KiB).</summary>
    public int MaxStringFieldBytes { get; set; } = Monitoring.Core.LineProtocol.LineProtocolLimits.Default.MaxStringFieldBytes;

    /// <summary>How far ahead of the server's clock a timestamp may be; later lines are refused and never shown live.</summary>
    public int MaxFutureSeconds { get; set; } = 600;

    /// <summary>
    /// Measurements whose lines carry no <c>device</c> tag but belong to one inventory device (measurement → device id),
    /// e.g. <c>security</c> → the demo room's security-posture device (issue 23).
    /// </summary>
    public Dictionary<string, string> MeasurementDevices { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Most series one write may create.</summary>
    public int MaxNewSeriesPerRequest { get; set; } = 50_000;

    /// <summary>Series cardinality cap on the total (InfluxDB's max-series-per-database default).</summary>
    public int MaxSeries { get; set; } = 1_000_000;

    /// <summary>Series cardinality cap per measurement.</summary>
    public int MaxSeriesPerMeasurement { get; set; } = 100_000;

    /// <summary>The bounds as the ingestor keeps them (each at least 1).</summary>
    public Monitoring.Core.LineProtocol.IngestLimits ToLimits() => new(
        new Monitoring.Core.LineProtocol.LineProtocolLimits(
            Math.Max(1, MaxLineBytes), Math.Max(1, MaxNameBytes), Math.Max(1, MaxTagValueBytes), Math.Max(1, MaxSeriesKeyBytes), Math.Max(0, MaxStringFieldBytes)),
        Math.Max(0L, MaxFutureSeconds) * 1_000_000_000,
        Math.Max(1, MaxNewSeriesPerRequest));
}
