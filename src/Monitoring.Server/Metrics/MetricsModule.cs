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
    }

    /// <summary>Maps the endpoint on <paramref name="secured"/> and creates the instruments (they read components lazily, once the host started).</summary>
    public static void Map(IServiceProvider services, IEndpointRouteBuilder secured)
    {
        services.GetRequiredService<MonitoringMetrics>();
        // GET only: a scrape never changes anything
        secured.MapMetrics(Path).WithMetadata(new HttpMethodMetadata([HttpMethods.Get])).Requires(Capability.ReadMetrics).WithDisplayName("Metrics");
    }
}
