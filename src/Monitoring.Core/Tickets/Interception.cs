namespace Monitoring.Core.Tickets;

/// <summary>Where a hotline report says the fault is: any of device, rack, room, area.</summary>
public sealed record InterceptionQuery(string? DeviceId, string? RackId, string? RoomId, string? AreaId);

/// <summary>An open ticket a new report may be about, and how closely it matches (device beats rack beats room beats area).</summary>
public sealed record InterceptionMatch(Ticket Ticket, string MatchedOn, int Rank);

/// <summary>
/// Report interception: open tickets on the same device, rack, room or area as a new report, closest first. The ticket
/// of an open incident an active alarm of the reported device belongs to beats them all ("incident"): a report about
/// any device of a mains failure goes to the mains failure's one ticket, whichever device opened it.
/// </summary>
public static class Interception
{
    /// <param name="incidentTickets">Ids of the tickets of the open incidents the reported device has active alarms in.</param>
    public static IReadOnlyList<InterceptionMatch> Find(InterceptionQuery query, IEnumerable<Ticket> openTickets, IReadOnlyCollection<long>? incidentTickets = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(openTickets);
        var matches = new List<InterceptionMatch>();
        foreach (var ticket in openTickets)
        {
            if (!ticket.IsOpen)
            {
                continue;
            }

            var match = incidentTickets is not null && incidentTickets.Contains(ticket.Id) ? ("incident", 5)
                : Same(query.DeviceId, ticket.DeviceId) || (query.DeviceId is { } device && ticket.HasLink(TicketLinkKind.Device, device)) ? ("device", 4)
                : Same(query.RackId, ticket.RackId) ? ("rack", 3)
                : Same(query.RoomId, ticket.RoomId) ? ("room", 2)
                : Same(query.AreaId, ticket.AreaId) ? ("area", 1)
                : default;
            if (match.Item2 > 0)
            {
                matches.Add(new InterceptionMatch(ticket, match.Item1, match.Item2));
            }
        }

        return [.. matches.OrderByDescending(m => m.Rank).ThenByDescending(m => m.Ticket.Priority).ThenBy(m => m.Ticket.ReportedAt)];
    }

    private static bool Same(string? wanted, string? actual) => wanted is not null && actual is not null && string.Equals(wanted, actual, StringComparison.Ordinal);
}
