using System.Diagnostics.Metrics;

namespace Monitoring.Core.Diagnostics;

/// <summary>
/// The figures recorded where they happen (one call at the point of use), on a process-wide <see cref="Meter"/> named
/// "Monitoring" like the server's own: /metrics exports them as <c>monitoring_*</c>. The figures read from components
/// (pipeline, polls, alarms, InfluxDB backlog, hub) are observable instruments in the server's MonitoringMetrics.
/// </summary>
public static class MonitoringInstruments
{
    public const string MeterName = "Monitoring";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> HistoryFlush = Meter.CreateHistogram<double>(
        "history.flush.seconds", "s", "How long one history flush took (samples written in one transaction).");

    private static readonly Counter<long> HistoryFlushed = Meter.CreateCounter<long>(
        "history.flushed.samples", "{sample}", "Samples the history flushes wrote.");

    private static readonly Histogram<double> AlarmLatency = Meter.CreateHistogram<double>(
        "alarm.latency.seconds", "s", "From the input that changed an alarm entering the server to the change handed to the consoles' queues, by event kind.");

    private static readonly Histogram<long> HubQueueDepth = Meter.CreateHistogram<long>(
        "hub.send.queue.depth.bytes", "By", "Bytes waiting in a console's send queue as each hub message joins it.");

    private static readonly string[] KindNames = ["raised", "updated", "acknowledged", "cleared", "closed", "ticketwanted"];

    /// <summary>One history flush of <paramref name="samples"/> samples took <paramref name="elapsed"/>.</summary>
    public static void HistoryFlushTook(TimeSpan elapsed, int samples)
    {
        HistoryFlush.Record(elapsed.TotalSeconds);
        HistoryFlushed.Add(samples);
    }

    /// <summary>An alarm change caused by input reached the consoles' queues <paramref name="elapsed"/> after the input entered the server.</summary>
    public static void AlarmChangeDelivered(TimeSpan elapsed, Alarms.AlarmEventKind kind) =>
        AlarmLatency.Record(Math.Max(0, elapsed.TotalSeconds), new KeyValuePair<string, object?>("kind", (uint)kind < (uint)KindNames.Length ? KindNames[(int)kind] : "other"));

    /// <summary>A hub message was queued for a console whose queue now holds <paramref name="queuedBytes"/>.</summary>
    public static void HubMessageQueued(long queuedBytes) => HubQueueDepth.Record(queuedBytes);
}
