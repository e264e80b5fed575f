using System.Security.Claims;
using Monitoring.Core.Tickets;
using Monitoring.Server.Security;

namespace Monitoring.Server.Tickets;

/// <summary>
/// What a caller may do on a ticket: the state machine's actions (<see cref="Ticket.AvailableActions"/>) that the
/// caller's role or token scope allows, a technician's field steps only on their own team's tickets. The endpoints
/// check the same capabilities; consoles draw their buttons from this list instead of re-deriving it.
/// </summary>
public static class TicketAccess
{
    /// <summary>The capability an action's endpoint requires.</summary>
    public static Capability Needs(TicketAction action) => action switch
    {
        TicketAction.Dispatch or TicketAction.Recall => Capability.DispatchTickets,
        TicketAction.Receive or TicketAction.Accept or TicketAction.Depart or TicketAction.Arrive or TicketAction.Resolve => Capability.FieldSteps,
        _ => Capability.FollowUpTickets,
    };

    public static IReadOnlyList<TicketAction> Allowed(ClaimsPrincipal caller, TicketSummary ticket)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(ticket);
        var allowed = new List<TicketAction>(ticket.StateActions.Count);
        foreach (var action in ticket.StateActions)
        {
            var needs = Needs(action);
            if (HubGuard.Allows(caller, needs) && (needs != Capability.FieldSteps || Principals.MayActOnTeam(caller, ticket.TeamId, ticket.Holder)))
            {
                allowed.Add(action);
            }
        }

        return allowed;
    }

    /// <summary>The summary with <see cref="TicketSummary.AllowedActions"/> filled for <paramref name="caller"/>.</summary>
    public static TicketSummary For(this TicketSummary ticket, ClaimsPrincipal caller) =>
        (ticket ?? throw new ArgumentNullException(nameof(ticket))) with { AllowedActions = Allowed(caller, ticket) };
}
