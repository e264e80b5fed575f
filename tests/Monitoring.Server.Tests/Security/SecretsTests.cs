using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Monitoring.Mqtt.Broker.Hosting;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Security;

/// <summary>
/// A full demo run (simulator on: SNMP agents polled with the community, MQTT probes, the Modbus lamp) with every
/// kind of secret configured, and the paths that handle them exercised: polls, a refused MQTT client, a trap with
/// a wrong community, webhook and InfluxDB targets that fail and retry, sign-ins right and wrong, a password change.
/// Every log line of the run and every GET the API offers are then searched for every secret.
/// </summary>
#pragma warning disable CA1001 // disposed in DisposeAsync (xunit's IAsyncLifetime)
public sealed class SecretsTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
#pragma warning restore CA1001
{
    private const string AdminSecret = "Adm1n-from-config-9f2";
    private const string NewAdminSecret = "Adm1n-changed-7c41e";
    private const string WrongPassword = "Wr0ng-guess-5d0b";
    private const string CommunitySecret = "c0mmunity-9a7e3";
    private const string TrapAuthSecret = "trap-auth-4b8c1e";
    private const string TrapPrivSecret = "trap-priv-2f6d9a";
    private const string MqttSecret = "mqtt-pr0be-8e1f";
    private const string MqttWrongSecret = "mqtt-wr0ng-3c5a";
    private const string InfluxTokenSecret = "influx-t0ken-6a2d";
    private const string InfluxPasswordSecret = "influx-passw0rd-1b9e";
    private const string WebhookSecret = "w3bhook-key-0d4f";

    private static readonly string[] Secrets =
    [
        AdminSecret, NewAdminSecret, WrongPassword, CommunitySecret, TrapAuthSecret, TrapPrivSecret, MqttSecret, MqttWrongSecret,
        InfluxTokenSecret, InfluxPasswordSecret, WebhookSecret,
    ];

    private readonly string _data = Directory.CreateTempSubdirectory("monitoring-secrets-").FullName;
    private readonly CapturedLogs _logs = new();
    private readonly int _trapPort = SnmpTrapFixture.FreeUdpPort();
    private WebApplication _app = null!;

    public async Task InitializeAsync()
    {
        var closed = PeerProcess.FreePort(); // nothing listens there: every delivery fails and is retried
        _app = ServerHost.Build(
            [
                "--urls", "http://127.0.0.1:0", "--data", _data, "--simulator", "true", "--Monitoring:Simulator:IntervalSeconds", "1",
                "--Logging:LogLevel:Default", "Debug", "--Logging:LogLevel:Microsoft", "Information", "--Logging:LogLevel:Microsoft.AspNetCore", "Debug",
                "--Monitoring:Auth:AdminPassword", AdminSecret,
                "--Monitoring:Snmp:Credentials:demo-v2c:Community", CommunitySecret,
                "--Monitoring:Snmp:Credentials:noc-v3:User", "noc",
                "--Monitoring:Snmp:Credentials:noc-v3:Auth", "SHA",
                "--Monitoring:Snmp:Credentials:noc-v3:AuthPassword", TrapAuthSecret,
                "--Monitoring:Snmp:Credentials:noc-v3:Priv", "AES",
                "--Monitoring:Snmp:Credentials:noc-v3:PrivPassword", TrapPrivSecret,
                "--Monitoring:Snmp:Traps:Listen", $"127.0.0.1:{_trapPort}",
                "--Monitoring:Snmp:Traps:Credentials", "demo-v2c,noc-v3",
                "--Monitoring:Mqtt:Broker:Port", "0",
                "--Monitoring:Mqtt:Broker:Users:0:Username", "probe-a",
                "--Monitoring:Mqtt:Broker:Users:0:Password", MqttSecret,
                "--Monitoring:Influx:Targets:0:Name", "central-v2",
                "--Monitoring:Influx:Targets:0:Url", $"http://127.0.0.1:{closed}",
                "--Monitoring:Influx:Targets:0:Org", "noc",
                "--Monitoring:Influx:Targets:0:Bucket", "room",
                "--Monitoring:Influx:Targets:0:Token", InfluxTokenSecret,
                "--Monitoring:Influx:Targets:1:Name", "central-v1",
                "--Monitoring:Influx:Targets:1:Url", $"http://127.0.0.1:{closed}",
                "--Monitoring:Influx:Targets:1:Version", "1",
                "--Monitoring:Influx:Targets:1:Database", "noc",
                "--Monitoring:Influx:Targets:1:Username", "writer",
                "--Monitoring:Influx:Targets:1:Password", InfluxPasswordSecret,
                "--Monitoring:Alarms:Webhooks:0:Url", $"http://127.0.0.1:{closed}/hook?key={WebhookSecret}",
                "--Monitoring:Alarms:Webhooks:0:RetryBaseMilliseconds", "50",
                "--Monitoring:Alarms:Webhooks:0:MaxAttempts", "3",
            ],
            builder => builder.Logging.AddProvider(_logs));
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _logs.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task No_configured_secret_reaches_a_log_line_or_an_API_response()
    {
        var address = new Uri(_app.Urls.First());
        using var admin = SignedInClient.Anonymous(address);
        using (var wrong = await admin.TrySignInAsync("admin", WrongPassword))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        await admin.SignInAsync("admin", AdminSecret);
        using (var changed = await admin.Http.PostAsJsonAsync("/api/auth/password", new { current = AdminSecret, @new = NewAdminSecret }))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            admin.Antiforgery = (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("antiforgery").GetString();
        }

        // a fault, so that alarms are raised and the webhook target is tried (and fails)
        using (var fault = await admin.Http.PostAsync("/api/simulator/scenarios/mains-failure", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, fault.StatusCode);
        }

        // a probe with the wrong MQTT password, and the right one; a trap with the wrong community, and the right one
        var broker = _app.Services.GetRequiredService<EmbeddedMqttBroker>().Broker!.LocalEndPoint!;
        var refused = await SnmpTrapFixture.ToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", $"{broker.Port}", "-u", "probe-a", "-P", MqttWrongSecret, "-t", "probe/x", "-m", "1");
        Assert.NotEqual(0, refused.Exit);
        var accepted = await SnmpTrapFixture.ToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", $"{broker.Port}", "-u", "probe-a", "-P", MqttSecret, "-t", "probe/x", "-m", "1");
        Assert.True(accepted.Exit == 0, accepted.Output);
        foreach (var community in new[] { "not-" + CommunitySecret, CommunitySecret })
        {
            var (exit, output) = await SnmpTrapFixture.ToolAsync("snmptrap", "-v", "2c", "-c", community, $"127.0.0.1:{_trapPort}", "", "1.3.6.1.6.3.1.1.5.3");
            Assert.True(exit == 0, output);
        }

        // the run goes on long enough for polls, probe messages, webhook retries and InfluxDB reconnects
        await ServerFixture.EventuallyAsync(
            () => Task.FromResult(_logs.Lines),
            lines => lines.Any(l => l.Category.Contains("Webhook", StringComparison.Ordinal) && l.Level >= LogLevel.Warning)
                && lines.Any(l => l.Category.Contains("Influx", StringComparison.Ordinal) && l.Level >= LogLevel.Warning)
                && lines.Any(l => l.Category.Contains("Mqtt", StringComparison.Ordinal) && l.Message.Contains("probe-a", StringComparison.Ordinal)),
            "the webhook, InfluxDB and MQTT failures in the log", 30_000);

        // every GET the API offers, as the administrator, plus the anonymous ones
        var responses = new List<(string Path, string Body)>();
        var document = await admin.Http.GetStringAsync("/openapi/v1.json");
        responses.Add(("/openapi/v1.json", document));
        foreach (var path in JsonDocument.Parse(document).RootElement.GetProperty("paths").EnumerateObject().Where(p => p.Value.TryGetProperty("get", out _)).Select(p => p.Name))
        {
            var concrete = path.Replace("{id}", path.StartsWith("/api/rooms", StringComparison.Ordinal) ? "demo" : path.StartsWith("/api/devices", StringComparison.Ordinal) ? "csw-1" : "1", StringComparison.Ordinal);
            using var response = await admin.Http.GetAsync(concrete);
            responses.Add((concrete, await response.Content.ReadAsStringAsync()));
        }

        responses.Add(("/api/devices/ups-1", await admin.Http.GetStringAsync("/api/devices/ups-1")));
        responses.Add(("/api/simulator", await admin.Http.GetStringAsync("/api/simulator")));
        responses.Add(("/api/audit?format=csv", await admin.Http.GetStringAsync("/api/audit?format=csv&limit=10000")));
        using (var anonymous = new HttpClient { BaseAddress = address })
        {
            responses.Add(("/healthz", await anonymous.GetStringAsync("/healthz")));
            responses.Add(("/api/auth/session", await anonymous.GetStringAsync("/api/auth/session")));
        }

        Assert.True(responses.Count > 30, $"only {responses.Count} responses looked at");
        foreach (var (path, body) in responses)
        {
            foreach (var secret in Secrets)
            {
                Assert.False(body.Contains(secret, StringComparison.OrdinalIgnoreCase), $"GET {path} contains the secret {secret[..4]}…");
            }
        }

        await _app.StopAsync();
        var lines = _logs.Lines;
        foreach (var group in lines.GroupBy(l => l.Category).OrderByDescending(g => g.Count()))
        {
            output.WriteLine($"{group.Count(),5} {group.Key}");
        }

        Assert.True(lines.Count > 40, $"only {lines.Count} log lines: the run did not log enough to prove anything");
        foreach (var line in lines)
        {
            foreach (var secret in Secrets)
            {
                Assert.False(line.Message.Contains(secret, StringComparison.OrdinalIgnoreCase), $"[{line.Category}] logged the secret {secret[..4]}…: {line.Message}");
            }
        }
    }
}
