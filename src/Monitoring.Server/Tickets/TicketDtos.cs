using Monitoring.Core.Tickets;

namespace Monitoring.Server.Tickets;

public sealed record CallerDto(string? Name, string? Phone, string? Department, string? Location)
{
    /// <summary>The customer's email for progress notices (optional).</summary>
    public string? Email { get; init; }

    /// <summary>The customer's language for progress notices: "zh" or "en" (optional: the notices' default language).</summary>
    public string? Language { get; init; }
}

/// <summary>A contact notified about a ticket's progress (the customer's account manager).</summary>
public sealed record ContactDto(string? Name, string? Phone, string? Email, string? Language);

/// <summary>The hotline form. Also the body of POST /api/tickets/{id}/intercept (the report linked to an open ticket).</summary>
public sealed record HotlineRequest(
    string? By,
    TicketCategory? Category,
    TicketPriority? Priority,
    CustomerClass? CustomerClass,
    TicketChannel? Channel,
    string? Title,
    string? Description,
    CallerDto? Caller,
    string? AreaId,
    string? DeviceId,
    int? Port,
    string? RoomId,
    string? RackId,
    string? Skill,
    DateTimeOffset? ReportedAt)
{
    /// <summary>The customer's account manager, notified about the ticket's progress (optional).</summary>
    public ContactDto? AccountManager { get; init; }

    public HotlineReport ToReport() => new()
    {
        By = By ?? string.Empty,
        Category = Category ?? TicketCategory.Fault,
        Priority = Priority ?? TicketPriority.Normal,
        CustomerClass = CustomerClass ?? Core.Tickets.CustomerClass.Standard,
        Channel = Channel ?? TicketChannel.Phone,
        Title = Title,
        Description = Description,
        Caller = Caller is null ? null : new Caller(Caller.Name, Caller.Phone, Caller.Department, Caller.Location, Empty(Caller.Email), Empty(Caller.Language)),
        AccountManager = AccountManager is null || (Empty(AccountManager.Name) ?? Empty(AccountManager.Phone) ?? Empty(AccountManager.Email)) is null
            ? null
            : new Contact(Empty(AccountManager.Name), Empty(AccountManager.Phone), Empty(AccountManager.Email), Empty(AccountManager.Language)),
        AreaId = Empty(AreaId),
        DeviceId = Empty(DeviceId),
        Port = Port,
        RoomId = Empty(RoomId),
        RackId = Empty(RackId),
        Skill = Empty(Skill),
        ReportedAt = ReportedAt,
    };

    private static string? Empty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}

public sealed record ActorRequest(string? By, string? Note);

public sealed record DispatchRequest(string? By, string? Team);

public sealed record AcceptRequest(string? By, string? Vehicle);

public sealed record RecallRequest(string? By, string? Reason);

public sealed record PhotoDto(string? Name, string? ContentType, long? Size, string? Url);

public sealed record ResolveRequest(string? By, string? Note, IReadOnlyList<PhotoDto>? Photos);

public sealed record CallbackRequest(string? By, bool? Satisfied, string? Comment);

public sealed record ComplaintRequest(string? By, ComplaintAction? Action, string? Note);

public sealed record LinkRequest(string? By, TicketLinkKind? Kind, string? Target);

public sealed record NoteRequest(string? By, string? Text);

public sealed record TeamStatusRequest(string? By, TeamAvailability? Availability, string? Reason);

public sealed record TimelineStepDto(TicketStep Step, string Letter, DateTimeOffset At, string By, string? Note);

public sealed record ComplaintDto(IReadOnlyList<ComplaintRecord> Done, IReadOnlyList<ComplaintAction> Missing);

/// <summary>GET /api/tickets/{id}: everything about one ticket, with its timeline drawn against its targets.</summary>
public sealed record TicketDetailDto
{
    public required TicketSummary Summary { get; init; }
    public string? Description { get; init; }
    public Caller? Caller { get; init; }

    /// <summary>The customer's account manager (progress notices), null when none was named.</summary>
    public Contact? AccountManager { get; init; }

    /// <summary>The ticket's progress notices with their attempts (GET /api/tickets/{id} fills them; command answers leave them empty).</summary>
    public IReadOnlyList<Monitoring.Storage.Notices.StoredNotice> Notices { get; init; } = [];
    public string? DeviceType { get; init; }
    public string? Skill { get; init; }
    public int Tiers { get; init; }
    public string? CentreId { get; init; }
    public string? VehicleId { get; init; }
    public string? AcceptedBy { get; init; }
    public string? AssignedBy { get; init; }
    public DateTimeOffset? AssignedAt { get; init; }
    public bool OtherBuilding { get; init; }
    public bool AwaitingAcceptance { get; init; }
    public bool AlarmCleared { get; init; }
    public string? Resolution { get; init; }
    public int Recalls { get; init; }
    public required IReadOnlyList<TimelineStepDto> Timeline { get; init; }
    public required IReadOnlyList<StepRecord> StepHistory { get; init; }
    public required IReadOnlyList<SegmentView> Segments { get; init; }
    public required SlaTargets Targets { get; init; }
    public required IReadOnlyList<TicketNote> Notes { get; init; }
    public required IReadOnlyList<TicketAttachment> Attachments { get; init; }
    public required IReadOnlyList<TicketLink> Links { get; init; }
    public required IReadOnlyList<InterceptedReport> InterceptedReports { get; init; }
    public CallbackRecord? Callback { get; init; }
    public ComplaintDto? Complaint { get; init; }
    public required IReadOnlyList<AuditEntry> Audit { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public required string CreatedBy { get; init; }

    /// <summary>A ticket opened by an alarm: when the fault began (the alarm's raise); A is when the ticket opened. Null otherwise.</summary>
    public DateTimeOffset? FaultBeganAt { get; init; }

    /// <summary>Fault began → A, in minutes (how long the fault ran before the ticket opened); null without <see cref="FaultBeganAt"/>.</summary>
    public double? FaultToTicketMinutes { get; init; }

    /// <summary>The detail as <paramref name="caller"/> sees it: its summary carries the actions the caller may take.</summary>
    public static TicketDetailDto Of(Ticket t, TicketService service, System.Security.Claims.ClaimsPrincipal caller)
    {
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(service);
        var now = service.Time.GetUtcNow();
        var targets = service.TargetsOf(t);
        return new TicketDetailDto
        {
            Summary = service.Summarize(t).For(caller),
            Description = t.Description,
            Caller = t.Caller,
            AccountManager = t.AccountManager,
            DeviceType = t.DeviceType,
            Skill = t.Skill,
            Tiers = t.Tiers == 0 ? service.AreaTiers(t) : t.Tiers,
            CentreId = t.CentreId,
            VehicleId = t.VehicleId,
            AcceptedBy = t.AcceptedBy,
            AssignedBy = t.AssignedBy,
            AssignedAt = t.AssignedAt,
            OtherBuilding = t.OtherBuilding,
            AwaitingAcceptance = t.AwaitingAcceptance(service.Config),
            AlarmCleared = t.AlarmCleared,
            Resolution = t.Resolution,
            Recalls = t.Recalls,
            Timeline = [.. t.Steps.Values.OrderBy(s => s.Step).Select(s => new TimelineStepDto(s.Step, s.Step.Letter(), s.At, s.By, s.Note))],
            StepHistory = t.StepHistory,
            Segments = SlaClock.Segments(t, targets, now, service.AreaTiers(t)),
            Targets = targets,
            Notes = t.Notes,
            Attachments = t.Attachments,
            Links = t.Links,
            InterceptedReports = t.Reports,
            Callback = t.Callback,
            Complaint = t.Category == TicketCategory.Complaint ? new ComplaintDto(t.Complaint, t.ComplaintMissing) : null,
            Audit = t.Audit,
            CreatedAt = t.CreatedAt,
            CreatedBy = t.CreatedBy,
            FaultBeganAt = t.FaultBeganAt,
            FaultToTicketMinutes = t.FaultToTicketMinutes is { } m ? Math.Round(m, 3) : null,
        };
    }
}

public sealed record InterceptMatchDto(TicketSummary Ticket, string MatchedOn);

/// <summary>GET /api/tickets/intercept: what the hotline form offers before a new ticket is opened.</summary>
public sealed record InterceptDto(IReadOnlyList<InterceptMatchDto> Tickets, IReadOnlyList<ActiveAlarmView> Alarms, bool AlarmsAvailable);

public sealed record TeamDto(
    string Id,
    string Name,
    TeamKind Kind,
    string? Building,
    string? Phone,
    IReadOnlyList<string> Areas,
    IReadOnlyList<string> Skills,
    IReadOnlyList<TeamMember> Members,
    IReadOnlyList<Vehicle> Vehicles,
    IReadOnlyList<Supervisor> Supervisors,
    TeamStatus Status,
    IReadOnlyList<TicketSummary> Queue)
{
    /// <summary>The team's name in English (service.yaml 'nameEn'); null when there is none.</summary>
    public string? NameEn { get; init; }

    /// <summary>The team's areas with their names in both languages, in the order of <see cref="Areas"/>.</summary>
    public IReadOnlyList<NamedDto> AreaNames { get; init; } = [];

    /// <summary>The team's skills with their names in both languages, in the order of <see cref="Skills"/>.</summary>
    public IReadOnlyList<NamedDto> SkillNames { get; init; } = [];
}

/// <summary>Something configured (an area, a skill) by id, with its Chinese name and its English one (null when none).</summary>
public sealed record NamedDto(string Id, string Name, string? NameEn);

public sealed record MyQueueDto(string Member, string? MemberName, IReadOnlyList<string> Teams, IReadOnlyList<TicketSummary> Tickets);
