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
        }
    }
}
