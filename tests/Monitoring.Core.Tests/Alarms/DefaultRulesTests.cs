using Monitoring.Core.Alarms;
using Monitoring.Core.Tests.InventoryLoading;

namespace Monitoring.Core.Tests.Alarms;

public sealed class DefaultRulesTests
{
    private static string RulesDir => Path.Combine(TestProfiles.RepoProfiles, "rules");

    [Fact]
    public void Shipped_rules_load_without_errors_and_cover_every_rule_kind()
    {
        var loaded = AlarmRuleLoader.LoadDirectory(RulesDir, AlarmHarness.Demo);
        Assert.True(loaded.Ok, string.Join(Environment.NewLine, loaded.Errors));
        Assert.Equal(Enum.GetValues<AlarmRuleKind>().Order(), loaded.Rules.Rules.Select(r => r.Kind).Distinct().Order());
        Assert.All(loaded.Rules.Rules, r => Assert.False(string.IsNullOrWhiteSpace(r.NameEn)));
        Assert.Contains(loaded.Rules.Rules, r => r.Id == "device-unreachable" && r.Down);
    }

    [Fact]
    public void A_healthy_demo_room_reporting_every_poll_trips_none_of_the_shipped_rules()
    {
        // every shipped rules file, as the server loads the folder (each file has its own top-level rules: list)
        using var h = new AlarmHarness(Directory.GetFiles(RulesDir, "*.yaml").Order(StringComparer.Ordinal));
        for (var i = 0; i < 20; i++)
        {
            h.Heartbeat();
            h.Advance(TimeSpan.FromSeconds(30));
        }

        Assert.Empty(h.Engine.Active);
        Assert.Empty(h.Events);
    }
}
