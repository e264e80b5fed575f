using System.Text.Json;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using Monitoring.Core.Tests.InventoryLoading;

namespace Monitoring.Core.Tests.Alarms;

/// <summary>Rule files are checked like every other profile file: each error at its file:line:column, all of them at once.</summary>
public sealed class RuleLoaderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alarm-rules-" + Guid.NewGuid().ToString("N"));

    public RuleLoaderTests() => Directory.CreateDirectory(_dir);

    [Fact]
    public void Unknown_keys_get_a_did_you_mean_at_their_position()
    {
        const string yaml = """
            rules:
              - id: cpu-high
                name: CPU
                severity: major
                message: m
                treshold: { metric: cpu.usage, above: 90 }
            """;
        var (errors, file) = Load(yaml);
        var message = TestProfiles.ErrorAt(errors, file, yaml, "treshold");
        Assert.Contains("did you mean 'threshold'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_severity_lists_the_allowed_ones()
    {
        const string yaml = """
            rules:
              - id: cpu-high
                name: CPU
                severity: urgent
                message: m
                threshold: { metric: cpu.usage, above: 90 }
            """;
        var (errors, file) = Load(yaml);
        Assert.Contains("warning, minor, major, critical", TestProfiles.ErrorAt(errors, file, yaml, "urgent"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_metric_no_model_in_scope_reports_is_an_error_with_the_closest_name()
    {
        const string yaml = """
            rules:
              - id: cpu-high
                name: CPU
                severity: major
                scope: { kind: server }
                message: m
                threshold: { metric: cpu.utilization, above: 90 }
            """;
        var (errors, file) = Load(yaml);
        var message = TestProfiles.ErrorAt(errors, file, yaml, "cpu.utilization");
        Assert.Contains("unknown metric 'cpu.utilization'", message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'cpu.usage'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2x")]
    [InlineData("-5s")]
    [InlineData("90")]
    [InlineData("1.5m")]
    [InlineData("m2")]
    public void A_bad_duration_is_an_error_at_the_value(string duration)
    {
        var yaml = $$"""
            rules:
              - id: cpu-high
                name: CPU
                severity: major
                message: m
                threshold: { metric: cpu.usage, above: 90, for: "{{duration}}" }
            """;
        var (errors, file) = Load(yaml);
        Assert.Contains("must be a duration such as 90s, 2m", TestProfiles.ErrorAt(errors, file, yaml, "\"" + duration), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("2m", 120)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d", 86400)]
    [InlineData("500ms", 0.5)]
    public void Durations_are_a_number_and_a_unit_possibly_several(string text, double seconds)
    {
        Assert.True(AlarmRuleLoader.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Fact]
    public void Unknown_scope_names_kinds_and_placeholders_and_missing_or_double_conditions_are_all_reported()
    {
        const string yaml = """
            rules:
              - id: a
                name: A
                severity: major
                scope: { device: asw-a99, kind: swich }
                message: "{devise}"
                threshold: { metric: cpu.usage, above: 90 }
              - id: b
                name: B
                severity: minor
                message: m
              - id: c
                name: C
                severity: minor
                message: m
                threshold: { metric: cpu.usage, above: 90 }
                absence: { intervals: 3 }
              - id: d
                name: D
                severity: minor
                message: m
                threshold: { metric: cpu.usage, above: 90, clear: 95 }
              - id: e
                name: E
                severity: minor
                message: m
                absence: { after: 1m }
              - id: e
                name: E again
                severity: minor
                message: m
                absence: { after: 2m }
            """;
        var (errors, file) = Load(yaml);
        Assert.Contains("did you mean 'asw-a01'", TestProfiles.ErrorAt(errors, file, yaml, "asw-a99"), StringComparison.Ordinal);
        Assert.Contains("must be one of", TestProfiles.ErrorAt(errors, file, yaml, "swich"), StringComparison.Ordinal);
        Assert.Contains("{devise}", TestProfiles.ErrorAt(errors, file, yaml, "\"{devise}\""), StringComparison.Ordinal);
        Assert.Contains("needs one condition", TestProfiles.ErrorAt(errors, file, yaml, "id: b"), StringComparison.Ordinal);
        Assert.Contains("has 2 conditions", TestProfiles.ErrorAt(errors, file, yaml, "id: c"), StringComparison.Ordinal);
        Assert.Contains("'clear' (95) must be at or below 'above'", TestProfiles.ErrorAt(errors, file, yaml, "95"), StringComparison.Ordinal);
        Assert.Contains("already used", TestProfiles.ErrorAt(errors, file, yaml, "id: e", occurrence: 2), StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_file_loads_every_kind_with_its_settings()
    {
        const string yaml = """
            rules:
              - id: t
                name: T
                severity: major
                scope: { role: db, room: demo }
                message: m
                threshold: { metric: cpu.usage, below: 5, clear: 10, for: 2m }
              - id: s
                name: S
                severity: minor
                scope: { kind: switch, port: [1, 2] }
                message: m
                state: { metric: interface.oper_status, values: { 2: critical }, while: { metric: interface.admin_status, in: [1] }, for: 10s }
              - id: e
                name: E
                severity: warning
                scope: { tag: { stack: "*" } }
                message: m
                event: { raise: [coldStart], autoClear: 10m }
            """;
        var result = LoadResult(yaml);
        Assert.True(result.Ok, string.Join(Environment.NewLine, result.Errors));
        var t = result.Rules.Find("t")!;
        Assert.Equal(new ThresholdCondition("cpu.usage", 5, false, 10, TimeSpan.FromMinutes(2)), t.Threshold);
        Assert.Equal(["db"], t.Scope.Roles);
        var s = result.Rules.Find("s")!;
        Assert.Equal(AlarmSeverity.Critical, s.State!.Values[2]);
        Assert.Equal("interface.admin_status", s.State.WhileMetric);
        Assert.Equal([1, 2], s.Scope.Ports);
        var e = result.Rules.Find("e")!;
        Assert.Equal(TimeSpan.FromMinutes(10), e.Event!.AutoClear);
        Assert.True(e.Scope.Matches(AlarmHarness.Demo.FindDevice("csw-1")!));
        Assert.False(e.Scope.Matches(AlarmHarness.Demo.FindDevice("asw-a01")!));
    }

    [Fact]
    public void Rules_schema_lists_exactly_the_keys_the_loader_accepts()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestProfiles.RepoProfiles, "schema", "rules.schema.json")));
        var root = schema.RootElement;
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", root.GetProperty("$schema").GetString());
        var defs = root.GetProperty("$defs");
        Assert.Equal(AlarmRuleLoader.Shapes.Select(s => s.Name).Order(StringComparer.Ordinal), defs.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var shape in AlarmRuleLoader.Shapes)
        {
            var def = defs.GetProperty(shape.Name);
            Assert.False(def.GetProperty("additionalProperties").GetBoolean(), $"{shape.Name}: additionalProperties must be false");
            var properties = def.GetProperty("properties");
            Assert.Equal(shape.Keys.Order(StringComparer.Ordinal), properties.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Equal(shape.Required.Order(StringComparer.Ordinal), def.GetProperty("required").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal));
            foreach (var (key, type) in shape.Enums ?? new Dictionary<string, Type>())
            {
                Assert.Equal(YamlEnum.Names(type), properties.GetProperty(key).GetProperty("enum").EnumerateArray().Select(e => e.GetString()!));
            }
        }

        var kinds = defs.GetProperty("scope").GetProperty("properties").GetProperty("kind").GetProperty("oneOf")[0].GetProperty("enum");
        Assert.Equal(YamlEnum.Names(typeof(DeviceKind)), kinds.EnumerateArray().Select(e => e.GetString()!));
        foreach (var reference in root.ToString().Split("\"$ref\"").Skip(1))
        {
            var target = reference.Split('"')[1];
            Assert.True(defs.TryGetProperty(target["#/$defs/".Length..], out _), $"{target} does not resolve");
        }

        foreach (var file in Directory.GetFiles(Path.Combine(TestProfiles.RepoProfiles, "rules"), "*.yaml"))
        {
            Assert.Equal("# yaml-language-server: $schema=../schema/rules.schema.json", File.ReadLines(file).First());
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void A_rule_whose_scope_matches_no_device_of_the_rooms_is_a_warning_and_is_left_out_while_the_others_load()
    {
        const string yaml = """
            rules:
              - id: firewalls
                name: 防火墙离线
                severity: major
                scope: { kind: firewall }
                message: "{deviceName} down"
                absence: { intervals: 3 }
              - id: other-room
                name: 别的机房的设备
                severity: minor
                scope: { device: [bj-core-router-7, asw-a01] }
                message: m
                threshold: { metric: cpu.usage, above: 90 }
              - id: cpu
                name: CPU
                severity: minor
                message: m
                threshold: { metric: cpu.usage, above: 90 }
            """;
        var result = LoadResult(yaml);

        Assert.True(result.Ok, string.Join(Environment.NewLine, result.Errors));
        Assert.Equal(["other-room", "cpu"], result.Rules.Rules.Select(r => r.Id));
        var file = Path.Combine(_dir, "rules.yaml");
        var noDevice = Assert.Single(result.Warnings, w => w.Message.Contains("rule 'firewalls' matches no device", StringComparison.Ordinal));
        Assert.Equal(new SourceLocation(file, 5, 12), noDevice.Location);
        var otherRoom = Assert.Single(result.Warnings, w => w.Message.Contains("no device 'bj-core-router-7'", StringComparison.Ordinal));
        Assert.Equal(11, otherRoom.Location.Line);
    }

    private (IReadOnlyList<ConfigError> Errors, string File) Load(string yaml)
    {
        var result = LoadResult(yaml);
        Assert.False(result.Ok, "expected errors");
        return (result.Errors, Path.Combine(_dir, "rules.yaml"));
    }

    private AlarmRuleLoadResult LoadResult(string yaml)
    {
        File.WriteAllText(Path.Combine(_dir, "rules.yaml"), yaml);
        return AlarmRuleLoader.LoadDirectory(_dir, AlarmHarness.Demo);
    }
}
