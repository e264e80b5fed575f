using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Tickets;

namespace Monitoring.Core.Tests.Tickets;

/// <summary>
/// Issue 19, ticket clocks: point A of an alarm's ticket is when the ticket opened, the alarm's raise is kept as
/// "fault began"; the report shows fault→ticket beside the A..H segments and counts days in the site's time zone.
/// </summary>
public sealed class TicketClockTests
{
    private readonly FakeTimeProvider _clock = new(TicketTestConfig.Start);
    private readonly ServiceConfig _config = TicketTestConfig.Create();

    [Fact]
    public void An_alarm_ticket_opened_long_after_the_raise_is_not_overdue_and_keeps_when_the_fault_began()
    {
        var opened = _clock.GetUtcNow();
        var raised = opened.AddMinutes(-42);
        var alarm = new AlarmFacts(7, raised, "ups-1", null, "demo", null, 4, "on battery", "ups-on-battery", null, []);
        var ticket = Ticket.FromAlarm(1, alarm, opened, _config);
        var targets = _config.TargetsFor(ticket.Category, ticket.CustomerClass);

        Assert.Equal(opened, ticket.ReportedAt);
        Assert.Equal(raised, ticket.FaultBeganAt);
        Assert.Equal(42, ticket.FaultToTicketMinutes);
        Assert.Empty(SlaClock.Due(ticket, targets, _config, opened)); // no warning, no miss at opening
        var ab = SlaClock.Segments(ticket, targets, opened).Single(s => s.Code == "AB");
        Assert.Equal(SegmentState.Running, ab.State);
        Assert.Equal(opened.AddMinutes(targets.AB), ab.Due);
        Assert.True(SlaClock.NextDue(ticket, targets) > opened);

        // a copy (what every command works on) keeps it
        Assert.Equal(raised, ticket.Copy().FaultBeganAt);
    }

    [Fact]
    public void A_raise_stamped_after_the_opening_is_never_kept_later_than_A()
    {
        var opened = _clock.GetUtcNow();
        var alarm = new AlarmFacts(8, opened.AddSeconds(3), "ups-1", null, "demo", null, 4, "on battery", "ups-on-battery", null, []);
        var ticket = Ticket.FromAlarm(1, alarm, opened, _config);
        Assert.Equal(opened, ticket.FaultBeganAt);
        Assert.Equal(0, ticket.FaultToTicketMinutes);
    }

    [Fact]
    public void A_hotline_ticket_has_no_fault_time()
    {
        var ticket = TicketTestConfig.Hotline(_config);
        Assert.Null(ticket.FaultBeganAt);
        Assert.Null(ticket.FaultToTicketMinutes);
    }

    private static TicketFacts Facts(long id, DateTimeOffset a, DateTimeOffset? faultBegan = null, double? abMinutes = null)
    {
        var steps = new DateTimeOffset?[11];
        steps[0] = a;
        steps[1] = abMinutes is { } m ? a.AddMinutes(m) : null;
        return new TicketFacts { Id = id, AreaId = "hq", Tiers = 2, Steps = steps, FaultBeganAt = faultBegan, DeviceType = "Ups" };
    }

    [Fact]
    public void The_report_shows_fault_to_ticket_beside_the_segments()
    {
        var day = new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);
        var facts = new List<TicketFacts>
        {
            Facts(1, day.AddHours(1), faultBegan: day.AddHours(1).AddMinutes(-5), abMinutes: 2),
            Facts(2, day.AddHours(2), faultBegan: day.AddHours(2).AddMinutes(-15), abMinutes: 1),
            Facts(3, day.AddHours(3), abMinutes: 4), // a hotline ticket: no fault time
        };

        var report = ServiceReport.Compute(facts, day, day.AddDays(1), ReportGrouping.Area, _config, day.AddDays(2));

        var fault = report.All.FaultToTicket;
        Assert.Equal(2, fault.Count);
        Assert.Equal(10, fault.MeanMinutes);
        Assert.Equal(15, fault.P90Minutes);
        Assert.Equal(15, fault.MaxMinutes);
        var ab = report.All.Segments.Single(s => s.Code == "AB");
        Assert.Equal(3, ab.Count);
        Assert.Equal(7.0 / 3, ab.MeanMinutes!.Value, 3); // AB from A (the ticket's opening), not from the fault
        var csv = report.ToCsv().Split('\n');
        Assert.EndsWith(",fault_to_ticket_count,fault_to_ticket_mean_min,fault_to_ticket_p90_min,fault_to_ticket_max_min", csv[0], StringComparison.Ordinal);
        Assert.EndsWith(",2,10,15,15", csv[1], StringComparison.Ordinal);
    }

    [Theory]
    // 23:30 on 21 Nov in New York (UTC-5) is 04:30 UTC on the 22nd: it counts on the 21st
    [InlineData("America/New_York", "2026-11-22T04:30:00Z", "2026-11-21")]
    // 00:30 on 22 Nov in Shanghai (UTC+8) is 16:30 UTC on the 21st: it counts on the 22nd
    [InlineData("Asia/Shanghai", "2026-11-21T16:30:00Z", "2026-11-22")]
    [InlineData("UTC", "2026-11-21T16:30:00Z", "2026-11-21")]
    public void Days_are_the_sites_calendar_days(string zoneId, string at, string expectedDay)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var a = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture);
        var from = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
        var to = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

        var report = ServiceReport.Compute([Facts(1, a)], from, to, ReportGrouping.Area, _config, to, zone);

        var counted = Assert.Single(report.All.PerDay, d => d.Count > 0);
        Assert.Equal(DateOnly.Parse(expectedDay, System.Globalization.CultureInfo.InvariantCulture), counted.Date);
        Assert.Equal(1, counted.Count);
        Assert.Equal(zoneId, report.TimeZone);
        // the day list runs over the period's local days, first to last
        Assert.Equal(ServiceReport.LocalDay(from, zone), report.All.PerDay[0].Date);
        Assert.Equal(ServiceReport.LocalDay(to.AddTicks(-1), zone), report.All.PerDay[^1].Date);
        Assert.Equal(report.All.PerDay.Count, report.All.PerDay.Select(d => d.Date).Distinct().Count());
    }
}
