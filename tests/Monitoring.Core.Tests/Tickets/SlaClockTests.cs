using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Tickets;

namespace Monitoring.Core.Tests.Tickets;

public class SlaClockTests
{
    private readonly ServiceConfig _config = TicketTestConfig.Create();
    private readonly FakeTimeProvider _clock = new(TicketTestConfig.Start);

    private DateTimeOffset After(double minutes)
    {
        _clock.Advance(TimeSpan.FromMinutes(minutes));
        return _clock.GetUtcNow();
    }

    /// <summary>Walks a three-tier ticket with every step taking its target + <paramref name="extra"/> minutes, except the checked one.</summary>
    [Theory]
    [InlineData("AB", 2.0)]
    [InlineData("BC", 4.0)]
    [InlineData("CD", 2.0)]
    [InlineData("DE", 2.0)]
    [InlineData("EF", 2.0)]
    [InlineData("FG", 3.0)]
    [InlineData("GH", 28.0)]
    public void Each_three_tier_segment_is_met_on_target_and_missed_by_how_much_past_it(string code, double target)
    {
        foreach (var (late, expected) in new[] { (0.0, SegmentState.Met), (0.5, SegmentState.Missed) })
        {
            var clock = new FakeTimeProvider(TicketTestConfig.Start);
            DateTimeOffset Step(string segment, double normal)
            {
                clock.Advance(TimeSpan.FromMinutes(segment == code ? target + late : normal));
                return clock.GetUtcNow();
            }

            var t = TicketTestConfig.Hotline(_config, area: "north");
            Assert.True(t.Dispatch("centre-north", "noc", Step("AB", 1), _config).Ok);
            Assert.True(t.Receive("centre", Step("BC", 1), _config).Ok);
            Assert.True(t.Dispatch("team-north", "centre", Step("CD", 1), _config).Ok);
            Assert.True(t.Receive("m.north", Step("DE", 1), _config).Ok);
            Assert.True(t.Accept("m.north", Step("EF", 1), _config).Ok);
            Assert.True(t.Depart("m.north", Step("FG", 1)).Ok);
            Assert.True(t.Arrive("m.north", Step("GH", 1)).Ok);

            var segments = SlaClock.Segments(t, _config.TargetsFor(t.Category, t.CustomerClass), clock.GetUtcNow());
            var segment = Assert.Single(segments, s => s.Code == code);
            Assert.Equal(expected, segment.State);
            Assert.Equal(target, segment.TargetMinutes);
            Assert.Equal(target + late, segment.ElapsedMinutes!.Value, 6);
            Assert.Equal(late > 0 ? late : null, segment.OverByMinutes);
            Assert.All(segments.Where(s => s.Code != code && s.Code != SlaClock.ToSite), s => Assert.Equal(SegmentState.Met, s.State));
        }
    }

    [Fact]
    public void Two_tier_layout_has_BE_with_the_DE_target_and_four_minutes_to_another_building()
    {
        var near = TicketTestConfig.Hotline(_config);
        Assert.True(near.Dispatch("team-net", "noc", After(1), _config).Ok);
        var far = TicketTestConfig.Hotline(_config, id: 2, at: TicketTestConfig.Start);
        Assert.True(far.Dispatch("team-far", "noc", _clock.GetUtcNow(), _config).Ok);
        Assert.True(far.OtherBuilding);
        Assert.False(near.OtherBuilding);

        var targets = _config.TargetsFor(TicketCategory.Fault, CustomerClass.Standard);
        Assert.Equal(["AB", "BE", "EF", "FG", "GH", "toSite"], SlaClock.Segments(near, targets, _clock.GetUtcNow()).Select(s => s.Code).ToArray());
        Assert.Equal(2, SlaClock.Segments(near, targets, _clock.GetUtcNow()).Single(s => s.Code == "BE").TargetMinutes);
        Assert.Equal(4, SlaClock.Segments(far, targets, _clock.GetUtcNow()).Single(s => s.Code == "BE").TargetMinutes);

        // 3 minutes after dispatch: the near team's BE is missed, the far team's still runs (warned inside the last minute)
        var now = After(3);
        Assert.Equal(SegmentState.Missed, SlaClock.Segments(near, targets, now).Single(s => s.Code == "BE").State);
        Assert.Equal(SegmentState.Warned, SlaClock.Segments(far, targets, now).Single(s => s.Code == "BE").State);
    }

    [Fact]
    public void The_clock_warns_one_minute_before_then_marks_missed_once_each()
    {
        var t = TicketTestConfig.Hotline(_config, at: _clock.GetUtcNow());
        var targets = _config.TargetsFor(t.Category, t.CustomerClass);
        Assert.Empty(SlaClock.Due(t, targets, _config, After(0.5)));
        Assert.Equal(SegmentState.Running, SlaClock.Segments(t, targets, _clock.GetUtcNow()).Single(s => s.Code == "AB").State);

        var warn = Assert.Single(SlaClock.Due(t, targets, _config, After(0.5)));
        Assert.Equal((ClockActionKind.Warn, "AB", ResponsibleParty.Noc), (warn.Kind, warn.Segment, warn.Responsible));
        Assert.Equal(TicketTestConfig.Start.AddMinutes(2), warn.Due);
        Assert.True(t.MarkWarned(warn.Segment, warn.Due, _clock.GetUtcNow()));
        Assert.False(t.MarkWarned(warn.Segment, warn.Due, _clock.GetUtcNow()));
        Assert.Empty(SlaClock.Due(t, targets, _config, After(0.5)));

        var miss = Assert.Single(SlaClock.Due(t, targets, _config, After(0.5)));
        Assert.Equal(ClockActionKind.Miss, miss.Kind);
        Assert.True(t.MarkMissed("AB", miss.Due, _clock.GetUtcNow()));
        Assert.Empty(SlaClock.Due(t, targets, _config, After(0.1)));
        var ab = SlaClock.Segments(t, targets, After(0.4)).Single(s => s.Code == "AB");
        Assert.Equal(SegmentState.Missed, ab.State);
        Assert.Equal(0.5, ab.OverByMinutes!.Value, 6);
        Assert.True(ab.Warned);
        Assert.Contains(t.Audit, a => a.Action == "warned" && a.By == "clock");
        Assert.Contains(t.Audit, a => a.Action == "missed" && a.Detail!.StartsWith("AB", StringComparison.Ordinal));
    }

    [Fact]
    public void Not_accepted_in_four_minutes_phone_the_receiver_then_the_supervisors()
    {
        var t = TicketTestConfig.Hotline(_config);
        Assert.True(t.Dispatch("team-net", "noc.duty", After(1), _config).Ok);
        var targets = _config.TargetsFor(t.Category, t.CustomerClass);

        bool Escalations(out ClockAction? action)
        {
            action = SlaClock.Due(t, targets, _config, _clock.GetUtcNow()).SingleOrDefault(a => a.Kind == ClockActionKind.Escalate);
            return action is not null;
        }

        After(3.9);
        Assert.False(Escalations(out _));
        After(0.1);
        Assert.True(Escalations(out var phone));
        Assert.Equal(EscalationLevel.PhoneReceiver, phone!.Level);
        Assert.True(t.Escalate(phone.Level, "phone", _clock.GetUtcNow()));
        After(3.9);
        Assert.False(Escalations(out _));
        After(0.1);
        Assert.True(Escalations(out var supervisors));
        Assert.Equal(EscalationLevel.Supervisors, supervisors!.Level);
        Assert.True(t.Escalate(supervisors.Level, "supervisors", _clock.GetUtcNow()));
        Assert.False(t.Escalate(EscalationLevel.PhoneReceiver, "again", _clock.GetUtcNow()));
        Assert.False(Escalations(out _));
        Assert.Equal(["escalated-phone", "escalated-supervisors"], t.Audit.Where(a => a.Action.StartsWith("escalated", StringComparison.Ordinal)).Select(a => a.Action));
    }

    [Fact]
    public void Acceptance_stops_the_escalation_and_a_redispatch_restarts_it()
    {
        var t = TicketTestConfig.Hotline(_config);
        var targets = _config.TargetsFor(t.Category, t.CustomerClass);
        Assert.True(t.Dispatch("team-net", "noc", After(1), _config).Ok);
        After(4);
        Assert.True(t.Escalate(EscalationLevel.PhoneReceiver, "phone", _clock.GetUtcNow()));
        Assert.True(t.Dispatch("team-far", "noc", After(0.5), _config).Ok);
        Assert.Equal(EscalationLevel.None, t.Escalation);
        Assert.DoesNotContain(SlaClock.Due(t, targets, _config, After(3)), a => a.Kind == ClockActionKind.Escalate);
        Assert.True(t.Accept("m.far", After(0.5), _config).Ok);
        Assert.DoesNotContain(SlaClock.Due(t, targets, _config, After(30)), a => a.Kind == ClockActionKind.Escalate);
    }

    [Fact]
    public void Centre_that_does_not_receive_is_escalated_too()
    {
        var t = TicketTestConfig.Hotline(_config, area: "north");
        var targets = _config.TargetsFor(t.Category, t.CustomerClass);
        Assert.True(t.Dispatch("centre-north", "noc", After(1), _config).Ok);
        Assert.Contains(SlaClock.Due(t, targets, _config, After(4)), a => a.Kind == ClockActionKind.Escalate && a.Level == EscalationLevel.PhoneReceiver);
        Assert.True(t.Receive("centre", _clock.GetUtcNow(), _config).Ok);
        Assert.False(t.AwaitingAcceptance(_config));
    }

    [Fact]
    public void Vip_and_category_lines_override_the_defaults_most_specific_last()
    {
        var config = TicketTestConfig.Create(
            new SlaOverride(null, CustomerClass.Vip, new Dictionary<string, double> { ["AB"] = 1, ["GH"] = 20 }),
            new SlaOverride(TicketCategory.Fault, CustomerClass.Vip, new Dictionary<string, double> { ["AB"] = 0.5 }),
            new SlaOverride(TicketCategory.Consultation, null, new Dictionary<string, double> { ["toSite"] = 90 }));
        Assert.Equal(2, config.TargetsFor(TicketCategory.Fault, CustomerClass.Standard).AB);
        Assert.Equal(0.5, config.TargetsFor(TicketCategory.Fault, CustomerClass.Vip).AB);
        Assert.Equal(20, config.TargetsFor(TicketCategory.Fault, CustomerClass.Vip).GH);
        Assert.Equal(1, config.TargetsFor(TicketCategory.Request, CustomerClass.Vip).AB);
        Assert.Equal(90, config.TargetsFor(TicketCategory.Consultation, CustomerClass.Standard).ToSite);
        Assert.Equal(45, config.TargetsFor(TicketCategory.Fault, CustomerClass.Standard).ToSite);

        var vip = TicketTestConfig.Hotline(config, customer: CustomerClass.Vip);
        var warn = Assert.Single(SlaClock.Due(vip, config.TargetsFor(vip.Category, vip.CustomerClass), config, TicketTestConfig.Start.AddSeconds(1)));
        Assert.Equal(TicketTestConfig.Start.AddMinutes(0.5), warn.Due);
    }

    [Fact]
    public void A_resolved_ticket_skips_what_never_happened_and_has_nothing_due()
    {
        var t = TicketTestConfig.Hotline(_config);
        Assert.True(t.Dispatch("team-net", "noc", After(1), _config).Ok);
        Assert.True(t.Resolve("noc", "fixed remotely", null, After(1)).Ok);
        var targets = _config.TargetsFor(t.Category, t.CustomerClass);
        var segments = SlaClock.Segments(t, targets, After(60));
        Assert.Equal(SegmentState.Met, segments.Single(s => s.Code == "AB").State);
        Assert.Equal(SegmentState.Skipped, segments.Single(s => s.Code == "GH").State);
        Assert.Empty(SlaClock.Due(t, targets, _config, _clock.GetUtcNow()));
        Assert.Null(SlaClock.NextDue(t, targets));
    }
}
