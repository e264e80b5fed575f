using Microsoft.Extensions.Logging;
using Monitoring.Core.Pipeline;

namespace Monitoring.Collectors.Hosting;

/// <summary>What a running collector is given: its health entry, the pipeline, and the poll scheduler.</summary>
public sealed partial class CollectorContext(
    string component, ComponentHealth health, ISampleSink pipeline, PollHealth pollHealth, TimeProvider time, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger(typeof(CollectorContext).FullName + "." + component);

    public string Component { get; } = component;

    /// <summary>Where samples (and device events, <see cref="Monitoring.Core.Series.SampleBatch.Events"/>) go: the one pipeline.</summary>
    public ISampleSink Pipeline { get; } = pipeline;

    public TimeProvider Time { get; } = time;

    public ILoggerFactory Loggers { get; } = loggers;

    public void Report(ComponentState state, string? detail = null, IReadOnlyDictionary<string, object?>? data = null) =>
        health.Report(Component, state, detail, data);

    /// <summary>
    /// The polling skeleton every polling collector shares: logs why devices cannot be polled, reports the component
    /// (disabled with <paramref name="none"/> when nothing can be polled and nothing is wrong, degraded naming the first
    /// problem, ok with <paramref name="ok"/>), then runs the pollers on the <see cref="PollScheduler"/> until stopped.
    /// With no pollers but problems, <paramref name="noneCanBePolled"/> (given the first problem) says why, degraded; when it
    /// is null the component is reported disabled with <paramref name="none"/> all the same.
    /// </summary>
    public async Task PollAsync(
        IReadOnlyList<IDevicePoller> pollers,
        IReadOnlyList<string> problems,
        string ok,
        string none,
        Func<string, string>? noneCanBePolled,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pollers);
        ArgumentNullException.ThrowIfNull(problems);
        foreach (var problem in problems)
        {
            LogProblem(_logger, Component, problem);
        }

        if (pollers.Count == 0)
        {
            if (problems.Count == 0 || noneCanBePolled is null)
            {
                Report(ComponentState.Disabled, none);
            }
            else
            {
                Report(ComponentState.Degraded, noneCanBePolled(problems[0]));
            }

            return;
        }

        Report(
            problems.Count == 0 ? ComponentState.Ok : ComponentState.Degraded,
            problems.Count == 0 ? ok : $"{pollers.Count} devices polled; {problems.Count} cannot be: {problems[0]}");
        LogStarted(_logger, Component, pollers.Count);
        using var scheduler = new PollScheduler(Time, pollHealth, Pipeline, Loggers.CreateLogger<PollScheduler>());
        await scheduler.RunAsync(pollers, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Component} collector polling {Devices} devices")]
    private static partial void LogStarted(ILogger logger, string component, int devices);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Component}: device not polled: {Problem}")]
    private static partial void LogProblem(ILogger logger, string component, string problem);
}
