using System.Text.Json;
using Monitoring.Core.Inventory.Loading;
using Monitoring.Core.Simulation;
using Monitoring.Core.Tests.InventoryLoading;
using Monitoring.Core.Tickets;
using Monitoring.Core.Training;

namespace Monitoring.Core.Tests.Training;

public sealed class DrillLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drills-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string yaml)
    {
        var file = Path.Combine(_dir, name);
        File.WriteAllText(file, yaml);
        return file;
    }

    private static List<string> Messages(DrillLoadResult result) =>
        [.. result.Errors.Select(e => $"{e.Location.Line}:{e.Location.Column} {e.Message}")];

    private static void AssertError(DrillLoadResult result, string lineColumn, string fragment)
    {
        var messages = Messages(result);
        Assert.True(
            messages.Exists(m => m.StartsWith(lineColumn + " ", StringComparison.Ordinal) && m.Contains(fragment, StringComparison.Ordinal)),
            $"expected an error at {lineColumn} with \"{fragment}\"; got:\n{string.Join('\n', messages)}");
    }

    [Fact]
    public void The_three_shipped_drills_load_against_the_demo_room_in_both_languages()
    {
        var result = DrillLoader.LoadDirectory(DrillFixtures.DrillsFolder, DrillFixtures.References);

        Assert.True(result.Ok, string.Join(Environment.NewLine, result.Errors));
        Assert.Equal(["access-port-flapping", "raised-floor-leak", "ups-on-battery-night"], result.Drills.Select(d => d.Id).Order(StringComparer.Ordinal));
        foreach (var drill in result.Drills)
        {
            Assert.Equal("demo", drill.RoomId);
            Assert.False(string.IsNullOrWhiteSpace(drill.Name));
            Assert.False(string.IsNullOrWhiteSpace(drill.NameEn));
            Assert.False(string.IsNullOrWhiteSpace(drill.Description.Zh));
            Assert.False(string.IsNullOrWhiteSpace(drill.Description.En));
            Assert.NotEmpty(drill.Timeline);
            Assert.NotEmpty(drill.Expectations);
            Assert.All(drill.Expectations, e => Assert.True(e.Deadline <= drill.Duration, $"{drill.Id}/{e.Id} ends after the drill"));
        }

        var night = result.Find("ups-on-battery-night")!;
        Assert.Equal(new TimeOnly(2, 30), night.TimeOfDay);
        Assert.Equal("mains-failure", night.Timeline[0].SimulatorScenario);
        var close = night.Expectations.Single(e => e.Kind == ExpectationKind.Close);
        Assert.Equal(TimeSpan.FromMinutes(12), close.From);
        Assert.Equal(TimeSpan.FromMinutes(17), close.Deadline);
        var dispatch = night.Expectations.Single(e => e.Kind == ExpectationKind.Ticket);
        Assert.Equal((TicketCategory.Fault, "team-power", TimeSpan.FromSeconds(30)), (dispatch.Category!.Value, dispatch.TeamId!, dispatch.From));

        var flapping = result.Find("access-port-flapping")!;
        var drop = flapping.Timeline[0];
        Assert.Equal((DrillFaultKind.PortDown, "asw-a02", 14, TimeSpan.FromSeconds(20)), (drop.Kind, drop.DeviceId!, drop.PortIndex!.Value, drop.For!.Value));
        Assert.Null(drop.SimulatorScenario);
        var locate = flapping.Expectations.Single(e => e.Kind == ExpectationKind.Locate);
        Assert.Equal(("asw-a02", 14), (locate.DeviceId!, locate.PortIndex!.Value));

        var leak = result.Find("raised-floor-leak")!;
        Assert.Equal(("leak-1", "leak"), (leak.Timeline[0].DeviceId!, leak.Timeline[0].SimulatorScenario!));
        var drift = leak.Timeline.Single(s => s.Kind == DrillFaultKind.SensorDrift);
        Assert.Equal(("th-b01", "environment.temperature", 9.0, TimeSpan.FromMinutes(6)), (drift.DeviceId!, drift.Metric!, drift.By!.Value, drift.Over!.Value));
        Assert.Contains(leak.Expectations, e => e.Kind == ExpectationKind.Mute && e.Mute);
    }

    [Fact]
    public void Unknown_devices_ports_scenarios_rules_teams_and_categories_are_refused_with_file_line_and_column()
    {
        var file = Write("bad.yaml", """
            id: bad-drill
            name: 错误演练
            nameEn: Broken drill
            description: { zh: 中文, en: English }
            room: demo
            duration: 10m
            timeline:
              - { id: start, at: 10s, scenario: mains-failur }
              - { at: 20s, port-down: "asw-a02:99" }
              - { at: 30s, port-down: "asw-z99:1" }
              - { at: 40s, probe-leak: smoke-1 }
              - { at: 50s, device-silent: tr-srv-1 }
              - { at: 1m, sensor-drift: th-b01, metric: environment.pressure, by: 3, over: 2m }
              - { at: 1m10s, trap-storm: ups-1, rate: 100, for: 30s }
              - { at: 1m20s, scenario: leak, probe-leak: leak-1 }
              - { at: 1m30s, port-up: "asw-a02:3", rate: 5 }
              - { at: 11m, scenario: leak-clear }
            expect:
              - { acknowledge: ups-on-batery, within: 2m }
              - { ticket: fault, team: team-plumbing }
              - { ticket: outage }
              - { close: water-leak, after: restore }
              - { acknowledge: ups-on-battery, device: asw-a01 }
              - { locate: "asw-a02:GE9/9/9" }
              - { mute: false, within: 20m }
              - { within: 1m }
            """);

        var result = DrillLoader.LoadFiles([file], DrillFixtures.References);

        Assert.False(result.Ok);
        Assert.Empty(result.Drills);
        Assert.All(result.Errors, e => Assert.Equal(file, e.Location.File));
        AssertError(result, "8:37", "no scenario 'mains-failur'; did you mean 'mains-failure'?");
        AssertError(result, "9:27", "device 'asw-a02' (model huawei-s5735-l48t4x) has no port '99'");
        AssertError(result, "10:27", "no device 'asw-z99'");
        AssertError(result, "11:28", "'smoke-1' is not a water-leak probe");
        AssertError(result, "12:31", "device 'tr-srv-1' is in room 'training', not in the drill's room 'demo'");
        AssertError(result, "13:45", "has no metric 'environment.pressure'");
        AssertError(result, "14:30", "device 'ups-1' sends no SNMP notifications");
        AssertError(result, "15:5", "a timeline step has one fault, found 'scenario' and 'probe-leak'");
        AssertError(result, "16:40", "'rate' does not go with 'port-up'");
        AssertError(result, "17:11", "comes after the drill's end (10m)");
        AssertError(result, "19:20", "no alarm rule 'ups-on-batery'; did you mean 'ups-on-battery'?");
        AssertError(result, "20:28", "no team 'team-plumbing'");
        AssertError(result, "21:15", "'ticket' must be one of fault, request, complaint, consultation; found 'outage'");
        AssertError(result, "22:33", "no step 'restore' in this drill's timeline");
        AssertError(result, "23:44", "alarm rule 'ups-on-battery' does not apply to device 'asw-a01'");
        AssertError(result, "24:15", "device 'asw-a02' (model huawei-s5735-l48t4x) has no port 'GE9/9/9'");
        AssertError(result, "25:28", "the window ends at 20m10s, after the drill's end (10m)");
        AssertError(result, "26:5", "an expectation needs one action: acknowledge, locate, ticket, mute, close");
    }

    [Fact]
    public void Quizzes_are_read_with_their_answer_and_bad_ones_are_refused_with_file_line_and_column()
    {
        var file = Write("quiz.yaml", """
            id: quiz-drill
            name: 测验演练
            nameEn: Quiz drill
            description: { zh: 中文, en: English }
            room: demo
            duration: 10m
            timeline:
              - { at: 10s, scenario: mains-failure }
            expect:
              - { locate: ups-1 }
            quiz:
              - { id: port, at: 1m, ask: { zh: 找端口, en: "Find the port, please" }, answer: "asw-a02:GigabitEthernet0/0/24", within: 90s, points: 20 }
              - { id: ups, at: 30s, ask: { zh: 找 UPS, en: Find the UPS }, answer: ups-2 }
              - { id: bad-port, at: 2m, ask: { zh: 甲, en: a }, answer: "asw-a02:99" }
              - { id: bad-device, at: 2m, ask: { zh: 乙, en: b }, answer: ups-9 }
              - { id: ups, at: 11m, ask: { zh: 丙 }, answer: ups-1 }
            """);

        var result = DrillLoader.LoadFiles([file], DrillFixtures.References);

        AssertError(result, "14:60", "has no port '99'");
        AssertError(result, "15:62", "no device 'ups-9'");
        AssertError(result, "16:11", "quiz 'ups' is named twice");
        AssertError(result, "16:20", "comes after the drill's end");
        AssertError(result, "16:30", "en");
        Assert.Empty(result.Drills);

        var good = Write("good.yaml", File.ReadAllText(file).Split("  - { id: bad-port")[0]);
        var drill = Assert.Single(DrillLoader.LoadFiles([good], DrillFixtures.References).Drills);
        Assert.Equal(["ups", "port"], drill.Quizzes.Select(q => q.Id));
        var port = drill.Quizzes[1];
        Assert.Equal(("asw-a02", 24, "GigabitEthernet0/0/24", TimeSpan.FromSeconds(90), 20, "Find the port, please"),
            (port.DeviceId, port.PortIndex!.Value, port.PortName!, port.Within, port.Points, port.Ask.En));
        var ups = drill.Quizzes[0];
        Assert.Equal(("ups-2", (int?)null, DrillLoader.DefaultQuizWithin, DrillLoader.DefaultPoints), (ups.DeviceId, ups.PortIndex, ups.Within, ups.Points));
    }

    [Fact]
    public void A_file_that_is_not_a_drill_names_its_missing_and_unknown_keys()
    {
        var file = Write("shape.yaml", """
            id: shape
            name: 形状
            description: { zh: 中文 }
            room: demo
            duration: forever
            timelime: []
            expect: []
            """);

        var result = DrillLoader.LoadFiles([file], DrillFixtures.References);

        AssertError(result, "1:1", "drill is missing required key 'nameEn'");
        AssertError(result, "1:1", "drill is missing required key 'timeline'");
        AssertError(result, "3:14", "drill description is missing required key 'en'");
        AssertError(result, "5:11", "'duration' must be a duration");
        AssertError(result, "6:1", "unknown key 'timelime' in drill; did you mean 'timeline'?");
        AssertError(result, "7:9", "a drill needs at least one expected response");
    }

    [Fact]
    public void A_drill_for_a_room_that_is_not_loaded_is_left_out_with_a_warning_not_an_error()
    {
        var file = Write("elsewhere.yaml", """
            id: elsewhere
            name: 别处
            nameEn: Elsewhere
            description: { zh: 中文, en: English }
            room: demo-2
            duration: 5m
            timeline: [{ at: 0s, port-down: "asw-x01:1" }]
            expect: [{ locate: asw-x01 }]
            """);

        var result = DrillLoader.LoadFiles([file], DrillFixtures.References);

        Assert.True(result.Ok, string.Join('\n', Messages(result)));
        Assert.Empty(result.Drills);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal((5, 7), (warning.Location.Line, warning.Location.Column));
        Assert.Contains("drill 'elsewhere' is written for room 'demo-2', which is not loaded; did you mean 'demo'?", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Windows_open_at_the_first_step_by_default_and_run_to_the_end_steps_are_put_in_time_order()
    {
        var file = Write("defaults.yaml", """
            id: defaults
            name: 默认
            nameEn: Defaults
            description: { zh: 中文, en: English }
            room: demo
            duration: 30m
            timeline:
              - { id: later, at: 5m, scenario: cooling-restore }
              - { id: first, at: 1m, scenario: cooling-failure }
              - { at: 2m, device-silent: leak-1, for: 1m }
              - { at: 3m, device-silent: asw-a03 }
            expect:
              - { locate: ac-1 }
              - { id: back, close: aircon-fault, after: later, within: 10m, points: 30 }
            """);

        var result = DrillLoader.LoadFiles([file], DrillFixtures.References);

        Assert.True(result.Ok, string.Join('\n', Messages(result)));
        var drill = Assert.Single(result.Drills);
        Assert.Equal(["first", null, null, "later"], drill.Timeline.Select(s => s.Id));
        var locate = drill.Expectations[0];
        Assert.Equal(("e1", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(29), DrillLoader.DefaultPoints), (locate.Id, locate.From, locate.Within, locate.Points));
        Assert.Equal(("back", TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), 30), (drill.Expectations[1].Id, drill.Expectations[1].From, drill.Expectations[1].Deadline, drill.Expectations[1].Points));

        // a silent MQTT probe is the simulator's probe-die on that probe; a silent switch waits for a session's simulator
        Assert.Equal(("probe-die", "leak-1"), (drill.Timeline[1].SimulatorScenario, drill.Timeline[1].SimulatorDevice));
        Assert.Null(drill.Timeline[2].SimulatorScenario);
    }

    [Fact]
    public void A_drill_id_used_twice_is_refused_at_the_second()
    {
        const string Yaml = """
            id: twice
            name: 两次
            nameEn: Twice
            description: { zh: 中文, en: English }
            room: demo
            duration: 5m
            timeline: [{ at: 0s, scenario: door-open }]
            expect: [{ acknowledge: door-open }]
            """;
        var a = Write("a.yaml", Yaml);
        var b = Write("b.yaml", Yaml);

        var result = DrillLoader.LoadFiles([a, b], DrillFixtures.References);

        var error = Assert.Single(result.Errors);
        Assert.Equal((b, 1, 5), (error.Location.File, error.Location.Line, error.Location.Column));
        Assert.Contains("drill 'twice' is defined twice", error.Message, StringComparison.Ordinal);
        Assert.Single(result.Drills);
    }

    [Fact]
    public void The_json_schema_lists_exactly_the_keys_and_names_the_loader_accepts()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestProfiles.RepoProfiles, "schema", "drill.schema.json")));
        var defs = schema.RootElement.GetProperty("$defs");
        foreach (var shape in DrillLoader.Shapes)
        {
            var def = defs.GetProperty(shape.Name);
            Assert.False(def.GetProperty("additionalProperties").GetBoolean());
            Assert.Equal(shape.Keys.Order(StringComparer.Ordinal), def.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            var required = def.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!).ToList() : [];
            Assert.Equal(shape.Required.Order(StringComparer.Ordinal), required.Order(StringComparer.Ordinal));
        }

        var step = defs.GetProperty("step").GetProperty("properties");
        Assert.Equal(ScenarioCatalog.RoomScenarios, step.GetProperty("scenario").GetProperty("enum").EnumerateArray().Select(e => e.GetString()!));
        var expectation = defs.GetProperty("expectation").GetProperty("properties");
        Assert.Equal(YamlEnum.Names(typeof(TicketCategory)), expectation.GetProperty("ticket").GetProperty("enum").EnumerateArray().Select(e => e.GetString()!));
    }
}
