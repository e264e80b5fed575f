using Monitoring.Core.Pipeline;
using Monitoring.Storage.History;

namespace Monitoring.Server.Hosting;

/// <summary>
/// Puts the history store on the pipeline (before the pipeline runs: this service starts ahead of it) and runs its
/// background writer and retention job for the life of the server.
/// </summary>
internal sealed partial class HistoryService(
    HistoryStore store, SamplePipeline pipeline, ComponentHealth health, ILogger<HistoryService> logger) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!store.Options.Enabled)
        {
            health.Report("history", ComponentState.Disabled);
            return Task.CompletedTask;
        }

        pipeline.AddObserver(store);
        // the history never drops: while it catches up, producers wait and the ingest answers 503
        pipeline.AddBackpressure(store);
        return base.StartAsync(cancellationToken);
    }

    private long _nonFiniteLogged;
    private long _pastRetentionLogged;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        health.Report("history", ComponentState.Ok);
        store.FlushCompleted += OnFlushCompleted;
        LogStarted(logger, store.Options.RawRetention, store.Options.MinuteRetention, store.Options.HourRetention);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.RunAsync(stoppingToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // a failed flush is reported and retried; history must not take the server down
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                health.Report("history", ComponentState.Degraded, ex.Message);
                LogFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>After each checkpoint: the samples the history did not keep since the last one are logged (they are counted in /healthz).</summary>
    private void OnFlushCompleted(object? sender, HistoryFlushEventArgs e)
    {
        if (!e.Checkpoint)
        {
            return;
        }

        var nonFinite = store.NonFiniteSkipped;
        var pastRetention = store.PastRetentionSkipped;
        if (nonFinite > _nonFiniteLogged || pastRetention > _pastRetentionLogged)
        {
            LogNotKept(logger, nonFinite - _nonFiniteLogged, pastRetention - _pastRetentionLogged, nonFinite, pastRetention);
            _nonFiniteLogged = nonFinite;
            _pastRetentionLogged = pastRetention;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "History did not keep {NonFinite} NaN/infinite sample(s) and {PastRetention} late sample(s) past every tier's retention since the last checkpoint (totals {NonFiniteTotal}, {PastRetentionTotal}; /healthz history)")]
    private static partial void LogNotKept(ILogger logger, long nonFinite, long pastRetention, long nonFiniteTotal, long pastRetentionTotal);

    [LoggerMessage(Level = LogLevel.Information, Message = "History store running: raw kept {Raw}, 1-minute rollups {Minute}, 1-hour rollups {Hour}")]
    private static partial void LogStarted(ILogger logger, TimeSpan raw, TimeSpan minute, TimeSpan hour);

    [LoggerMessage(Level = LogLevel.Warning, Message = "History flush failed; retrying")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
