using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Monitoring.Server.Security;
using Prometheus;

namespace Monitoring.Server.Metrics;

/// <summary>/metrics: Prometheus text (OpenMetrics when the scraper's Accept asks), for "metrics" tokens and administrators.</summary>
internal static class MetricsModule
{
    public const string Path = "/metrics";

    public static void Add(IServiceCollection services, bool sessionHost)
    {
        services.AddMetrics();
        SessionMeters.Configure();
        if (sessionHost)
        {
            SessionMeters.Mark(services);
        }

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

/// <summary>
/// prometheus-net's meter adapter is one per process, and it keeps every instrument it was shown in a static map that
/// the instrument's meter being disposed does not empty: an observable instrument of a training session's host (whose
/// callback holds the host's services) would keep the whole ended host alive. So the adapter is not shown the
/// instruments of a session host's meters (their <see cref="Meter.Scope"/> is the session host's meter factory, held
/// here weakly): /metrics shows the live host's figures, never a session's.
/// </summary>
internal static class SessionMeters
{
    private static readonly ConditionalWeakTable<IMeterFactory, object> Factories = [];
    private static readonly object Marker = new();
    private static int _configured;

    /// <summary>Once per process, before the adapter starts (the first collection of the default registry).</summary>
    public static void Configure()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 0)
        {
            Prometheus.Metrics.ConfigureMeterAdapter(options => options.InstrumentFilterPredicate = Admits);
        }
    }

    public static bool Admits(Instrument instrument) =>
        instrument.Meter.Scope is not IMeterFactory factory || !Factories.TryGetValue(factory, out _);

    /// <summary>The host's meter factory (the one AddMetrics registered), marked as a session host's when it is created.</summary>
    public static void Mark(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IMeterFactory) && !d.IsKeyedService)
            ?? throw new InvalidOperationException("no IMeterFactory registered");
        services.Remove(registered);
        services.AddSingleton<IMeterFactory>(sp =>
        {
            var factory = registered.ImplementationInstance as IMeterFactory
                ?? registered.ImplementationFactory?.Invoke(sp) as IMeterFactory
                ?? (IMeterFactory)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!);
            Factories.AddOrUpdate(factory, Marker);
            return factory;
        });
    }
}
