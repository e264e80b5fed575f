using System.Threading.Channels;
using Monitoring.Core.Alarms;
using Monitoring.Core.Tickets;

namespace Monitoring.Server.Tickets;

/// <summary>
/// The only file of the tickets feature that knows the alarm engine (its contracts): TicketWanted opens a ticket (or
/// joins the root's), a suppressed child joins its root's ticket, Cleared tells the ticket. Leave this file out and
/// tickets still work, without alarms.
/// </summary>
public static partial class TicketsModule
{
    static partial void AddAlarmBridge(IServiceCollection services)
    {
        services.AddSingleton<AlarmTicketBridge>();
        services.AddHostedService(sp => sp.GetRequiredService<AlarmTicketBridge>());
        services.AddSingleton<IActiveAlarmSource>(sp => sp.GetRequiredService<AlarmTicketBridge>());

        // the alarm host subscribes every registered sink to the engine
        services.AddSingleton<IAlarmEventSink>(sp => sp.GetRequiredService<AlarmTicketBridge>());
    }
}

/// <summary>An alarm event sink (the alarm host subscribes it); events are queued so the engine's thread never waits.</summary>
internal sealed partial class AlarmTicketBridge(IServiceProvider services, TicketService tickets, ILogger<AlarmTicketBridge> logger)
    : BackgroundService, IAlarmEventSink, IActiveAlarmSource
{
    private readonly Channel<AlarmEvent> _queue = Channel.CreateBounded<AlarmEvent>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public IReadOnlyList<ActiveAlarmView> Active => services.GetService<IAlarmService>()?.Active.Where(a => a.State is AlarmState.Raised or AlarmState.Acknowledged)
        .Select(a => new ActiveAlarmView(a.Id, a.Severity.ToString().ToLowerInvariant(), a.Message, a.Target.DeviceId, a.Target.Port, a.Target.RoomId,
            a.Target.RackId, a.RaisedAt, tickets.FindByAlarm(a.SuppressedBy ?? a.Id)?.Id))
        .ToArray() ?? [];

    public void OnAlarmEvent(AlarmEvent alarmEvent) => _queue.Writer.TryWrite(alarmEvent);

    public static AlarmFacts Facts(AlarmSnapshot alarm)
    {
        ArgumentNullException.ThrowIfNull(alarm);
        return new AlarmFacts(alarm.Id, alarm.RaisedAt, alarm.Target.DeviceId, alarm.Target.Port, alarm.Target.RoomId, alarm.Target.RackId,
            (int)alarm.Severity, alarm.Message, alarm.RuleName, alarm.SuppressedBy, alarm.Suppresses);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var e in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await HandleAsync(e, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFailed(logger, ex, e.Kind, e.Alarm.Id);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(AlarmEvent e, CancellationToken ct)
    {
        switch (e.Kind)
        {
            case AlarmEventKind.TicketWanted:
                await tickets.OnAlarmTicketWantedAsync(Facts(e.Alarm), ct).ConfigureAwait(false);
                break;
            case AlarmEventKind.Raised or AlarmEventKind.Updated when e.Alarm.SuppressedBy is { } root && tickets.FindByAlarm(root) is not null:
                await tickets.OnAlarmSuppressedAsync(e.Alarm.Id, root, ct).ConfigureAwait(false);
                break;
            case AlarmEventKind.Cleared when tickets.FindByAlarm(e.Alarm.Id) is { } ticket && ticket.IsOpen
                && ticket.AlarmIds.FirstOrDefault() == e.Alarm.Id:
                await tickets.OnAlarmClearedAsync(e.Alarm.Id, e.Alarm.ClearedAt ?? e.At, ct).ConfigureAwait(false);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alarm event {Kind} of alarm {AlarmId} could not update tickets")]
    private static partial void LogFailed(ILogger logger, Exception exception, AlarmEventKind kind, long alarmId);
}
