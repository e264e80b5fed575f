using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Tests.InventoryLoading;
using Monitoring.Core.Tickets;
using Monitoring.Core.Training;

namespace Monitoring.Core.Tests.Training;

/// <summary>What the shipped drills are checked against: the repository's rooms, rules and service file, loaded once.</summary>
internal static class DrillFixtures
{
    private static readonly Lazy<DrillReferences> Shipped = new(() =>
    {
        var inventory = InventoryLoader.Load(TestProfiles.RepoProfiles);
        var rules = AlarmRuleLoader.LoadDirectory(Path.Combine(TestProfiles.RepoProfiles, "rules"), inventory);
        Assert.True(rules.Ok, string.Join(Environment.NewLine, rules.Errors));
        var service = ServiceConfigLoader.Load(TestProfiles.RepoProfiles);
        return new DrillReferences(inventory, rules.Rules, [.. service.Teams.Select(t => t.Id)]);
    });

    public static DrillReferences References => Shipped.Value;

    public static string DrillsFolder => Path.Combine(TestProfiles.RepoProfiles, DrillLoader.Folder);
}
