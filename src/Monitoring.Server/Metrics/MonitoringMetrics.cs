using System.Diagnostics.Metrics;
using Monitoring.Collectors;
using Monitoring.Core.Alarms;
using Monitoring.Core.Pipeline;
using Monitoring.Server.Alarms;
using Monitoring.Server.Hosting;
using Monitoring.Server.Live;

namespace Monitoring.Server.Metrics;

/// <summary>
/// The server's own figures as .NET instruments on one <see cref="Meter"/> ("Monitoring"), exported at /metrics by
/// prometheus-net's meter adapter beside ASP.NET Core's meters (HTTP, Kestrel, SignalR) and the process/runtime figures.
/// Reads the counters the components already keep (pipeline, poll health, alarm engine, InfluxDB writer) through
/// observable instruments, so scraping costs nothing on the hot path; only the poll histograms are recorded as polls end.
/// </summary>
internal sealed class MonitoringMetrics : IDisposable
{
    public const string MeterName = "Monitoring";

    private readonly Meter _meter;
    private readonly IServiceProvider _services;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly Histogram<double> _pollDuration;
    private readonly Histogram<double> _pollSlip;
    private readonly Counter<long> _polls;

    public MonitoringMetrics(IMeterFactory meters, IServiceProvider services, IHostApplicationLifetime lifetime, PollHealth polls)
    {
        _services = services;
        _lifetime = lifetime;
        _meter = meters.Create(MeterName);
        _polls = _meter.CreateCounter<long>("polls", "{poll}", "Polls ended, by collector (protocol) and outcome.");
        _pollDuration = _meter.CreateHistogram<double>("poll.duration.seconds", "s", "How long one device's poll took, by collector.");
        _pollSlip = _meter.CreateHistogram<double>("poll.slip.seconds", "s", "How late a poll started after it was due, by collector.");
        polls.Observer = OnPoll;

        _meter.CreateObservableCounter("pipeline.samples.in", () => Read<SamplePipeline, long>(p => p.SamplesIn), "{sample}", "Samples accepted into the pipeline (collectors, ingest, MQTT).");
        _meter.CreateObservableCounter("pipeline.samples.processed", () => Read<SamplePipeline, long>(p => p.SamplesProcessed), "{sample}", "Samples the pipeline handed to live state and its observers.");
        _meter.CreateObservableCounter("pipeline.observer.faults", () => Read<SamplePipeline, long>(p => p.ObserverFaults), "{fault}", "Observer exceptions the pipeline caught.");
        _meter.CreateObservableGauge("pipeline.queued.batches", () => Read<SamplePipeline, int>(p => p.QueuedBatches), "{batch}", "Batches waiting in the pipeline's queue.");
        _meter.CreateObservableCounter("alarm.evaluations", AlarmEvaluations, "{sample}", "Samples the alarm engine evaluated.");
        _meter.CreateObservableGauge("alarms", AlarmsByState, "{alarm}", "Alarms not closed, by state.");
        _meter.CreateObservableGauge("influx.backlog.bytes", () => Influx(s => s.BytesBuffered), "By", "Bytes buffered on disk for each InfluxDB target.");
        _meter.CreateObservableGauge("influx.backlog.points", () => Influx(s => s.PointsBuffered), "{point}", "Points buffered on disk for each InfluxDB target.");
        _meter.CreateObservableCounter("influx.points.written", () => Influx(s => s.PointsWritten), "{point}", "Points each InfluxDB target accepted.");
        _meter.CreateObservableCounter("influx.points.dropped", () => Influx(s => s.PointsDropped), "{point}", "Points dropped for each InfluxDB target (counted, logged).");
        _meter.CreateObservableGauge("component.up", Components, "1", "Each component's state from /healthz: 1 ok, 0 otherwise.");
        _meter.CreateObservableCounter("samples.ingested", SamplesBySource, "{sample}", "Samples accepted into the pipeline, by source (line_protocol, demo, snmp, snmp_trap, modbus, mqtt, other).");
        _meter.CreateObservableGauge("influx.backlog.oldest.seconds", () => InfluxOldest(), "s", "How long the oldest unsent point of each InfluxDB target has waited in its buffer.");
        _meter.CreateObservableGauge("hub.connections", () => Read<HubConnectionRegistry, int>(h => h.Count), "{connection}", "Open /hubs/live connections.");
        _meter.CreateObservableGauge("hub.send.queue.bytes", () => HubQueues(c => c.QueuedBytes, max: false), "By", "Bytes waiting in the consoles' send queues, all connections together.");
        _meter.CreateObservableGauge("hub.send.queue.max.bytes", () => HubQueues(c => c.QueuedBytes, max: true), "By", "Bytes waiting in the fullest console's send queue.");
        _meter.CreateObservableGauge("hub.send.queue.messages", () => HubQueues(c => c.QueuedMessages, max: false), "{message}", "Messages waiting in the consoles' send queues, all connections together.");
        _meter.CreateObservableGauge("hub.send.queue.max.messages", () => HubQueues(c => c.QueuedMessages, max: true), "{message}", "Messages waiting in the fullest console's send queue.");
        _meter.CreateObservableGauge("hub.send.queue.peak.bytes", () => Read<HubConnectionRegistry, long>(h => h.PeakQueuedBytes), "By", "The most bytes ever queued for one connection since start.");
        _meter.CreateObservableCounter("hub.resyncs", () => Read<HubConnectionRegistry, long>(h => h.Resyncs), "{resync}", "Times a slow console's queue was dropped and it was told to resync.");
        _meter.CreateObservableCounter("hub.dropped.messages", () => Read<HubConnectionRegistry, long>(h => h.DroppedMessages), "{message}", "Hub messages dropped for slow consoles (each counted in a resync).");
    }

    public void Dispose() => _meter.Dispose();

    private void OnPoll(string collector, PollOutcome outcome, TimeSpan duration, TimeSpan slip)
    {
        var tag = new KeyValuePair<string, object?>("collector", collector);
        _polls.Add(1, tag, new KeyValuePair<string, object?>("outcome", OutcomeName(outcome)));
        _pollDuration.Record(duration.TotalSeconds, tag);
        _pollSlip.Record(Math.Max(0, slip.TotalSeconds), tag);
    }

    private static readonly string[] OutcomeNames = [.. Enum.GetNames<PollOutcome>().Select(n => n.ToLowerInvariant())];

    private static string OutcomeName(PollOutcome outcome) => (uint)outcome < (uint)OutcomeNames.Length ? OutcomeNames[(int)outcome] : "other";

    /// <summary>Before the host has started, components are not resolved (resolving them early would start work out of order).</summary>
    private bool Started => _lifetime.ApplicationStarted.IsCancellationRequested && !_lifetime.ApplicationStopping.IsCancellationRequested;

    private IEnumerable<Measurement<TValue>> Read<TService, TValue>(Func<TService, TValue> read)
        where TService : notnull
        where TValue : struct
    {
        if (Started)
        {
            yield return new Measurement<TValue>(read(_services.GetRequiredService<TService>()));
        }
    }

    private IEnumerable<Measurement<long>> AlarmEvaluations()
    {
        if (Started && _services.GetRequiredService<AlarmRuntime>().Observer is AlarmEngine engine)
        {
            yield return new Measurement<long>(engine.SamplesEvaluated);
        }
    }

    private IEnumerable<Measurement<int>> AlarmsByState()
    {
        if (!Started)
        {
            yield break;
        }

        var counts = new int[Enum.GetValues<AlarmState>().Length];
        foreach (var alarm in _services.GetRequiredService<IAlarmService>().Active)
        {
            counts[(int)alarm.State]++;
        }

        foreach (var state in Enum.GetValues<AlarmState>())
        {
            yield return new Measurement<int>(counts[(int)state], new KeyValuePair<string, object?>("state", state.ToString().ToLowerInvariant()));
        }
    }

    private IEnumerable<Measurement<long>> Influx(Func<Monitoring.Storage.Influx.InfluxTargetStatus, long> read)
    {
        if (!Started)
        {
            yield break;
        }

        foreach (var status in _services.GetRequiredService<InfluxWriterService>().TargetStatuses())
        {
            yield return new Measurement<long>(read(status), new KeyValuePair<string, object?>("target", status.Name));
        }
    }

    private IEnumerable<Measurement<long>> SamplesBySource()
    {
        if (!Started)
        {
            yield break;
        }

        var pipeline = _services.GetRequiredService<SamplePipeline>();
        foreach (var source in Enum.GetValues<SampleSource>())
        {
            yield return new Measurement<long>(pipeline.SamplesFrom(source), new KeyValuePair<string, object?>("source", SampleSources.Label(source)));
        }
    }

    private IEnumerable<Measurement<double>> InfluxOldest()
    {
        if (!Started)
        {
            yield break;
        }

        foreach (var status in _services.GetRequiredService<InfluxWriterService>().TargetStatuses())
        {
            yield return new Measurement<double>(status.OldestSeconds, new KeyValuePair<string, object?>("target", status.Name));
        }
    }

    private IEnumerable<Measurement<long>> HubQueues(Func<LiveConnection, long> read, bool max)
    {
        if (!Started)
        {
            yield break;
        }

        long result = 0;
        foreach (var connection in _services.GetRequiredService<HubConnectionRegistry>().Connections)
        {
            var value = read(connection);
            result = max ? Math.Max(result, value) : result + value;
        }

        yield return new Measurement<long>(result);
    }

    private IEnumerable<Measurement<int>> Components()
    {
        if (!Started)
        {
            yield break;
        }

        foreach (var (name, report) in _services.GetRequiredService<ComponentHealth>().Snapshot())
        {
            yield return new Measurement<int>(report.State == ComponentState.Ok ? 1 : 0, new KeyValuePair<string, object?>("component", name));
        }
    }
}
