namespace Monitoring.Server.Tests.Training;

/// <summary>
/// Issue 21's "done when": a drill file with an unknown device or scenario is refused with file:line:col by
/// <c>monitoring validate</c>, run as an operator runs it (the built executable in a child process).
/// </summary>
public sealed class ValidateDrillTests : IDisposable
{
    private readonly string _cwd = Directory.CreateTempSubdirectory("monitoring-drills-").FullName;

    public void Dispose() => Directory.Delete(_cwd, recursive: true);

    [Fact]
    public async Task A_drill_with_an_unknown_device_or_scenario_is_refused_with_file_line_and_column()
    {
        var root = Path.Combine(_cwd, "profiles");
        CliTests.CopyShippedProfiles(root);
        var (exit, output, error) = await CliTests.RunAsync(_cwd, "validate", "profiles");
        Assert.True(exit == 0, "the shipped profiles, drills included, validate: " + output + error);

        var drill = Path.Combine(root, "drills", "raised-floor-leak.yaml");
        var lines = await File.ReadAllLinesAsync(drill);
        var leakAt = Array.FindIndex(lines, l => l.Contains("probe-leak: leak-1", StringComparison.Ordinal));
        var dryAt = Array.FindIndex(lines, l => l.Contains("scenario: leak-clear", StringComparison.Ordinal));
        lines[leakAt] = lines[leakAt].Replace("probe-leak: leak-1", "probe-leak: leak-9", StringComparison.Ordinal);
        lines[dryAt] = lines[dryAt].Replace("scenario: leak-clear", "scenario: leak-dry", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(drill, lines);
        var deviceColumn = lines[leakAt].IndexOf("leak-9", StringComparison.Ordinal) + 1;
        var scenarioColumn = lines[dryAt].IndexOf("leak-dry", StringComparison.Ordinal) + 1;
        var relative = Path.Combine("profiles", "drills", "raised-floor-leak.yaml");

        (exit, output, error) = await CliTests.RunAsync(_cwd, "validate", "profiles");

        Assert.True(exit == 1, output + error);
        Assert.Contains($"{relative}:{leakAt + 1}:{deviceColumn}: no device 'leak-9'", error, StringComparison.Ordinal);
        Assert.Contains($"{relative}:{dryAt + 1}:{scenarioColumn}: no scenario 'leak-dry'", error, StringComparison.Ordinal);
        Assert.Contains("profiles: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("profiles: ok", output, StringComparison.Ordinal);

        // the drill file on its own is checked against the rooms, rules and teams beside it
        (exit, output, error) = await CliTests.RunAsync(_cwd, "validate", relative);
        Assert.True(exit == 1, output + error);
        Assert.Contains($"{relative}:{leakAt + 1}:{deviceColumn}: no device 'leak-9'", error, StringComparison.Ordinal);
        Assert.Contains($"{relative}: 2 error(s)", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_cwd, "data")));
    }

    [Fact]
    public async Task A_drill_quiz_with_an_unknown_device_or_port_is_refused_with_file_line_and_column()
    {
        var root = Path.Combine(_cwd, "profiles");
        CliTests.CopyShippedProfiles(root);
        var flapping = Path.Combine(root, "drills", "access-port-flapping.yaml");
        var night = Path.Combine(root, "drills", "ups-on-battery-night.yaml");
        var portLines = await File.ReadAllLinesAsync(flapping);
        var nightLines = await File.ReadAllLinesAsync(night);
        var portAt = Array.FindIndex(portLines, l => l.Contains("answer: \"asw-a02:24\"", StringComparison.Ordinal));
        var deviceAt = Array.FindIndex(nightLines, l => l.Contains("answer: ups-2", StringComparison.Ordinal));
        Assert.True(portAt >= 0 && deviceAt >= 0, "the shipped drills have their quizzes");
        portLines[portAt] = portLines[portAt].Replace("asw-a02:24", "asw-a02:99", StringComparison.Ordinal);
        nightLines[deviceAt] = nightLines[deviceAt].Replace("ups-2", "ups-9", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(flapping, portLines);
        await File.WriteAllLinesAsync(night, nightLines);
        var portColumn = portLines[portAt].IndexOf('"', StringComparison.Ordinal) + 1;
        var deviceColumn = nightLines[deviceAt].IndexOf("ups-9", StringComparison.Ordinal) + 1;

        var (exit, output, error) = await CliTests.RunAsync(_cwd, "validate", "profiles");

        Assert.True(exit == 1, output + error);
        var flappingPath = Path.Combine("profiles", "drills", "access-port-flapping.yaml");
        var nightPath = Path.Combine("profiles", "drills", "ups-on-battery-night.yaml");
        Assert.Contains($"{flappingPath}:{portAt + 1}:{portColumn}: device 'asw-a02' (model huawei-s5735-l48t4x) has no port '99'", error, StringComparison.Ordinal);
        Assert.Contains($"{nightPath}:{deviceAt + 1}:{deviceColumn}: no device 'ups-9'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_down_on_an_unknown_switch_and_a_misspelt_room_scenario_are_refused_where_they_are_written()
    {
        var root = Path.Combine(_cwd, "profiles");
        CliTests.CopyShippedProfiles(root);

        // the port's device:port form: the error points at the value, and names the device, not the port
        var flapping = Path.Combine(root, "drills", "access-port-flapping.yaml");
        var lines = await File.ReadAllLinesAsync(flapping);
        var dropAt = Array.FindIndex(lines, l => l.Contains("id: first-drop", StringComparison.Ordinal));
        lines[dropAt] = lines[dropAt].Replace("\"asw-a02:14\"", "\"asw-a09:14\"", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(flapping, lines);
        var portColumn = lines[dropAt].IndexOf("\"asw-a09:14\"", StringComparison.Ordinal) + 1;

        // a room scenario of the simulator misspelt in another drill: refused with the nearest known name
        var night = Path.Combine(root, "drills", "ups-on-battery-night.yaml");
        var nightLines = await File.ReadAllLinesAsync(night);
        var offAt = Array.FindIndex(nightLines, l => l.Contains("scenario: mains-failure", StringComparison.Ordinal));
        nightLines[offAt] = nightLines[offAt].Replace("scenario: mains-failure", "scenario: mains-fail", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(night, nightLines);
        var scenarioColumn = nightLines[offAt].IndexOf("mains-fail", StringComparison.Ordinal) + 1;

        var (exit, output, error) = await CliTests.RunAsync(_cwd, "validate", "profiles");

        Assert.True(exit == 1, output + error);
        var flappingRelative = Path.Combine("profiles", "drills", "access-port-flapping.yaml");
        var nightRelative = Path.Combine("profiles", "drills", "ups-on-battery-night.yaml");
        Assert.Contains($"{flappingRelative}:{dropAt + 1}:{portColumn}: no device 'asw-a09'", error, StringComparison.Ordinal);
        Assert.Contains($"{nightRelative}:{offAt + 1}:{scenarioColumn}: no scenario 'mains-fail'; did you mean 'mains-failure'?", error, StringComparison.Ordinal);
        Assert.DoesNotContain("raised-floor-leak.yaml:", error, StringComparison.Ordinal);
        Assert.Contains("profiles: 2 error(s)", output, StringComparison.Ordinal);
    }
}
