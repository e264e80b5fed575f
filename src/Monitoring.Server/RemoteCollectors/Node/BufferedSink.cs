using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Storage.Influx;

namespace Monitoring.Server.RemoteCollectors.Node;

/// <summary>
/// The pollers' sink on a collector node: every sample goes to the <see cref="InfluxWriter"/> (batched, gzip, on disk
/// before it is sent, retried: the same writer the server uses for InfluxDB, aimed at the server's /api/v2/write) and is
/// counted. Device events have no road to the server yet: counted and logged.
/// </summary>
internal sealed partial class BufferedSink(InfluxWriter writer, ILogger logger) : ISampleSink
{
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} device event(s) (first: {Device} {Name}) are not forwarded by a collector node yet")]
    private static partial void LogEvents(ILogger logger, int count, string device, string name);
}
