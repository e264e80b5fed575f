namespace Monitoring.Core.Tickets.Notices;

/// <summary>A notice due for a ticket's step, rendered and addressed, not stored yet.</summary>
public sealed record NoticeDraft(
    long TicketId,
    NoticeStep Step,
    NoticeRole Role,
    NoticeChannel Channel,
    string Address,
    string Language,
    string? Subject,
    string Body,
    DateTimeOffset CreatedAt,
    DateTimeOffset NotBefore);

/// <summary>
/// Which notices a ticket command makes due: compares the ticket before and after the command (null before: it was
/// just opened), finds the notice steps it reached, and for each role that hears about the step (per-step opt-in, or
/// every step for an every-step class) one notice per channel the role's contact has an address for (email → email,
/// phone → SMS), in the contact's language (the default language when no template has it), held until the channel's
/// quiet hours end. Pure: time and zone are passed in.
/// </summary>
public static class NoticePlanner
{
    public static IReadOnlyList<NoticeStep> StepsReached(Ticket? previous, Ticket updated)
    {
        ArgumentNullException.ThrowIfNull(updated);
        var steps = new List<NoticeStep>(2);
        if (previous is null)
        {
            steps.Add(NoticeStep.Accepted);
        }

        if (Reached(previous, updated, TicketStep.Dispatched))
        {
            steps.Add(NoticeStep.Dispatched);
        }

        if (Reached(previous, updated, TicketStep.Arrived))
        {
            steps.Add(NoticeStep.Arrived);
        }

        if (Reached(previous, updated, TicketStep.Resolved))
        {
            steps.Add(NoticeStep.Resolved);
        }

        if ((previous?.Missed.Count ?? 0) == 0 && updated.Missed.Count > 0)
        {
            steps.Add(NoticeStep.Overdue);
        }

        return steps;
    }

    public static IReadOnlyList<NoticeDraft> Plan(Ticket? previous, Ticket updated, NoticeConfig config, DateTimeOffset now, TimeZoneInfo zone, Func<string?, string?> teamName)
    {
        ArgumentNullException.ThrowIfNull(updated);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(teamName);
        if (config.IsEmpty)
        {
            return [];
        }

        var steps = StepsReached(previous, updated);
        if (steps.Count == 0)
        {
            return [];
        }

        var drafts = new List<NoticeDraft>();
        var customer = updated.Caller is { } c ? new Contact(c.Name, c.Phone, c.Email, c.Language) : null;
        foreach (var step in steps)
        {
            Add(NoticeRole.Customer, customer, step);
            Add(NoticeRole.AccountManager, updated.AccountManager, step);
        }

        return drafts;

        void Add(NoticeRole role, Contact? contact, NoticeStep step)
        {
            if (contact is null || !config.Notifies(role, step, updated.CustomerClass))
            {
                return;
            }

            foreach (var (channel, address) in new[] { (NoticeChannel.Email, contact.Email), (NoticeChannel.Sms, contact.Phone) })
            {
                if (string.IsNullOrWhiteSpace(address) || config.Find(step, channel, contact.Language) is not { } template)
                {
                    continue;
                }

                var team = teamName(updated.TeamId);
                string? Value(ReadOnlySpan<char> name) => NoticeConfig.Value(name, updated, step, template.Language, contact, team, zone, now);
                drafts.Add(new NoticeDraft(
                    updated.Id,
                    step,
                    role,
                    channel,
                    address.Trim(),
                    template.Language,
                    template.Subject is null ? null : NoticeConfig.Render(template.Subject, Value),
                    NoticeConfig.Render(template.Body, Value),
                    now,
                    config.NotBefore(channel, updated.CustomerClass, updated.Priority, now, zone)));
            }
        }
    }

    private static bool Reached(Ticket? previous, Ticket updated, TicketStep step) =>
        updated.Has(step) && (previous is null || !previous.Has(step));
}
