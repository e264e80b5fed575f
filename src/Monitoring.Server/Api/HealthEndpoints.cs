using Monitoring.Collectors;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Server.Hosting;
using Monitoring.Server.Ingest;
using Monitoring.Storage.History;
using Monitoring.Storage.Journal;

namespace Monitoring.Server.Api;

/// <summary>/healthz: 200 with every component's state while the server can serve, 503 when a component has failed.</summary>
internal static class HealthEndpoints
{
    public static IResult Get(
        ComponentHealth health, SamplePipeline pipeline, Inventory inventory, SeriesRegistry registry, PollHealth polls, InfluxWriterService influx,
        Monitoring.Storage.Database database, HistoryStore history, IngestJournal journal, IngestService ingest, Monitoring.Server.Ingest.IngestCounters ingestCounters,
        Monitoring.Server.Relays.RelayHealth relays, Monitoring.Server.RemoteCollectors.RemoteCollectorHealth remoteCollectors, ISeriesReader seriesReader)
    {
        var reports = health.Snapshot();
        var components = reports.ToDictionary(
            kv => kv.Key,
            kv => (object)new { state = kv.Value.State, detail = kv.Value.Detail, at = kv.Value.At, data = kv.Value.Data },
            StringComparer.Ordinal);
        var pipelineState = pipeline.QueuedBatches >= pipeline.Capacity ? ComponentState.Degraded
            : reports.TryGetValue("pipeline", out var p) ? p.State : ComponentState.Starting;
        components["pipeline"] = new
        {
            state = pipelineState,
            queuedBatches = pipeline.QueuedBatches,
            capacity = pipeline.Capacity,
            samplesIn = pipeline.SamplesIn,
            samplesProcessed = pipeline.SamplesProcessed,
            observerFaults = pipeline.ObserverFaults,
            lastObserverError = pipeline.LastObserverError,
        };
        components["inventory"] = new { state = ComponentState.Ok, rooms = inventory.Rooms.Count, devices = inventory.Devices.Count, series = registry.Count };
        var (zonesState, zones) = remoteCollectors.Describe();
        components["collectors"] = Collectors(polls, inventory, zones, zonesState);
        components["influx"] = influx.Describe();
        components["seriesReader"] = seriesReader.Describe();
        var storageReason = database.Health.Reason;
        var unreachable = database.Health.Unavailable;
        var storageState = reports.TryGetValue("storage", out var started) && started.State != ComponentState.Ok ? started.State
            : unreachable is not null ? ComponentState.Failed
            : storageReason is not null || database.BookkeepingLost > 0 ? ComponentState.Degraded : ComponentState.Ok;
        components["storage"] = new
        {
            state = storageState,
            detail = unreachable ?? storageReason ?? started?.Detail,
            provider = database.Provider,
            unavailable = unreachable is not null,
            unavailableSince = database.Health.UnavailableSince,
            unavailableEvents = database.Health.UnavailableEvents,
            full = storageReason is not null,
            fullSince = database.Health.FailedAt,
            fullEvents = database.Health.FullEvents,
            freeBytes = database.Health.FreeBytes,
            minFreeBytes = database.Health.MinFreeBytes,
            writesQueued = database.Queued,
            writesCommitted = database.Committed,
            writesFailed = database.Failed,
            bookkeepingRetrying = database.Retrying,
            bookkeepingLost = database.BookkeepingLost,
        };

        var historyState = HistoryState(reports, history);
        components["history"] = new
        {
            state = historyState,
            detail = history.IsFull ? $"lagging: {history.Pending} samples wait for a flush; ingest answers 503 and producers wait" : reports.GetValueOrDefault("history")?.Detail,
            pending = history.Pending,
            flushing = history.Flushing,
            capacity = history.Options.BufferCapacity,
            samplesWritten = history.SamplesWritten,
            flushes = history.Flushes,
            flushFailures = history.FlushFailures,
            durableLsn = history.DurableLsn,
            checkpoints = history.Checkpoints,
            lastFlushMs = history.LastFlushDuration.TotalMilliseconds,
            nonFiniteSkipped = history.NonFiniteSkipped,
            pastRetentionSkipped = history.PastRetentionSkipped,
        };
        components["journal"] = new
        {
            state = reports.TryGetValue("journal", out var j) ? j.State : ComponentState.Starting,
            lastLsn = journal.LastDurableLsn,
            records = journal.Records,
            groupCommits = journal.GroupCommits,
            segments = journal.Segments,
            failures = journal.Failures,
            refusedBusy = ingest.RefusedBusy,
        };
        components["ingest"] = ingestCounters.Describe();
        components["relays"] = relays.Describe();

        var failed = reports.Values.Any(r => r.State == ComponentState.Failed) || storageState == ComponentState.Failed;
        var degraded = zonesState == ComponentState.Degraded || pipelineState == ComponentState.Degraded || storageState == ComponentState.Degraded || historyState == ComponentState.Degraded
            || reports.Values.Any(r => r.State == ComponentState.Degraded) || relays.AnyDropped
            || seriesReader is RemoteSeriesReader { IsFailing: true };
        var overall = failed ? "failed" : degraded ? "degraded" : "ok";
        return Results.Json(new { status = overall, components }, statusCode: failed ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    /// <summary>The history's reported state, degraded while it lags (its buffer is full and producers are held back).</summary>
    private static ComponentState HistoryState(IReadOnlyDictionary<string, ComponentReport> reports, HistoryStore history)
    {
        var reported = reports.TryGetValue("history", out var h) ? h.State : ComponentState.Starting;
        return reported == ComponentState.Ok && history.IsFull ? ComponentState.Degraded : reported;
    }

    /// <summary>Per collector: how many devices answered their last poll, and the failing ones by name with their last message.</summary>
    private static object Collectors(PollHealth polls, Inventory inventory, Dictionary<string, object> zones, ComponentState zonesState)
    {
        var byCollector = polls.Snapshot().GroupBy(d => d.Collector, StringComparer.Ordinal).ToDictionary(
            g => g.Key,
            g =>
            {
                var failing = g.Where(d => d.LastOutcome != PollOutcome.Ok).ToList();
                return (object)new
                {
                    state = failing.Count == 0 ? ComponentState.Ok : ComponentState.Degraded,
                    devices = g.Count(),
                    ok = g.Count() - failing.Count,
                    failing = failing.Count,
                    failingDevices = failing.Select(d => new
                    {
                        id = d.DeviceId,
                        name = inventory.FindDevice(d.DeviceId)?.Name,
                        outcome = d.LastOutcome,
                        message = d.LastMessage,
                        consecutiveFailures = d.ConsecutiveFailures,
                        lastSuccess = d.LastSuccess,
                    }).ToList(),
                };
            },
            StringComparer.Ordinal);
        // zones: the remote collector nodes, each ok, late or lost by its last heartbeat (Monitoring:Collectors)
        var state = zonesState != ComponentState.Ok ? zonesState : byCollector.Count == 0 && zones.Count == 0 ? ComponentState.Disabled : ComponentState.Ok;
        return new { state, collectors = byCollector, zones };
    }
}
