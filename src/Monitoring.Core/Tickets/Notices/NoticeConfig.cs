using Monitoring.Core.Alarms;

namespace Monitoring.Core.Tickets.Notices;

/// <summary>
/// The steps of a ticket a customer hears about: accepted (the report was taken: step A, the ticket opened),
/// dispatched (B), arrived (H: the team is on site), resolved, overdue (the first segment that missed its target).
/// </summary>
public enum NoticeStep
{
    Accepted,
    Dispatched,
    Arrived,
    Resolved,
    Overdue,
}

/// <summary>How a notice travels: email over SMTP, or an SMS/IM gateway reached by a signed webhook.</summary>
public enum NoticeChannel
{
    Email,
    Sms,
}

/// <summary>Who a notice is for: the ticket's customer (its caller) or the customer's account manager.</summary>
public enum NoticeRole
{
    Customer,
    AccountManager,
}

/// <summary>
/// Where a notice is: pending (waiting for its first attempt, or for quiet hours to end), retrying (an attempt failed,
/// another is due at its next time), sent, gaveUp (every attempt failed: counted, logged, in /healthz).
/// </summary>
public enum NoticeState
{
    Pending,
    Retrying,
    Sent,
    GaveUp,
}

/// <summary>One template: the text of a step's notice in one language on one channel (a subject for email).</summary>
public sealed record NoticeTemplate(NoticeStep Step, string Language, NoticeChannel Channel, string? Subject, string Body);

/// <summary>
/// A channel's quiet hours in the site's time zone ([From, To), across midnight when From &gt; To): notices on it are
/// held until the hours end, unless the ticket's customer class is exempt (VIP) or its priority is (urgent).
/// </summary>
public sealed record QuietHours(NoticeChannel Channel, TimeOnly From, TimeOnly To, IReadOnlyList<CustomerClass> ExemptClasses, IReadOnlyList<TicketPriority> ExemptPriorities)
{
    public bool Contains(TimeOnly time) => From <= To ? time >= From && time < To : time >= From || time < To;

    public bool Exempts(CustomerClass customerClass, TicketPriority priority) =>
        ExemptClasses.Contains(customerClass) || ExemptPriorities.Contains(priority);
}

/// <summary>
/// device-profiles/notices/*.yaml: which steps each role hears about, the classes that hear about every step (VIP),
/// quiet hours per channel and the templates per step, language and channel.
/// </summary>
public sealed class NoticeConfig
{
    /// <summary>The placeholders a template may use (anything else in braces is an error at load).</summary>
    public static readonly IReadOnlyList<string> Placeholders =
        ["number", "title", "step", "status", "contact", "customer", "team", "device", "room", "area", "at", "resolution", "category", "priority"];

    public static NoticeConfig Empty { get; } = new();

    public string DefaultLanguage { get; init; } = "zh";

    /// <summary>The steps each role is notified at (per-step opt-in); a role not listed hears nothing (unless its class is an every-step class).</summary>
    public IReadOnlyDictionary<NoticeRole, IReadOnlySet<NoticeStep>> Steps { get; init; } = new Dictionary<NoticeRole, IReadOnlySet<NoticeStep>>();

    /// <summary>Customer classes notified at every step, on every channel they have an address for (VIP).</summary>
    public IReadOnlySet<CustomerClass> EveryStepClasses { get; init; } = new HashSet<CustomerClass>();

    public IReadOnlyList<QuietHours> QuietHours { get; init; } = [];

    public IReadOnlyList<NoticeTemplate> Templates { get; init; } = [];

    public bool IsEmpty => Templates.Count == 0;

    /// <summary>The template of a step on a channel in a language, else in the default language; null when neither exists.</summary>
    public NoticeTemplate? Find(NoticeStep step, NoticeChannel channel, string? language)
    {
        NoticeTemplate? fallback = null;
        foreach (var t in Templates)
        {
            if (t.Step != step || t.Channel != channel)
            {
                continue;
            }

            if (language is not null && string.Equals(t.Language, language, StringComparison.OrdinalIgnoreCase))
            {
                return t;
            }

            if (string.Equals(t.Language, DefaultLanguage, StringComparison.OrdinalIgnoreCase))
            {
                fallback = t;
            }
        }

        return fallback;
    }

    public bool Notifies(NoticeRole role, NoticeStep step, CustomerClass customerClass) =>
        EveryStepClasses.Contains(customerClass) || (Steps.TryGetValue(role, out var steps) && steps.Contains(step));

    /// <summary>
    /// When a notice on <paramref name="channel"/> may go: now, or the end of the quiet hours <paramref name="now"/>
    /// falls in (in <paramref name="zone"/>), unless the class or priority is exempt.
    /// </summary>
    public DateTimeOffset NotBefore(NoticeChannel channel, CustomerClass customerClass, TicketPriority priority, DateTimeOffset now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        foreach (var quiet in QuietHours)
        {
            if (quiet.Channel != channel || quiet.Exempts(customerClass, priority))
            {
                continue;
            }

            var local = TimeZoneInfo.ConvertTime(now, zone);
            var time = TimeOnly.FromDateTime(local.DateTime);
            if (!quiet.Contains(time))
            {
                continue;
            }

            // the end is today at To, or tomorrow when To has passed already (quiet hours across midnight, evening part)
            var endDate = time < quiet.To ? DateOnly.FromDateTime(local.DateTime) : DateOnly.FromDateTime(local.DateTime).AddDays(1);
            var endLocal = endDate.ToDateTime(quiet.To, DateTimeKind.Unspecified);
            var offset = zone.GetUtcOffset(endLocal);
            return new DateTimeOffset(endLocal, offset).ToUniversalTime();
        }

        return now;
    }

    /// <summary>The text of one placeholder for a ticket's notice at a step (null: not a placeholder).</summary>
    public static string? Value(ReadOnlySpan<char> name, Ticket ticket, NoticeStep step, string language, Contact? contact, string? teamName, TimeZoneInfo zone, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var zh = language.StartsWith("zh", StringComparison.OrdinalIgnoreCase);
        return name switch
        {
            "number" => ticket.Number,
            "title" => ticket.Title,
            "step" => StepName(step, zh),
            "status" => ticket.Status.ToString(),
            "contact" => contact?.Name ?? string.Empty,
            "customer" => ticket.Caller?.Name ?? string.Empty,
            "team" => teamName ?? ticket.TeamId ?? string.Empty,
            "device" => ticket.DeviceId ?? string.Empty,
            "room" => ticket.RoomId ?? string.Empty,
            "area" => ticket.AreaId ?? string.Empty,
            "at" => TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            "resolution" => ticket.Resolution ?? string.Empty,
            "category" => ticket.Category.ToString(),
            "priority" => ticket.Priority.ToString(),
            _ => null,
        };
    }

    public static string StepName(NoticeStep step, bool zh) => (step, zh) switch
    {
        (NoticeStep.Accepted, true) => "已受理",
        (NoticeStep.Dispatched, true) => "已派单",
        (NoticeStep.Arrived, true) => "已到达现场",
        (NoticeStep.Resolved, true) => "已修复",
        (NoticeStep.Overdue, true) => "已超时",
        (NoticeStep.Accepted, false) => "accepted",
        (NoticeStep.Dispatched, false) => "dispatched",
        (NoticeStep.Arrived, false) => "on site",
        (NoticeStep.Resolved, false) => "resolved",
        _ => "overdue",
    };

    /// <summary>Renders a template's text.</summary>
    public static string Render(string template, PlaceholderValue values) => PlaceholderTemplate.Render(template, values);
}
