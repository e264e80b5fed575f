using Monitoring.Core.Inventory;
using Monitoring.Core.Tests.InventoryLoading;
using Monitoring.Core.Tickets;

namespace Monitoring.Core.Tests.Tickets;

/// <summary>Teams, areas and skills of service.yaml are named in both languages; the English names carry no Chinese.</summary>
public sealed class ServiceNamesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("service-names-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_shipped_team_area_and_skill_has_an_English_name()
    {
        var config = ServiceConfigLoader.Load(TestProfiles.RepoProfiles);
        Assert.NotEmpty(config.Skills);
        Assert.All(config.Teams, t => Assert.False(string.IsNullOrWhiteSpace(t.NameEn), $"team {t.Id} has no nameEn"));
        Assert.All(config.Areas, a => Assert.False(string.IsNullOrWhiteSpace(a.NameEn), $"area {a.Id} has no nameEn"));
        Assert.All(config.Skills, s => Assert.False(string.IsNullOrWhiteSpace(s.NameEn), $"skill {s.Id} has no nameEn"));
        Assert.All(config.Teams.SelectMany(t => t.Skills), s => Assert.Contains(config.Skills, k => k.Id == s));
        Assert.Equal("Network operations team", config.FindTeam("team-network")!.NameEn);
        Assert.Equal("网络运维班", config.FindTeam("team-network")!.Name);
        Assert.Equal(new ServiceSkill("power", "动力", "Power"), config.Skills.Single(s => s.Id == "power"));
    }

    [Fact]
    public void Chinese_in_nameEn_an_undeclared_skill_and_a_skill_named_twice_are_errors_at_their_position()
    {
        const string yaml = """
            areas:
              - { id: hq, name: 大楼, nameEn: 大楼 HQ }
            skills:
              - { id: network, name: 网络, nameEn: Network }
              - { id: network, name: 网络2 }
            teams:
              - id: team-a
                name: 甲班
                nameEn: Team A
                kind: field
                areas: [hq]
                skills: [network, plumbing]
                supervisors:
                  - { name: 王, phone: "1" }
                  - { name: 李, phone: "2" }
            """;
        var file = Path.Combine(_dir, "service.yaml");
        File.WriteAllText(file, yaml);
        var errors = Assert.Throws<ConfigException>(() => ServiceConfigLoader.LoadFiles([file])).Errors;
        Assert.Contains("'nameEn' is the English name but contains the Chinese character '大'", TestProfiles.ErrorAt(errors, file, yaml, "大楼 HQ"), StringComparison.Ordinal);
        Assert.Contains("skill 'network' is defined twice", TestProfiles.ErrorAt(errors, file, yaml, "network, name: 网络2", 1), StringComparison.Ordinal);
        Assert.Contains("skill 'plumbing', which 'skills' does not name", TestProfiles.ErrorAt(errors, file, yaml, "team-a"), StringComparison.Ordinal);
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void A_ticket_opened_by_an_alarm_describes_it_in_both_languages()
    {
        var facts = new AlarmFacts(7, TicketTestConfig.Start, "ups-1", null, "demo", null, 4, "1号UPS 运行模式：电池供电", "UPS 电池供电", null, [])
        {
            MessageEn = "1号UPS operating mode: on battery",
        };
        var ticket = Ticket.FromAlarm(1, facts, TicketTestConfig.Start.AddMinutes(1), TicketTestConfig.Create());
        Assert.Equal("1号UPS 运行模式：电池供电\n1号UPS operating mode: on battery", ticket.Description);

        var chineseOnly = Ticket.FromAlarm(2, facts with { MessageEn = null }, TicketTestConfig.Start.AddMinutes(1), TicketTestConfig.Create());
        Assert.Equal("1号UPS 运行模式：电池供电", chineseOnly.Description);
    }
}
