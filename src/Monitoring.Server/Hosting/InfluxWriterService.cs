using Microsoft.Extensions.Options;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Storage;
using Monitoring.Storage.Influx;

namespace Monitoring.Server.Hosting;

/// <summary>
/// Runs the InfluxDB writer when <c>Monitoring:Influx:Targets</c> names at least one target: adds it to the pipeline's
/// observers before the pipeline starts (it is registered before <see cref="PipelineService"/>), buffers in
/// <c>DATA/influx-buffer/&lt;target&gt;/</c>, and shows its state in /healthz under <c>influx</c> (never a secret).
/// </summary>
internal sealed partial class InfluxWriterService : BackgroundService
{
    private readonly InfluxWriter? _writer;
    private readonly ILogger<InfluxWriterService> _logger;

    public InfluxWriterService(
        IOptions<MonitoringOptions> monitoring, StorageOptions storage, SeriesRegistry registry, Inventory inventory, SamplePipeline pipeline, TimeProvider time, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger<InfluxWriterService>();
        var options = monitoring.Value.Influx;
        options.Targets.RemoveAll(t => string.IsNullOrWhiteSpace(t.Url));
        if (options.Targets.Count == 0)
        {
            return;
        }

        var bufferRoot = Path.Combine(Path.GetFullPath(storage.DataDirectory), "influx-buffer");
        _writer = new InfluxWriter(options, registry, inventory, bufferRoot, time, loggers);
        pipeline.AddObserver(_writer);
        // it never drops what the pipeline hands it: while its queue is full, producers wait and the ingest answers 503
        pipeline.AddBackpressure(_writer);
        foreach (var target in _writer.Targets)
        {
            var status = target.Status();
            LogTarget(_logger, target.Name, status.Url, status.Version, status.PointsBuffered);
        }
    }

    /// <summary>The writer, or null when no target is configured (the journal replays to it and asks for its LSN).</summary>
    public InfluxWriter? Writer => _writer;

    /// <summary>Every target's status (none when no target is configured): /metrics reads its backlog here.</summary>
    public IReadOnlyList<InfluxTargetStatus> TargetStatuses() => _writer is null ? [] : [.. _writer.Targets.Select(t => t.Status())];

    /// <summary>What /healthz shows under <c>influx</c>.</summary>
    public object Describe()
    {
        if (_writer is null)
        {
            return new { state = ComponentState.Disabled };
        }

        var targets = _writer.Targets.Select(t => t.Status()).ToList();
        var state = targets.All(t => t.Connected && !t.Buffering) && _writer.SamplesDropped == 0 && targets.All(t => t.PointsDropped == 0)
            ? ComponentState.Ok
            : ComponentState.Degraded;
        return new
        {
            state,
            queuedSamples = _writer.QueuedSamples,
            appendedLsn = _writer.AppendedLsn,
            samplesDropped = _writer.SamplesDropped,
            samplesSkipped = _writer.SamplesSkipped,
            targets = targets.Select(t => new
            {
                name = t.Name,
                url = t.Url,
                version = t.Version,
                connected = t.Connected,
                buffering = t.Buffering,
                bytesBuffered = t.BytesBuffered,
                pointsBuffered = t.PointsBuffered,
                oldestBufferedSeconds = Math.Round(t.OldestSeconds, 3),
                pointsWritten = t.PointsWritten,
                pointsRejected = t.PointsRejected,
                pointsDropped = t.PointsDropped,
                lastError = t.LastError,
                lastErrorAt = t.LastErrorAt,
            }).ToList(),
        };
    }

    public override void Dispose()
    {
        _writer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_writer is null)
        {
            return;
        }

        await _writer.RunAsync(stoppingToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "InfluxDB target {Target}: {Url} (v{Version}), {Buffered} point(s) buffered from before")]
    private static partial void LogTarget(ILogger logger, string target, string url, int version, long buffered);
}
