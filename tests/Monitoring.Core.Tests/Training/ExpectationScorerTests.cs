using Monitoring.Core.Tickets;
using Monitoring.Core.Training;

namespace Monitoring.Core.Tests.Training;

public sealed class ExpectationScorerTests
{
    private static readonly TimeSpan End = TimeSpan.FromMinutes(20);

    private static TimeSpan S(int seconds) => TimeSpan.FromSeconds(seconds);

    private static DrillExpectation Expect(string id, ExpectationKind kind, int from, int within, int points = 10) => new()
    {
        Id = id,
        Kind = kind,
        From = S(from),
        Within = S(within),
        Points = points,
    };

    /// <summary>A drill like the shipped night UPS drill: fault at 30 s, restore at 12 min.</summary>
    private static Drill Drill(params DrillExpectation[] expectations) => new()
    {
        Id = "test",
        Name = "测试",
        NameEn = "Test",
        Description = new DrillText("中文", "English"),
        RoomId = "demo",
        Duration = End,
        Expectations = expectations,
    };

    private static readonly DrillExpectation Ack = Expect("ack", ExpectationKind.Acknowledge, 30, 120) with { RuleId = "ups-on-battery", DeviceId = "ups-1" };
    private static readonly DrillExpectation LocatePort = Expect("port", ExpectationKind.Locate, 30, 180, points: 20) with { DeviceId = "asw-a02", PortIndex = 14 };
    private static readonly DrillExpectation LocateUps = Expect("ups", ExpectationKind.Locate, 30, 180) with { DeviceId = "ups-1" };
    private static readonly DrillExpectation Dispatch = Expect("ticket", ExpectationKind.Ticket, 30, 300) with { Category = TicketCategory.Fault, TeamId = "team-power" };
    private static readonly DrillExpectation NoMute = Expect("no-mute", ExpectationKind.Mute, 30, 690) with { Mute = false };
    private static readonly DrillExpectation MuteInTime = Expect("mute", ExpectationKind.Mute, 30, 240) with { Mute = true };
    private static readonly DrillExpectation CloseAfterRestore = Expect("close", ExpectationKind.Close, 720, 300) with { RuleId = "ups-on-battery" };

    private static ExpectationResult Result(DrillScore score, string id) => score.Results.Single(r => r.Expectation.Id == id);

    [Fact]
    public void A_response_inside_its_window_is_met_after_it_late_for_half_the_points_and_never_missed()
    {
        var drill = Drill(Ack, Dispatch, LocateUps);
        TraineeAction[] actions =
        [
            new(S(95), TraineeActionKind.Acknowledge, RuleId: "ups-on-battery", DeviceId: "ups-1"),
            new(S(400), TraineeActionKind.Ticket, Category: TicketCategory.Fault, TeamId: "team-power"),
        ];

        var score = ExpectationScorer.Score(drill, actions, End, finished: true);

        Assert.Equal((ExpectationOutcome.Met, S(95), 10), (Result(score, "ack").Outcome, Result(score, "ack").DoneAt!.Value, Result(score, "ack").Earned));
        var ticket = Result(score, "ticket");
        Assert.Equal((ExpectationOutcome.Late, S(400), S(70), 5), (ticket.Outcome, ticket.DoneAt!.Value, ticket.Late!.Value, ticket.Earned));
        Assert.Equal((ExpectationOutcome.Missed, 0, (TimeSpan?)null), (Result(score, "ups").Outcome, Result(score, "ups").Earned, Result(score, "ups").Late));
        Assert.Equal((15, 30, 50.0), (score.Earned, score.Possible, score.Percent));
        Assert.Equal((1, 1, 1), (score.Count(ExpectationOutcome.Met), score.Count(ExpectationOutcome.Late), score.Count(ExpectationOutcome.Missed)));
    }

    [Fact]
    public void While_the_drill_runs_an_open_window_is_pending_and_a_closed_one_overdue_not_missed()
    {
        var drill = Drill(Ack, Dispatch);

        var early = ExpectationScorer.Score(drill, [], S(100), finished: false);
        Assert.Equal(ExpectationOutcome.Pending, Result(early, "ack").Outcome);

        var later = ExpectationScorer.Score(drill, [], S(200), finished: false);
        Assert.Equal((ExpectationOutcome.Overdue, S(50)), (Result(later, "ack").Outcome, Result(later, "ack").Late!.Value));
        Assert.Equal(ExpectationOutcome.Pending, Result(later, "ticket").Outcome);
        Assert.Equal(0, later.Earned);
    }

    [Fact]
    public void Actions_after_the_moment_scored_are_not_seen_yet()
    {
        var drill = Drill(Ack);
        TraineeAction[] actions = [new(S(100), TraineeActionKind.Acknowledge, RuleId: "ups-on-battery", DeviceId: "ups-1")];

        Assert.Equal(ExpectationOutcome.Pending, Result(ExpectationScorer.Score(drill, actions, S(60), finished: false), "ack").Outcome);
        Assert.Equal(ExpectationOutcome.Met, Result(ExpectationScorer.Score(drill, actions, S(100), finished: false), "ack").Outcome);
    }

    [Fact]
    public void Only_the_right_rule_device_port_category_and_team_count()
    {
        var drill = Drill(Ack, LocatePort, Dispatch);
        TraineeAction[] wrong =
        [
            new(S(40), TraineeActionKind.Acknowledge, RuleId: "ups-on-battery", DeviceId: "ups-2"),
            new(S(41), TraineeActionKind.Acknowledge, RuleId: "ups-battery-low", DeviceId: "ups-1"),
            new(S(42), TraineeActionKind.Locate, DeviceId: "asw-a02", PortIndex: 13),
            new(S(43), TraineeActionKind.Locate, DeviceId: "asw-a02"),
            new(S(44), TraineeActionKind.Ticket, Category: TicketCategory.Fault, TeamId: "team-network"),
            new(S(45), TraineeActionKind.Ticket, Category: TicketCategory.Request, TeamId: "team-power"),
            new(S(46), TraineeActionKind.Close, RuleId: "ups-on-battery", DeviceId: "ups-1"),
        ];

        var score = ExpectationScorer.Score(drill, wrong, End, finished: true);

        Assert.All(score.Results, r => Assert.Equal(ExpectationOutcome.Missed, r.Outcome));
        Assert.Equal(0, score.Earned);

        var right = ExpectationScorer.Score(drill, [.. wrong, new(S(50), TraineeActionKind.Locate, DeviceId: "asw-a02", PortIndex: 14)], End, finished: true);
        Assert.Equal((ExpectationOutcome.Met, S(50), 20), (Result(right, "port").Outcome, Result(right, "port").DoneAt!.Value, right.Earned));
    }

    [Fact]
    public void Locating_a_port_locates_its_device_and_an_expectation_without_a_team_takes_any_team()
    {
        var anyTeam = Dispatch with { Id = "any", TeamId = null };
        var drill = Drill(Expect("sw", ExpectationKind.Locate, 30, 180) with { DeviceId = "asw-a02" }, anyTeam);
        TraineeAction[] actions =
        [
            new(S(60), TraineeActionKind.Locate, DeviceId: "asw-a02", PortIndex: 14),
            new(S(70), TraineeActionKind.Ticket, Category: TicketCategory.Fault, TeamId: "team-network"),
        ];

        var score = ExpectationScorer.Score(drill, actions, End, finished: true);

        Assert.All(score.Results, r => Assert.Equal(ExpectationOutcome.Met, r.Outcome));
        Assert.Equal(100.0, score.Percent);
    }

    [Fact]
    public void Closing_before_the_restore_does_not_count_closing_after_it_does()
    {
        var drill = Drill(CloseAfterRestore);
        var early = new TraineeAction(S(300), TraineeActionKind.Close, RuleId: "ups-on-battery", DeviceId: "ups-1");

        Assert.Equal(ExpectationOutcome.Missed, Result(ExpectationScorer.Score(drill, [early], End, finished: true), "close").Outcome);

        var after = new TraineeAction(S(800), TraineeActionKind.Close, RuleId: "ups-on-battery", DeviceId: "ups-1");
        var score = ExpectationScorer.Score(drill, [after, early], End, finished: true);
        Assert.Equal((ExpectationOutcome.Met, S(800)), (Result(score, "close").Outcome, Result(score, "close").DoneAt!.Value));
    }

    [Fact]
    public void Do_not_mute_is_missed_by_a_mute_in_its_window_and_met_when_the_window_passes_without_one()
    {
        var drill = Drill(NoMute);
        var mute = new TraineeAction(S(200), TraineeActionKind.Mute);

        var violated = Result(ExpectationScorer.Score(drill, [mute], S(300), finished: false), "no-mute");
        Assert.Equal((ExpectationOutcome.Missed, S(200), 0), (violated.Outcome, violated.DoneAt!.Value, violated.Earned));

        Assert.Equal(ExpectationOutcome.Pending, Result(ExpectationScorer.Score(drill, [], S(300), finished: false), "no-mute").Outcome);
        Assert.Equal((ExpectationOutcome.Met, 10), (Result(ExpectationScorer.Score(drill, [], S(720), finished: false), "no-mute").Outcome, Result(ExpectationScorer.Score(drill, [], S(720), finished: false), "no-mute").Earned));

        // a mute after the window closed (the fault is over) breaks nothing
        Assert.Equal(ExpectationOutcome.Met, Result(ExpectationScorer.Score(drill, [new(S(900), TraineeActionKind.Mute)], End, finished: true), "no-mute").Outcome);
    }

    [Fact]
    public void Mute_in_time_is_met_by_a_mute_inside_the_window_and_late_after_it()
    {
        var drill = Drill(MuteInTime);

        Assert.Equal(ExpectationOutcome.Met, Result(ExpectationScorer.Score(drill, [new(S(100), TraineeActionKind.Mute)], End, finished: true), "mute").Outcome);
        Assert.Equal(ExpectationOutcome.Late, Result(ExpectationScorer.Score(drill, [new(S(400), TraineeActionKind.Mute)], End, finished: true), "mute").Outcome);
        Assert.Equal(ExpectationOutcome.Missed, Result(ExpectationScorer.Score(drill, [new(S(10), TraineeActionKind.Mute)], End, finished: true), "mute").Outcome);
    }

    [Fact]
    public void The_shipped_leak_drill_scores_a_trainee_who_does_everything_in_time_at_100_and_one_who_does_nothing_at_0()
    {
        var drill = DrillLoader.LoadDirectory(DrillFixtures.DrillsFolder, DrillFixtures.References).Find("raised-floor-leak")!;
        TraineeAction[] good =
        [
            new(S(60), TraineeActionKind.Acknowledge, RuleId: "water-leak", DeviceId: "leak-1"),
            new(S(90), TraineeActionKind.Locate, DeviceId: "leak-1"),
            new(S(120), TraineeActionKind.Locate, DeviceId: "ac-2"),
            new(S(150), TraineeActionKind.Mute),
            new(S(200), TraineeActionKind.Ticket, Category: TicketCategory.Fault, TeamId: "team-power"),
            new(S(800), TraineeActionKind.Close, RuleId: "water-leak", DeviceId: "leak-1"),
        ];

        var score = ExpectationScorer.Score(drill, good, drill.Duration, finished: true);
        Assert.True(score.Results.All(r => r.Outcome == ExpectationOutcome.Met), string.Join(", ", score.Results.Select(r => $"{r.Expectation.Id}={r.Outcome}")));
        Assert.Equal(100.0, score.Percent);

        var idle = ExpectationScorer.Score(drill, [], drill.Duration, finished: true);
        Assert.Equal((0, 0.0), (idle.Earned, idle.Percent));
        Assert.Equal(drill.Expectations.Count, idle.Count(ExpectationOutcome.Missed));
    }
}
