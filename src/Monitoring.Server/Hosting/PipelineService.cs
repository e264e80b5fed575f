using Monitoring.Core.Pipeline;

namespace Monitoring.Server.Hosting;

/// <summary>Runs the pipeline's single consumer for the life of the server.</summary>
internal sealed class PipelineService(SamplePipeline pipeline, ComponentHealth health) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        health.Report("pipeline", ComponentState.Ok);
        try
        {
            await pipeline.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the web server stops before this service: a batch already answered 204 is still handed to the observers
            // (the history store and the InfluxDB writer stop after this service and keep what they were given)
            pipeline.DrainNow();
        }
    }
}
