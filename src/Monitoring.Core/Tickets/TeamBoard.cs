using System.Collections.Concurrent;

namespace Monitoring.Core.Tickets;

public sealed record TeamStatus(string TeamId, TeamAvailability Availability, string? Reason, string By, DateTimeOffset At);

/// <summary>A team's place on the dispatch board: its status and its queue (several tickets at once).</summary>
public sealed record TeamBoardEntry(ServiceTeam Team, TeamStatus Status, IReadOnlyList<Ticket> Tickets);

/// <summary>
/// Team status (standby, busy, away with a reason) and queues, and which team to offer next: the same skill, not away,
/// in the ticket's area first, standby before busy, the shortest queue first.
/// </summary>
public sealed class TeamBoard(ServiceConfig config)
{
    private readonly ConcurrentDictionary<string, TeamStatus> _status = new(StringComparer.Ordinal);

    /// <summary>Who a status set by <see cref="FollowQueue"/> is "by" (the board, not an operator).</summary>
    public const string QueueActor = "queue";

    public ServiceConfig Config { get; } = config;

    public TeamStatus StatusOf(string teamId) =>
        _status.TryGetValue(teamId, out var status) ? status : new TeamStatus(teamId, TeamAvailability.Standby, null, "default", DateTimeOffset.UnixEpoch);

    public IReadOnlyCollection<TeamStatus> Statuses => [.. _status.Values];

    /// <summary>Restores a stored status (at start); unknown teams are ignored.</summary>
    public void Restore(TeamStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (Config.FindTeam(status.TeamId) is not null)
        {
            _status[status.TeamId] = status;
        }
    }

    public TicketResult SetStatus(string teamId, TeamAvailability availability, string? reason, string by, DateTimeOffset now)
    {
        if (Config.FindTeam(teamId) is null)
        {
            return TicketResult.NotFound($"no team '{teamId}'");
        }

        if (availability == TeamAvailability.Away && string.IsNullOrWhiteSpace(reason))
        {
            return TicketResult.Invalid("a team marked away needs a reason (training, vehicle in repair, ...)");
        }

        _status[teamId] = new TeamStatus(teamId, availability, string.IsNullOrWhiteSpace(reason) ? null : reason, by, now);
        return TicketResult.Done;
    }

    /// <summary>
    /// Follows a team's queue after a ticket moved: a team on standby that now holds open tickets becomes busy, and a team
    /// made busy that way (by <see cref="QueueActor"/>) goes back to standby once its queue is empty. A status an operator
    /// set (busy by hand, away) is left alone. Returns the new status when it changed, else null.
    /// </summary>
    public TeamStatus? FollowQueue(string teamId, int openTickets, DateTimeOffset now)
    {
        if (Config.FindTeam(teamId) is not { Kind: not TeamKind.Noc })
        {
            return null;
        }

        var current = StatusOf(teamId);
        TeamStatus? next = (current.Availability, openTickets > 0) switch
        {
            (TeamAvailability.Standby, true) => new TeamStatus(teamId, TeamAvailability.Busy, null, QueueActor, now),
            (TeamAvailability.Busy, false) when current.By == QueueActor => new TeamStatus(teamId, TeamAvailability.Standby, null, QueueActor, now),
            _ => null,
        };
        if (next is not null)
        {
            _status[teamId] = next;
        }

        return next;
    }

    /// <summary>Open tickets held by the team, most urgent first, then oldest dispatch first.</summary>
    public static IReadOnlyList<Ticket> QueueOf(string teamId, IEnumerable<Ticket> openTickets) =>
        [.. openTickets.Where(t => t.IsOpen && t.Holder == teamId)
            .OrderByDescending(t => t.Priority).ThenBy(t => t.AssignedAt).ThenBy(t => t.Id)];

    public IReadOnlyList<TeamBoardEntry> Board(IEnumerable<Ticket> openTickets)
    {
        var open = openTickets.ToList();
        return [.. Config.Teams.Where(t => t.Kind != TeamKind.Noc).Select(t => new TeamBoardEntry(t, StatusOf(t.Id), QueueOf(t.Id, open)))];
    }

    /// <summary>
    /// Field teams that could take work needing <paramref name="skill"/> (any skill when null), best first, without
    /// <paramref name="excluding"/> and without teams that are away.
    /// </summary>
    public IReadOnlyList<ServiceTeam> Candidates(string? skill, string? areaId, string? excluding, IEnumerable<Ticket> openTickets)
    {
        var queueLength = openTickets.Where(t => t.IsOpen && t.Holder is not null)
            .GroupBy(t => t.Holder!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return [.. Config.Teams
            .Where(t => t.Kind == TeamKind.Field && t.Id != excluding && (skill is null || t.HasSkill(skill)))
            .Where(t => StatusOf(t.Id).Availability != TeamAvailability.Away)
            .OrderBy(t => areaId is not null && t.Areas.Contains(areaId, StringComparer.Ordinal) ? 0 : 1)
            .ThenBy(t => StatusOf(t.Id).Availability == TeamAvailability.Standby ? 0 : 1)
            .ThenBy(t => queueLength.GetValueOrDefault(t.Id))
            .ThenBy(t => t.Id, StringComparer.Ordinal)];
    }

    /// <summary>"Next team with the same skill" as <paramref name="teamId"/>: the first candidate sharing one of its skills.</summary>
    public ServiceTeam? NextTeam(string teamId, string? skill, string? areaId, IEnumerable<Ticket> openTickets)
    {
        var team = Config.FindTeam(teamId);
        var open = openTickets as IReadOnlyCollection<Ticket> ?? [.. openTickets];
        if (skill is not null)
        {
            return Candidates(skill, areaId, teamId, open) is [var first, ..] ? first : null;
        }

        foreach (var s in team?.Skills ?? [])
        {
            if (Candidates(s, areaId, teamId, open) is [var next, ..])
            {
                return next;
            }
        }

        return null;
    }
}
