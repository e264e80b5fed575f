using System.Threading.Channels;
using Monitoring.Core.Tickets;
using Monitoring.Server.Live;

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
/// to every notifier.
/// </summary>
public sealed partial class TicketEventPublisher(HubConnectionRegistry hub, IEnumerable<ITicketNotifier> notifiers, ILogger<TicketEventPublisher> logger) : BackgroundService
{
    private readonly DroppingQueue _queue = new(logger);

    private long _published;

    public long Published => Interlocked.Read(ref _published);

    /// <summary>Events let go because 10,000 were waiting (a notifier far behind); each is logged. Consoles re-read tickets on reconnect.</summary>
    public long Dropped => _queue.Dropped;

    public void Publish(TicketEvent ticketEvent) => _queue.Writer.TryWrite(ticketEvent);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var ticketEvent in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                hub.Publish(ticketEvent.Ticket?.RoomId, HubAudience.Tickets, LiveHub.TicketMethod, ticketEvent);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPushFailed(logger, ex, ticketEvent.Kind.Wire(), ticketEvent.Number);
            }

            foreach (var notifier in notifiers)
            {
                try
                {
                    await notifier.NotifyAsync(ticketEvent, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPushFailed(logger, ex, ticketEvent.Kind.Wire(), ticketEvent.Number);
                }
            }

            Interlocked.Increment(ref _published);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket event {Kind} of {Number} could not be delivered")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, string kind, string number);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket event {Kind} of {Number} dropped: 10,000 events were waiting for delivery")]
    private static partial void LogDropped(ILogger logger, string kind, string number);

    /// <summary>The bounded queue of events (oldest dropped when full), counting and logging every drop.</summary>
    private sealed class DroppingQueue
    {
        private long _dropped;

        public DroppingQueue(ILogger logger)
        {
            var channel = Channel.CreateBounded<TicketEvent>(
                new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
                dropped =>
                {
                    Interlocked.Increment(ref _dropped);
                    LogDropped(logger, dropped.Kind.Wire(), dropped.Number);
                });
            Writer = channel.Writer;
            Reader = channel.Reader;
        }

        public ChannelWriter<TicketEvent> Writer { get; }

        public ChannelReader<TicketEvent> Reader { get; }

        public long Dropped => Interlocked.Read(ref _dropped);
    }
}
