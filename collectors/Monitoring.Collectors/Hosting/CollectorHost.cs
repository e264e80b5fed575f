using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monitoring.Core.Pipeline;

namespace Monitoring.Collectors.Hosting;

/// <summary>
/// Runs one <see cref="ICollector"/> for the life of the server: the enable check and its health report, the context
/// with the pipeline and the scheduler, a quiet stop. One host for every protocol (see <see cref="CollectorServices.AddCollector{TCollector}"/>).
/// In a cluster (<paramref name="placement"/> registered) a polling collector starts once this node leads, and a
/// listening one writes through the placement's sink.
/// </summary>
public sealed class CollectorHost<TCollector>(
    TCollector collector, ComponentHealth health, ISampleSink pipeline, PollHealth pollHealth, TimeProvider time, ILoggerFactory loggers, ICollectorPlacement? placement = null)
    : BackgroundService
    where TCollector : ICollector
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (collector.DisabledReason is { } off)
        {
            health.Report(collector.Component, ComponentState.Disabled, off);
            return;
        }

        // every batch of this collector is counted under its source (/metrics)
        var sink = pipeline is SamplePipeline samples ? samples.From(collector.Source) : pipeline;
        try
        {
            if (placement is not null && collector.Listens)
            {
                sink = placement.ListenerSink(collector.Source, sink);
            }
            else if (placement is not null)
            {
                health.Report(collector.Component, ComponentState.Ok, placement.WaitingDetail);
                await placement.WhenPollingAsync(stoppingToken).ConfigureAwait(false);
            }

            var context = new CollectorContext(collector.Component, health, sink, pollHealth, time, loggers);
            await collector.RunAsync(context, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
