using Monitoring.Core.LineProtocol;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Storage.History;
using Monitoring.Storage.Journal;

namespace Monitoring.Server.Hosting;

/// <summary>
/// Runs the ingest journal: at start (after the migrations and the history's start) it opens the journal and replays
/// the records the history has not committed to the history only; then it runs the journal's single writer (group
/// commit, batches to the pipeline in LSN order) and deletes the segments every durable stage is past.
/// </summary>
internal sealed partial class JournalService(
    IngestJournal journal, HistoryStore history, InfluxWriterService influxService, LineProtocolIngestor ingestor, SamplePipeline pipeline,
    ComponentHealth health, TimeProvider time, ILogger<JournalService> logger) : BackgroundService
{
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var historyLsn = history.Options.Enabled ? await history.LoadDurableLsnAsync(cancellationToken).ConfigureAwait(false) : 0;
        var influxLsn = influxService.Writer?.AppendedLsn ?? 0;
        journal.Open(Math.Max(historyLsn, influxLsn));
        if (history.Options.Enabled)
        {
            var (records, samples) = await ReplayAsync(historyLsn, cancellationToken).ConfigureAwait(false);
            if (records > 0)
            {
                LogReplayed(logger, records, samples, historyLsn, "the history");
            }
        }

        if (influxService.Writer is { } influx)
        {
            var (records, samples) = ReplayToInflux(influx, influxLsn);
            if (records > 0)
            {
                LogReplayed(logger, records, samples, influxLsn, "the InfluxDB targets' buffers");
            }
        }

        journal.Checkpoint(DurableLsn());
        health.Report("journal", ComponentState.Ok);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var writer = journal.RunAsync(pipeline, stoppingToken);
        try
        {
            using var timer = new PeriodicTimer(CheckpointInterval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                journal.Checkpoint(DurableLsn());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        try
        {
            await writer.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// What every durable stage has committed: the history's LSN and the InfluxDB targets' (their disk buffers fsync'd
    /// first), or everything journaled when there is neither.
    /// </summary>
    private long DurableLsn()
    {
        var lsn = history.Options.Enabled ? history.DurableLsn : journal.LastDurableLsn;
        if (influxService.Writer is { } influx)
        {
            lsn = Math.Min(lsn, influx.SyncBuffers());
        }

        return lsn;
    }

    /// <summary>Each record after <paramref name="afterLsn"/> as a batch of its own to the targets that lack it.</summary>
    private (long Records, long Samples) ReplayToInflux(Storage.Influx.InfluxWriter influx, long afterLsn)
    {
        long records = 0, samples = 0;
        using var batch = SampleBatch.Rent(4096);
        foreach (var lsn in ParseAfter(afterLsn, batch))
        {
            influx.Replay(batch.Samples, lsn);
            records++;
            samples += batch.Count;
        }

        return (records, samples);
    }

    /// <summary>Parses each record after <paramref name="afterLsn"/> again (with its own receive time) into the history alone, then flushes.</summary>
    private async Task<(long Records, long Samples)> ReplayAsync(long afterLsn, CancellationToken cancellationToken)
    {
        long records = 0, samples = 0;
        using var batch = SampleBatch.Rent(4096);
        foreach (var lsn in ParseAfter(afterLsn, batch))
        {
            history.OnSamples(batch.Samples, lsn);
            records++;
            samples += batch.Count;
            if (history.IsFull)
            {
                await history.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await history.FlushAsync(cancellationToken).ConfigureAwait(false);
        return (records, samples);
    }

    /// <summary>Parses each journaled record after <paramref name="afterLsn"/> again, with its own receive time, into <paramref name="batch"/>; yields its LSN.</summary>
    private IEnumerable<long> ParseAfter(long afterLsn, SampleBatch batch)
    {
        foreach (var record in journal.ReadAfter(afterLsn))
        {
            batch.Clear();
            ingestor.Ingest(record.Body, record.Precision, record.ReceivedNs, batch);
            yield return record.Lsn;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replayed {Records} journaled write(s) ({Samples} samples) after LSN {Lsn} into {Stage}: they were acknowledged but not yet kept there when the server stopped")]
    private static partial void LogReplayed(ILogger logger, long records, long samples, long lsn, string stage);
}
