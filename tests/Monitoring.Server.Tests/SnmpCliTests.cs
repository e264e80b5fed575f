using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Collectors.Snmp.Security;
using Monitoring.Core.Inventory;
using Monitoring.Server.Hosting;
using Monitoring.Simulator.Snmp;

namespace Monitoring.Server.Tests;

/// <summary>net-snmp's snmpd (Debian package snmpd) on a free loopback port in a temp dir, for the CLI tests.</summary>
public sealed class CliSnmpd : IAsyncLifetime
{
    private Process? _process;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("snmpd-cli-").FullName;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        if (!File.Exists("/usr/sbin/snmpd"))
        {
            throw new InvalidOperationException("/usr/sbin/snmpd is missing: install the Debian package 'snmpd' (apt-get install -y snmpd snmp).");
        }

        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        var conf = Path.Combine(Directory, "snmpd.conf");
        await File.WriteAllTextAsync(conf, $"""
            agentAddress udp:127.0.0.1:{Port}
            rocommunity cli-community 127.0.0.1
            createUser cliuser SHA-256 "cli-auth-pass" AES "cli-priv-pass"
            rouser cliuser priv
            sysName cli-host
            """);
        var start = new ProcessStartInfo("/usr/sbin/snmpd") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-f", "-Lo", "-C", "-c", conf, "-p", Path.Combine(Directory, "pid") })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["SNMP_PERSISTENT_DIR"] = Directory;
        start.Environment["MIBS"] = string.Empty;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (var i = 0; i < 150; i++)
        {
            var (code, output, _) = await SnmpCliTests.RunAsync(SnmpCommands.RunAsync, "get", $"127.0.0.1:{Port}", "sysName.0", "-c", "cli-community", "-t", "0.2", "-r", "0");
            if (code == 0 && output.Contains("cli-host", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("snmpd did not answer within 15 s");
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>The verbs <c>snmp get|walk</c> against snmpd (compared with net-snmp's own tools) and <c>poll DEVICE</c> for an SNMP device.</summary>
public sealed class SnmpCliTests(CliSnmpd snmpd) : IClassFixture<CliSnmpd>
{
    private string Target => $"127.0.0.1:{snmpd.Port}";

    [Fact]
    public async Task Get_prints_like_snmpget()
    {
        var (code, output, error) = await RunAsync(SnmpCommands.RunAsync, "get", Target, "1.3.6.1.2.1.1.5.0", "sysUpTime.0", "1.3.6.1.2.1.2.2.1.2.1", "-v", "2c", "-c", "cli-community");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(".1.3.6.1.2.1.1.5.0 = STRING: \"cli-host\"", lines[0]);
        Assert.Matches(@"^\.1\.3\.6\.1\.2\.1\.1\.3\.0 = Timeticks: \(\d+\) \d+:\d\d:\d\d\.\d\d$", lines[1]);
        var (_, netSnmp, _) = await Tool("snmpget", "-v2c", "-c", "cli-community", "-On", Target, "1.3.6.1.2.1.2.2.1.2.1");
        Assert.Equal(netSnmp.Trim(), lines[2]);
    }

    [Fact]
    public async Task Walk_of_iftable_matches_snmpwalk_line_for_line_except_counters()
    {
        var (code, output, error) = await RunAsync(SnmpCommands.RunAsync, "walk", Target, "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.8", "-c", "cli-community");
        Assert.True(code == 0, error);
        var (toolCode, netSnmp, toolError) = await Tool("snmpbulkwalk", "-v2c", "-c", "cli-community", "-On", Target, "1.3.6.1.2.1.2.2.1.2");
        Assert.True(toolCode == 0, toolError);
        var (_, netSnmpOper, _) = await Tool("snmpbulkwalk", "-v2c", "-c", "cli-community", "-On", Target, "1.3.6.1.2.1.2.2.1.8");
        var expected = (netSnmp + netSnmpOper).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected, output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(".1.3.6.1.2.1.2.2.1.2.1 = STRING: \"lo\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task V3_authPriv_get_works_and_a_wrong_password_is_said_plainly()
    {
        var (code, output, error) = await RunAsync(SnmpCommands.RunAsync, "get", Target, "sysName.0", "-v", "3", "-u", "cliuser", "-l", "authPriv", "-a", "SHA-256", "-A", "cli-auth-pass", "-x", "AES", "-X", "cli-priv-pass");
        Assert.True(code == 0, error);
        Assert.Equal(".1.3.6.1.2.1.1.5.0 = STRING: \"cli-host\"", output.Trim());

        (code, _, error) = await RunAsync(SnmpCommands.RunAsync, "get", Target, "sysName.0", "-v", "3", "-u", "cliuser", "-l", "authPriv", "-a", "SHA-256", "-A", "wrong-auth-pass", "-x", "AES", "-X", "cli-priv-pass", "-r", "0");
        Assert.Equal(1, code);
        Assert.Contains("password", error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("wrong-auth-pass", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_usage_exits_2_with_the_usage()
    {
        var (code, _, error) = await RunAsync(SnmpCommands.RunAsync, "get", Target);
        Assert.Equal(2, code);
        Assert.Contains("usage: monitoring snmp", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Poll_of_a_demo_switch_prints_its_values_from_a_simulated_agent()
    {
        var profiles = PathResolver.ProfilesDirectory(new MonitoringOptions());
        var inventory = InventoryLoader.Load(profiles);
        await using var room = new SnmpDemoRoom(inventory, SnmpProfileLoader.LoadFolder(profiles).Keys, 7, "cli-demo-community");
        room.Start();
        var endPoint = room.EndPointFor("asw-a03")!;
        Assert.True(SnmpCommands.HandlesPoll(["asw-a03", "--profiles", profiles]));
        Assert.False(SnmpCommands.HandlesPoll(["ups-1", "--profiles", profiles]));

        Environment.SetEnvironmentVariable("MONITORING__SNMP__CREDENTIALS__cli-test__COMMUNITY", "cli-demo-community");
        try
        {
            var (code, output, error) = await RunAsync(SnmpCommands.PollAsync, "asw-a03", "--profiles", profiles, "--endpoint", $"127.0.0.1:{endPoint.Port}", "--credentials", "cli-test");
            Assert.True(code == 0, error);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var cpu = Assert.Single(lines, l => l.StartsWith("cpu,device=asw-a03 usage=", StringComparison.Ordinal));
            var now = DateTimeOffset.UtcNow;
            var value = double.Parse(cpu.Split(' ')[1].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(value, room.DeviceOf("asw-a03").CpuAt(now) - 4, room.DeviceOf("asw-a03").CpuAt(now) + 4);
            var ports = inventory.FindDevice("asw-a03")!.Model.Ports.Count;
            Assert.Equal(ports, lines.Count(l => l.Contains(" oper_status=", StringComparison.Ordinal)));

            var (failed, _, why) = await RunAsync(SnmpCommands.PollAsync, "asw-a03", "--profiles", profiles, "--endpoint", $"127.0.0.1:{endPoint.Port}", "--credentials", "nope");
            Assert.Equal(2, failed);
            Assert.Contains("credentials 'nope' are not configured", why, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("MONITORING__SNMP__CREDENTIALS__cli-test__COMMUNITY", null);
        }
    }

    [Theory]
    [InlineData("pdu-a01", "snmp/pdu")]
    [InlineData("pdu-b01", "snmp/pdu-entity-sensor")]
    public async Task Poll_of_a_demo_pdu_prints_its_current_and_outlets_from_a_simulated_agent(string deviceId, string profile)
    {
        var profiles = PathResolver.ProfilesDirectory(new MonitoringOptions());
        var inventory = InventoryLoader.Load(profiles);
        Assert.Equal(profile, inventory.FindDevice(deviceId)!.Profile);
        await using var room = new SnmpDemoRoom(inventory, SnmpProfileLoader.LoadFolder(profiles).Keys, 7, "cli-demo-community");
        room.Start();
        Environment.SetEnvironmentVariable("MONITORING__SNMP__CREDENTIALS__cli-pdu__COMMUNITY", "cli-demo-community");
        try
        {
            var (code, output, error) = await RunAsync(SnmpCommands.PollAsync, deviceId, "--profiles", profiles, "--endpoint", $"127.0.0.1:{room.EndPointFor(deviceId)!.Port}", "--credentials", "cli-pdu");
            Assert.True(code == 0, error);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var current = Assert.Single(lines, l => l.StartsWith($"pdu,device={deviceId} current=", StringComparison.Ordinal));
            var amps = double.Parse(current.Split(' ')[1].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
            var expected = room.DeviceOf(deviceId).CurrentAt(DateTimeOffset.UtcNow);
            Assert.InRange(amps, expected - 0.5, expected + 0.5);
            if (profile == "snmp/pdu")
            {
                // PowerNet-MIB rPDUOutletStatusOutletState: every outlet of the model, on (1)
                Assert.Equal(8, lines.Count(l => l.StartsWith($"outlet,device={deviceId},port=", StringComparison.Ordinal) && l.Contains(" state=1 ", StringComparison.Ordinal)));
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("MONITORING__SNMP__CREDENTIALS__cli-pdu__COMMUNITY", null);
        }
    }

    [Fact]
    public async Task Poll_of_the_demo_storage_array_prints_its_controllers_cpu_and_memory_from_the_vendor_mib()
    {
        var profiles = PathResolver.ProfilesDirectory(new MonitoringOptions());
        var inventory = InventoryLoader.Load(profiles);
        Assert.Equal("snmp/oceanstor", inventory.FindDevice("stor-c01")!.Profile);
        await using var room = new SnmpDemoRoom(inventory, SnmpProfileLoader.LoadFolder(profiles).Keys, 7, "cli-demo-community");
        room.Start();
        Environment.SetEnvironmentVariable("MONITORING__SNMP__CREDENTIALS__cli-stor__COMMUNITY", "cli-demo-community");
        try
        {
            var (code, output, error) = await RunAsync(SnmpCommands.PollAsync, "stor-c01", "--profiles", profiles, "--endpoint", $"127.0.0.1:{room.EndPointFor("stor-c01")!.Port}", "--credentials", "cli-stor");
            Assert.True(code == 0, error);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var cpu = Assert.Single(lines, l => l.StartsWith("cpu,device=stor-c01 usage=", StringComparison.Ordinal));
            var value = double.Parse(cpu.Split(' ')[1].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
            var now = DateTimeOffset.UtcNow;
            // the busiest of the two controllers: controller 0A reports the device's level
            Assert.InRange(value, room.DeviceOf("stor-c01").CpuAt(now) - 4, room.DeviceOf("stor-c01").CpuAt(now) + 4);
            Assert.Single(lines, l => l.StartsWith("memory,device=stor-c01 usage=", StringComparison.Ordinal));
            Assert.Equal(10, lines.Count(l => l.Contains(" oper_status=", StringComparison.Ordinal)));
        }
        finally
        {
            Environment.SetEnvironmentVariable("MONITORING__SNMP__CREDENTIALS__cli-stor__COMMUNITY", null);
        }
    }

    internal static async Task<(int Code, string Output, string Error)> RunAsync(
        Func<ReadOnlyMemory<string>, TextWriter, TextWriter, CancellationToken, Task<int>> verb, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await verb(args, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    internal static async Task<(int Code, string Output, string Error)> Tool(string tool, params string[] args)
    {
        var path = "/usr/bin/" + tool;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: install the Debian package 'snmp' (apt-get install -y snmp).");
        }

        var start = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["MIBS"] = string.Empty;
        start.Environment["MIBDIRS"] = "/nonexistent";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
