using System.Text.Json.Serialization;

namespace Monitoring.Core.Tickets;

/// <summary>A ticket as lists show it: one row, no history.</summary>
public sealed record TicketSummary
{
    public required long Id { get; init; }
    public required string Number { get; init; }
    public TicketCategory Category { get; init; }
    public TicketPriority Priority { get; init; }
    public CustomerClass CustomerClass { get; init; }
    public TicketChannel Channel { get; init; }
    public TicketStatus Status { get; init; }
    public required string Title { get; init; }
    public string? AreaId { get; init; }
    public string? TeamId { get; init; }
    public string? Holder { get; init; }
    public string? DeviceId { get; init; }
    public int? Port { get; init; }
    public string? RoomId { get; init; }
    public string? RackId { get; init; }
    public DateTimeOffset ReportedAt { get; init; }

    /// <summary>The earliest due time of a running segment; null when nothing runs.</summary>
    public DateTimeOffset? DueAt { get; init; }

    public bool Overdue { get; init; }
    public int MissedSegments { get; init; }
    public EscalationLevel Escalation { get; init; }
    public int Intercepted { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>What the ticket's state allows (<see cref="Ticket.AvailableActions"/>), before anyone's role is applied: not sent.</summary>
    [JsonIgnore]
    public IReadOnlyList<TicketAction> StateActions { get; init; } = [];

    /// <summary>
    /// What the caller may do on it now: the state's actions that the caller's role (and, for a technician, team)
    /// allows. Set per request by the server; null (not sent) where one message goes to many users.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<TicketAction>? AllowedActions { get; init; }

    public static TicketSummary Of(Ticket ticket, DateTimeOffset? dueAt, DateTimeOffset now, ServiceConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        return new TicketSummary
        {
            Id = ticket.Id,
            Number = ticket.Number,
            Category = ticket.Category,
            Priority = ticket.Priority,
            CustomerClass = ticket.CustomerClass,
            Channel = ticket.Channel,
            Status = ticket.Status,
            Title = ticket.Title,
            AreaId = ticket.AreaId,
            TeamId = ticket.TeamId,
            Holder = ticket.Holder,
            DeviceId = ticket.DeviceId,
            Port = ticket.Port,
            RoomId = ticket.RoomId,
            RackId = ticket.RackId,
            ReportedAt = ticket.ReportedAt,
            DueAt = dueAt,
            Overdue = dueAt is { } due && due < now,
            MissedSegments = ticket.Missed.Count,
            Escalation = ticket.Escalation,
            Intercepted = ticket.Reports.Count,
            UpdatedAt = ticket.UpdatedAt,
            StateActions = config is null ? [] : ticket.AvailableActions(config),
        };
    }
}

/// <summary>List filters. Status "open" means not resolved and not closed.</summary>
public sealed record TicketQuery
{
    public TicketStatus? Status { get; init; }
    public bool? Open { get; init; }
    public TicketCategory? Category { get; init; }
    public string? AreaId { get; init; }
    public string? TeamId { get; init; }
    public string? DeviceId { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }

    /// <summary>Only open tickets with a running segment past due (judged at <see cref="Now"/>).</summary>
    public bool Overdue { get; init; }

    public DateTimeOffset Now { get; init; }
    public int Page { get; init; } = 1;
    public int PageSize { get; init; } = 50;
}

public sealed record TicketPage(int Total, int Page, int PageSize, IReadOnlyList<TicketSummary> Items);
