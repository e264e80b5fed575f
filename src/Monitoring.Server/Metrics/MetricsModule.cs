using Monitoring.Server.Security;
using Prometheus;

namespace Monitoring.Server.Metrics;

/// <summary>/metrics: Prometheus text (OpenMetrics when the scraper's Accept asks), for "metrics" tokens and administrators.</summary>
internal static class MetricsModule
{
    public const string Path = "/metrics";

    public static void Add(IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<MonitoringMetrics>();
        services.AddHostedService<MeterAdapterStart>();
    }

    /// <summary>Maps the endpoint on <paramref name="secured"/> and creates the instruments (they read components lazily, once the host started).</summary>
    public static void Map(IServiceProvider services, IEndpointRouteBuilder secured)
    {
        services.GetRequiredService<MonitoringMetrics>();
        // GET only: a scrape never changes anything
        secured.MapMetrics(Path).WithMetadata(new HttpMethodMetadata([HttpMethods.Get])).Requires(Capability.ReadMetrics).WithDisplayName("Metrics");
    }
}

/// <summary>
/// prometheus-net starts its .NET Meter adapter just before the registry's first collection, so whatever the server's
/// instruments recorded before the first scrape (an alarm raised at start, the first history flushes) was never seen.
/// One collection while the host starts, ahead of the pipeline (which waits for ApplicationStarted), starts it then.
/// </summary>
internal sealed class MeterAdapterStart : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
