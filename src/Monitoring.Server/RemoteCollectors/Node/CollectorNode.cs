namespace Monitoring.Server.RemoteCollectors.Node;

/// <summary><c>monitoring collector</c>: a lean host (no web server, alarms, tickets or history) around <see cref="CollectorNodeService"/>.</summary>
internal static class CollectorNode
{
    public static async Task<int> RunAsync(ReadOnlyMemory<string> args, TextWriter error, CancellationToken cancellationToken)
    {
        var (options, problem) = CollectorNodeOptions.Parse(args.Span, Environment.GetEnvironmentVariable);
        if (options is null)
        {
            await error.WriteLineAsync($"monitoring collector: {problem}").ConfigureAwait(false);
            await error.WriteLineAsync(CollectorNodeOptions.Usage).ConfigureAwait(false);
            return Cli.UsageExitCode;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<CollectorNodeService>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
        using var host = builder.Build();
        await host.RunAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
