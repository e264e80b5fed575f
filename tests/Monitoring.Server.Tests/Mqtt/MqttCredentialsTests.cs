using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Monitoring.Mqtt.Broker.Hosting;
using Monitoring.Simulator.Hosting;

namespace Monitoring.Server.Tests.Mqtt;

/// <summary>
/// The demo server as it starts out of the box: simulator on, no MQTT users configured, anonymous access not set.
/// Its own server (not <see cref="ServerFixture"/>) so that it can capture every log line; everything is checked
/// in-process, no HTTP API.
/// </summary>
public sealed class DemoWithoutMqttUsersFixture : IAsyncLifetime
{
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("monitoring-mqtt-nousers-").FullName;

    public WebApplication App { get; private set; } = null!;

    public CapturedLogs Logs { get; } = new();

    public async Task InitializeAsync()
    {
        App = ServerHost.Build(
            [
                "--urls", "http://127.0.0.1:0", "--data", DataDirectory, "--simulator", "true",
                "--Monitoring:Simulator:IntervalSeconds", "1", "--Monitoring:Mqtt:Broker:Port", "0",
                // the MQTT side at Debug, so the password check covers every line it can write
                "--Logging:LogLevel:Monitoring.Collectors.Mqtt", "Debug",
                "--Logging:LogLevel:Monitoring.Mqtt", "Debug",
                "--Logging:LogLevel:Monitoring.Simulator", "Debug",
            ],
            builder => builder.Logging.AddProvider(Logs));
        await App.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed class MqttCredentialsTests(DemoWithoutMqttUsersFixture server) : IClassFixture<DemoWithoutMqttUsersFixture>
{
    [Fact]
    public async Task With_no_users_configured_the_simulated_probes_still_deliver_live_data_while_an_anonymous_client_is_refused()
    {
        var services = server.App.Services;

        // the simulated probes sign in with the user the server made up: their readings reach the live state
        await LiveProbe.EventuallyAsync(services, "leak-1", "probe.online", v => v == 1, "leak-1 online in the live state");
        await LiveProbe.EventuallyAsync(services, "leak-1", "probe.leak", v => v == 0, "leak-1 dry in the live state");
        await LiveProbe.EventuallyAsync(services, "door-1", "probe.door", v => v == 0, "door-1 closed in the live state");
        var port = await LiveProbe.BrokerPortAsync(services);
        var broker = services.GetRequiredService<EmbeddedMqttBroker>().Broker!;
        Assert.True(broker.GetStats().ConnectedClients >= 3, $"{broker.GetStats().ConnectedClients} simulated probes connected");

        // mosquitto's own client without credentials: refused, 3.1.1 (return code 5) and 5.0 (reason 0x87)
        var readingBefore = LiveProbe.Timestamp(services, "leak-1", "probe.leak");
        var refusedBefore = broker.GetStats().ConnectionsRefused;
        foreach (var (version, message) in new[] { ("mqttv311", "not authorised"), ("mqttv5", "not authorized") })
        {
            var anonymous = await MosquittoPeer.PublishAsync(port, "-V", version, "-i", "anonymous-" + version, "-q", "1", "-t", "site/demo/probe/leak-1/state", "-m", """{"leak":"wet"}""");
            Assert.NotEqual(0, anonymous.ExitCode);
            Assert.Contains(message, anonymous.Output, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(refusedBefore + 2, broker.GetStats().ConnectionsRefused);
        Assert.Contains(server.Logs.Lines, l => l.Message.Contains("refused anonymous-mqttv5", StringComparison.Ordinal));

        // the probe itself keeps publishing: a newer reading, still dry, arrives after the refusals
        await ServerFixture.EventuallyAsync(
            () => Task.FromResult(LiveProbe.Timestamp(services, "leak-1", "probe.leak")),
            t => t > readingBefore,
            "a newer leak-1 reading");
        Assert.Equal(0, LiveProbe.Value(services, "leak-1", "probe.leak"));
    }

    [Fact]
    public async Task The_server_warns_once_at_start_naming_the_users_setting_and_never_logs_the_simulator_password()
    {
        var services = server.App.Services;
        await LiveProbe.EventuallyAsync(services, "smoke-1", "probe.online", v => v == 1, "smoke-1 online in the live state");
        var mqtt = services.GetRequiredService<MqttDemoUser>();

        var warnings = server.Logs.Lines.Where(l => l.Level == LogLevel.Warning && l.Message.Contains("Monitoring:Mqtt:Broker:Users", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("anonymous clients are refused", warning.Message, StringComparison.Ordinal);
        Assert.Contains("Monitoring__Mqtt__Broker__Users__0__Password", warning.Message, StringComparison.Ordinal);

        // the simulated probes signed in as the generated user (logged at Debug with the user name), never with the password
        Assert.Contains(server.Logs.Lines, l => l.Message.Contains("user " + mqtt.User, StringComparison.Ordinal));
        Assert.DoesNotContain(server.Logs.Lines, l => l.Message.Contains(mqtt.Password, StringComparison.OrdinalIgnoreCase));
    }
}
