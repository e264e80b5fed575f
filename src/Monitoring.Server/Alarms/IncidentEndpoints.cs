using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Core.Alarms;
using Monitoring.Server.Api;
using Monitoring.Server.Security;

namespace Monitoring.Server.Alarms;

/// <summary>
/// /api/incidents: alarms grouped by root cause or trigger (the unit a ticket is opened for). The list shows the rooms
/// the caller may see; an incident of another room answers 404, as an unknown one does.
/// </summary>
internal static class IncidentEndpoints
{
    public const int MaxLimit = 10_000;

    public static void Map(RouteGroupBuilder api)
    {
        var incidents = api.MapGroup("/incidents");
        incidents.MapGet(string.Empty, List).WithName("ListIncidents").Requires(Capability.Read)
            .WithSummary("Incidents, newest first: open=true (not ended), open=false (ended) or both (no open); room; limit (500, at most 10000).");
        incidents.MapGet("/{id:long}", Get).WithName("GetIncident").Requires(Capability.Read).WithSummary("One incident: its alarms, severity, start and end, and its ticket.");
    }

    internal static Results<Ok<List<IncidentSnapshot>>, Problem<Status400>> List(
        string? open, string? room, int? limit, IIncidentService service, Monitoring.Core.Inventory.Inventory inventory, ClaimsPrincipal user)
    {
        bool? wanted = null;
        if (!string.IsNullOrWhiteSpace(open))
        {
            if (!bool.TryParse(open, out var value))
            {
                return Bad("open", $"'{open}' is not true or false");
            }

            wanted = value;
        }

        if (limit is < 1 or > MaxLimit)
        {
            return Bad("limit", $"must be between 1 and {MaxLimit}");
        }

        var list = service.Incidents(wanted, limit ?? 500)
            .Where(i => (string.IsNullOrWhiteSpace(room) || string.Equals(i.RoomId, room, StringComparison.Ordinal)) && Principals.MaySee(user, inventory, i.RoomId))
            .ToList();
        return TypedResults.Ok(list);
    }

    internal static Results<Ok<IncidentSnapshot>, Problem<Status404>> Get(long id, IIncidentService service, Monitoring.Core.Inventory.Inventory inventory, ClaimsPrincipal user) =>
        service.FindIncident(id) is { } incident && Principals.MaySee(user, inventory, incident.RoomId)
            ? TypedResults.Ok(incident)
            : new Problem<Status404>($"no incident {id}");

    private static Problem<Status400> Bad(string field, string why) =>
        new($"bad field '{field}'", $"'{field}' {why}", new Dictionary<string, object?>(StringComparer.Ordinal) { ["field"] = field });
}
