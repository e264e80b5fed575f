using System.Net;
using System.Text.Json;

namespace Monitoring.Server.Tests.Mqtt;

/// <summary>The demo server with its simulator: the probes publish over MQTT (TCP) to the embedded broker on a free port.</summary>
public sealed class MqttDemoFixture : ServerFixture
{
    public MqttDemoFixture()
        : base(["--Monitoring:Simulator:IntervalSeconds", "1", "--Monitoring:Mqtt:Broker:Port", "0"])
    {
    }

    public override bool Simulator => true;
}

public sealed class MqttDemoTests(MqttDemoFixture server) : IClassFixture<MqttDemoFixture>
{
    [Fact]
    public async Task A_simulated_leak_turns_leak_1_to_alarm_in_the_api_and_in_a_changes_message()
    {
        // the probe publishes over MQTT: it is online and dry before anything is scripted
        await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/devices/leak-1"),
            d => Value(d, "probe.online") == 1 && Value(d, "probe.leak") == 0,
            "leak-1 to be online and dry");

        await using var hub = await server.ConnectHubAsync();
        await hub.InvokeAsync("JoinRoom", "demo");
        // values come only for devices this connection subscribed to (the console's open panel)
        await hub.InvokeAsync("SubscribeDevices", (object)new[] { "leak-1" });
        using (var response = await server.Http.PostAsync("/api/simulator/scenarios/leak", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        try
        {
            var changes = await hub.WaitForAsync(
                "changes",
                c => c.GetProperty("devices").EnumerateArray().Any(d => d.GetProperty("id").GetString() == "leak-1" && d.GetProperty("status").GetString() == "alarm"),
                TimeSpan.FromSeconds(15));
            Assert.Contains(changes.GetProperty("values").EnumerateArray(), v => v.GetProperty("device").GetString() == "leak-1" && v.GetProperty("metric").GetString() == "probe.leak" && v.GetProperty("value").GetDouble() == 1);

            var device = await server.GetJsonAsync("/api/devices/leak-1");
            Assert.Equal("alarm", device.GetProperty("status").GetString());
            Assert.Equal(1, Value(device, "probe.leak"));
        }
        finally
        {
            using var clear = await server.Http.PostAsync("/api/simulator/scenarios/leak-clear", null);
        }

        await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/devices/leak-1"),
            d => d.GetProperty("status").GetString() == "ok",
            "leak-1 to be dry again");
    }

    [Fact]
    public async Task A_probe_that_dies_is_offline_after_its_will_in_the_api_and_healthz_and_comes_back_when_revived()
    {
        await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/devices/smoke-1"),
            d => Value(d, "probe.online") == 1,
            "smoke-1 to be online");

        using (var response = await server.Http.PostAsync("/api/simulator/scenarios/probe-die/smoke-1", null))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        try
        {
            // the will arrives long before the 30 s staleness limit: this is the broker noticing the dropped connection
            var started = DateTime.UtcNow;
            var device = await ServerFixture.EventuallyAsync(
                () => server.GetJsonAsync("/api/devices/smoke-1"),
                d => d.GetProperty("status").GetString() == "down",
                "smoke-1 to be down",
                timeoutMs: 15_000);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(25), "offline only after the staleness limit, not by the will");
            Assert.Equal(0, Value(device, "probe.online"));

            var health = await ServerFixture.EventuallyAsync(
                () => server.GetJsonAsync("/healthz"),
                h => Mqtt(h).GetProperty("data").GetProperty("offlineProbes").EnumerateArray().Any(p => p.GetProperty("id").GetString() == "smoke-1"),
                "healthz to list smoke-1 offline");
            var mqtt = Mqtt(health);
            Assert.Equal("degraded", mqtt.GetProperty("state").GetString());
            var offline = mqtt.GetProperty("data").GetProperty("offlineProbes").EnumerateArray().Single(p => p.GetProperty("id").GetString() == "smoke-1");
            Assert.Contains("last will", offline.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.True(mqtt.GetProperty("data").GetProperty("broker").GetProperty("willsPublished").GetInt64() >= 1);
            var collectors = health.GetProperty("components").GetProperty("collectors").GetProperty("collectors").GetProperty("mqtt");
            Assert.Contains(collectors.GetProperty("failingDevices").EnumerateArray(), d => d.GetProperty("id").GetString() == "smoke-1" && d.GetProperty("outcome").GetString() == "unreachable");
        }
        finally
        {
            using var revive = await server.Http.PostAsync("/api/simulator/scenarios/probe-revive/smoke-1", null);
        }

        await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/devices/smoke-1"),
            d => d.GetProperty("status").GetString() == "ok" && Value(d, "probe.online") == 1,
            "smoke-1 to come back online",
            timeoutMs: 15_000);
    }

    [Fact]
    public async Task Healthz_shows_the_broker_listening_with_the_probes_connected_and_the_scenarios_are_listed()
    {
        var health = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/healthz"),
            h => Mqtt(h).TryGetProperty("data", out var d) && d.GetProperty("broker").GetProperty("connectedClients").GetInt32() >= 3 && d.GetProperty("accepted").GetInt64() > 0,
            "the probes to be connected and publishing");
        var broker = Mqtt(health).GetProperty("data").GetProperty("broker");
        Assert.True(broker.GetProperty("listening").GetBoolean());
        Assert.StartsWith("mqtt://127.0.0.1:", broker.GetProperty("address").GetString(), StringComparison.Ordinal);
        Assert.NotEqual("mqtt://127.0.0.1:0", broker.GetProperty("address").GetString());

        var simulator = await server.GetJsonAsync("/api/simulator");
        var scenarios = simulator.GetProperty("scenarios").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains("leak", scenarios);
        Assert.Contains("probe-die", scenarios);
        Assert.Contains("door-open", scenarios);
    }

    internal static JsonElement Mqtt(JsonElement health) => health.GetProperty("components").GetProperty("mqtt");

    internal static double? Value(JsonElement device, string metric) =>
        device.GetProperty("values").EnumerateArray().Where(v => v.GetProperty("metric").GetString() == metric).Select(v => (double?)v.GetProperty("value").GetDouble()).FirstOrDefault();
}
