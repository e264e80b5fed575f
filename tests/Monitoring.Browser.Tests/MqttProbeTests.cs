using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>
/// MQTT probes in the 3D room: mosquitto's own clients (Debian package mosquitto-clients) talk to the server's embedded
/// broker over TCP; a wet leak probe turns to alarm and a probe whose connection dies (its last will) is shown down.
/// </summary>
public sealed class MqttProbeTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private static readonly PageWaitForFunctionOptions Within20Seconds = new() { Timeout = 20_000 };

    [Fact]
    public async Task A_wet_leak_probe_turns_to_alarm_and_a_probe_that_dies_is_shown_down_in_the_3d_room()
    {
        var port = await BrokerPortAsync();
        var page = await fixture.OpenConsoleAsync();
        try
        {
            var published = await RunAsync("/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-u", ConsoleFixture.MqttUser, "-P", ConsoleFixture.MqttPassword, "-q", "1", "-t", "site/demo/probe/leak-1/state", "-m", """{"leak":"wet"}""");
            Assert.True(published.ExitCode == 0, published.Output);
            await ServerStatusAsync("leak-1", "alarm");
            await WaitOnPageAsync(page, "leak-1", "alarm");
            Assert.Equal(
                await page.EvaluateAsync<string>("() => window.__room.statusColors.alarm"),
                await page.EvaluateAsync<string>("() => window.__room.deviceColor('leak-1')"));

            // a probe connects with its last will, then its process is killed: no DISCONNECT, so the broker sends the will
            using var probe = Start("/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-u", ConsoleFixture.MqttUser, "-P", ConsoleFixture.MqttPassword, "-i", "browser-test-smoke-1", "-t", "site/demo/probe/smoke-1/cmd",
                "--will-topic", "site/demo/probe/smoke-1/status", "--will-payload", "offline", "--will-qos", "1");
            await WaitForClientsAsync(before: 0);
            probe.Kill();
            await probe.WaitForExitAsync();

            await ServerStatusAsync("smoke-1", "down");
            await WaitOnPageAsync(page, "smoke-1", "down");
            Assert.Equal(
                await page.EvaluateAsync<string>("() => window.__room.statusColors.down"),
                await page.EvaluateAsync<string>("() => window.__room.deviceColor('smoke-1')"));
            Assert.Equal("alarm", await page.EvaluateAsync<string>("() => window.__room.deviceStatus('leak-1')"));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>Waits until the server itself shows the device in the status (so a failure says which side fell behind).</summary>
    private async Task ServerStatusAsync(string device, string status)
    {
        var last = "";
        for (var i = 0; i < 200; i++)
        {
            var json = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/devices/{device}");
            last = json.GetProperty("status").GetString() ?? "";
            if (last == status)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the server shows {device} {last}, not {status}");
    }

    private static async Task WaitOnPageAsync(IPage page, string device, string status)
    {
        try
        {
            await page.WaitForFunctionAsync("([id, s]) => window.__room.deviceStatus(id) === s", new[] { device, status }, Within20Seconds);
        }
        catch (TimeoutException)
        {
            var shown = await page.EvaluateAsync<string>(
                "id => `${window.__room.deviceStatus(id)}; hub ${window.__room.hubState()}; ${window.__room.changesReceived()} changes`", device);
            Assert.Fail($"the page shows {device} as {shown}, not {status}");
        }
    }

    private async Task<string> BrokerPortAsync()
    {
        for (var i = 0; i < 100; i++)
        {
            var health = await fixture.Http.GetFromJsonAsync<JsonElement>("/healthz");
            if (health.GetProperty("components").TryGetProperty("mqtt", out var mqtt) && mqtt.TryGetProperty("data", out var data) && data.TryGetProperty("broker", out var broker))
            {
                return new Uri(broker.GetProperty("address").GetString()!).Port.ToString(CultureInfo.InvariantCulture);
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("the embedded MQTT broker did not come up (no mqtt.data.broker in /healthz)");
    }

    /// <summary>Waits until the broker counts more connected clients than <paramref name="before"/>.</summary>
    private async Task WaitForClientsAsync(int before)
    {
        for (var i = 0; i < 100; i++)
        {
            var health = await fixture.Http.GetFromJsonAsync<JsonElement>("/healthz");
            if (health.GetProperty("components").GetProperty("mqtt").GetProperty("data").GetProperty("broker").GetProperty("connectedClients").GetInt32() > before)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("mosquitto_sub did not connect to the embedded broker");
    }

    private static Process Start(string tool, params string[] args)
    {
        if (!File.Exists(tool))
        {
            throw new InvalidOperationException($"{tool} is missing: install the Debian package mosquitto-clients (apt-get install -y mosquitto-clients)");
        }

        return Process.Start(new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException($"{tool} did not start");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string tool, params string[] args)
    {
        using var process = Start(tool, args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
