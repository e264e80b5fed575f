using System.Text.Json;
using Monitoring.Collectors.Mqtt.Probes;
using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Mqtt.Tests.Probes;

public sealed class ProbeProfileLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mqtt-profiles-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_shipped_probe_profile_loads_and_every_demo_probe_that_names_it_takes_one_of_its_values()
    {
        var profile = ProbeTestData.Profiles["mqtt/probe"];
        Assert.Equal(TimeSpan.FromSeconds(30), profile.Staleness);
        Assert.Equal("site/+/probe/+/status", profile.LastWill!.Pattern.SubscriptionFilter);
        Assert.Equal("offline"u8.ToArray(), profile.LastWill.OfflinePayload);
        Assert.Contains(profile.Topics, t => t.Format == ProbePayloadFormat.Json && t.TimestampUnit == ProbeTimestampUnit.Milliseconds);

        var probes = ProbeTestData.Inventory.Devices.Where(d => d.Profile == "mqtt/probe").Select(d => d.Id).ToList();
        Assert.Contains("leak-1", probes);
        Assert.Contains("smoke-1", probes);
        Assert.Contains("door-1", probes);
        foreach (var id in probes)
        {
            var device = ProbeTestData.Inventory.FindDevice(id)!;
            Assert.Contains(profile.Topics.SelectMany(t => t.Values), v => device.Model.FindMetric(v.Metric) is not null);
            Assert.NotNull(device.Model.FindMetric("probe.online"));
        }
    }

    [Fact]
    public void Errors_name_file_line_and_column_and_all_of_them_are_reported_together()
    {
        var path = Write("bad.yaml", """
            name: broken
            stalenessSeconds: 0
            topics:
              - topic: "site/{room}/probe/#"
                device: "{probe}"
                format: json
                values: [{ path: leak, metric: probe.leak }]
              - topic: "site/{room}/probe/{probe}/t"
                device: "{sensor}"
                format: number
                values: [{ metric: environment.temperature }]
              - topic: "site/{room}/x/{probe}"
                device: "{probe}"
                format: xml
              - topic: "a/{p}"
                device: "{p}"
                format: number
                values: [{ path: v, metric: x.y, unit: furlongs }]
              - topic: "b/{p}"
                device: "{p}"
                format: json
                timestmap: ts
                values: [{ path: v, metric: x.y, map: { wet: "very" } }]
            """);
        var errors = ProbeProfileLoader.Validate(path);
        string At(int line, int column) => $"{path}:{line}:{column}";
        var text = errors.Select(e => e.ToString()).ToList();

        Assert.True(text.Any(e => e.StartsWith(At(2, 19), StringComparison.Ordinal) && e.Contains("'stalenessSeconds' must be at least 1", StringComparison.Ordinal)), string.Join(Environment.NewLine, text));
        Assert.True(text.Any(e => e.StartsWith(At(4, 12), StringComparison.Ordinal) && e.Contains("'#' is not allowed", StringComparison.Ordinal)), string.Join(Environment.NewLine, text));
        Assert.True(text.Any(e => e.StartsWith(At(9, 13), StringComparison.Ordinal) && e.Contains("'{sensor}' is not a capture", StringComparison.Ordinal) && e.Contains("{room}, {probe}", StringComparison.Ordinal)), string.Join(Environment.NewLine, text));
        Assert.True(text.Any(e => e.StartsWith(At(14, 13), StringComparison.Ordinal) && e.Contains("'format' must be one of json, number, lineProtocol; found 'xml'", StringComparison.Ordinal)), string.Join(Environment.NewLine, text));
        Assert.True(text.Any(e => e.StartsWith(At(18, 22), StringComparison.Ordinal) && e.Contains("a plain number has no 'path'", StringComparison.Ordinal)), string.Join(Environment.NewLine, text));
        Assert.True(text.Any(e => e.StartsWith(At(18, 44), StringComparison.Ordinal) && e.Contains("'unit' must be one of", StringComparison.Ordinal)), string.Join(Environment.NewLine, text));
        Assert.True(text.Any(e => e.StartsWith(At(22, 5), StringComparison.Ordinal) && e.Contains("unknown key 'timestmap' in topic; did you mean 'timestamp'?", StringComparison.Ordinal)), string.Join(Environment.NewLine, text));
        Assert.True(text.Any(e => e.StartsWith(At(23, 50), StringComparison.Ordinal) && e.Contains("'wet' must map to a number", StringComparison.Ordinal)), string.Join(Environment.NewLine, text));
        Assert.Throws<ConfigException>(() => ProbeProfileLoader.LoadFile(path));
    }

    [Fact]
    public void A_folder_with_two_bad_files_reports_both_and_a_valid_one_is_keyed_by_its_file_name()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "mqtt"));
        File.WriteAllText(Path.Combine(_dir, "mqtt", "one.yaml"), "name: one\ntopics:\n  - { topic: \"a/{p}\", device: \"{p}\" }\n");
        File.WriteAllText(Path.Combine(_dir, "mqtt", "two.yaml"), "name: two\ntopics: []\n");
        var ex = Assert.Throws<ConfigException>(() => ProbeProfileLoader.LoadFolder(_dir));
        Assert.Contains(ex.Errors, e => e.Location.File.EndsWith("one.yaml", StringComparison.Ordinal) && e.Message.Contains("missing required key 'format'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Location.File.EndsWith("two.yaml", StringComparison.Ordinal) && e.Message.Contains("at least one topic", StringComparison.Ordinal));

        File.Delete(Path.Combine(_dir, "mqtt", "one.yaml"));
        File.WriteAllText(Path.Combine(_dir, "mqtt", "two.yaml"), "name: two\ntopics:\n  - { topic: \"a/{p}\", device: \"{p}\", format: lineProtocol }\n");
        var loaded = ProbeProfileLoader.LoadFolder(_dir);
        Assert.Equal(["mqtt/two"], loaded.Keys);
        Assert.Equal(ProbeTimestampUnit.Nanoseconds, loaded["mqtt/two"].Topics[0].TimestampUnit);
        Assert.Equal(TimeSpan.FromSeconds(ProbeProfileLoader.DefaultStalenessSeconds), loaded["mqtt/two"].Staleness);
    }

    [Fact]
    public void The_json_schema_lists_exactly_the_keys_the_loader_accepts()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(ProbeTestData.Root, "schema", "mqtt.schema.json")));
        var defs = schema.RootElement.GetProperty("$defs");
        string[] Keys(string def) => [.. defs.GetProperty(def).GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
        string[] Required(string def) => [.. defs.GetProperty(def).GetProperty("required").EnumerateArray().Select(p => p.GetString()!).Order(StringComparer.Ordinal)];

        Assert.Equal(ProbeProfileLoader.ShapeKeys("profile").Keys.Order(StringComparer.Ordinal), Keys("profile"));
        Assert.Equal(ProbeProfileLoader.ShapeKeys("topic").Keys.Order(StringComparer.Ordinal), Keys("topic"));
        Assert.Equal(ProbeProfileLoader.ShapeKeys("value").Keys.Order(StringComparer.Ordinal), Keys("value"));
        Assert.Equal(ProbeProfileLoader.ShapeKeys("lastWill").Keys.Order(StringComparer.Ordinal), Keys("lastWill"));
        Assert.Equal(ProbeProfileLoader.ShapeKeys("profile").Required.Order(StringComparer.Ordinal), Required("profile"));
        Assert.Equal(ProbeProfileLoader.ShapeKeys("topic").Required.Order(StringComparer.Ordinal), Required("topic"));
        Assert.Equal(ProbeProfileLoader.ShapeKeys("value").Required.Order(StringComparer.Ordinal), Required("value"));
        Assert.Equal(ProbeProfileLoader.ShapeKeys("lastWill").Required.Order(StringComparer.Ordinal), Required("lastWill"));

        // the enums agree too
        string[] Enum(string def, string key) => [.. defs.GetProperty(def).GetProperty("properties").GetProperty(key).GetProperty("enum").EnumerateArray().Select(e => e.GetString()!)];
        Assert.Equal(Units.Known, Enum("value", "unit"));
        foreach (var format in Enum("topic", "format"))
        {
            foreach (var unit in Enum("topic", "timestampUnit"))
            {
                var ok = format switch
                {
                    "number" => false,
                    "lineProtocol" => unit != "rfc3339",
                    _ => true,
                };
                var values = format == "number" ? "[{ metric: a.b }]" : format == "json" ? "[{ path: v, metric: a.b }]" : "[{ path: m.f, metric: a.b }]";
                var path = Write($"{format}-{unit}.yaml", $"name: x\ntopics:\n  - {{ topic: \"a/{{p}}\", device: \"{{p}}\", format: {format}, timestampUnit: {unit}, values: {values} }}\n");
                Assert.Equal(ok, ProbeProfileLoader.Validate(path).Count == 0);
            }
        }

        // a file using every key the schema lists loads without error
        var all = Write("all-keys.yaml", """
            name: all keys
            document: a manual
            stalenessSeconds: 12.5
            lastWill: { topic: "s/{p}/status", device: "{p}", offline: gone, online: here }
            topics:
              - topic: "s/{p}/state"
                device: "{p}"
                format: json
                timestamp: ts
                timestampUnit: rfc3339
                values: [{ metric: a.b, path: x.y, map: { on: 1 }, scale: 2, offset: 1, unit: °F }]
            """);
        Assert.Empty(ProbeProfileLoader.Validate(all));

        // and a key outside the schema is refused
        var extra = Write("extra.yaml", "name: x\nqos: 1\ntopics:\n  - { topic: \"a/{p}\", device: \"{p}\", format: number, values: [{ metric: a.b }] }\n");
        Assert.Contains("unknown key 'qos'", Assert.Single(ProbeProfileLoader.Validate(extra)).Message, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
