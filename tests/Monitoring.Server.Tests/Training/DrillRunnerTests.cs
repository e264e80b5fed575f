using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Server.Security;

namespace Monitoring.Server.Tests.Training;

/// <summary>
/// A training session's host (Monitoring:Training:Session:Id set, room demo) with the simulator on: SNMP agents polled
/// every second, the trap listener on a free loopback port accepting the simulator's own community, Modbus polled every
/// second. Faults go in through /api/training/drill and come out through the real collectors, /api/devices and /api/alarms.
/// </summary>
public sealed class DrillSessionFixture : ServerFixture
{
    public DrillSessionFixture()
        : base([
            "--Monitoring:Simulator:IntervalSeconds", "1",
            "--Monitoring:Snmp:IntervalSeconds", "1",
            "--Monitoring:Modbus:DefaultIntervalSeconds", "1",
            "--Monitoring:Snmp:Traps:Listen", $"127.0.0.1:{SnmpTrapFixture.FreeUdpPort()}",
            "--Monitoring:Snmp:Traps:Credentials", "demo-v2c",
            "--Monitoring:Training:Session:Id", "drill-test",
            "--Monitoring:Training:Session:Name", "Drill runner test",
            "--Monitoring:Training:Session:RoomId", "demo",
            "--Monitoring:Training:Session:Instructor", "tester"])
    {
    }

    public override bool Simulator => true;
}

public sealed class DrillRunnerTests(DrillSessionFixture server) : IClassFixture<DrillSessionFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Every test leaves the session clean: the runner idle, every fault healed.</summary>
    public async Task DisposeAsync()
    {
        using var reset = await server.Http.PostAsync("/api/training/drill/reset", null);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
    }

    private async Task<JsonElement> PostAsync(string path, object? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await server.Http.PostAsJsonAsync(path, body ?? new { });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private Task<JsonElement> InjectAsync(object step) => PostAsync("/api/training/drill/inject", new { step });

    private static double? Find(JsonElement values, string metric)
    {
        foreach (var value in values.EnumerateArray())
        {
            if (value.GetProperty("metric").GetString() == metric)
            {
                return value.GetProperty("value").GetDouble();
            }
        }

        return null;
    }

    private async Task<JsonElement?> PortAsync(string device, int port)
    {
        var detail = await server.GetJsonAsync($"/api/devices/{device}");
        return detail.GetProperty("ports").EnumerateArray().Cast<JsonElement?>().FirstOrDefault(p => p!.Value.GetProperty("index").GetInt32() == port);
    }

    private async Task<bool> AlarmAsync(string rule, string device, int? port = null)
    {
        var alarms = await server.GetJsonAsync("/api/alarms");
        return alarms.EnumerateArray().Any(a => a.GetProperty("ruleId").GetString() == rule
            && a.GetProperty("target").GetProperty("deviceId").GetString() == device
            && (port is null || (a.GetProperty("target").TryGetProperty("port", out var p) && p.ValueKind == JsonValueKind.Number && p.GetInt32() == port)));
    }

    [Fact]
    public async Task A_port_down_goes_down_in_the_switch_agent_the_poller_sees_it_and_the_port_down_alarm_is_raised()
    {
        await ServerFixture.EventuallyAsync(
            async () => await PortAsync("asw-a02", 14) is { } p && Find(p.GetProperty("values"), "interface.oper_status") == 1,
            up => up, "asw-a02 port 14 up first", timeoutMs: 60_000);

        var state = await InjectAsync(new { kind = "port-down", device = "asw-a02", port = 14 });
        Assert.Equal("port-down", state.GetProperty("active")[0].GetProperty("kind").GetString());

        await ServerFixture.EventuallyAsync(
            async () => await PortAsync("asw-a02", 14) is { } p && Find(p.GetProperty("values"), "interface.oper_status") == 2,
            down => down, "asw-a02 port 14 oper status down", timeoutMs: 30_000);
        await ServerFixture.EventuallyAsync(() => AlarmAsync("port-down", "asw-a02", 14), raised => raised, "the port-down alarm on asw-a02:14", timeoutMs: 30_000);

        await InjectAsync(new { kind = "port-up", device = "asw-a02", port = 14 });
        await ServerFixture.EventuallyAsync(
            async () => await PortAsync("asw-a02", 14) is { } p && Find(p.GetProperty("values"), "interface.oper_status") == 1,
            up => up, "asw-a02 port 14 up again", timeoutMs: 30_000);
    }

    [Fact]
    public async Task A_silent_modbus_sensor_stops_answering_its_poller_and_goes_offline()
    {
        await ServerFixture.EventuallyAsync(
            async () => Find((await server.GetJsonAsync("/api/devices/th-c05")).GetProperty("values"), "environment.temperature") is not null,
            seen => seen, "th-c05 read first", timeoutMs: 60_000);

        await InjectAsync(new { kind = "device-silent", device = "th-c05" });

        await ServerFixture.EventuallyAsync(
            async () => (await server.GetJsonAsync("/healthz")).GetProperty("components").GetProperty("collectors").GetProperty("collectors").GetProperty("modbus")
                .GetProperty("failingDevices").EnumerateArray().Any(d => d.ToString().Contains("th-c05", StringComparison.Ordinal)),
            failing => failing, "th-c05 failing its polls in /healthz", timeoutMs: 30_000);

        // and back: the unit answers its poller again
        await InjectAsync(new { kind = "device-silent", device = "th-c05", forSeconds = 1 });
        await ServerFixture.EventuallyAsync(
            async () => (await server.GetJsonAsync("/api/training/drill")).GetProperty("active").EnumerateArray().Count(), n => n == 1, "the 1 s silence healed");
    }

    [Fact]
    public async Task A_silent_snmp_switch_stops_answering_its_poller()
    {
        await InjectAsync(new { kind = "device-silent", device = "asw-a03", forSeconds = 600 });

        await ServerFixture.EventuallyAsync(
            async () => (await server.GetJsonAsync("/healthz")).GetProperty("components").GetProperty("collectors").GetProperty("collectors").GetProperty("snmp")
                .GetProperty("failingDevices").EnumerateArray().Any(d => d.ToString().Contains("asw-a03", StringComparison.Ordinal)),
            failing => failing, "asw-a03 failing its polls in /healthz", timeoutMs: 30_000);
    }

    [Fact]
    public async Task A_probe_leak_raises_the_water_leak_alarm()
    {
        await InjectAsync(new { kind = "probe-leak", device = "leak-1" });

        await ServerFixture.EventuallyAsync(() => AlarmAsync("water-leak", "leak-1"), raised => raised, "the water-leak alarm on leak-1", timeoutMs: 60_000);
    }

    [Fact]
    public async Task A_sensor_drift_moves_the_modbus_reading_by_its_amount()
    {
        var before = await ServerFixture.EventuallyAsync(
            async () => Find((await server.GetJsonAsync("/api/devices/th-b04")).GetProperty("values"), "environment.temperature"),
            v => v is not null, "th-b04 read first", timeoutMs: 60_000);

        await InjectAsync(new { kind = "sensor-drift", device = "th-b04", metric = "environment.temperature", by = 30, overSeconds = 2 });

        // the daily wave moves it by a couple of degrees at most; the drift adds 30
        await ServerFixture.EventuallyAsync(
            async () => Find((await server.GetJsonAsync("/api/devices/th-b04")).GetProperty("values"), "environment.temperature"),
            v => v > before + 25, "th-b04 to read about 30 degrees warmer", timeoutMs: 30_000);
    }

    [Fact]
    public async Task A_trap_storm_reaches_the_trap_listener_at_its_rate_and_stops_after_its_time()
    {
        static long Accepted(JsonElement health) => health.GetProperty("components").GetProperty("snmpTraps").GetProperty("data").GetProperty("accepted").GetInt64();
        var before = Accepted(await server.GetJsonAsync("/healthz"));

        var state = await InjectAsync(new { kind = "trap-storm", device = "asw-a01", rate = 50, forSeconds = 2 });
        Assert.Equal(50, state.GetProperty("active")[0].GetProperty("rate").GetInt32());

        await ServerFixture.EventuallyAsync(() => server.GetJsonAsync("/healthz"), h => Accepted(h) >= before + 80, "the storm's notifications accepted", timeoutMs: 30_000);
        var events = await server.GetJsonAsync("/api/events?device=asw-a01");
        Assert.Contains(events.EnumerateArray(), e => e.GetProperty("name").GetString() == "authenticationFailure");

        // it heals after its 2 s
        await ServerFixture.EventuallyAsync(
            async () => (await server.GetJsonAsync("/api/training/drill")).GetProperty("active").GetArrayLength(), n => n == 0, "the storm healed");
        Assert.Equal(0, (await server.GetJsonAsync("/api/training/drill")).GetProperty("failures").GetInt64());
    }

    [Fact]
    public async Task The_access_port_flapping_drill_at_10x_raises_the_port_down_alarm_on_asw_a02_port_14()
    {
        var started = await PostAsync("/api/training/drill/start", new { drillId = "access-port-flapping", speed = 10 });
        Assert.Equal(("access-port-flapping", "running", 10.0), (started.GetProperty("drillId").GetString(), started.GetProperty("status").GetString(), started.GetProperty("speed").GetDouble()));

        await ServerFixture.EventuallyAsync(() => AlarmAsync("port-down", "asw-a02", 14), raised => raised, "the port-down alarm on asw-a02:14", timeoutMs: 60_000);
        var state = await server.GetJsonAsync("/api/training/drill");
        var first = state.GetProperty("fired")[0];
        Assert.Equal(("first-drop", 30.0), (first.GetProperty("step").GetProperty("id").GetString(), first.GetProperty("step").GetProperty("atSeconds").GetDouble()));
        Assert.True(first.GetProperty("drillSeconds").GetDouble() >= 30);
        Assert.Equal(0, state.GetProperty("failures").GetInt64());

        // paused, the drill clock stops
        var paused = await PostAsync("/api/training/drill/pause");
        var at = paused.GetProperty("drillSeconds").GetDouble();
        var again = await ServerFixture.EventuallyAsync(() => server.GetJsonAsync("/api/training/drill"), s => s.GetProperty("at").GetDateTimeOffset() > paused.GetProperty("at").GetDateTimeOffset().AddMilliseconds(300), "time to pass");
        Assert.Equal(("paused", at), (again.GetProperty("status").GetString(), again.GetProperty("drillSeconds").GetDouble()));
    }

    [Fact]
    public async Task Commands_are_bounded_with_4xx_naming_the_field_and_need_run_drills()
    {
        var speed = await PostAsync("/api/training/drill/start", new { drillId = "access-port-flapping", speed = 11 }, HttpStatusCode.BadRequest);
        Assert.Contains("speed", speed.GetProperty("title").GetString(), StringComparison.Ordinal);
        var unknown = await PostAsync("/api/training/drill/start", new { drillId = "no-such-drill", speed = 1 }, HttpStatusCode.NotFound);
        Assert.Contains("no-such-drill", unknown.GetProperty("title").GetString(), StringComparison.Ordinal);
        var device = await PostAsync("/api/training/drill/inject", new { step = new { kind = "port-down", device = "no-such-switch", port = 1 } }, HttpStatusCode.BadRequest);
        Assert.Contains("no-such-switch", device.GetProperty("title").GetString(), StringComparison.Ordinal);
        var port = await PostAsync("/api/training/drill/inject", new { step = new { kind = "port-down", device = "asw-a02", port = 999 } }, HttpStatusCode.BadRequest);
        Assert.Contains("port 999", port.GetProperty("title").GetString(), StringComparison.Ordinal);
        var scenario = await PostAsync("/api/training/drill/inject", new { scenario = "earthquake" }, HttpStatusCode.BadRequest);
        Assert.Contains("earthquake", scenario.GetProperty("title").GetString(), StringComparison.Ordinal);

        using var trainee = await server.SignInAsync("drill.trainee", Role.Trainee);
        using (var refused = await trainee.Http.PostAsJsonAsync("/api/training/drill/start", new { drillId = "access-port-flapping", speed = 1 }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // a trainee (Train) reads the drill clock
        var state = await trainee.Http.GetFromJsonAsync<JsonElement>("/api/training/drill");
        Assert.Equal(("drill-test", "idle"), (state.GetProperty("sessionId").GetString(), state.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task A_scenario_injected_live_plays_on_the_simulator()
    {
        await PostAsync("/api/training/drill/inject", new { scenario = "mains-failure" });
        var simulator = await server.GetJsonAsync("/api/simulator");
        Assert.True(simulator.GetProperty("mainsFailed").GetBoolean());

        await PostAsync("/api/training/drill/reset");
        simulator = await server.GetJsonAsync("/api/simulator");
        Assert.False(simulator.GetProperty("mainsFailed").GetBoolean());
    }
}

/// <summary>The live host (no session): every drill control answers 409 "only in a training session".</summary>
public sealed class DrillRunnerLiveHostTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("GET", "/api/training/drill")]
    [InlineData("POST", "/api/training/drill/start")]
    [InlineData("POST", "/api/training/drill/pause")]
    [InlineData("POST", "/api/training/drill/resume")]
    [InlineData("POST", "/api/training/drill/speed")]
    [InlineData("POST", "/api/training/drill/reset")]
    [InlineData("POST", "/api/training/drill/inject")]
    public async Task Every_drill_control_answers_409_on_the_live_host(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = JsonContent.Create(new { drillId = "access-port-flapping", speed = 2, scenario = "leak" });
        }

        using var response = await server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("only in a training session", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
