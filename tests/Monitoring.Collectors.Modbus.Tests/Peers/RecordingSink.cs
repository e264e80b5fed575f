using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Modbus.Tests.Peers;

/// <summary>Keeps every sample written to it.</summary>
internal sealed class RecordingSink : ISampleSink
{
    public List<Sample> Samples { get; } = [];

    public ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
    {
        using (batch)
        {
            lock (Samples)
            {
                foreach (var sample in batch.Samples)
                {
                    Samples.Add(sample);
                }
            }
        }

        return ValueTask.CompletedTask;
    }
}
