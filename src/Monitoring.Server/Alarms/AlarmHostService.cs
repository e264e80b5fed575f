using Monitoring.Core.Alarms;
using Monitoring.Core.Pipeline;
using Monitoring.Server.Hosting;

namespace Monitoring.Server.Alarms;

/// <summary>
/// Starts the alarm engine (active alarms come back from the store), puts it on the pipeline before the pipeline runs
/// (this service starts ahead of it), and ticks it every second for hold times, absence, shelving and maintenance ends.
/// Reports the "alarms" component to /healthz.
/// </summary>
internal sealed partial class AlarmHostService(
    AlarmRuntime runtime,
    IEnumerable<IAlarmEventSink> sinks,
    IEnumerable<IIncidentSink> incidentSinks,
    SamplePipeline pipeline,
    ComponentHealth health,
    TimeProvider time,
    ILogger<AlarmHostService> logger,
    Cluster.IAlarmLeadership? leadership = null) : BackgroundService
{
    private readonly Cluster.IAlarmLeadership _leadership = leadership ?? Cluster.SingleNode.Instance;

    public const string Component = "alarms";

    private readonly List<IDisposable> _subscriptions = [];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var sink in sinks)
        {
            _subscriptions.Add(runtime.Service.Subscribe(sink));
        }

        foreach (var sink in incidentSinks)
        {
            _subscriptions.Add(runtime.Incidents.SubscribeIncidents(sink));
        }

        if (_leadership is Cluster.SingleNode)
        {
            runtime.Start();
            pipeline.AddObserver(runtime.Observer);
            LogStarted(logger, runtime.RulesLoaded, runtime.RulesDirectory, runtime.Service.Active.Count);
        }
        else
        {
            // a cluster node: samples reach the engine only while this node leads; it starts when it becomes the leader
            pipeline.AddObserver(new LeaderOnlyObserver(runtime.Observer, _leadership));
            health.Report(Component, ComponentState.Ok, "standby: the alarm engine runs on the leader node");
        }

        Report();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (_leadership is not Cluster.SingleNode)
            {
                await _leadership.WhenLeaderAsync(stoppingToken).ConfigureAwait(false);
                // the open alarms, incidents, windows and mute as the previous leader left them in the store
                runtime.Start();
                LogStarted(logger, runtime.RulesLoaded, runtime.RulesDirectory, runtime.Service.Active.Count);
                Report();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (!_leadership.IsLeader)
                {
                    continue; // leadership lost: the process is stopping; nothing more is evaluated here
                }

                try
                {
                    runtime.Tick();
                    Report();
                }
#pragma warning disable CA1031 // a failing tick is reported and tried again next second; alarms must keep running
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    health.Report(Component, ComponentState.Degraded, ex.Message);
                    LogTickFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        base.Dispose();
    }

    private void Report()
    {
        if (!_leadership.IsLeader)
        {
            return;
        }

        var active = runtime.Service.Active;
        var bySeverity = new Dictionary<string, int>(StringComparer.Ordinal) { ["critical"] = 0, ["major"] = 0, ["minor"] = 0, ["warning"] = 0 };
        var silent = 0;
        var unacknowledged = 0;
        foreach (var alarm in active)
        {
            var key = alarm.Severity.ToString().ToLowerInvariant();
            bySeverity[key] = bySeverity.GetValueOrDefault(key) + 1;
            silent += alarm.Silent ? 1 : 0;
            unacknowledged += alarm.Acknowledgement is null ? 1 : 0;
        }

        var mute = runtime.Service.CurrentMute;
        var store = runtime.Store;
        var storeError = store?.LastError;
        health.Report(
            Component,
            storeError is null ? ComponentState.Ok : ComponentState.Degraded,
            $"{runtime.RulesLoaded} rules, {active.Count} active alarms" + (storeError is null ? string.Empty : $"; alarm store retrying: {storeError}"),
            new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["storePending"] = store?.Pending,
                ["storeFailures"] = store?.Failures,
                ["storeLost"] = store?.Lost,
                ["rulesLoaded"] = runtime.RulesLoaded,
                ["active"] = active.Count,
                ["activeBySeverity"] = bySeverity,
                ["unacknowledged"] = unacknowledged,
                ["silent"] = silent,
                ["highestUnacknowledged"] = runtime.Service.HighestUnacknowledged?.ToString().ToLowerInvariant(),
                ["muted"] = mute is not null,
            });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alarm engine running: {Rules} rules from {Directory}, {Active} active alarms restored")]
    private static partial void LogStarted(ILogger logger, int rules, string directory, int active);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alarm engine tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}

/// <summary>A cluster node's engine sees samples only while the node leads (one engine evaluates per cluster).</summary>
internal sealed class LeaderOnlyObserver(Monitoring.Core.Series.ISampleObserver inner, Cluster.IAlarmLeadership leadership) : Monitoring.Core.Series.ISampleObserver
{
    public void OnSamples(ReadOnlySpan<Monitoring.Core.Series.Sample> samples)
    {
        if (leadership.IsLeader)
        {
            inner.OnSamples(samples);
        }
    }
}
