using Monitoring.Collectors;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Server.Hosting;

namespace Monitoring.Server.Api;

/// <summary>/healthz: 200 with every component's state while the server can serve, 503 when a component has failed.</summary>
internal static class HealthEndpoints
{
    public static IResult Get(ComponentHealth health, SamplePipeline pipeline, Inventory inventory, SeriesRegistry registry, PollHealth polls, InfluxWriterService influx, Monitoring.Server.Ingest.IngestCounters ingest)
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
        components["collectors"] = Collectors(polls, inventory);
        components["influx"] = influx.Describe();
        components["ingest"] = ingest.Describe();

        var failed = reports.Values.Any(r => r.State == ComponentState.Failed);
        var degraded = pipelineState == ComponentState.Degraded || reports.Values.Any(r => r.State == ComponentState.Degraded);
        var overall = failed ? "failed" : degraded ? "degraded" : "ok";
        return Results.Json(new { status = overall, components }, statusCode: failed ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    /// <summary>Per collector: how many devices answered their last poll, and the failing ones by name with their last message.</summary>
    private static object Collectors(PollHealth polls, Inventory inventory)
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
        return new { state = byCollector.Count == 0 ? ComponentState.Disabled : ComponentState.Ok, collectors = byCollector };
    }
}
