namespace Monitoring.Core.Tickets;

/// <summary>One segment of a ticket's timeline against its target.</summary>
public sealed record SegmentView(
    string Code,
    TicketStep From,
    TicketStep To,
    ResponsibleParty Responsible,
    double TargetMinutes,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    DateTimeOffset? Due,
    double? ElapsedMinutes,
    SegmentState State,
    double? OverByMinutes,
    bool Warned);

/// <summary>Something the clock must do now: warn, mark missed, or escalate an unaccepted dispatch.</summary>
public enum ClockActionKind
{
    Warn,
    Miss,
    Escalate,
}

public sealed record ClockAction(ClockActionKind Kind, string Segment, ResponsibleParty Responsible, DateTimeOffset Due, EscalationLevel Level = EscalationLevel.None);

/// <summary>
/// The SLA clocks of a ticket, computed (pure) from its steps, its targets and the time now. Three tiers: AB, BC, CD, DE,
/// EF, FG, GH; two tiers: AB, BE (the DE target), EF, FG, GH; and toSite (A→H) for both.
/// </summary>
public static class SlaClock
{
    public const string ToSite = "toSite";

    private static readonly (string Code, TicketStep From, TicketStep To, ResponsibleParty Who)[] ThreeTier =
    [
        ("AB", TicketStep.Reported, TicketStep.Dispatched, ResponsibleParty.Noc),
        ("BC", TicketStep.Dispatched, TicketStep.CentreReceived, ResponsibleParty.Network),
        ("CD", TicketStep.CentreReceived, TicketStep.CentreDispatched, ResponsibleParty.Centre),
        ("DE", TicketStep.CentreDispatched, TicketStep.TeamReceived, ResponsibleParty.Network),
        ("EF", TicketStep.TeamReceived, TicketStep.Accepted, ResponsibleParty.Team),
        ("FG", TicketStep.Accepted, TicketStep.Departed, ResponsibleParty.Team),
        ("GH", TicketStep.Departed, TicketStep.Arrived, ResponsibleParty.Team),
        (ToSite, TicketStep.Reported, TicketStep.Arrived, ResponsibleParty.Overall),
    ];

    private static readonly (string Code, TicketStep From, TicketStep To, ResponsibleParty Who)[] TwoTier =
    [
        ("AB", TicketStep.Reported, TicketStep.Dispatched, ResponsibleParty.Noc),
        ("BE", TicketStep.Dispatched, TicketStep.TeamReceived, ResponsibleParty.Network),
        ("EF", TicketStep.TeamReceived, TicketStep.Accepted, ResponsibleParty.Team),
        ("FG", TicketStep.Accepted, TicketStep.Departed, ResponsibleParty.Team),
        ("GH", TicketStep.Departed, TicketStep.Arrived, ResponsibleParty.Team),
        (ToSite, TicketStep.Reported, TicketStep.Arrived, ResponsibleParty.Overall),
    ];

    /// <summary>Every segment code either layout can have, in timeline order (reports list them this way).</summary>
    public static IReadOnlyList<string> AllCodes { get; } = ["AB", "BC", "CD", "DE", "BE", "EF", "FG", "GH", ToSite];

    public static ResponsibleParty ResponsibleFor(string code) => code switch
    {
        "AB" => ResponsibleParty.Noc,
        "BC" or "DE" or "BE" => ResponsibleParty.Network,
        "CD" => ResponsibleParty.Centre,
        ToSite => ResponsibleParty.Overall,
        _ => ResponsibleParty.Team,
    };

    public static double TargetFor(string code, SlaTargets targets, bool otherBuilding)
    {
        ArgumentNullException.ThrowIfNull(targets);
        return code switch
        {
            "AB" => targets.AB,
            "BC" => targets.BC,
            "CD" => targets.CD,
            "DE" or "BE" => otherBuilding ? targets.DEOtherBuilding : targets.DE,
            "EF" => targets.EF,
            "FG" => targets.FG,
            "GH" => targets.GH,
            _ => targets.ToSite,
        };
    }

    /// <summary>The ticket's segments; before the first dispatch, the layout of its area (or two tiers).</summary>
    public static IReadOnlyList<SegmentView> Segments(Ticket ticket, SlaTargets targets, DateTimeOffset now, int areaTiers = 2)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var layout = (ticket.Tiers == 0 ? areaTiers : ticket.Tiers) == 3 ? ThreeTier : TwoTier;
        var views = new SegmentView[layout.Length];
        for (var i = 0; i < layout.Length; i++)
        {
            views[i] = View(ticket, layout[i], targets, now);
        }

        return views;
    }

    /// <summary>What is due now and not yet done: warnings inside the margin, misses past due, acceptance escalations.</summary>
    public static IReadOnlyList<ClockAction> Due(Ticket ticket, SlaTargets targets, ServiceConfig config, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(config);
        if (!ticket.IsOpen)
        {
            return [];
        }

        List<ClockAction>? actions = null;
        var layout = (ticket.Tiers == 0 ? config.FindArea(ticket.AreaId)?.Tiers ?? 2 : ticket.Tiers) == 3 ? ThreeTier : TwoTier;
        var warn = TimeSpan.FromMinutes(targets.WarnBefore);
        foreach (var segment in layout)
        {
            if (ticket.At(segment.From) is not { } start || ticket.Has(segment.To))
            {
                continue;
            }

            var due = start + TimeSpan.FromMinutes(TargetFor(segment.Code, targets, ticket.OtherBuilding));
            if (now >= due)
            {
                if (!ticket.Missed.Contains(segment.Code))
                {
                    (actions ??= []).Add(new ClockAction(ClockActionKind.Miss, segment.Code, segment.Who, due));
                }
            }
            else if (now >= due - warn && !ticket.Warned.Contains(segment.Code))
            {
                (actions ??= []).Add(new ClockAction(ClockActionKind.Warn, segment.Code, segment.Who, due));
            }
        }

        if (ticket.AwaitingAcceptance(config) && ticket.AssignedAt is { } assigned)
        {
            var phoneAt = assigned + TimeSpan.FromMinutes(targets.AcceptWithin);
            var supervisorsAt = phoneAt + TimeSpan.FromMinutes(targets.SupervisorsAfter);
            if (now >= supervisorsAt && ticket.Escalation < EscalationLevel.Supervisors)
            {
                (actions ??= []).Add(new ClockAction(ClockActionKind.Escalate, "accept", ResponsibleParty.Team, supervisorsAt, EscalationLevel.Supervisors));
            }
            else if (now >= phoneAt && ticket.Escalation < EscalationLevel.PhoneReceiver)
            {
                (actions ??= []).Add(new ClockAction(ClockActionKind.Escalate, "accept", ResponsibleParty.Team, phoneAt, EscalationLevel.PhoneReceiver));
            }
        }

        return actions ?? (IReadOnlyList<ClockAction>)[];
    }

    /// <summary>The earliest due time among the ticket's running segments, or null: what "overdue" is judged by.</summary>
    public static DateTimeOffset? NextDue(Ticket ticket, SlaTargets targets, int areaTiers = 2)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        if (!ticket.IsOpen)
        {
            return null;
        }

        DateTimeOffset? earliest = null;
        var layout = (ticket.Tiers == 0 ? areaTiers : ticket.Tiers) == 3 ? ThreeTier : TwoTier;
        foreach (var segment in layout)
        {
            if (ticket.At(segment.From) is { } start && !ticket.Has(segment.To))
            {
                var due = start + TimeSpan.FromMinutes(TargetFor(segment.Code, targets, ticket.OtherBuilding));
                earliest = earliest is null || due < earliest ? due : earliest;
            }
        }

        return earliest;
    }

    private static SegmentView View(Ticket ticket, (string Code, TicketStep From, TicketStep To, ResponsibleParty Who) s, SlaTargets targets, DateTimeOffset now)
    {
        var target = TargetFor(s.Code, targets, ticket.OtherBuilding);
        var warned = ticket.Warned.Contains(s.Code);
        if (ticket.At(s.From) is not { } start)
        {
            return new SegmentView(s.Code, s.From, s.To, s.Who, target, null, null, null, null, ticket.IsOpen ? SegmentState.Pending : SegmentState.Skipped, null, warned);
        }

        var due = start + TimeSpan.FromMinutes(target);
        if (ticket.At(s.To) is { } end)
        {
            var elapsed = (end - start).TotalMinutes;
            var late = end > due;
            return new SegmentView(s.Code, s.From, s.To, s.Who, target, start, end, due, elapsed, late ? SegmentState.Missed : SegmentState.Met,
                late ? (end - due).TotalMinutes : null, warned);
        }

        if (!ticket.IsOpen)
        {
            return new SegmentView(s.Code, s.From, s.To, s.Who, target, start, null, due, null, SegmentState.Skipped, null, warned);
        }

        var running = (now - start).TotalMinutes;
        var state = now >= due ? SegmentState.Missed
            : now >= due - TimeSpan.FromMinutes(targets.WarnBefore) ? SegmentState.Warned
            : SegmentState.Running;
        return new SegmentView(s.Code, s.From, s.To, s.Who, target, start, null, due, running, state,
            state == SegmentState.Missed ? (now - due).TotalMinutes : null, warned);
    }
}
