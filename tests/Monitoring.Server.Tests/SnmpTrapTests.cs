using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Monitoring.Server.Tests;

/// <summary>
/// The real server with a copy of the demo room whose switch asw-a01 is managed at 127.0.0.1, and the trap listener on a
/// free loopback UDP port accepting one community and one v3 user (configured by reference, as in production).
/// </summary>
public class SnmpTrapFixture : ServerFixture, IAsyncLifetime
{
    public const string Community = "trap-c0mmunity-x7";
    public const string User = "noctraps";
    public const string AuthPassword = "trap-auth-pass-1";
    public const string PrivPassword = "trap-priv-pass-1";

    public SnmpTrapFixture()
        : this(CopyProfiles(), FreeUdpPort())
    {
    }

    private SnmpTrapFixture(string profiles, int port)
        : base([
            "--profiles", profiles,
            "--Monitoring:Snmp:Traps:Listen", $"127.0.0.1:{port}",
            "--Monitoring:Snmp:Traps:Credentials", "noc-v2c,noc-v3",
            "--Monitoring:Snmp:Credentials:noc-v2c:Community", Community,
            "--Monitoring:Snmp:Credentials:noc-v3:User", User,
            "--Monitoring:Snmp:Credentials:noc-v3:Auth", "SHA",
            "--Monitoring:Snmp:Credentials:noc-v3:AuthPassword", AuthPassword,
            "--Monitoring:Snmp:Credentials:noc-v3:Priv", "AES",
            "--Monitoring:Snmp:Credentials:noc-v3:PrivPassword", PrivPassword])
    {
        Profiles = profiles;
        Target = $"127.0.0.1:{port}";
    }

    public string Profiles { get; }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        Directory.Delete(Profiles, recursive: true);
    }

    /// <summary>host:port of the trap listener, for net-snmp's tools.</summary>
    public string Target { get; }

    public static async Task<(int Exit, string Output)> ToolAsync(string tool, params string[] args)
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
        start.Environment["SNMP_PERSISTENT_DIR"] = Path.Combine(Path.GetTempPath(), "snmp-tools-state");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    internal static string CopyProfiles()
    {
        var source = FindProfiles();
        var target = Directory.CreateTempSubdirectory("monitoring-trap-profiles-").FullName;
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        var room = Path.Combine(target, "rooms", "demo.yaml");
        var text = File.ReadAllText(room);
        const string Address = "address: 10.10.0.11\n"; // asw-a01
        Assert.Equal(text.IndexOf(Address, StringComparison.Ordinal), text.LastIndexOf(Address, StringComparison.Ordinal));
        File.WriteAllText(room, text.Replace(Address, "address: 127.0.0.1\n", StringComparison.Ordinal));
        return target;
    }

    private static string FindProfiles()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
            {
                return Path.Combine(dir.FullName, "device-profiles");
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    internal static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

/// <summary>net-snmp's snmptrap (v2c, v3 authPriv) and snmpinform (v2c) against the server's trap listener.</summary>
public sealed class SnmpTrapTests(SnmpTrapFixture server) : IClassFixture<SnmpTrapFixture>
{
    private const string LinkDown = "1.3.6.1.6.3.1.1.5.3";
    private const string LinkUp = "1.3.6.1.6.3.1.1.5.4";
    private const string ColdStart = "1.3.6.1.6.3.1.1.5.1";
    private const string Switch = "asw-a01";

    private static string[] LinkBindings(int ifIndex, int admin, int oper) =>
    [
        $"1.3.6.1.2.1.2.2.1.1.{ifIndex}", "i", $"{ifIndex}",
        $"1.3.6.1.2.1.2.2.1.7.{ifIndex}", "i", $"{admin}",
        $"1.3.6.1.2.1.2.2.1.8.{ifIndex}", "i", $"{oper}",
    ];

    private Task<(int Exit, string Output)> V2cAsync(string tool, string community, string trapOid, params string[] bindings) =>
        SnmpTrapFixture.ToolAsync(tool, ["-v2c", "-c", community, "-r", "0", "-t", "3", server.Target, "100", trapOid, .. bindings]);

    private Task<(int Exit, string Output)> V3Async(string trapOid, string authPassword, params string[] bindings) =>
        SnmpTrapFixture.ToolAsync("snmptrap", [
            "-v3", "-e", "0x80001f8880aabbccdd", "-u", SnmpTrapFixture.User, "-l", "authPriv", "-a", "SHA", "-A", authPassword,
            "-x", "AES", "-X", SnmpTrapFixture.PrivPassword, server.Target, "200", trapOid, .. bindings]);

    /// <summary>The port's status as /api/rooms/demo shows it (the live view's source).</summary>
    private async Task<string> PortStatusAsync(int portIndex)
    {
        var device = server.Inventory.FindDevice(Switch)!;
        var position = device.Model.Ports.Select((p, i) => (p, i)).First(x => x.p.Index == portIndex).i;
        var room = await server.GetJsonAsync("/api/rooms/demo");
        var dto = room.GetProperty("devices").EnumerateArray().First(d => d.GetProperty("id").GetString() == Switch);
        return dto.GetProperty("portStatus")[position].GetString()!;
    }

    private async Task<List<JsonElement>> EventsAsync(string? device = Switch)
    {
        var events = await server.GetJsonAsync(device is null ? "/api/events?limit=1000" : $"/api/events?device={device}&limit=1000");
        return events.EnumerateArray().ToList();
    }

    private async Task<JsonElement> TrapHealthAsync()
    {
        var health = await server.GetJsonAsync("/healthz");
        return health.GetProperty("components").GetProperty("snmpTraps");
    }

    private static long Counter(JsonElement traps, string name) => traps.GetProperty("data").GetProperty(name).GetInt64();

    private static long Reason(JsonElement traps, string name) => traps.GetProperty("data").GetProperty("rejectedByReason").GetProperty(name).GetInt64();

    [Fact]
    public async Task A_v2c_linkDown_turns_the_port_down_at_once_and_is_an_event_on_that_port()
    {
        Assert.Equal("unknown", await PortStatusAsync(5)); // no poll runs here: only the trap can change it

        var (exit, output) = await V2cAsync("snmptrap", SnmpTrapFixture.Community, LinkDown, LinkBindings(5, admin: 1, oper: 2));
        Assert.True(exit == 0, output);

        await ServerFixture.EventuallyAsync(() => PortStatusAsync(5), s => s == "down", "port 5 of asw-a01 to turn down");
        var e = (await ServerFixture.EventuallyAsync(() => EventsAsync(), l => l.Any(x => x.GetProperty("port").ValueKind == JsonValueKind.Number && x.GetProperty("port").GetInt32() == 5), "the linkDown event"))
            .First(x => x.GetProperty("port").ValueKind == JsonValueKind.Number && x.GetProperty("port").GetInt32() == 5);
        Assert.Equal(Switch, e.GetProperty("device").GetString());
        Assert.Equal("linkDown", e.GetProperty("name").GetString());
        Assert.Equal(LinkDown, e.GetProperty("trapOid").GetString());
        Assert.Equal("v2c", e.GetProperty("version").GetString());
        Assert.Equal(server.Inventory.FindDevice(Switch)!.Model.Ports.First(p => p.Index == 5).Name, e.GetProperty("portName").GetString());
        Assert.StartsWith("127.0.0.1:", e.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Contains(e.GetProperty("varBinds").EnumerateArray(), v => v.GetProperty("oid").GetString() == "1.3.6.1.2.1.2.2.1.8.5");

        // the admin status came with it
        var detail = await server.GetJsonAsync($"/api/devices/{Switch}");
        var port = detail.GetProperty("ports").EnumerateArray().First(p => p.GetProperty("index").GetInt32() == 5);
        var admin = port.GetProperty("values").EnumerateArray().First(v => v.GetProperty("metric").GetString() == "interface.admin_status");
        Assert.Equal(1, admin.GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task A_v3_authPriv_linkUp_brings_a_downed_port_back_up()
    {
        var (exit, output) = await V2cAsync("snmptrap", SnmpTrapFixture.Community, LinkDown, LinkBindings(7, admin: 1, oper: 2));
        Assert.True(exit == 0, output);
        await ServerFixture.EventuallyAsync(() => PortStatusAsync(7), s => s == "down", "port 7 to turn down");

        (exit, output) = await V3Async(LinkUp, SnmpTrapFixture.AuthPassword, LinkBindings(7, admin: 1, oper: 1));
        Assert.True(exit == 0, output);
        await ServerFixture.EventuallyAsync(() => PortStatusAsync(7), s => s == "ok", "port 7 to come back up");

        var events = await EventsAsync();
        var up = events.First(x => x.GetProperty("name").GetString() == "linkUp" && x.GetProperty("port").ValueKind == JsonValueKind.Number && x.GetProperty("port").GetInt32() == 7);
        Assert.Equal("v3", up.GetProperty("version").GetString());
        Assert.Equal(Switch, up.GetProperty("device").GetString());
    }

    [Fact]
    public async Task A_v2c_inform_is_acknowledged_and_recorded_and_coldStart_is_an_event_without_a_port()
    {
        var before = Counter(await TrapHealthAsync(), "informsAnswered");
        var (exit, output) = await V2cAsync("snmpinform", SnmpTrapFixture.Community, ColdStart);
        Assert.True(exit == 0, $"snmpinform was not acknowledged: {output}");

        var events = await ServerFixture.EventuallyAsync(() => EventsAsync(), l => l.Any(x => x.GetProperty("kind").GetString() == "inform"), "the inform's event");
        var cold = events.First(x => x.GetProperty("kind").GetString() == "inform");
        Assert.Equal("coldStart", cold.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, cold.GetProperty("port").ValueKind);
        await ServerFixture.EventuallyAsync(TrapHealthAsync, h => Counter(h, "informsAnswered") > before, "the answered inform to be counted in /healthz");
    }

    [Fact]
    public async Task Traps_with_a_wrong_community_or_v3_password_are_rejected_counted_and_change_nothing()
    {
        var before = await TrapHealthAsync();
        var (exit, output) = await V2cAsync("snmptrap", "not-the-community", LinkDown, LinkBindings(9, admin: 1, oper: 2));
        Assert.True(exit == 0, output);
        (exit, output) = await V3Async(LinkDown, "wrong-auth-pass-1", LinkBindings(9, admin: 1, oper: 2));
        Assert.True(exit == 0, output);

        var after = await ServerFixture.EventuallyAsync(
            TrapHealthAsync,
            h => Reason(h, "badCommunity") > Reason(before, "badCommunity") && Reason(h, "badV3Credentials") > Reason(before, "badV3Credentials"),
            "the bad community and the bad v3 password to be counted");
        Assert.True(Counter(after, "rejected") >= Counter(before, "rejected") + 2);
        Assert.Equal("ok", after.GetProperty("state").GetString());

        // a good trap after them still works, and proves the bad ones would have been seen by now
        (exit, output) = await V2cAsync("snmptrap", SnmpTrapFixture.Community, LinkUp, LinkBindings(10, admin: 1, oper: 1));
        Assert.True(exit == 0, output);
        await ServerFixture.EventuallyAsync(() => PortStatusAsync(10), s => s == "ok", "port 10 to come up");
        Assert.Equal("unknown", await PortStatusAsync(9));
        Assert.DoesNotContain(await EventsAsync(null), x => x.GetProperty("port").ValueKind == JsonValueKind.Number && x.GetProperty("port").GetInt32() == 9);
    }

    [Fact]
    public async Task The_events_endpoint_is_in_the_openapi_document_and_filters_by_device()
    {
        var doc = await server.GetJsonAsync("/openapi/v1.json");
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/events", out _));
        Assert.Empty(await EventsAsync("csw-1"));
    }
}
