using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Collectors.Modbus;
using Monitoring.Collectors.Modbus.Client;
using Monitoring.Core.Alarms;
using Monitoring.Server.Alarms;
using Monitoring.Simulator.Modbus;

namespace Monitoring.Server.Tests.Alarms;

/// <summary>The demo server with its simulator: the Modbus UPS units, and the alarm lamp as a simulated Modbus device.</summary>
public sealed class AlarmDemoFixture : ServerFixture
{
    public AlarmDemoFixture()
        : base(["--Monitoring:Simulator:IntervalSeconds", "1", "--Monitoring:Alarms:Lamp:ReassertSeconds", "2"])
    {
    }

    public override bool Simulator => true;

    public ModbusDemoRoom Room => App.Services.GetRequiredService<ModbusDemoRoom>();

    public IAlarmService Alarms => App.Services.GetRequiredService<IAlarmService>();
}

/// <summary>
/// End to end: the simulated mains fails, the UPS units report battery mode over Modbus TCP, the engine raises critical
/// alarms, a console on the hub receives them, and the simulated lamp's coils (read back over Modbus TCP) show red with
/// the buzzer; a mute silences the buzzer; acknowledging every critical alarm over REST stops it too and the lamp
/// follows what is still unacknowledged.
/// </summary>
public sealed class AlarmLampEndToEndTests(AlarmDemoFixture server) : IClassFixture<AlarmDemoFixture>
{
    private const string User = "张工";

    private async Task<AlarmLampSignals> LampAsync()
    {
        var device = server.Inventory.FindDevice("lamp-1")!;
        var endPoint = server.Room.EndPointFor(device)!;
        await using var client = new ModbusTcpClient(endPoint);
        return await new AlarmLamp(client, server.Room.UnitIdOf("lamp-1"), AlarmLampCoils.Consecutive(0)).ReadAsync();
    }

    private Task<AlarmLampSignals> LampBecomesAsync(Func<AlarmLampSignals, bool> done, string what) =>
        ServerFixture.EventuallyAsync(LampAsync, done, what, timeoutMs: 15_000);

    [Fact]
    public async Task A_mains_failure_reaches_the_console_and_the_lamp_and_acknowledging_stops_the_buzzer()
    {
        // the duty lead signs in: mute and acknowledge are recorded under the signed-in name
        using var duty = await server.SignInAsync(User, Monitoring.Server.Security.Role.DutyLead);
        await using var hub = await server.ConnectHubAsync();
        var initial = (await hub.InvokeAsync("GetAlarms")).GetProperty("result");
        Assert.False(initial.GetProperty("mute").GetProperty("muted").GetBoolean());

        // before any critical alarm the buzzer is off (a healthy demo room: green, or yellow/red for the demo's scripted port faults)
        var before = await LampBecomesAsync(s => s != AlarmLampSignals.None, "the lamp driver's first write");
        Assert.False(before.HasFlag(AlarmLampSignals.Buzzer), $"lamp before the fault: {before}");

        using (var response = await server.Http.PostAsync(new Uri("/api/simulator/scenarios/mains-failure", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        var raised = await hub.WaitForAsync(
            "alarm",
            m => m.GetProperty("kind").GetString() == "raised" && m.GetProperty("alarm").GetProperty("ruleId").GetString() == "ups-on-battery",
            TimeSpan.FromSeconds(20));
        var alarm = raised.GetProperty("alarm");
        Assert.Equal("critical", alarm.GetProperty("severity").GetString());
        Assert.Equal("raised", alarm.GetProperty("state").GetString());
        Assert.StartsWith("ups-", alarm.GetProperty("target").GetProperty("deviceId").GetString(), StringComparison.Ordinal);
        Assert.Equal("demo", alarm.GetProperty("target").GetProperty("roomId").GetString());

        await ServerFixture.EventuallyAsync(
            () => Task.FromResult(server.Alarms.HighestUnacknowledged),
            h => h == AlarmSeverity.Critical,
            "a critical alarm to alert: " + string.Join("; ", server.Alarms.Active.Select(a => $"{a.Id} {a.RuleId} {a.Target} {a.State} silent={a.Silent} by={a.SuppressedBy}")));
        await LampBecomesAsync(s => s == (AlarmLampSignals.Red | AlarmLampSignals.Buzzer), "the lamp to show red with the buzzer");

        // the list over REST has it, filtered by severity
        var critical = await server.GetJsonAsync("/api/alarms?severity=critical&room=demo");
        Assert.Contains(critical.EnumerateArray(), a => a.GetProperty("id").GetInt64() == alarm.GetProperty("id").GetInt64());
        Assert.All(critical.EnumerateArray(), a => Assert.Equal("critical", a.GetProperty("severity").GetString()));

        // muting silences the buzzer (the light stays) and every console hears of it
        using (var response = await duty.Http.PostAsJsonAsync("/api/alarms/mute", new { user = User, reason = "值班员已知晓，正在处理", minutes = 5 }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var mute = await hub.WaitForAsync("mute", m => m.GetProperty("muted").GetBoolean(), TimeSpan.FromSeconds(10));
        Assert.Equal(User, mute.GetProperty("by").GetString());
        await LampBecomesAsync(s => s == AlarmLampSignals.Red, "the buzzer to stop while muted");
        using (var response = await duty.Http.DeleteAsync(new Uri($"/api/alarms/mute?user={Uri.EscapeDataString(User)}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await hub.WaitForAsync("mute", m => !m.GetProperty("muted").GetBoolean(), TimeSpan.FromSeconds(10));
        await LampBecomesAsync(s => s == (AlarmLampSignals.Red | AlarmLampSignals.Buzzer), "the buzzer back after the mute ends");

        // acknowledge every alerting critical alarm (both UPS units fail together)
        var id = alarm.GetProperty("id").GetInt64();
        using (var response = await duty.Http.PostAsJsonAsync($"/api/alarms/{id}/ack", new { user = User, comment = "已通知动力专业" }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var acknowledged = await hub.WaitForAsync(
            "alarm", m => m.GetProperty("kind").GetString() == "acknowledged" && m.GetProperty("alarm").GetProperty("id").GetInt64() == id, TimeSpan.FromSeconds(10));
        Assert.Equal(User, acknowledged.GetProperty("alarm").GetProperty("acknowledgement").GetProperty("by").GetString());
        Assert.Equal("已通知动力专业", acknowledged.GetProperty("alarm").GetProperty("acknowledgement").GetProperty("comment").GetString());

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (server.Alarms.HighestUnacknowledged == AlarmSeverity.Critical && DateTime.UtcNow < deadline)
        {
            foreach (var other in server.Alarms.Active.Where(a => a.Severity == AlarmSeverity.Critical && a.State == AlarmState.Raised))
            {
                using var response = await duty.Http.PostAsJsonAsync($"/api/alarms/{other.Id}/ack", new { user = User });
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            await Task.Delay(200);
        }

        Assert.NotEqual(AlarmSeverity.Critical, server.Alarms.HighestUnacknowledged);
        var after = await LampBecomesAsync(s => !s.HasFlag(AlarmLampSignals.Buzzer), "the buzzer to stop once acknowledged");
        Assert.Equal(1, BitCount(after & (AlarmLampSignals.Red | AlarmLampSignals.Yellow | AlarmLampSignals.Green)));
        await LampBecomesAsync(
            s => s == AlarmLampDriver.Wanted(server.Alarms.HighestUnacknowledged, server.Alarms.CurrentMute is not null),
            "the lamp to show the highest severity still unacknowledged");

        var health = await server.GetJsonAsync("/healthz");
        var components = health.GetProperty("components");
        Assert.Equal("ok", components.GetProperty("alarmLamp").GetProperty("state").GetString());
        Assert.True(components.GetProperty("alarms").GetProperty("data").GetProperty("rulesLoaded").GetInt32() > 0);

        using (var restore = await server.Http.PostAsync(new Uri("/api/simulator/scenarios/mains-restore", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.NoContent, restore.StatusCode);
        }
    }

    private static int BitCount(AlarmLampSignals signals) => System.Numerics.BitOperations.PopCount((uint)signals);
}
