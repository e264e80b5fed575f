using Monitoring.Core.Queues;
using Monitoring.Core.Tickets;
using Monitoring.Server.Live;
using Monitoring.Server.Relays;

namespace Monitoring.Server.Tickets;

/// <summary>
/// One thing that happened to a ticket, as consoles (SignalR "ticket") and notifiers receive it. Kind: opened,
/// dispatched, received, accepted, recalled, departed, arrived, resolved, calledBack, complaint, closed, note, linked,
/// intercepted, alarmLinked, alarmCleared, warned, missed, escalated, teamStatus.
/// </summary>
public sealed record TicketEvent(TicketEventKind Kind, long TicketId, string Number, DateTimeOffset At, string? By, string? Detail, TicketSummary? Ticket)
{
    /// <summary>For warned/missed/escalated: who should hear about it (the responsible party, the sender, the supervisors).</summary>
    public IReadOnlyList<string> NotifyWhom { get; init; } = [];
}

/// <summary>
/// An outbound channel for ticket events (a webhook, SMS gateway...). The alarm webhooks live with the alarm engine and
/// take alarm events only, so tickets define this small seam; register implementations in DI to receive every event.
/// </summary>
public interface ITicketNotifier
{
    Task NotifyAsync(TicketEvent ticketEvent, CancellationToken cancellationToken);
}

/// <summary>
/// Takes events from the ticket service without blocking it, and pushes them in order to the ticket's room group (the
/// connections whose user may see the room and read tickets; a ticket of no room: every connection but trainees') and
/// to every notifier. The queue is a <see cref="BoundedRelay{T}"/> of <see cref="Capacity"/> events that drops the
/// oldest when full (a notifier far behind): each drop is counted, logged and shown in /healthz "relays"; consoles
/// re-read tickets on reconnect.
/// </summary>
public sealed partial class TicketEventPublisher : BackgroundService
{
    public const string RelayName = "tickets->hub+notifiers";
    public const int Capacity = 10_000;

    private readonly HubConnectionRegistry _hub;
    private readonly IEnumerable<ITicketNotifier> _notifiers;
    private readonly ILogger<TicketEventPublisher> _logger;
    private readonly BoundedRelay<TicketEvent> _relay;

    public TicketEventPublisher(HubConnectionRegistry hub, IEnumerable<ITicketNotifier> notifiers, RelayHealth relays, ILogger<TicketEventPublisher> logger)
    {
        ArgumentNullException.ThrowIfNull(relays);
        _hub = hub;
        _notifiers = notifiers;
        _logger = logger;
        _relay = new BoundedRelay<TicketEvent>(RelayName, Capacity, RelayDropPolicy.DropOldest, DeliverAsync, logger, static e => $"{e.Kind.Wire()} of {e.Number}");
        relays.Add(_relay);
    }

    public long Published => _relay.Delivered;

    /// <summary>Events let go because 10,000 were waiting (a notifier far behind); each is logged. Consoles re-read tickets on reconnect.</summary>
    public long Dropped => _relay.Dropped;

    public void Publish(TicketEvent ticketEvent) => _relay.TryEnqueue(ticketEvent);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _relay.RunAsync(stoppingToken);

    private async ValueTask DeliverAsync(TicketEvent ticketEvent, CancellationToken stoppingToken)
    {
        try
        {
            _hub.Publish(ticketEvent.Ticket?.RoomId, HubAudience.Tickets, LiveHub.TicketMethod, ticketEvent);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPushFailed(_logger, ex, ticketEvent.Kind.Wire(), ticketEvent.Number);
        }

        foreach (var notifier in _notifiers)
        {
            try
            {
                await notifier.NotifyAsync(ticketEvent, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPushFailed(_logger, ex, ticketEvent.Kind.Wire(), ticketEvent.Number);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket event {Kind} of {Number} could not be delivered")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, string kind, string number);
}
