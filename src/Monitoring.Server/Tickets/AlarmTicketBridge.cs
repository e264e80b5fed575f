using System.Globalization;
using Monitoring.Core.Alarms;
using Monitoring.Core.Queues;
using Monitoring.Core.Tickets;
using Monitoring.Server.Relays;

namespace Monitoring.Server.Tickets;

/// <summary>
/// The only file of the tickets feature that knows the alarm engine (its contracts): TicketWanted of an alarm in an
/// incident opens the incident's one ticket (or links the alarm to it) and tells the incident; an alarm joining an
/// incident that has its ticket is linked to it; a suppressed child joins its root's ticket, Cleared tells the ticket. Leave this file out and
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

/// <summary>
/// An alarm event sink (the alarm host subscribes it). Events are queued in a <see cref="BoundedRelay{T}"/> of
/// <see cref="Capacity"/> so the engine's thread never waits; when full the oldest waiting event is dropped (counted,
/// logged, in /healthz "relays"). The alarm itself is kept by the alarm store either way.
/// </summary>
internal sealed class AlarmTicketBridge : BackgroundService, IAlarmEventSink, IActiveAlarmSource
{
    public const string RelayName = "alarms->tickets";
    public const int Capacity = 10_000;

    private readonly IServiceProvider _services;
    private readonly TicketService _tickets;
    private readonly BoundedRelay<AlarmEvent> _relay;

    public AlarmTicketBridge(IServiceProvider services, TicketService tickets, RelayHealth relays, ILogger<AlarmTicketBridge> logger)
    {
        ArgumentNullException.ThrowIfNull(relays);
        _services = services;
        _tickets = tickets;
        _relay = new BoundedRelay<AlarmEvent>(RelayName, Capacity, RelayDropPolicy.DropOldest, HandleAsync, logger, static e => $"{e.Kind} of alarm {e.Alarm.Id}");
        relays.Add(_relay);
    }

    public IReadOnlyList<ActiveAlarmView> Active => _services.GetService<IAlarmService>()?.Active.Where(a => a.State is AlarmState.Raised or AlarmState.Acknowledged)
        .Select(a => new ActiveAlarmView(a.Id, a.Severity.ToString().ToLowerInvariant(), a.Message, a.Target.DeviceId, a.Target.Port, a.Target.RoomId,
            a.Target.RackId, a.RaisedAt, _tickets.FindByAlarm(a.SuppressedBy ?? a.Id)?.Id)
        { MessageEn = a.MessageEn })
        .ToArray() ?? [];

    /// <summary>The engine's incidents (resolved late: the engine is built after the tickets).</summary>
    private IIncidentService? Incidents => _services.GetService<IIncidentService>();

    public void OnAlarmEvent(AlarmEvent alarmEvent) => _relay.TryEnqueue(alarmEvent);

    public static AlarmFacts Facts(AlarmSnapshot alarm)
    {
        ArgumentNullException.ThrowIfNull(alarm);
        return new AlarmFacts(alarm.Id, alarm.RaisedAt, alarm.Target.DeviceId, alarm.Target.Port, alarm.Target.RoomId, alarm.Target.RackId,
            (int)alarm.Severity, alarm.Message, alarm.RuleName, alarm.SuppressedBy, alarm.Suppresses)
        { IncidentId = alarm.IncidentId, MessageEn = alarm.MessageEn };
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _relay.RunAsync(stoppingToken);

    /// <summary>The incident's alarms so far, with their devices (an alarm closed meanwhile is left out).</summary>
    private IncidentMember[] Members(IncidentSnapshot? incident)
    {
        if (incident is null || _services.GetService<IAlarmService>() is not { } alarms)
        {
            return [];
        }

        var members = new List<IncidentMember>(incident.AlarmIds.Count);
        foreach (var id in incident.AlarmIds)
        {
            if (alarms.Find(id) is { } alarm)
            {
                members.Add(new IncidentMember(id, alarm.Target.DeviceId));
            }
        }

        return [.. members];
    }

    private async ValueTask HandleAsync(AlarmEvent e, CancellationToken ct)
    {
        switch (e.Kind)
        {
            // one ticket per incident: the incident's, opened now if it has none, and the incident told which it is
            case AlarmEventKind.TicketWanted when e.Alarm.IncidentId is { } incidentId && Incidents is { } incidents:
                var incident = incidents.FindIncident(incidentId);
                var outcome = await _tickets.OnIncidentAlarmAsync(Facts(e.Alarm), incidentId, incident?.TicketId, Members(incident), ct).ConfigureAwait(false);
                if (outcome.Ticket is { } forIncident && incident is not null && incident.TicketId != forIncident.Id.ToString(CultureInfo.InvariantCulture))
                {
                    incidents.SetIncidentTicket(incidentId, forIncident.Id.ToString(CultureInfo.InvariantCulture));
                }

                break;
            case AlarmEventKind.TicketWanted:
                await _tickets.OnAlarmTicketWantedAsync(Facts(e.Alarm), ct).ConfigureAwait(false);
                break;

            // an alarm joining an incident that has its ticket is linked to it (the ticket's timeline shows it)
            case AlarmEventKind.Raised or AlarmEventKind.Updated when e.Alarm.IncidentId is { } joined && e.Alarm.State is AlarmState.Raised or AlarmState.Acknowledged
                && _tickets.FindByIncident(joined) is { } incidentTicket && !incidentTicket.HasLink(TicketLinkKind.Alarm, e.Alarm.Id.ToString(CultureInfo.InvariantCulture)):
                await _tickets.OnIncidentAlarmAsync(Facts(e.Alarm), joined, null, [], ct, open: false).ConfigureAwait(false);
                break;
            case AlarmEventKind.Raised or AlarmEventKind.Updated when e.Alarm.SuppressedBy is { } root && _tickets.FindByAlarm(root) is not null:
                await _tickets.OnAlarmSuppressedAsync(e.Alarm.Id, root, ct).ConfigureAwait(false);
                break;
            case AlarmEventKind.Cleared when _tickets.FindByAlarm(e.Alarm.Id) is { } ticket && ticket.IsOpen
                && ticket.AlarmIds.FirstOrDefault() == e.Alarm.Id:
                await _tickets.OnAlarmClearedAsync(e.Alarm.Id, e.Alarm.ClearedAt ?? e.At, ct).ConfigureAwait(false);
                break;
        }
    }
}
