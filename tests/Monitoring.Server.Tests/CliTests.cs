using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Mqtt.Probes;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Inventory;
using Monitoring.Server.Hosting;
using Monitoring.Simulator.Snmp;

namespace Monitoring.Server.Tests;

/// <summary>
/// The executable as an operator runs it: the built monitoring.dll in a child process, from a temp working folder.
/// Only <c>run</c> starts the server; help, a missing or unknown verb print usage and exit 2 and leave nothing behind.
/// </summary>
public sealed class CliTests : IDisposable
{
    private readonly string _cwd = Directory.CreateTempSubdirectory("monitoring-cli-").FullName;

    public void Dispose() => Directory.Delete(_cwd, recursive: true);

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    [InlineData("bogus")]
    [InlineData("run", "--help")]
    [InlineData("run", "-h")]
    [InlineData("validate")]
    [InlineData("validate", "--help")]
    [InlineData("poll")]
    [InlineData("poll", "--help")]
    [InlineData("poll", "asw-a03", "-h")]
    [InlineData("snmp")]
    [InlineData("snmp", "--help")]
    [InlineData("snmp", "set", "127.0.0.1", "1.3.6.1.2.1.1.5.0")]
    [InlineData("snmp", "get", "--help")]
    [InlineData("snmp", "walk", "-h")]
    [InlineData("modbus")]
    [InlineData("modbus", "--help")]
    [InlineData("modbus", "write")]
    [InlineData("modbus", "read", "--help")]
    public async Task Help_and_a_missing_or_unknown_verb_print_usage_and_exit_2_without_starting_the_server(params string[] args)
    {
        var (exit, output, error) = await RunAsync(_cwd, args);

        Assert.True(exit == 2, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("usage: monitoring", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening", output + error, StringComparison.Ordinal);
        // the server would have created ./data (SQLite, the first administrator) in the working folder
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cwd));
    }

    [Fact]
    public async Task Version_prints_the_version_and_exits_0()
    {
        var (exit, output, _) = await RunAsync(_cwd, "--version");

        Assert.Equal(0, exit);
        Assert.Matches(@"^monitoring \d+\.\d+\.\d+", output.Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cwd));
    }

    [Fact]
    public async Task Validate_takes_relative_paths_from_the_callers_working_folder()
    {
        CopyShippedProfiles(Path.Combine(_cwd, "mine"));

        var (exit, output, error) = await RunAsync(_cwd, "validate", "mine", Path.Combine("mine", "rooms", "demo.yaml"));

        Assert.True(exit == 0, output + error);
        Assert.Contains("mine: ok", output, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("mine", "rooms", "demo.yaml") + ": ok", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_cwd, "data")));
    }

    [Fact]
    public async Task Validate_fails_on_a_room_that_names_a_missing_profile_with_file_line_and_column()
    {
        var root = Path.Combine(_cwd, "profiles");
        CopyShippedProfiles(root);
        var demo = Path.Combine(root, "rooms", "demo.yaml");
        var lines = await File.ReadAllLinesAsync(demo);
        var at = Array.FindIndex(lines, l => l.Contains("id: pdu-a02,", StringComparison.Ordinal));
        lines[at] = lines[at].Replace("profile: snmp/pdu,", "profile: snmp/no-such-pdu,", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(demo, lines);
        var column = lines[at].IndexOf("snmp/no-such-pdu", StringComparison.Ordinal) + 1;

        var (exit, output, error) = await RunAsync(_cwd, "validate", "profiles");

        Assert.True(exit == 1, output + error);
        Assert.Contains($"{Path.Combine("profiles", "rooms", "demo.yaml")}:{at + 1}:{column}: device 'pdu-a02' names profile 'snmp/no-such-pdu', which does not exist", error, StringComparison.Ordinal);
        Assert.Contains("profiles: 1 error(s)", output, StringComparison.Ordinal);

        // the room file on its own is checked against the profiles beside it too
        (exit, _, error) = await RunAsync(_cwd, "validate", Path.Combine("profiles", "rooms", "demo.yaml"));
        Assert.Equal(1, exit);
        Assert.Contains($"demo.yaml:{at + 1}:{column}: device 'pdu-a02'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_that_matches_no_device_of_a_custom_room_is_a_warning_not_a_refusal()
    {
        var root = Path.Combine(_cwd, "custom");
        CopyShippedProfiles(root);
        foreach (var file in Directory.GetFiles(Path.Combine(root, "rooms")))
        {
            File.Delete(file);
        }

        // a small room with one switch: most default rules (UPS, PDU, sensors, probes) match nothing in it
        await File.WriteAllTextAsync(Path.Combine(root, "rooms", "small.yaml"), """
            id: small
            name: 小机房
            size: { width: 6, depth: 5, height: 3 }
            rows:
              - id: A
                name: A 列
                racks:
                  - id: A01
                    name: A01
                    x: 2
                    z: 2
                    devices:
                      - { id: sw-1, name: 交换机, model: huawei-s5735-l48t4x, u: 20, address: 10.0.0.2, profile: snmp/if-mib }
            """);

        var (exit, output, error) = await RunAsync(_cwd, "validate", "custom");

        Assert.True(exit == 0, output + error);
        Assert.Contains("warning: the scope of rule", error, StringComparison.Ordinal);
        Assert.Matches(@"custom: ok, \d+ warning\(s\)", output);
        Assert.Matches(@"rules[/\\]default\.yaml:\d+:\d+: warning: ", error);

        // and the server builds (starts) with it: the warnings are logged, the rules that match are loaded
        await using var app = ServerHost.Build(["--profiles", root, "--data", Path.Combine(_cwd, "data"), "--simulator", "false", "--urls", "http://127.0.0.1:0"]);
        var warnings = app.Services.GetRequiredService<ConfigurationWarnings>();
        Assert.Contains(warnings.Items, w => w.Message.Contains("matches no device", StringComparison.Ordinal));
    }

    [Fact]
    public void The_demo_room_has_no_device_whose_profile_is_missing_and_every_snmp_device_has_a_simulated_agent()
    {
        var profiles = PathResolver.ProfilesDirectory(new MonitoringOptions());
        var inventory = InventoryLoader.Load(profiles);
        var snmp = SnmpProfileLoader.LoadFolder(profiles);
        var loaded = new LoadedProfiles(snmp, ModbusProfileLoader.LoadFolder(profiles), ProbeProfileLoader.LoadFolder(profiles), new HashSet<string>());

        var report = ConfigurationValidator.CheckReferences(inventory, loaded);

        Assert.Empty(report.Errors);
        var withProfile = inventory.Devices.Where(d => d.Profile is not null).ToList();
        Assert.Equal(0, withProfile.Count(d => !snmp.ContainsKey(d.Profile!) && !loaded.Modbus.ContainsKey(d.Profile!) && !loaded.Mqtt.ContainsKey(d.Profile!)));
        var snmpDevices = withProfile.Where(d => d.Profile!.StartsWith("snmp/", StringComparison.Ordinal)).Select(d => d.Id).ToHashSet();
        Assert.Contains("pdu-a01", snmpDevices);
        Assert.Contains("stor-c01", snmpDevices);
        var room = new SnmpDemoRoom(inventory, snmp.Keys, 7, "unused");
        Assert.Equal(snmpDevices.Order(), room.ServedDeviceIds.Order());
    }

    internal static void CopyShippedProfiles(string target)
    {
        var shipped = PathResolver.ProfilesDirectory(new MonitoringOptions());
        foreach (var file in Directory.GetFiles(shipped, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(shipped, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }

    internal static async Task<(int Exit, string Output, string Error)> RunAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "monitoring.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // a verb that started the server instead of exiting: stop it, and fail with what it printed
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, await stdout, await stderr);
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
