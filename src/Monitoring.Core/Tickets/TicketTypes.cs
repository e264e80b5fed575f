namespace Monitoring.Core.Tickets;

/// <summary>What kind of work a ticket is.</summary>
public enum TicketCategory
{
    Fault,
    Request,
    Complaint,
    Consultation,
}

/// <summary>Ordered: a higher value is more urgent.</summary>
public enum TicketPriority
{
    Low = 1,
    Normal = 2,
    High = 3,
    Urgent = 4,
}

/// <summary>Who the customer is; a VIP line gets tighter targets.</summary>
public enum CustomerClass
{
    Standard,
    Vip,
}

/// <summary>How the report came in.</summary>
public enum TicketChannel
{
    Alarm,
    Phone,
    Web,
    Message,
    Email,
}

/// <summary>
/// The steps of a ticket. A..H are the measured repair steps: A the report is taken, B the NOC dispatches, C the repair
/// centre receives, D the centre dispatches, E the field team receives, F the team accepts, G departs, H arrives.
/// </summary>
public enum TicketStep
{
    Reported = 0,
    Dispatched = 1,
    CentreReceived = 2,
    CentreDispatched = 3,
    TeamReceived = 4,
    Accepted = 5,
    Departed = 6,
    Arrived = 7,
    Resolved = 8,
    CalledBack = 9,
    Closed = 10,
}

/// <summary>Where a ticket is, derived from its latest step.</summary>
public enum TicketStatus
{
    /// <summary>Reported, at the NOC, not dispatched yet (or recalled back to the NOC).</summary>
    New,

    /// <summary>With a repair centre or a team that has not accepted it yet.</summary>
    Dispatched,
    Accepted,
    EnRoute,
    OnSite,
    Resolved,
    Closed,
}

/// <summary>Which kind of unit a team is: the NOC duty desk, a district repair centre, or a field team.</summary>
public enum TeamKind
{
    Noc,
    Centre,
    Field,
}

public enum TeamAvailability
{
    Standby,
    Busy,
    Away,
}

/// <summary>Who answers for a segment of the timeline.</summary>
public enum ResponsibleParty
{
    Noc,
    Network,
    Centre,
    Team,

    /// <summary>The whole way to site (A to H).</summary>
    Overall,
}

/// <summary>
/// A segment's clock. Pending: its start step has not happened. Running: started, due later than the warning margin.
/// Warned: running, inside the warning margin. Met: done within target. Missed: done late, or still running past due.
/// Skipped: the ticket ended (resolved) without this segment.
/// </summary>
public enum SegmentState
{
    Pending,
    Running,
    Warned,
    Met,
    Missed,
    Skipped,
}

/// <summary>The acceptance escalation: none yet, the sender told to phone the receiver, the receiver's supervisors escalated to.</summary>
public enum EscalationLevel
{
    None = 0,
    PhoneReceiver = 1,
    Supervisors = 2,
}

public enum ComplaintAction
{
    Review,
    FollowUp,
    Reply,
}

public static class TicketSteps
{
    /// <summary>"A".."H" for the measured steps, the name otherwise.</summary>
    public static string Letter(this TicketStep step) => step <= TicketStep.Arrived ? ((char)('A' + (int)step)).ToString() : step.ToString();

    public static TicketStep? FromLetter(char letter) =>
        letter is >= 'A' and <= 'H' ? (TicketStep)(letter - 'A') : null;
}

/// <summary>The outcome of a command: done, or why not. Kind tells the API which status to answer with.</summary>
public readonly record struct TicketResult(bool Ok, TicketErrorKind ErrorKind, string? Error)
{
    public static TicketResult Done { get; } = new(true, TicketErrorKind.None, null);

    public static TicketResult Invalid(string error) => new(false, TicketErrorKind.Invalid, error);

    public static TicketResult Conflict(string error) => new(false, TicketErrorKind.Conflict, error);

    public static TicketResult NotFound(string error) => new(false, TicketErrorKind.NotFound, error);

    public static TicketResult Forbidden(string error) => new(false, TicketErrorKind.Forbidden, error);
}

public enum TicketErrorKind
{
    None,

    /// <summary>A bad argument (unknown team, empty field): 400.</summary>
    Invalid,

    /// <summary>The ticket is not in a state that allows the command: 409.</summary>
    Conflict,

    /// <summary>No such ticket: 404.</summary>
    NotFound,

    /// <summary>The caller may not act on this ticket (a technician on another team's ticket): 403.</summary>
    Forbidden,
}

/// <summary>
/// A command a ticket's state allows (<see cref="Ticket.AvailableActions"/>); sent camelCase as the ticket's
/// <c>allowedActions</c>, each the last segment of its endpoint (POST /api/tickets/{id}/dispatch ...), except the
/// complaint steps (review, followUp, reply: POST .../complaint with that action).
/// </summary>
public enum TicketAction
{
    Dispatch,
    Receive,
    Accept,
    Recall,
    Depart,
    Arrive,
    Resolve,
    Callback,
    Close,
    Review,
    FollowUp,
    Reply,
}

/// <summary>What happened to a ticket, as consoles and notifiers receive it; sent camelCase ("calledBack", "teamStatus").</summary>
public enum TicketEventKind
{
    Opened,
    Dispatched,
    Received,
    Accepted,
    Recalled,
    Departed,
    Arrived,
    Resolved,
    CalledBack,
    Complaint,
    Closed,
    Note,
    Linked,
    Intercepted,
    AlarmLinked,
    AlarmCleared,
    Warned,
    Missed,
    Escalated,
    TeamStatus,

    /// <summary>A progress notice to the customer or account manager was sent, failed (and will be retried) or given up.</summary>
    Notice,
}

public static class TicketEventKinds
{
    /// <summary>The wire name: the enum's name in camelCase, as JSON carries it and webhook filters name it.</summary>
    public static string Wire(this TicketEventKind kind) => kind switch
    {
        TicketEventKind.CalledBack => "calledBack",
        TicketEventKind.AlarmLinked => "alarmLinked",
        TicketEventKind.AlarmCleared => "alarmCleared",
        TicketEventKind.TeamStatus => "teamStatus",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
