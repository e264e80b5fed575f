using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Core.Inventory;
using Monitoring.Core.Live;
using Monitoring.Mqtt.Broker.Hosting;

namespace Monitoring.Server.Tests.Mqtt;

/// <summary>The server subscribed to a real mosquitto (embedded broker off, no simulator).</summary>
public sealed class ExternalBrokerFixture : IAsyncLifetime
{
    public MosquittoPeer Mosquitto { get; private set; } = null!;

    public WebApplication App { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("monitoring-mqtt-ext-").FullName;

    public async Task InitializeAsync()
    {
        Mosquitto = await MosquittoPeer.StartAsync();
        App = ServerHost.Build([
            // External:Url alone: the embedded broker is then off and the shared group "monitoring" by default
            "--urls", "http://127.0.0.1:0", "--data", DataDirectory, "--simulator", "false",
            "--Monitoring:Mqtt:External:Url", $"mqtt://127.0.0.1:{Mosquitto.Port}"]);
        await App.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri(App.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Mosquitto.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed class MqttExternalBrokerTests(ExternalBrokerFixture server) : IClassFixture<ExternalBrokerFixture>
{
    [Fact]
    public async Task A_reading_published_with_mosquitto_pub_to_mosquitto_reaches_the_live_room()
    {
        // publish until the server's shared subscription is in place (it subscribes in the background)
        await ServerFixture.EventuallyAsync(
            async () =>
            {
                var (code, output) = await MosquittoPeer.PublishAsync(server.Mosquitto.Port, "-q", "1", "-t", "site/demo/probe/door-1/state", "-m", """{"door":"open"}""");
                Assert.True(code == 0, output);
                return LiveProbe.Value(server.App.Services, "door-1", "probe.door");
            },
            v => v == 1,
            "door-1 to show the door open in the live state",
            timeoutMs: 20_000);
        // the pipeline sets the value before it derives the device's status: wait for the status to settle too
        var doorOne = server.App.Services.GetRequiredService<Inventory>().FindDevice("door-1")!;
        var live = server.App.Services.GetRequiredService<LiveState>();
        await ServerFixture.EventuallyAsync(
            () => Task.FromResult(live.GetDeviceStatus(doorOne.Index)),
            s => s == Status.Warning,
            "door-1's status to become warning after the door opened");

        // /healthz is refreshed every second: wait for the report made after the connection
        var health = await ServerFixture.EventuallyAsync(
            () => GetJsonAsync("/healthz"),
            h => MqttDemoTests.Mqtt(h).GetProperty("data").TryGetProperty("external", out var e) && e.GetProperty("connected").GetBoolean(),
            "healthz to show the external broker connected");
        var external = MqttDemoTests.Mqtt(health).GetProperty("data").GetProperty("external");
        Assert.Equal($"mqtt://127.0.0.1:{server.Mosquitto.Port}", external.GetProperty("url").GetString());
        Assert.False(MqttDemoTests.Mqtt(health).GetProperty("data").TryGetProperty("broker", out _), "the embedded broker is off");
        Assert.Equal("monitoring", external.GetProperty("sharedGroup").GetString());
        Assert.Null(server.App.Services.GetRequiredService<EmbeddedMqttBroker>().Broker);
        health = await ServerFixture.EventuallyAsync(
            () => GetJsonAsync("/healthz"),
            h => MqttDemoTests.Mqtt(h).GetProperty("data").GetProperty("external") is var e && e.GetProperty("subscribed").GetBoolean() && e.GetProperty("messages").GetInt64() >= 1,
            "healthz to count the external broker's messages");
        external = MqttDemoTests.Mqtt(health).GetProperty("data").GetProperty("external");
        Assert.Equal(System.Text.Json.JsonValueKind.String, external.GetProperty("lastMessage").ValueKind);
        Assert.Equal(0, external.GetProperty("unacknowledged").GetInt64());
    }

    private async Task<System.Text.Json.JsonElement> GetJsonAsync(string path)
    {
        using var response = await server.Http.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}");
        return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}

/// <summary>The embedded broker with a configured user: probes sign in over TCP, a wrong password is refused, no password is ever shown. Probe data is checked in-process (live state).</summary>
public sealed class BrokerUsersFixture : ServerFixture
{
    public const string Password = "s3cret-probe-pw";

    public BrokerUsersFixture()
        : base([
            "--Monitoring:Mqtt:Broker:Port", "0",
            "--Monitoring:Mqtt:Broker:Users:0:Username", "probe",
            "--Monitoring:Mqtt:Broker:Users:0:Password", Password,
            "--Monitoring:Mqtt:Broker:Users:0:Publish:0", "site/+/probe/#"])
    {
    }
}

public sealed class MqttBrokerUsersTests(BrokerUsersFixture server) : IClassFixture<BrokerUsersFixture>
{
    [Fact]
    public async Task Mosquitto_pub_with_the_configured_user_reaches_the_room_a_wrong_password_is_refused_and_healthz_shows_no_password()
    {
        var services = server.App.Services;
        var port = await LiveProbe.BrokerPortAsync(services);

        foreach (var version in new[] { "mqttv311", "mqttv5" })
        {
            var refused = await MosquittoPeer.PublishAsync(port, "-V", version, "-u", "probe", "-P", "wrong", "-t", "site/demo/probe/leak-1/state", "-m", """{"leak":"wet"}""");
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("bad user name or password", refused.Output, StringComparison.OrdinalIgnoreCase);
            var anonymous = await MosquittoPeer.PublishAsync(port, "-V", version, "-t", "site/demo/probe/leak-1/state", "-m", """{"leak":"wet"}""");
            Assert.NotEqual(0, anonymous.ExitCode);
            Assert.Contains(version == "mqttv5" ? "not authorized" : "not authorised", anonymous.Output, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Null(LiveProbe.Value(services, "leak-1", "probe.leak"));
        Assert.Equal(4, services.GetRequiredService<EmbeddedMqttBroker>().Broker!.GetStats().ConnectionsRefused);

        var accepted = await MosquittoPeer.PublishAsync(port, "-V", "5", "-u", "probe", "-P", BrokerUsersFixture.Password, "-t", "site/demo/probe/leak-1/state", "-m", """{"leak":"wet"}""");
        Assert.True(accepted.ExitCode == 0, accepted.Output);
        await LiveProbe.EventuallyAsync(services, "leak-1", "probe.leak", v => v == 1, "leak-1 to show the leak in the live state");
        // the pipeline sets the value before it derives the device's status: wait for the status to settle too
        var leakOne = server.Inventory.FindDevice("leak-1")!;
        var live = services.GetRequiredService<LiveState>();
        await ServerFixture.EventuallyAsync(
            () => Task.FromResult(live.GetDeviceStatus(leakOne.Index)),
            s => s == Status.Alarm,
            "leak-1's status to become alarm after the leak");

        // /healthz stays open without sign-in; it shows the broker's counters and never a password
        await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/healthz"),
            h => MqttDemoTests.Mqtt(h).TryGetProperty("data", out var d) && d.TryGetProperty("broker", out var b) && b.GetProperty("connectionsRefused").GetInt64() == 4,
            "healthz to count the refused connections");
        using var raw = await server.Http.GetAsync("/healthz");
        var text = await raw.Content.ReadAsStringAsync();
        Assert.DoesNotContain(BrokerUsersFixture.Password, text, StringComparison.Ordinal);
        Assert.Contains("\"connectionsRefused\":", text, StringComparison.Ordinal);
    }
}
