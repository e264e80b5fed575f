using Monitoring.Core.Tickets;

namespace Monitoring.Core.Tests.Tickets;

public class TeamBoardTests
{
    private readonly ServiceConfig _config = TicketTestConfig.Create();

    [Fact]
    public void A_team_holds_several_tickets_most_urgent_first()
    {
        var now = TicketTestConfig.Start;
        var tickets = new List<Ticket>();
        foreach (var (id, priority) in new[] { (1L, TicketPriority.Normal), (2L, TicketPriority.Urgent), (3L, TicketPriority.Normal) })
        {
            var t = TicketTestConfig.Hotline(_config, id: id, priority: priority);
            Assert.True(t.Dispatch("team-net", "noc", now.AddMinutes(id), _config).Ok);
            tickets.Add(t);
        }

        var other = TicketTestConfig.Hotline(_config, id: 4);
        Assert.True(other.Dispatch("team-power", "noc", now, _config).Ok);
        tickets.Add(other);

        Assert.Equal([2L, 1L, 3L], TeamBoard.QueueOf("team-net", tickets).Select(t => t.Id));
        var board = new TeamBoard(_config).Board(tickets);
        Assert.Equal(3, board.Single(b => b.Team.Id == "team-net").Tickets.Count);
        Assert.DoesNotContain(board, b => b.Team.Kind == TeamKind.Noc);

        Assert.True(tickets[1].Resolve("m.net", "done", null, now.AddMinutes(9)).Ok);
        Assert.Equal([1L, 3L], TeamBoard.QueueOf("team-net", tickets).Select(t => t.Id));
    }

    [Fact]
    public void Work_makes_a_standby_team_busy_and_an_empty_queue_gives_it_back_but_an_operators_status_stays()
    {
        var board = new TeamBoard(_config);
        var now = TicketTestConfig.Start;
        Assert.Null(board.FollowQueue("team-net", 0, now)); // standby with nothing: no change
        var busy = board.FollowQueue("team-net", 1, now);
        Assert.Equal((TeamAvailability.Busy, TeamBoard.QueueActor), (busy!.Availability, busy.By));
        Assert.Equal(TeamAvailability.Busy, board.StatusOf("team-net").Availability);
        Assert.Null(board.FollowQueue("team-net", 2, now)); // already busy
        Assert.Equal(TeamAvailability.Standby, board.FollowQueue("team-net", 0, now.AddMinutes(5))!.Availability);

        // busy or away set by an operator is theirs to change
        Assert.True(board.SetStatus("team-net", TeamAvailability.Busy, null, "lead", now).Ok);
        Assert.Null(board.FollowQueue("team-net", 0, now));
        Assert.Equal(TeamAvailability.Busy, board.StatusOf("team-net").Availability);
        Assert.True(board.SetStatus("team-power", TeamAvailability.Away, "training", "lead", now).Ok);
        Assert.Null(board.FollowQueue("team-power", 1, now));
        Assert.Null(board.FollowQueue("ghosts", 1, now));
    }

    [Fact]
    public void Status_standby_busy_away_needs_a_reason_for_away()
    {
        var board = new TeamBoard(_config);
        Assert.Equal(TeamAvailability.Standby, board.StatusOf("team-net").Availability);
        Assert.Equal(TicketErrorKind.Invalid, board.SetStatus("team-net", TeamAvailability.Away, " ", "lead", TicketTestConfig.Start).ErrorKind);
        Assert.Equal(TicketErrorKind.NotFound, board.SetStatus("ghosts", TeamAvailability.Busy, null, "lead", TicketTestConfig.Start).ErrorKind);
        Assert.True(board.SetStatus("team-net", TeamAvailability.Away, "vehicle in repair", "lead", TicketTestConfig.Start).Ok);
        var status = board.StatusOf("team-net");
        Assert.Equal((TeamAvailability.Away, "vehicle in repair", "lead"), (status.Availability, status.Reason, status.By));
    }

    [Fact]
    public void Next_team_has_the_same_skill_is_not_away_prefers_the_area_then_standby_then_the_shorter_queue()
    {
        var board = new TeamBoard(_config);
        // network: team-net (hq), team-far (hq), team-north, team-north2 (north)
        Assert.Equal(["team-far", "team-net", "team-north", "team-north2"], board.Candidates("network", "hq", null, []).Select(t => t.Id));
        Assert.Equal("team-far", board.NextTeam("team-net", null, "hq", [])!.Id);

        // team-far busy: the standby team of the area goes first
        Assert.True(board.SetStatus("team-far", TeamAvailability.Busy, null, "lead", TicketTestConfig.Start).Ok);
        Assert.Equal(["team-net", "team-far"], board.Candidates("network", "hq", null, []).Take(2).Select(t => t.Id));

        // team-net away: never offered
        Assert.True(board.SetStatus("team-net", TeamAvailability.Away, "training", "lead", TicketTestConfig.Start).Ok);
        Assert.DoesNotContain(board.Candidates("network", "hq", null, []), t => t.Id == "team-net");

        // in the north, both standby: the shorter queue first
        var queued = TicketTestConfig.Hotline(_config, area: "north");
        Assert.True(queued.Dispatch("centre-north", "noc", TicketTestConfig.Start, _config).Ok);
        Assert.True(queued.Dispatch("team-north", "centre", TicketTestConfig.Start, _config).Ok);
        Assert.Equal("team-north2", board.Candidates("network", "north", null, [queued])[0].Id);
        Assert.Equal("team-north2", board.NextTeam("team-north", "network", "north", [queued])!.Id);
        Assert.Null(board.NextTeam("team-power", null, "hq", []));
    }
}
