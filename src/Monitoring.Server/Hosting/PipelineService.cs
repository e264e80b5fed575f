using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Server.Hosting;

/// <summary>
/// Runs the pipeline's single consumer for the life of the server. Its start gate is explicit: the stages that observe
/// the pipeline (history, InfluxDB writer, alarm engine) join it in their StartAsync, so the consumer waits until the
/// host has started every service; what producers write before then waits in the bounded channel. The device-event
/// observers (the alarm engine's route for traps and wills) join here, before the first batch.
/// </summary>
internal sealed class PipelineService(
    SamplePipeline pipeline, IEnumerable<IDeviceEventObserver> eventObservers, IHostApplicationLifetime lifetime, ComponentHealth health) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var observer in eventObservers)
        {
            pipeline.AddEventObserver(observer);
        }

        try
        {
            await WhenStartedAsync(stoppingToken).ConfigureAwait(false);
            health.Report("pipeline", ComponentState.Ok);
            await pipeline.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the web server stops before this service: a batch already answered 204 is still handed to the observers
            // (the history store and the InfluxDB writer stop after this service and keep what they were given)
            pipeline.DrainNow();
        }
    }

    private async Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
    }
}
