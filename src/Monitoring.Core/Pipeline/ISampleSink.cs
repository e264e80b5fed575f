using Monitoring.Core.Series;

namespace Monitoring.Core.Pipeline;

/// <summary>Where producers (collectors, ingest, simulator) hand their samples; the pipeline is the one implementation.</summary>
public interface ISampleSink
{
    /// <summary>Queues a batch, waiting while the sink is full. The sink owns (and disposes) the batch from here on.</summary>
    ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken);
}
