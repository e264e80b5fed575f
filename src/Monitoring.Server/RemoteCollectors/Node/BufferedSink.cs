using System.Globalization;
using System.Text;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Storage.Influx;

namespace Monitoring.Server.RemoteCollectors.Node;

/// <summary>
/// The pollers' sink on a collector node: every sample goes to the <see cref="InfluxWriter"/> (batched, gzip, on disk
/// before it is sent, retried: the same writer the server uses for InfluxDB, aimed at the server's /api/v2/write),
/// counted, and (with --record) appended to an audit file. Device events have no road to the server yet: counted and logged.
/// </summary>
internal sealed partial class BufferedSink(InfluxWriter writer, SeriesRegistry registry, Inventory inventory, StreamWriter? record, ILogger logger) : ISampleSink
{
    private readonly Lock _recordGate = new();
    private long _samples;
    private long _events;

    public long Samples => Interlocked.Read(ref _samples);

    public long Events => Interlocked.Read(ref _events);

    public async ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        try
        {
            if (writer.IsFull)
            {
                await writer.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
            }

            writer.OnSamples(batch.Samples);
            Interlocked.Add(ref _samples, batch.Count);
            if (record is not null && batch.Count > 0)
            {
                Record(batch.Samples);
            }

            if (batch.Events is { Count: > 0 } events)
            {
                Interlocked.Add(ref _events, events.Count);
                LogEvents(logger, events.Count, events[0].DeviceId, events[0].Name);
            }
        }
        finally
        {
            batch.Dispose();
        }
    }

    private void Record(ReadOnlySpan<Sample> samples)
    {
        var text = new StringBuilder(samples.Length * 48);
        foreach (ref readonly var sample in samples)
        {
            var info = registry[sample.SeriesId];
            var device = info.DeviceIndex >= 0 && info.DeviceIndex < inventory.Devices.Count ? inventory.Devices[info.DeviceIndex].Id : "-";
            text.Append(device).Append(' ').Append(info.Metric).Append(' ').Append(info.PortIndex.ToString(CultureInfo.InvariantCulture))
                .Append(' ').Append(sample.TimestampNs.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        lock (_recordGate)
        {
            record!.Write(text);
            record.Flush();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} device event(s) (first: {Device} {Name}) are not forwarded by a collector node yet")]
    private static partial void LogEvents(ILogger logger, int count, string device, string name);
}
