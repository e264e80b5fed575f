using System.Globalization;
using Monitoring.Core.Alarms;
using Monitoring.Core.Queues;
using Monitoring.Core.Training;
using Monitoring.Server.Alarms;
using Monitoring.Server.Relays;
using Monitoring.Server.Tickets;
using Monitoring.Storage.Training;

namespace Monitoring.Server.Training.Scoring;

/// <summary>The kinds of trainee action the log keeps, as stored and sent.</summary>
public static class TraineeActivityKinds
{
    public const string Acknowledge = "acknowledge";
    public const string Close = "close";
    public const string Mute = "mute";
    public const string TicketOpened = "ticketOpened";
    public const string TicketDispatched = "ticketDispatched";
    public const string TicketClosed = "ticketClosed";
    public const string Locate = "locate";
    public const string QuizAnswer = "quizAnswer";
}

/// <summary>
/// The trainee activity log of a training session's host: every acknowledgement and close of an alarm (the alarm
/// engine's events with the user whose command caused them), every mute, every ticket opened, dispatched or closed
/// by a user (the ticket events), every locate and quiz answer, timed in wall time and in drill time
/// (<see cref="IDrillClock.Now"/>, null when no drill runs), kept in the host's database. Registered in session hosts
/// only: the live host records nothing. Engine and ticket events are queued (never blocking the engine) in a
/// <see cref="BoundedRelay{T}"/> of <see cref="Capacity"/> that drops the oldest when full (counted, logged, in
/// /healthz "relays"); locates and quiz answers are written before their request is answered.
/// </summary>
internal sealed class TraineeActivityLog : BackgroundService, IAlarmEventSink, ITicketNotifier, IMuteObserver
{
    public const string RelayName = "training->activity log";
    public const int Capacity = 10_000;

    private readonly TrainingStore _store;
    private readonly TrainingContext _context;
    private readonly IDrillClock _clock;
    private readonly TimeProvider _time;
    private readonly string? _systemUser;
    private readonly BoundedRelay<TrainingActionRow> _relay;

    public TraineeActivityLog(
        TrainingStore store, TrainingContext context, IDrillClock clock, TimeProvider time, RelayHealth relays,
        Microsoft.Extensions.Options.IOptions<Hosting.MonitoringOptions> options, ILogger<TraineeActivityLog> logger)
    {
        ArgumentNullException.ThrowIfNull(relays);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _context = context;
        _clock = clock;
        _time = time;
        _systemUser = options.Value.Tickets.SystemUser;
        _relay = new BoundedRelay<TrainingActionRow>(RelayName, Capacity, RelayDropPolicy.DropOldest, WriteAsync, logger, static a => $"{a.Kind} by {a.User}");
        relays.Add(_relay);
    }

    public long Recorded => _relay.Delivered;

    /// <summary>A new action of <paramref name="user"/> stamped now, in wall and drill time.</summary>
    public TrainingActionRow Stamp(string user, string kind) =>
        new(0, _context.SessionId ?? string.Empty, user, kind, _time.GetUtcNow(), _clock.DrillId, _clock.Now);

    /// <summary>Keeps an action before returning (a locate: its 2xx follows).</summary>
    public Task<TrainingActionRow> RecordAsync(TrainingActionRow action, CancellationToken cancellationToken) => _store.AppendAsync(action, cancellationToken);

    public void OnAlarmEvent(AlarmEvent alarmEvent)
    {
        ArgumentNullException.ThrowIfNull(alarmEvent);
        if (alarmEvent.By is not { } user || alarmEvent.Kind is not (AlarmEventKind.Acknowledged or AlarmEventKind.Closed))
        {
            return;
        }

        var alarm = alarmEvent.Alarm;
        var kind = alarmEvent.Kind == AlarmEventKind.Acknowledged ? TraineeActivityKinds.Acknowledge : TraineeActivityKinds.Close;
        _relay.TryEnqueue(Stamp(user, kind) with
        {
            RuleId = alarm.RuleId,
            DeviceId = alarm.Target.DeviceId,
            Port = alarm.Target.Port,
            Ref = alarm.Id.ToString(CultureInfo.InvariantCulture),
            Detail = alarm.MessageEn ?? alarm.Message,
        });
    }

    public void OnMuteChanged(MuteRecord? mute)
    {
        if (mute is not null)
        {
            _relay.TryEnqueue(Stamp(mute.By, TraineeActivityKinds.Mute) with { Detail = mute.Reason });
        }
    }

    public Task NotifyAsync(TicketEvent ticketEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticketEvent);
        var kind = ticketEvent.Kind switch
        {
            Core.Tickets.TicketEventKind.Opened => TraineeActivityKinds.TicketOpened,
            Core.Tickets.TicketEventKind.Dispatched => TraineeActivityKinds.TicketDispatched,
            Core.Tickets.TicketEventKind.Closed => TraineeActivityKinds.TicketClosed,
            _ => null,
        };

        // the system's own steps (a ticket an alarm opened) are nobody's action
        if (kind is null || ticketEvent.By is not { Length: > 0 } user || string.Equals(user, _systemUser, StringComparison.Ordinal) || user == "clock")
        {
            return Task.CompletedTask;
        }

        var ticket = ticketEvent.Ticket;
        _relay.TryEnqueue(Stamp(user, kind) with
        {
            DeviceId = ticket?.DeviceId,
            Port = ticket?.Port,
            Category = ticket is null ? null : Camel(ticket.Category.ToString()),
            TeamId = ticket?.TeamId,
            Ref = ticketEvent.Number,
            Detail = ticket?.Title,
        });
        return Task.CompletedTask;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _relay.RunAsync(stoppingToken);

    private async ValueTask WriteAsync(TrainingActionRow action, CancellationToken cancellationToken) =>
        await _store.AppendAsync(action, cancellationToken).ConfigureAwait(false);

    internal static string Camel(string name) => string.Concat(char.ToLowerInvariant(name[0]).ToString(), name.AsSpan(1));
}
