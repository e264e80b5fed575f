using System.Globalization;
using Microsoft.Extensions.Options;
using Monitoring.Core.Inventory;
using Monitoring.Core.Tickets;
using Monitoring.Server.Hosting;
using Monitoring.Storage.Tickets;

namespace Monitoring.Server.Tickets;

/// <summary>An alarm of an incident, for the ticket opened for it: the alarm and its device.</summary>
public readonly record struct IncidentMember(long AlarmId, string DeviceId);

/// <summary>What a command came to: done with the ticket as it is now, or why not.</summary>
public readonly record struct TicketOutcome(TicketResult Result, Ticket? Ticket);

/// <summary>
/// Runs every ticket command: one at a time, on a copy of the ticket, saved (committed) before the live copy is
/// replaced and before the caller hears "done". Keeps every ticket not yet closed in memory for the clock, the queues
/// and interception; closed tickets are read from the store.
/// </summary>
public sealed partial class TicketService(
    TicketStore store,
    ServiceConfig config,
    Inventory inventory,
    TimeProvider time,
    TicketEventPublisher publisher,
    IOptions<MonitoringOptions> options,
    ILogger<TicketService> logger,
    Notices.NoticeOutbox? notices = null) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<long, Ticket> _live = [];
    private Ticket[] _snapshot = [];
    private long _lastId;
    private bool _initialized;
    private long _clockTicks;
    private DateTimeOffset? _lastTick;

    public ServiceConfig Config => config;

    public TeamBoard Board { get; } = new(config);

    public TimeProvider Time => time;

    /// <summary>Tickets not closed yet (open, or resolved and waiting for callback/close). Safe to read from any thread.</summary>
    public IReadOnlyList<Ticket> Live => Volatile.Read(ref _snapshot);

    public long ClockTicks => Interlocked.Read(ref _clockTicks);

    public DateTimeOffset? LastTick => _lastTick;

    private string SystemUser => options.Value.Tickets.SystemUser;

    /// <summary>
    /// Cluster mode, when this node becomes the alarm leader: the tickets as the store has them now (the previous leader
    /// opened and changed tickets since this node loaded them), before the engine asks for any.
    /// </summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _live.Clear();
            _initialized = false;
        }
        finally
        {
            _gate.Release();
        }

        await InitializeAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            foreach (var ticket in await store.LoadNotClosedAsync(cancellationToken).ConfigureAwait(false))
            {
                _live[ticket.Id] = ticket;
            }

            foreach (var status in await store.LoadTeamStatusesAsync(cancellationToken).ConfigureAwait(false))
            {
                Board.Restore(status);
            }

            _lastId = await store.MaxIdAsync(cancellationToken).ConfigureAwait(false);
            Publish();
            _initialized = true;
            LogLoaded(logger, _live.Count, config.Teams.Count, config.Areas.Count);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    public SlaTargets TargetsOf(Ticket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        return config.TargetsFor(ticket.Category, ticket.CustomerClass);
    }

    public int AreaTiers(Ticket ticket) => config.FindArea(ticket?.AreaId)?.Tiers ?? 2;

    public DateTimeOffset? DueOf(Ticket ticket) => SlaClock.NextDue(ticket, TargetsOf(ticket), AreaTiers(ticket));

    public TicketSummary Summarize(Ticket ticket) => TicketSummary.Of(ticket, DueOf(ticket), time.GetUtcNow(), config);

    public async Task<Ticket?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var live = Live;
        foreach (var ticket in live)
        {
            if (ticket.Id == id)
            {
                return ticket;
            }
        }

        return await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a ticket from a hotline report; the device's room and rack are filled in from the inventory.</summary>
    public async Task<TicketOutcome> CreateAsync(HotlineReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (Validate(report) is { } error)
        {
            return new TicketOutcome(TicketResult.Invalid(error), null);
        }

        report = Complete(report);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        Ticket ticket;
        try
        {
            var now = time.GetUtcNow();
            ticket = Ticket.FromHotline(_lastId + 1, report, now, config);
            await SaveAsync(ticket, null, cancellationToken).ConfigureAwait(false);
            _lastId = ticket.Id;
        }
        finally
        {
            _gate.Release();
        }

        Emit(TicketEventKind.Opened, ticket, report.By, $"{ticket.Category} via {ticket.Channel}");
        return new TicketOutcome(TicketResult.Done, ticket);
    }

    /// <summary>Runs one command on one ticket; the event kind names it for consoles.</summary>
    public async Task<TicketOutcome> ExecuteAsync(long id, TicketEventKind kind, string by, Func<Ticket, DateTimeOffset, TicketResult> command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (string.IsNullOrWhiteSpace(by))
        {
            return new TicketOutcome(TicketResult.Invalid("'by' (who does it) is required"), null);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        Ticket updated;
        try
        {
            var current = _live.GetValueOrDefault(id) ?? await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return new TicketOutcome(TicketResult.NotFound($"no ticket {id}"), null);
            }

            updated = current.Copy();
            var result = command(updated, time.GetUtcNow());
            if (!result.Ok)
            {
                return new TicketOutcome(result, current);
            }

            await SaveAsync(updated, current, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        var last = updated.Audit.Count > 0 ? updated.Audit[^1] : null;
        Emit(kind, updated, by, last?.Detail);
        return new TicketOutcome(TicketResult.Done, updated);
    }

    public async Task<TicketResult> SetTeamStatusAsync(string teamId, TeamAvailability availability, string? reason, string by, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(by))
        {
            return TicketResult.Invalid("'by' (who does it) is required");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = Board.SetStatus(teamId, availability, reason, by, time.GetUtcNow());
            if (result.Ok)
            {
                await store.SaveTeamStatusAsync(Board.StatusOf(teamId), cancellationToken).ConfigureAwait(false);
                publisher.Publish(new TicketEvent(TicketEventKind.TeamStatus, 0, string.Empty, time.GetUtcNow(), by, $"{teamId}: {availability}{(reason is null ? string.Empty : " (" + reason + ")")}", null));
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The clock: warns, marks missed and escalates what is due on every live ticket. Returns how many tickets changed.
    /// </summary>
    public async Task<int> TickAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var changed = new List<(Ticket Ticket, IReadOnlyList<ClockAction> Actions)>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var ticket in _snapshot)
            {
                var actions = SlaClock.Due(ticket, TargetsOf(ticket), config, now);
                if (actions.Count == 0)
                {
                    continue;
                }

                var updated = ticket.Copy();
                foreach (var action in actions)
                {
                    _ = action.Kind switch
                    {
                        ClockActionKind.Warn => updated.MarkWarned(action.Segment, action.Due, now),
                        ClockActionKind.Miss => updated.MarkMissed(action.Segment, action.Due, now),
                        _ => updated.Escalate(action.Level, EscalationText(updated, action.Level), now),
                    };
                }

                await SaveAsync(updated, ticket, cancellationToken).ConfigureAwait(false);
                changed.Add((updated, actions));
            }
        }
        finally
        {
            _gate.Release();
        }

        Interlocked.Increment(ref _clockTicks);
        _lastTick = now;
        foreach (var (ticket, actions) in changed)
        {
            foreach (var action in actions)
            {
                var (kind, detail) = action.Kind switch
                {
                    ClockActionKind.Warn => (TicketEventKind.Warned, $"{action.Segment} due in {Math.Max(0, (action.Due - now).TotalMinutes):0.#} min ({action.Responsible})"),
                    ClockActionKind.Miss => (TicketEventKind.Missed, $"{action.Segment} missed its target ({action.Responsible}), due {action.Due:u}"),
                    _ => (TicketEventKind.Escalated, EscalationText(ticket, action.Level)),
                };
                publisher.Publish(new TicketEvent(kind, ticket.Id, ticket.Number, now, "clock", detail, Summarize(ticket)) { NotifyWhom = Whom(ticket, action) });
            }
        }

        return changed.Count;
    }

    /// <summary>A root-cause alarm wants a ticket: open one (A = raise time), or add to the ticket its root already has.</summary>
    public async Task<TicketOutcome> OnAlarmTicketWantedAsync(AlarmFacts alarm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alarm);
        alarm = alarm with { DeviceType = alarm.DeviceType ?? inventory.FindDevice(alarm.DeviceId)?.Kind.ToString() };
        if (alarm.IncidentId is { } incident)
        {
            return await OnIncidentAlarmAsync(alarm, incident, null, [], cancellationToken).ConfigureAwait(false);
        }

        if (alarm.SuppressedBy is { } root)
        {
            return await OnAlarmSuppressedAsync(alarm.AlarmId, root, cancellationToken).ConfigureAwait(false);
        }

        var existing = FindByAlarm(alarm.AlarmId);
        if (existing is not null)
        {
            return new TicketOutcome(TicketResult.Done, existing);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        Ticket ticket;
        try
        {
            ticket = Ticket.FromAlarm(_lastId + 1, alarm, time.GetUtcNow(), config, SystemUser);
            await SaveAsync(ticket, null, cancellationToken).ConfigureAwait(false);
            _lastId = ticket.Id;
        }
        finally
        {
            _gate.Release();
        }

        Emit(TicketEventKind.Opened, ticket, SystemUser, $"by alarm {alarm.AlarmId}");
        return new TicketOutcome(TicketResult.Done, ticket);
    }

    /// <summary>
    /// Which ticket an alarm of an incident goes to (one ticket per incident): the incident's ticket when it has one
    /// (found by its incident link among the live tickets, or by <paramref name="knownTicketId"/>, the id the incident
    /// recorded, for a ticket closed meanwhile), the alarm linked to it; else, when <paramref name="open"/>, a ticket
    /// opened for the incident (point A as <see cref="Ticket.FromAlarm"/> sets it) that links the incident and
    /// <paramref name="members"/>, its alarms so far. Runs under the command gate, so two alarms of one incident never
    /// open two tickets.
    /// </summary>
    public async Task<TicketOutcome> OnIncidentAlarmAsync(
        AlarmFacts alarm, long incidentId, string? knownTicketId, IReadOnlyList<IncidentMember> members, CancellationToken cancellationToken, bool open = true)
    {
        ArgumentNullException.ThrowIfNull(alarm);
        ArgumentNullException.ThrowIfNull(members);
        alarm = alarm with { DeviceType = alarm.DeviceType ?? inventory.FindDevice(alarm.DeviceId)?.Kind.ToString() };
        Ticket? existing;
        Ticket? opened = null;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            existing = FindByIncident(incidentId);
            if (existing is null && knownTicketId is not null && long.TryParse(knownTicketId, NumberStyles.None, CultureInfo.InvariantCulture, out var known))
            {
                existing = _live.GetValueOrDefault(known) ?? await store.GetAsync(known, cancellationToken).ConfigureAwait(false);
            }

            if (existing is null && open)
            {
                var now = time.GetUtcNow();
                opened = Ticket.FromAlarm(_lastId + 1, alarm, now, config, SystemUser);
                opened.LinkIncident(incidentId, now, SystemUser);
                foreach (var member in members)
                {
                    opened.LinkAlarm(member.AlarmId, now, SystemUser);
                    LinkDevice(opened, member.DeviceId, now);
                }

                await SaveAsync(opened, null, cancellationToken).ConfigureAwait(false);
                _lastId = opened.Id;
            }
        }
        finally
        {
            _gate.Release();
        }

        if (opened is not null)
        {
            Emit(TicketEventKind.Opened, opened, SystemUser, $"by alarm {alarm.AlarmId} for incident {incidentId}");
            return new TicketOutcome(TicketResult.Done, opened);
        }

        if (existing is null)
        {
            return new TicketOutcome(TicketResult.NotFound($"incident {incidentId} has no ticket yet"), null);
        }

        if (existing.HasLink(TicketLinkKind.Alarm, alarm.AlarmId.ToString(CultureInfo.InvariantCulture)))
        {
            return new TicketOutcome(TicketResult.Done, existing);
        }

        return await ExecuteAsync(existing.Id, TicketEventKind.AlarmLinked, SystemUser, (t, now) =>
        {
            t.LinkIncident(incidentId, now, SystemUser);
            LinkDevice(t, alarm.DeviceId, now);
            return t.LinkAlarm(alarm.AlarmId, now, SystemUser) ? TicketResult.Done : TicketResult.Conflict("already linked");
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The ticket of an incident covers each device of it: listed under that device, found by its interception.</summary>
    private void LinkDevice(Ticket ticket, string deviceId, DateTimeOffset now)
    {
        if (ticket.DeviceId != deviceId && !ticket.HasLink(TicketLinkKind.Device, deviceId))
        {
            ticket.AddLink(TicketLinkKind.Device, deviceId, SystemUser, now);
        }
    }

    /// <summary>The live ticket opened for an incident, if any.</summary>
    public Ticket? FindByIncident(long incidentId)
    {
        var target = incidentId.ToString(CultureInfo.InvariantCulture);
        return Live.FirstOrDefault(t => t.HasLink(TicketLinkKind.Incident, target));
    }

    /// <summary>A child suppressed by a root cause: its alarm joins the root's ticket, never a ticket of its own.</summary>
    public async Task<TicketOutcome> OnAlarmSuppressedAsync(long childAlarmId, long rootAlarmId, CancellationToken cancellationToken)
    {
        if (FindByAlarm(rootAlarmId) is not { } rootTicket || FindByAlarm(childAlarmId) is not null)
        {
            return new TicketOutcome(TicketResult.Conflict($"no open ticket for root alarm {rootAlarmId}, or alarm {childAlarmId} already linked"), null);
        }

        return await ExecuteAsync(rootTicket.Id, TicketEventKind.AlarmLinked, SystemUser, (t, now) =>
            t.LinkAlarm(childAlarmId, now, SystemUser) ? TicketResult.Done : TicketResult.Conflict("already linked"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The alarm cleared: its open ticket gets a note (a person still resolves it).</summary>
    public async Task<TicketOutcome> OnAlarmClearedAsync(long alarmId, DateTimeOffset clearedAt, CancellationToken cancellationToken)
    {
        if (FindByAlarm(alarmId) is not { } ticket || !ticket.IsOpen)
        {
            return new TicketOutcome(TicketResult.NotFound($"no open ticket for alarm {alarmId}"), null);
        }

        return await ExecuteAsync(ticket.Id, TicketEventKind.AlarmCleared, SystemUser, (t, now) => t.AlarmHasCleared(alarmId, clearedAt, now, SystemUser), cancellationToken)
            .ConfigureAwait(false);
    }

    public Ticket? FindByAlarm(long alarmId)
    {
        var target = alarmId.ToString(CultureInfo.InvariantCulture);
        return Live.FirstOrDefault(t => t.HasLink(TicketLinkKind.Alarm, target));
    }

    /// <summary>
    /// A list row (read from the index, without the ticket's history) with the actions its state allows: from the live
    /// ticket, or for a closed one its stored document.
    /// </summary>
    public async Task<TicketSummary> WithStateActionsAsync(TicketSummary row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        var live = Live;
        var index = BinarySearch(live, row.Id);
        var ticket = index >= 0 ? live[index] : await store.GetAsync(row.Id, cancellationToken).ConfigureAwait(false);
        return ticket is null ? row : row with { StateActions = ticket.AvailableActions(config) };

        static int BinarySearch(IReadOnlyList<Ticket> sorted, long id)
        {
            int low = 0, high = sorted.Count - 1;
            while (low <= high)
            {
                var mid = (low + high) >>> 1;
                var at = sorted[mid].Id;
                if (at == id)
                {
                    return mid;
                }

                if (at < id)
                {
                    low = mid + 1;
                }
                else
                {
                    high = mid - 1;
                }
            }

            return -1;
        }
    }

    public Task<TicketPage> QueryAsync(TicketQuery query, CancellationToken cancellationToken) => store.QueryAsync(query, cancellationToken);

    public Task<IReadOnlyList<TicketFacts>> FactsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        store.LoadFactsAsync(from, to, cancellationToken);

    private async Task SaveAsync(Ticket updated, Ticket? previous, CancellationToken cancellationToken)
    {
        // the progress notices this command made due are written in the ticket's transaction: a step answered 2xx keeps them
        var drafts = notices?.Plan(previous, updated, time.GetUtcNow()) ?? [];
        await store.SaveAsync(updated, DueOf(updated), previous?.StepHistory.Count ?? 0, previous?.Audit.Count ?? 0, cancellationToken,
            drafts.Count == 0 ? null : (connection, transaction) => Monitoring.Storage.Notices.NoticeStore.InsertAsync(connection, transaction, drafts)).ConfigureAwait(false);
        if (drafts.Count > 0)
        {
            notices!.Committed(drafts);
        }

        if (updated.Has(TicketStep.Closed))
        {
            _live.Remove(updated.Id);
        }
        else
        {
            _live[updated.Id] = updated;
        }

        Publish();
        await FollowQueuesAsync(previous?.Holder, updated.Holder, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A ticket moved (dispatched, recalled, sent on, resolved): the teams that held it before and hold it now follow
    /// their queues (standby → busy when work arrives, back to standby when the automatic busy queue empties). Runs under
    /// the gate; the status is saved before the command's caller hears "done".
    /// </summary>
    private async Task FollowQueuesAsync(string? before, string? after, CancellationToken cancellationToken)
    {
        foreach (var teamId in new[] { before, after }.Distinct(StringComparer.Ordinal))
        {
            if (teamId is null)
            {
                continue;
            }

            var open = _live.Values.Count(t => t.IsOpen && t.Holder == teamId);
            if (Board.FollowQueue(teamId, open, time.GetUtcNow()) is { } status)
            {
                await store.SaveTeamStatusAsync(status, cancellationToken).ConfigureAwait(false);
                publisher.Publish(new TicketEvent(TicketEventKind.TeamStatus, 0, string.Empty, status.At, status.By, $"{teamId}: {status.Availability}", null));
            }
        }
    }

    private void Publish() => Volatile.Write(ref _snapshot, [.. _live.Values.OrderBy(t => t.Id)]);

    private void Emit(TicketEventKind kind, Ticket ticket, string? by, string? detail) =>
        publisher.Publish(new TicketEvent(kind, ticket.Id, ticket.Number, time.GetUtcNow(), by, detail, Summarize(ticket)));

    private string EscalationText(Ticket ticket, EscalationLevel level)
    {
        var team = config.FindTeam(ticket.Holder);
        return level == EscalationLevel.PhoneReceiver
            ? $"not accepted within {TargetsOf(ticket).AcceptWithin:0.#} min: {ticket.AssignedBy} to phone {team?.Name ?? ticket.Holder} ({team?.Phone ?? "no phone on file"})"
            : $"{team?.Name ?? ticket.Holder} still not reached: escalated to " +
              (team is { Supervisors.Count: > 0 } ? string.Join(", ", team.Supervisors.Select(s => $"{s.Name} ({s.Phone})")) : "(no supervisors configured)");
    }

    private IReadOnlyList<string> Whom(Ticket ticket, ClockAction action)
    {
        if (action.Kind == ClockActionKind.Escalate)
        {
            return action.Level == EscalationLevel.PhoneReceiver
                ? [ticket.AssignedBy ?? "noc"]
                : [.. config.FindTeam(ticket.Holder)?.Supervisors.Select(s => s.Name) ?? []];
        }

        return action.Responsible switch
        {
            ResponsibleParty.Noc => [config.Noc?.Id ?? "noc"],
            ResponsibleParty.Centre => [ticket.CentreId ?? "centre"],
            ResponsibleParty.Team => [ticket.Holder ?? ticket.TeamId ?? "team"],
            _ => [config.Noc?.Id ?? "noc"],
        };
    }

    private string? Validate(HotlineReport report)
    {
        if (string.IsNullOrWhiteSpace(report.By))
        {
            return "'by' (the operator taking the report) is required";
        }

        if (string.IsNullOrWhiteSpace(report.Description) && string.IsNullOrWhiteSpace(report.Title))
        {
            return "a report needs a description";
        }

        if ((ContactError("caller", report.Caller is { } c ? new Contact(c.Name, c.Phone, c.Email, c.Language) : null) ?? ContactError("accountManager", report.AccountManager)) is { } contactError)
        {
            return contactError;
        }

        if (report.DeviceId is { } device && inventory.FindDevice(device) is null)
        {
            return $"no device '{device}'";
        }

        if (report.AreaId is { } area && config.FindArea(area) is null)
        {
            return $"no area '{area}'";
        }

        if (report.RoomId is { } room && inventory.FindRoom(room) is null)
        {
            return $"no room '{room}'";
        }

        return report.ReportedAt is { } at && at > time.GetUtcNow().AddMinutes(1) ? "reportedAt is in the future" : null;
    }

    /// <summary>The bounds of a notified contact: an email address that parses, a phone, a language tag ("zh", "en").</summary>
    private static string? ContactError(string what, Contact? contact)
    {
        if (contact is null)
        {
            return null;
        }

        if (contact.Email is { } email && (email.Length > 254 || !System.Net.Mail.MailAddress.TryCreate(email, out _)))
        {
            return $"{what}.email '{(email.Length > 64 ? email[..64] + "..." : email)}' is not an email address (at most 254 characters)";
        }

        if (contact.Phone is { Length: > 32 })
        {
            return $"{what}.phone is longer than 32 characters";
        }

        if (contact.Name is { Length: > 128 })
        {
            return $"{what}.name is longer than 128 characters";
        }

        return contact.Language is { } language && (language.Length > 16 || !language.All(ch => char.IsAsciiLetter(ch) || ch == '-'))
            ? $"{what}.language '{(language.Length > 16 ? language[..16] : language)}' must be a language tag such as zh or en (letters and '-', at most 16)"
            : null;
    }

    private HotlineReport Complete(HotlineReport report)
    {
        if (report.DeviceId is { } id && inventory.FindDevice(id) is { } device)
        {
            return report with
            {
                RoomId = report.RoomId ?? device.RoomId,
                RackId = report.RackId ?? device.RackId,
                DeviceType = report.DeviceType ?? device.Kind.ToString(),
            };
        }

        return report;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tickets: {Open} not closed, {Teams} team(s), {Areas} area(s)")]
    private static partial void LogLoaded(ILogger logger, int open, int teams, int areas);
}
