using Microsoft.Extensions.Options;
using Monitoring.Server.Hosting;

namespace Monitoring.Server.Tickets;

/// <summary>
/// Loads the tickets not yet closed at start, then every ClockIntervalMs looks at every open segment: warns before a
/// target is missed, marks it missed when it is, and runs the acceptance escalation (phone the receiver, then the supervisors).
/// </summary>
internal sealed partial class TicketClockService(
    TicketService tickets, IOptions<MonitoringOptions> options, ComponentHealth health, ILogger<TicketClockService> logger,
    Cluster.IAlarmLeadership? leadership = null) : BackgroundService
{
    public const string Component = "tickets";

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await tickets.InitializeAsync(cancellationToken).ConfigureAwait(false);
        Report();
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Max(50, options.Value.Tickets.ClockIntervalMs));
        using var timer = new PeriodicTimer(interval, tickets.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (leadership is { IsLeader: false })
                {
                    continue; // cluster standby: the leader's clock runs the SLA and escalations
                }

                try
                {
                    await tickets.TickAsync(stoppingToken).ConfigureAwait(false);
                    Report();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogTickFailed(logger, ex);
                    health.Report(Component, ComponentState.Degraded, "clock tick failed: " + ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Report()
    {
        var live = tickets.Live;
        var open = live.Count(t => t.IsOpen);
        health.Report(Component, ComponentState.Ok, $"{open} open, {live.Count - open} resolved awaiting close", new Dictionary<string, object?>
        {
            ["open"] = open,
            ["notClosed"] = live.Count,
            ["clockTicks"] = tickets.ClockTicks,
            ["lastTick"] = tickets.LastTick,
        });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Ticket clock tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
