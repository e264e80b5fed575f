using System.Text.Json;
using Monitoring.Core.Inventory;
using Monitoring.Core.Tickets;

namespace Monitoring.Core.Tests.Tickets;

public sealed class ServiceConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("service-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RepoProfiles()
    {
        var dir = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(dir, "device-profiles", "service")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new DirectoryNotFoundException("device-profiles/service not found above the test binaries");
        }

        return Path.Combine(dir, "device-profiles");
    }

    [Fact]
    public void The_shipped_demo_organisation_loads()
    {
        var config = ServiceConfigLoader.Load(RepoProfiles());
        Assert.NotNull(config.Noc);
        Assert.Contains(config.Teams, t => t.Kind == TeamKind.Centre);
        var field = config.Teams.Where(t => t.Kind == TeamKind.Field).ToList();
        Assert.InRange(field.Count, 3, 4);
        Assert.All(field, t => Assert.Equal(2, t.Supervisors.Count));
        Assert.Contains(field, t => t.Building != config.Noc!.Building);
        Assert.Contains(config.Areas, a => a.Tiers == 3 && config.FindTeam(a.CentreId)?.Kind == TeamKind.Centre);
        Assert.Equal("hq", config.AreaForRoom("demo"));
        Assert.True(config.TargetsFor(TicketCategory.Fault, CustomerClass.Vip).AB < config.TargetsFor(TicketCategory.Fault, CustomerClass.Standard).AB);
    }

    [Fact]
    public void Errors_name_file_line_and_column()
    {
        var file = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(file, """
            areas:
              - { id: north, name: North, tiers: 3 }
            teams:
              - id: t1
                name: Team 1
                kind: field
                areas: [south]
                supervisors:
                  - { name: A, phone: "1" }
              - { id: c1, name: C, kind: centre, colour: red }
            targets:
              - { category: fault, AB: -1 }
            """);
        var ex = Assert.Throws<ConfigException>(() => ServiceConfigLoader.LoadFiles([file]));
        var messages = ex.Errors.Select(e => $"{e.Location.Line}:{e.Location.Column} {e.Message}").ToList();
        Assert.True(messages.Exists(m => m.StartsWith("2:5 ", StringComparison.Ordinal) && m.Contains("centre", StringComparison.Ordinal)), string.Join('\n', messages));
        Assert.True(messages.Exists(m => m.StartsWith("7:13 ", StringComparison.Ordinal) && m.Contains("'south'", StringComparison.Ordinal)), string.Join('\n', messages));
        Assert.True(messages.Exists(m => m.StartsWith("9:7 ", StringComparison.Ordinal) && m.Contains("two supervisors", StringComparison.Ordinal)), string.Join('\n', messages));
        Assert.True(messages.Exists(m => m.Contains("unknown key 'colour'", StringComparison.Ordinal)), string.Join('\n', messages));
        Assert.True(messages.Exists(m => m.StartsWith("12:28 ", StringComparison.Ordinal) && m.Contains("'AB'", StringComparison.Ordinal)), string.Join('\n', messages));
        Assert.All(ex.Errors, e => Assert.Equal(file, e.Location.File));
    }

    [Fact]
    public void No_service_folder_means_one_default_two_tier_area_and_default_targets()
    {
        var config = ServiceConfigLoader.Load(_dir);
        Assert.Equal(2, Assert.Single(config.Areas).Tiers);
        Assert.Equal(SlaTargets.Default, config.TargetsFor(TicketCategory.Fault, CustomerClass.Standard));
    }

    [Fact]
    public void The_json_schema_lists_exactly_the_keys_the_loader_accepts()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoProfiles(), "schema", "service.schema.json")));
        var defs = schema.RootElement.GetProperty("$defs");
        foreach (var shape in ServiceConfigLoader.Shapes)
        {
            var properties = defs.GetProperty(shape.Name).GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);
            Assert.Equal(shape.Keys.Order(StringComparer.Ordinal), properties);
        }
    }
}
