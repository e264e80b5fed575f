using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Tickets;

namespace Monitoring.Core.Tests.Tickets;

public class TicketWorkflowTests
{
    private readonly ServiceConfig _config = TicketTestConfig.Create();
    private readonly FakeTimeProvider _clock = new(TicketTestConfig.Start);

    private DateTimeOffset After(double minutes)
    {
        _clock.Advance(TimeSpan.FromMinutes(minutes));
        return _clock.GetUtcNow();
    }

    [Fact]
    public void Three_tier_timeline_records_every_step_with_who_and_when()
    {
        var t = TicketTestConfig.Hotline(_config, area: "north", at: _clock.GetUtcNow());
        Assert.True(t.Dispatch("centre-north", "noc.duty", After(1), _config).Ok);
        Assert.True(t.Receive("centre.desk", After(2), _config).Ok);
        Assert.True(t.Dispatch("team-north", "centre.desk", After(1), _config).Ok);
        Assert.True(t.Receive("m.north", After(1), _config).Ok);
        Assert.True(t.Accept("m.north", After(1), _config, "van-team-north").Ok);
        Assert.True(t.Depart("m.north", After(2)).Ok);
        Assert.True(t.Arrive("m.north", After(20)).Ok);
        Assert.True(t.Resolve("m.north", "replaced the SFP", [new TicketAttachment(default, "", "sfp.jpg", "image/jpeg", 1234, null)], After(10)).Ok);
        Assert.True(t.RecordCallback("noc.duty", true, "fine", After(30)).Ok);
        Assert.True(t.Close("noc.duty", null, After(1)).Ok);

        var expected = new (TicketStep Step, double Minute, string By)[]
        {
            (TicketStep.Reported, 0, "operator"), (TicketStep.Dispatched, 1, "noc.duty"), (TicketStep.CentreReceived, 3, "centre.desk"),
            (TicketStep.CentreDispatched, 4, "centre.desk"), (TicketStep.TeamReceived, 5, "m.north"), (TicketStep.Accepted, 6, "m.north"),
            (TicketStep.Departed, 8, "m.north"), (TicketStep.Arrived, 28, "m.north"), (TicketStep.Resolved, 38, "m.north"),
            (TicketStep.CalledBack, 68, "noc.duty"), (TicketStep.Closed, 69, "noc.duty"),
        };
        foreach (var (step, minute, by) in expected)
        {
            Assert.Equal(TicketTestConfig.Start.AddMinutes(minute), t.At(step));
            Assert.Equal(by, t.Steps[step].By);
        }

        Assert.Equal(TicketStatus.Closed, t.Status);
        Assert.Equal("sfp.jpg", Assert.Single(t.Attachments).Name);
        Assert.Equal(3, t.Tiers);
        Assert.Equal(["opened", "dispatched", "received", "dispatched", "received", "accepted", "departed", "arrived", "resolved", "called-back", "closed"],
            t.Audit.Select(a => a.Action).ToArray());
        Assert.Equal(Enumerable.Range(1, t.Audit.Count), t.Audit.Select(a => a.Seq));
    }

    [Fact]
    public void Commands_out_of_order_are_refused_and_change_nothing()
    {
        var t = TicketTestConfig.Hotline(_config);
        var audit = t.Audit.Count;
        Assert.Equal(TicketErrorKind.Conflict, t.Depart("x", After(1)).ErrorKind);
        Assert.Equal(TicketErrorKind.Conflict, t.Accept("x", After(1), _config).ErrorKind);
        Assert.Equal(TicketErrorKind.Conflict, t.Arrive("x", After(1)).ErrorKind);
        Assert.Equal(TicketErrorKind.Conflict, t.Close("x", null, After(1)).ErrorKind);
        Assert.Equal(TicketErrorKind.Conflict, t.RecordCallback("x", true, null, After(1)).ErrorKind);
        Assert.Equal(TicketErrorKind.Invalid, t.Dispatch("nobody", "x", After(1), _config).ErrorKind);
        Assert.Equal(TicketErrorKind.Invalid, t.Dispatch("centre-north", "x", After(1), _config).ErrorKind); // hq is two-tier
        Assert.Equal(TicketErrorKind.Invalid, t.Resolve("x", " ", null, After(1)).ErrorKind);
        Assert.Equal(audit, t.Audit.Count);
        Assert.Equal(TicketStatus.New, t.Status);

        var north = TicketTestConfig.Hotline(_config, area: "north");
        var error = north.Dispatch("team-north", "x", After(1), _config);
        Assert.Equal(TicketErrorKind.Invalid, error.ErrorKind);
        Assert.Contains("centre-north", error.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispatch_to_an_away_team_is_refused_with_the_reason()
    {
        var t = TicketTestConfig.Hotline(_config);
        var result = t.Dispatch("team-net", "noc", After(1), _config, TeamAvailability.Away, "training");
        Assert.Equal(TicketErrorKind.Conflict, result.ErrorKind);
        Assert.Contains("training", result.Error, StringComparison.Ordinal);
        Assert.False(t.Has(TicketStep.Dispatched));
    }

    [Fact]
    public void Recall_in_two_tiers_returns_to_the_noc_and_redispatch_restarts_B()
    {
        var t = TicketTestConfig.Hotline(_config);
        Assert.True(t.Dispatch("team-power", "noc", After(1), _config).Ok);
        Assert.True(t.Accept("m.power", After(1), _config).Ok);
        Assert.Equal(TicketErrorKind.Invalid, t.Recall("m.power", "", After(0), _config).ErrorKind);
        Assert.True(t.Recall("m.power", "network fault, not power", After(1), _config).Ok);

        Assert.Null(t.Holder);
        Assert.Equal(TicketStatus.New, t.Status);
        Assert.False(t.Has(TicketStep.Dispatched));
        Assert.False(t.Has(TicketStep.Accepted));
        Assert.Equal(1, t.Recalls);
        Assert.Contains(t.Notes, n => n.Text.Contains("network fault, not power", StringComparison.Ordinal));

        Assert.True(t.Dispatch("team-net", "noc", After(1), _config).Ok);
        Assert.Equal(TicketTestConfig.Start.AddMinutes(4), t.At(TicketStep.Dispatched));
        Assert.Equal("team-net", t.Holder);
        Assert.Equal(2, t.StepHistory.Count(s => s.Step == TicketStep.Dispatched));
    }

    [Fact]
    public void Recall_in_three_tiers_returns_to_the_centre_which_redispatches_D()
    {
        var t = TicketTestConfig.Hotline(_config, area: "north");
        Assert.True(t.Dispatch("centre-north", "noc", After(1), _config).Ok);
        Assert.True(t.Dispatch("team-north", "centre", After(1), _config).Ok);
        Assert.True(t.Recall("m.north", "wrong district", After(1), _config).Ok);

        Assert.Equal("centre-north", t.Holder);
        Assert.True(t.Has(TicketStep.Dispatched));
        Assert.True(t.Has(TicketStep.CentreReceived));
        Assert.False(t.Has(TicketStep.CentreDispatched));

        Assert.True(t.Dispatch("team-north2", "centre", After(1), _config).Ok);
        Assert.Equal("team-north2", t.Holder);
        Assert.Equal(TicketTestConfig.Start.AddMinutes(4), t.At(TicketStep.CentreDispatched));
        Assert.True(t.OtherBuilding); // centre in "North building", team in "Other building"
    }

    [Fact]
    public void Redispatch_before_acceptance_moves_the_ticket_and_after_acceptance_is_refused()
    {
        var t = TicketTestConfig.Hotline(_config);
        Assert.True(t.Dispatch("team-power", "noc", After(1), _config).Ok);
        Assert.True(t.Dispatch("team-net", "noc", After(1), _config).Ok);
        Assert.Equal("team-net", t.Holder);
        Assert.True(t.Accept("m.net", After(1), _config).Ok);
        Assert.Equal(TicketErrorKind.Conflict, t.Dispatch("team-far", "noc", After(1), _config).ErrorKind);
    }

    [Fact]
    public void Callback_once_after_resolve_and_complaints_need_review_follow_up_and_reply()
    {
        var t = TicketTestConfig.Hotline(_config, category: TicketCategory.Complaint, device: null);
        Assert.Equal([ComplaintAction.Review, ComplaintAction.FollowUp, ComplaintAction.Reply], t.ComplaintMissing);
        Assert.True(t.RecordComplaint(ComplaintAction.Review, "lead", "seen", After(1)).Ok);
        Assert.Equal(TicketErrorKind.Conflict, t.RecordComplaint(ComplaintAction.Review, "lead", null, After(1)).ErrorKind);
        Assert.Equal([ComplaintAction.FollowUp, ComplaintAction.Reply], t.ComplaintMissing);
        Assert.True(t.Resolve("lead", "explained", null, After(1)).Ok);
        Assert.True(t.RecordCallback("desk", false, "still unhappy", After(1)).Ok);
        Assert.Equal(TicketErrorKind.Conflict, t.RecordCallback("desk", true, null, After(1)).ErrorKind);
        Assert.False(t.Callback!.Satisfied);

        var blocked = t.Close("lead", null, After(1));
        Assert.Equal(TicketErrorKind.Conflict, blocked.ErrorKind);
        Assert.Contains("followed up", blocked.Error, StringComparison.Ordinal);
        Assert.Contains("replied to", blocked.Error, StringComparison.Ordinal);
        Assert.True(t.RecordComplaint(ComplaintAction.FollowUp, "lead", null, After(1)).Ok);
        Assert.True(t.RecordComplaint(ComplaintAction.Reply, "lead", "letter sent", After(1)).Ok);
        Assert.Empty(t.ComplaintMissing);
        Assert.True(t.Close("lead", null, After(1)).Ok);

        var fault = TicketTestConfig.Hotline(_config, id: 2);
        Assert.Equal(TicketErrorKind.Conflict, fault.RecordComplaint(ComplaintAction.Review, "lead", null, After(1)).ErrorKind);
        Assert.Empty(fault.ComplaintMissing);
    }

    [Fact]
    public void Links_notes_and_intercepted_reports_are_recorded()
    {
        var t = TicketTestConfig.Hotline(_config);
        Assert.True(t.AddLink(TicketLinkKind.Ticket, "7", "op", After(1)).Ok);
        Assert.Equal(TicketErrorKind.Conflict, t.AddLink(TicketLinkKind.Ticket, "7", "op", After(1)).ErrorKind);
        Assert.Equal(TicketErrorKind.Invalid, t.AddLink(TicketLinkKind.Ticket, "1", "op", After(1)).ErrorKind);
        Assert.True(t.AddNote("op", "called the vendor", After(1)).Ok);
        Assert.True(t.Intercept(new HotlineReport { By = "op2", Caller = new Caller("Li", "456", null, null), Description = "same switch" }, After(1)).Ok);
        Assert.Single(t.Reports);
        Assert.Contains(t.Links, l => l.Kind == TicketLinkKind.Device && l.Target == "csw-1");
        Assert.Contains(t.Audit, a => a.Action == "intercepted" && a.By == "op2");
    }

    [Fact]
    public void An_alarm_opens_a_ticket_at_A_now_keeping_its_raise_as_fault_began_and_its_suppressed_children_join_it()
    {
        var raised = _clock.GetUtcNow().AddMinutes(-5);
        var alarm = new AlarmFacts(100, raised, "ups-1", null, "demo", null, 4, "on battery", "ups-on-battery", null, [101, 102]);
        var t = Ticket.FromAlarm(1, alarm, _clock.GetUtcNow(), _config);

        Assert.Equal(_clock.GetUtcNow(), t.At(TicketStep.Reported)); // A: the ticket opened (issue 19), not the alarm's raise
        Assert.Equal(raised, t.FaultBeganAt);
        Assert.Equal(TicketChannel.Alarm, t.Channel);
        Assert.Equal(TicketPriority.Urgent, t.Priority);
        Assert.Equal("hq", t.AreaId); // the area that lists room demo
        Assert.Equal([100L, 101L, 102L], t.AlarmIds.ToArray());
        Assert.True(t.LinkAlarm(103, After(1), "engine"));
        Assert.False(t.LinkAlarm(101, After(1), "engine"));
        Assert.Equal(4, t.AlarmIds.Count());

        Assert.True(t.AlarmHasCleared(100, _clock.GetUtcNow(), After(1)).Ok);
        Assert.True(t.AlarmCleared);
        Assert.True(t.IsOpen);
        Assert.Contains(t.Notes, n => n.Text.Contains("alarm 100 cleared", StringComparison.Ordinal));
        Assert.Equal(TicketErrorKind.Invalid, t.AlarmHasCleared(999, _clock.GetUtcNow(), After(1)).ErrorKind);
    }
}
