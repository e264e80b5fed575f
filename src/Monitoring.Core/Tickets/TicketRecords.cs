namespace Monitoring.Core.Tickets;

/// <summary>When a step happened and who did it.</summary>
public sealed record StepRecord(TicketStep Step, DateTimeOffset At, string By, string? Note = null);

public sealed record TicketNote(DateTimeOffset At, string By, string Text);

/// <summary>Metadata of a photo or file attached by a technician; the bytes live elsewhere (Url).</summary>
public sealed record TicketAttachment(DateTimeOffset At, string By, string Name, string? ContentType, long? Size, string? Url);

/// <summary>Kinds of link: alarm (id), device (id), port ("device:port"), ticket (id).</summary>
public enum TicketLinkKind
{
    Alarm,
    Device,
    Port,
    Ticket,
    /// <summary>The incident the ticket was opened for (one ticket per incident).</summary>
    Incident,
}

public sealed record TicketLink(TicketLinkKind Kind, string Target, DateTimeOffset At, string By);

/// <summary>
/// Who reported it: the hotline caller, the ticket's customer. Email and Language (e.g. "zh", "en") address the
/// customer's progress notices; both are optional (a caller without them gets no email, notices in the default language).
/// </summary>
public sealed record Caller(string? Name, string? Phone, string? Department, string? Location, string? Email = null, string? Language = null);

/// <summary>Someone notified about a ticket's progress (the customer's account manager): name, phone (SMS), email, language.</summary>
public sealed record Contact(string? Name, string? Phone, string? Email, string? Language);

/// <summary>A hotline report linked to this open ticket instead of opening a duplicate: one intercepted report.</summary>
public sealed record InterceptedReport(DateTimeOffset At, string By, Caller? Caller, TicketChannel Channel, string? Description);

public sealed record CallbackRecord(DateTimeOffset At, string By, bool Satisfied, string? Comment);

public sealed record ComplaintRecord(ComplaintAction Action, DateTimeOffset At, string By, string? Note);

/// <summary>One line of the audit trail: every command and clock event, in order.</summary>
public sealed record AuditEntry(int Seq, DateTimeOffset At, string By, string Action, string? Detail);

/// <summary>A hotline report as the operator form sends it.</summary>
public sealed record HotlineReport
{
    public required string By { get; init; }
    public TicketCategory Category { get; init; } = TicketCategory.Fault;
    public TicketPriority Priority { get; init; } = TicketPriority.Normal;
    public CustomerClass CustomerClass { get; init; } = CustomerClass.Standard;
    public TicketChannel Channel { get; init; } = TicketChannel.Phone;
    public string? Title { get; init; }
    public string? Description { get; init; }
    public Caller? Caller { get; init; }

    /// <summary>The customer's account manager, notified about the ticket's progress as the notice rules say.</summary>
    public Contact? AccountManager { get; init; }
    public string? AreaId { get; init; }
    public string? DeviceId { get; init; }
    public int? Port { get; init; }
    public string? RoomId { get; init; }
    public string? RackId { get; init; }
    public string? DeviceType { get; init; }
    public string? Skill { get; init; }

    /// <summary>Step A: when the caller hung up; now when absent.</summary>
    public DateTimeOffset? ReportedAt { get; init; }
}

/// <summary>What a ticket needs of an alarm (kept free of the alarm engine's types).</summary>
public sealed record AlarmFacts(
    long AlarmId,
    DateTimeOffset RaisedAt,
    string DeviceId,
    int? Port,
    string RoomId,
    string? RackId,
    int Severity,
    string Message,
    string RuleName,
    long? SuppressedBy,
    IReadOnlyList<long> Suppresses)
{
    public string? DeviceType { get; init; }

    /// <summary>The incident the alarm belongs to: its ticket is the incident's.</summary>
    public long? IncidentId { get; init; }

    /// <summary>The alarm's message in English (null when its rule has none): the ticket's description carries both.</summary>
    public string? MessageEn { get; init; }

    /// <summary>The description of a ticket opened for the alarm: the Chinese message, then the English one on its own line.</summary>
    public string BothMessages => MessageEn is { Length: > 0 } en && !string.Equals(en, Message, StringComparison.Ordinal) ? Message + "\n" + en : Message;
}
