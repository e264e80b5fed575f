using Monitoring.Core.Tickets;

namespace Monitoring.Core.Tests.Tickets;

public class ServiceReportTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly ServiceConfig _config = TicketTestConfig.Create();

    /// <summary>A two-tier ticket whose steps are the given minutes after A (null = not reached).</summary>
    private static TicketFacts Facts(long id, DateTimeOffset a, string area, string team, double?[] minutes, bool? satisfied = null,
        string? device = null, int? port = null, DateTimeOffset? due = null, int intercepted = 0)
    {
        var steps = new DateTimeOffset?[11];
        steps[0] = a;
        int[] map = [1, 4, 5, 6, 7, 8, 9, 10]; // B, E, F, G, H, resolved, called back, closed
        for (var i = 0; i < minutes.Length; i++)
        {
            steps[map[i]] = minutes[i] is { } m ? a.AddMinutes(m) : null;
        }

        return new TicketFacts
        {
            Id = id,
            AreaId = area,
            TeamId = team,
            Tiers = 2,
            Steps = steps,
            Satisfied = satisfied,
            DeviceId = device,
            Port = port,
            DueAt = due,
            Intercepted = intercepted,
            DeviceType = "Switch",
        };
    }

    [Fact]
    public void Segments_compliance_means_p90_callbacks_repeats_and_overdue()
    {
        var now = Day.AddDays(5);
        var facts = new List<TicketFacts>
        {
            // before the period: only an earlier fault for the repeat rule
            Facts(1, Day.AddDays(-2), "hq", "team-net", [1, 2, 3, 5, 30, 60, 90, 100], device: "csw-1"),
            // AB 1 (met), BE 1 (met), EF 1, FG 2, GH 25: on site in 30
            Facts(2, Day.AddHours(1), "hq", "team-net", [1, 2, 3, 5, 30, 60, 90, 100], satisfied: true, device: "csw-1"),
            // AB 3 (missed), BE 3 (missed), EF 1, FG 2, GH 40 (missed): on site in 49 (missed)
            Facts(3, Day.AddHours(2), "hq", "team-net", [3, 6, 7, 9, 49, 70, null, null], device: "csw-1", port: 3),
            // still open, overdue, reported 4 days before "now"
            Facts(4, Day.AddDays(1), "north", "team-north", [1, null, null, null, null, null, null, null], due: Day.AddDays(1).AddMinutes(3), intercepted: 2),
            // outside the period
            Facts(5, Day.AddDays(10), "hq", "team-net", [1, 2, 3, 4, 5, 6, 7, 8]),
        };

        var report = ServiceReport.Compute(facts, Day, Day.AddDays(3), ReportGrouping.Team, _config, now);
        var all = report.All;
        Assert.Equal(3, all.Tickets);
        Assert.Equal([2, 1, 0], all.PerDay.Select(d => d.Count));
        var ab = all.Segments.Single(s => s.Code == "AB");
        Assert.Equal((3, 2, 1), (ab.Count, ab.Met, ab.Missed));
        Assert.Equal(Math.Round(5.0 / 3, 3), ab.MeanMinutes);
        Assert.Equal(3, ab.P90Minutes);
        var toSite = all.Segments.Single(s => s.Code == SlaClock.ToSite);
        Assert.Equal((2, 1, 1), (toSite.Count, toSite.Met, toSite.Missed));
        Assert.Equal(39.5, toSite.MeanMinutes);
        Assert.DoesNotContain(all.Segments, s => s.Code == "BC");

        var team = all.Compliance.Single(c => c.Responsible == ResponsibleParty.Team);
        Assert.Equal((5, 1), (team.Met, team.Missed)); // EF x2, FG x2, GH 1 met; GH 1 missed
        Assert.Equal(Math.Round((3.0 + 7) / 2, 3), all.MttaMinutes);
        Assert.Equal(65, all.MttrMinutes);
        Assert.Equal(100, all.TimeToCloseMinutes);
        Assert.Equal((2, 1, 0.5, 1.0), (all.Resolved, all.CalledBack, all.CallbackCoverage!.Value, all.SatisfactionRate!.Value));
        Assert.Equal(2, all.RepeatFaults); // #2 after #1 (device), #3 after #2 (same device, a port of it)
        Assert.Equal(1, all.Overdue);
        Assert.Equal(1, all.OlderThan3Days);
        Assert.Equal(2, all.Intercepted);

        Assert.Equal(["team-net", "team-north"], report.Groups.Select(g => g.Key));
        Assert.Equal(2, report.Groups[0].Tickets);

        var csv = report.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, csv.Length);
        Assert.StartsWith("group,tickets,AB_count", csv[0], StringComparison.Ordinal);
        Assert.StartsWith("all,3,3,1.667,3,0.667,", csv[1], StringComparison.Ordinal);
        Assert.StartsWith("team-north,1,", csv[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Facts_of_a_ticket_carry_its_steps_and_callback()
    {
        var t = TicketTestConfig.Hotline(_config);
        Assert.True(t.Dispatch("team-far", "noc", TicketTestConfig.Start.AddMinutes(1), _config).Ok);
        Assert.True(t.Accept("m.far", TicketTestConfig.Start.AddMinutes(2), _config).Ok);
        var facts = TicketFacts.Of(t, null);
        Assert.Equal(TicketTestConfig.Start.AddMinutes(2), facts.Steps[(int)TicketStep.TeamReceived]);
        Assert.True(facts.OtherBuilding);
        Assert.True(facts.Open);

        var report = ServiceReport.Compute([facts], TicketTestConfig.Start.AddHours(-1), TicketTestConfig.Start.AddHours(1), ReportGrouping.Area, _config, TicketTestConfig.Start.AddMinutes(5));
        var be = report.All.Segments.Single(s => s.Code == "BE");
        Assert.Equal((1, 0), (be.Met, be.Missed)); // 1 minute against the other-building target 4
    }
}
