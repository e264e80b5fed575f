using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Collectors.Modbus;
using Monitoring.Collectors.Modbus.Client;
using Monitoring.Server.Security;
using Monitoring.Server.Tests.Alarms;
using Monitoring.Simulator.Modbus;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Training;

/// <summary>
/// Issue 21's end-to-end isolation test: the live demo room (simulator on) writes to a real influxd and posts alarm
/// webhooks to a real listener and drives its lamp; an instructor creates a training session on the demo room for the
/// raised-floor leak drill with two trainees; the session's own simulator plays the leak; both trainees see and
/// acknowledge the session's alarm and one opens a ticket there. The live alarms, tickets, lamp, webhooks and influxd
/// get nothing of it, while a live alarm raised on purpose (the control) does reach the webhook receiver.
/// </summary>
public sealed class TrainingSessionIsolationTests : IAsyncLifetime, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("training-e2e-").FullName;
    private readonly HttpClient _influxHttp = new() { Timeout = TimeSpan.FromSeconds(10) };
    private PeerProcess? _influx;
    private WebhookReceiver? _receiver;
    private LiveServer? _live;

    public async Task InitializeAsync()
    {
        _influx = await PeerProcess.StartInfluxdAsync(Directory.CreateDirectory(Path.Combine(_root, "influxd")).FullName);
        using (var create = await _influxHttp.PostAsync(new Uri($"{_influx.Url}/query?q=CREATE+DATABASE+noc"), null))
        {
            create.EnsureSuccessStatusCode();
        }

        _receiver = await WebhookReceiver.StartAsync();
        _live = new LiveServer([
            "--Monitoring:Simulator:IntervalSeconds", "1",
            "--Monitoring:Alarms:Lamp:ReassertSeconds", "2",
            "--Monitoring:Influx:Targets:0:Name", "central",
            "--Monitoring:Influx:Targets:0:Url", _influx.Url,
            "--Monitoring:Influx:Targets:0:Version", "1",
            "--Monitoring:Influx:Targets:0:Database", "noc",
            "--Monitoring:Influx:Targets:0:FlushIntervalMs", "200",
            "--Monitoring:Alarms:Webhooks:0:Url", new Uri(_receiver.Address, "/hook").ToString(),
            "--Monitoring:Alarms:Webhooks:0:Template", "{\"event\":\"{event}\",\"device\":\"{device}\",\"severity\":\"{severity}\"}",
            "--Monitoring:Alarms:Webhooks:0:Events:0", "raised",
            "--Monitoring:Alarms:Webhooks:0:Events:1", "acknowledged",
            "--Monitoring:Alarms:Webhooks:0:TicketEvents:0", "opened",
            "--Monitoring:Alarms:Webhooks:0:TicketTemplate", "{\"ticketEvent\":\"{event}\",\"device\":\"{device}\"}",
            "--Monitoring:Alarms:Webhooks:0:RetryBaseMilliseconds", "50"]);
        await _live.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        if (_live is not null)
        {
            await _live.DisposeAsync();
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }

        _influx?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public void Dispose() => _influxHttp.Dispose();

    [Fact]
    public async Task A_leak_drill_in_a_session_reaches_its_trainees_and_nothing_of_it_reaches_the_live_room()
    {
        var live = _live!;
        using var instructor = await live.SignInAsync("教官", Role.Instructor);
        using var trainee1 = await live.SignInAsync("学员甲", Role.Trainee);
        using var trainee2 = await live.SignInAsync("学员乙", Role.Trainee);
        using var outsider = await live.SignInAsync("值班员丙", Role.Operator);

        // the live room writes to influxd: the leak probe's series is there (dry) before anything happens
        await ServerFixture.EventuallyAsync(() => InfluxCountAsync("SELECT count(leak) FROM probe WHERE device='leak-1'"), n => n > 0, "the live leak probe's points in influxd", 60_000);

        // the instructor creates the session; bounds are named
        using (var tooMany = await instructor.Http.PostAsJsonAsync("/api/training/sessions", new { name = "x", roomId = "demo", trainees = new[] { "nobody-such" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
            Assert.Contains("nobody-such", await tooMany.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var refused = await trainee1.Http.PostAsJsonAsync("/api/training/sessions", new { name = "x", roomId = "demo" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        JsonElement session;
        using (var created = await instructor.Http.PostAsJsonAsync("/api/training/sessions", new
        {
            name = "漏水演练 leak drill",
            roomId = "demo",
            drillId = "raised-floor-leak",
            kind = "drill",
            trainees = new[] { "学员甲", "学员乙" },
            mirrorLive = false,
        }))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            session = await created.Content.ReadFromJsonAsync<JsonElement>();
        }

        var id = session.GetProperty("id").GetString()!;
        var url = new Uri(session.GetProperty("url").GetString()!);
        Assert.NotEqual(live.BaseAddress.Port, url.Port);
        Assert.Equal("running", session.GetProperty("state").GetString());

        // the trainees list it (the uninvited operator does not: no Train capability); /healthz names it
        var listed = await trainee1.Http.GetFromJsonAsync<JsonElement>("/api/training/sessions");
        Assert.Equal([id], listed.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        using (var notListed = await outsider.Http.GetAsync("/api/training/sessions"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, notListed.StatusCode);
        }

        var health = await live.Http.GetFromJsonAsync<JsonElement>("/healthz");
        var sessions = health.GetProperty("components").GetProperty("trainingSessions").GetProperty("data").GetProperty("sessions");
        Assert.Contains(sessions.EnumerateArray(), s => s.GetProperty("id").GetString() == id && s.GetProperty("roomId").GetString() == "demo");

        // the live host's cookies sign the trainees in on the session's address; the session says it is TRAINING
        using var onSession1 = await SessionClient.ForAsync(trainee1, url);
        using var onSession2 = await SessionClient.ForAsync(trainee2, url);
        using var adminOnSession = await SessionClient.ForAsync(live.Admin, url);
        using var outsiderOnSession = await SessionClient.ForAsync(outsider, url);
        var context = await onSession1.Http.GetFromJsonAsync<JsonElement>("/api/training/context");
        Assert.Equal(id, context.GetProperty("session").GetProperty("id").GetString());
        Assert.Equal("demo", context.GetProperty("session").GetProperty("roomId").GetString());
        var liveContext = await trainee1.Http.GetFromJsonAsync<JsonElement>("/api/training/context");
        Assert.Equal(JsonValueKind.Null, liveContext.GetProperty("session").ValueKind);
        var rooms = await onSession1.Http.GetFromJsonAsync<JsonElement>("/api/rooms");
        Assert.Equal(["demo"], rooms.EnumerateArray().Select(r => r.GetProperty("id").GetString()));

        // an uninvited user is refused there
        using (var forbidden = await outsiderOnSession.Http.GetAsync("/api/alarms"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Contains("not invited", await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // the control: an alarm raised on purpose in the live room reaches the live webhook receiver
        using (var content = new StringContent("ups,device=ups-2 mode=2", System.Text.Encoding.UTF8, "text/plain"))
        using (var write = await live.Http.PostAsync("/api/v2/write?bucket=b&org=o", content))
        {
            Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);
        }

        await ServerFixture.EventuallyAsync(
            () => Task.FromResult(_receiver!.Requests.ToArray()), r => r.Any(x => x.Body.Contains("\"device\":\"ups-2\"", StringComparison.Ordinal)),
            "the live control alarm's webhook", 30_000);

        // the live lamp sounds for unacknowledged critical alarms (the control is one): the live duty acknowledges them,
        // so that a buzzer from here on could only come from the session
        await ServerFixture.EventuallyAsync(
            async () =>
            {
                foreach (var a in (await live.Http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray()
                    .Where(a => a.GetProperty("severity").GetString() == "critical" && (!a.TryGetProperty("acknowledgement", out var ack) || ack.ValueKind == JsonValueKind.Null)))
                {
                    using var acked = await live.Http.PostAsJsonAsync($"/api/alarms/{a.GetProperty("id").GetInt64()}/ack", new { comment = "live duty" });
                }

                return await LiveLampAsync(live);
            },
            lamp => !lamp.HasFlag(AlarmLampSignals.Buzzer), "the live lamp silent once the live critical alarms are acknowledged", 30_000);
        var lampBefore = await LiveLampAsync(live);

        // the session's own simulator plays the leak (the drill runner will do it on its timeline)
        var leakAt = DateTimeOffset.UtcNow;
        using (var leak = await adminOnSession.Http.PostAsync("/api/simulator/scenarios/leak", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, leak.StatusCode);
        }

        // both trainees see the session's water-leak alarm and acknowledge it
        var alarm = await ServerFixture.EventuallyAsync(
            async () => (await onSession1.Http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray()
                .FirstOrDefault(a => a.GetProperty("ruleId").GetString() == "water-leak" && a.GetProperty("target").GetProperty("deviceId").GetString() == "leak-1"),
            a => a.ValueKind == JsonValueKind.Object, "the session's water-leak alarm", 60_000);
        var alarmId = alarm.GetProperty("id").GetInt64();

        // while the session's critical leak is raised and nobody acknowledged it: the live lamp does not sound (it is
        // re-asserted every 2 s from the live alarms only)
        var lampDuring = await LiveLampAsync(live);
        Assert.False(lampDuring.HasFlag(AlarmLampSignals.Buzzer), $"live lamp during the session's leak: {lampDuring} (before: {lampBefore})");
        Assert.Contains((await onSession2.Http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray(), a => a.GetProperty("id").GetInt64() == alarmId);
        using (var ack1 = await onSession1.Http.PostAsJsonAsync($"/api/alarms/{alarmId}/ack", new { comment = "学员甲 看到了" }))
        {
            Assert.True(ack1.IsSuccessStatusCode, await ack1.Content.ReadAsStringAsync());
        }

        // the second trainee may handle alarms there too: told it is taken already, then acknowledges one of their own
        using (var ack2 = await onSession2.Http.PostAsJsonAsync($"/api/alarms/{alarmId}/ack", new { comment = "学员乙 看到了" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, ack2.StatusCode);
            Assert.Contains("学员甲", await ack2.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var mains = await adminOnSession.Http.PostAsync("/api/simulator/scenarios/mains-failure", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, mains.StatusCode);
        }

        var onBattery = await ServerFixture.EventuallyAsync(
            async () => (await onSession2.Http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray()
                .FirstOrDefault(a => a.GetProperty("ruleId").GetString() == "ups-on-battery" && a.GetProperty("target").GetProperty("deviceId").GetString() == "ups-1"),
            a => a.ValueKind == JsonValueKind.Object, "the session's ups-on-battery alarm on ups-1", 60_000);
        using (var ack2 = await onSession2.Http.PostAsJsonAsync($"/api/alarms/{onBattery.GetProperty("id").GetInt64()}/ack", new { comment = "学员乙 处理中" }))
        {
            Assert.True(ack2.IsSuccessStatusCode, await ack2.Content.ReadAsStringAsync());
        }

        long ticketId;
        using (var ticket = await onSession2.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", title = "漏水 leak under the raised floor", description = "leak-1", deviceId = "leak-1", roomId = "demo" }))
        {
            Assert.True(ticket.StatusCode == HttpStatusCode.Created, await ticket.Content.ReadAsStringAsync());
            ticketId = (await ticket.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("summary").GetProperty("id").GetInt64();
        }

        var sessionTickets = await onSession1.Http.GetFromJsonAsync<JsonElement>("/api/tickets?pageSize=200");
        Assert.Contains(sessionTickets.GetProperty("items").EnumerateArray(), t => t.GetProperty("id").GetInt64() == ticketId);

        // and after the session's mains failure: the live lamp still does not sound
        var lampAfter = await LiveLampAsync(live);
        Assert.False(lampAfter.HasFlag(AlarmLampSignals.Buzzer), $"live lamp after the session's mains failure: {lampAfter} (before: {lampBefore})");

        // the live host got nothing of it: no water-leak alarm, no ticket at all
        var liveAlarms = await live.Http.GetFromJsonAsync<JsonElement>("/api/alarms");
        Assert.DoesNotContain(liveAlarms.EnumerateArray(), a => a.GetProperty("ruleId").GetString() == "water-leak");
        Assert.DoesNotContain(liveAlarms.EnumerateArray(), a => a.GetProperty("ruleId").GetString() == "ups-on-battery" && a.GetProperty("target").GetProperty("deviceId").GetString() == "ups-1");
        var liveTickets = await live.Http.GetFromJsonAsync<JsonElement>("/api/tickets?pageSize=200");
        Assert.Empty(liveTickets.GetProperty("items").EnumerateArray());

        // influxd keeps receiving the live room's dry probe after the leak, and never a wet point of leak-1
        var since = leakAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        await ServerFixture.EventuallyAsync(
            () => InfluxCountAsync($"SELECT count(leak) FROM probe WHERE device='leak-1' AND time > {since}ms"), n => n >= 3, "live leak-1 points after the session's leak", 60_000);
        Assert.Equal(0, await InfluxCountAsync("SELECT count(leak) FROM probe WHERE device='leak-1' AND leak = 1"));

        // and the webhook receiver got the control only: nothing of leak-1, no ticket event
        var hooks = _receiver!.Requests.ToArray();
        Assert.DoesNotContain(hooks, h => h.Body.Contains("leak-1", StringComparison.Ordinal) || h.Body.Contains("\"device\":\"ups-1\",\"severity\":\"critical\"", StringComparison.Ordinal));
        Assert.DoesNotContain(hooks, h => h.Body.Contains("ticketEvent", StringComparison.Ordinal));

        // the session ends: its host stops and its data folder goes
        var folder = live.App.Services.GetRequiredService<Monitoring.Server.Training.Sessions.TrainingSessionManager>().DataDirectoryOf(id);
        Assert.True(Directory.Exists(folder));
        using (var ended = await instructor.Http.DeleteAsync($"/api/training/sessions/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
        }

        Assert.False(Directory.Exists(folder));
        Assert.Empty((await instructor.Http.GetFromJsonAsync<JsonElement>("/api/training/sessions")).EnumerateArray());
    }

    private async Task<long> InfluxCountAsync(string query)
    {
        var body = await _influxHttp.GetFromJsonAsync<JsonElement>(new Uri($"{_influx!.Url}/query?db=noc&q={Uri.EscapeDataString(query)}"));
        var result = body.GetProperty("results")[0];
        if (!result.TryGetProperty("series", out var series))
        {
            return 0;
        }

        return series[0].GetProperty("values")[0][1].GetInt64();
    }

    private static async Task<AlarmLampSignals> LiveLampAsync(LiveServer live)
    {
        var room = live.App.Services.GetRequiredService<ModbusDemoRoom>();
        var device = live.Inventory.FindDevice("lamp-1")!;
        await using var client = new ModbusTcpClient(room.EndPointFor(device)!);
        return await new AlarmLamp(client, room.UnitIdOf("lamp-1"), AlarmLampCoils.Consecutive(0)).ReadAsync();
    }

    private sealed class LiveServer(string[] args) : ServerFixture(args)
    {
        public override bool Simulator => true;
    }
}

/// <summary>A client of a session's host with the cookies a user got from the live host (same host name, another port).</summary>
internal sealed class SessionClient : IDisposable
{
    private SessionClient(HttpClient http) => Http = http;

    public HttpClient Http { get; }

    public static async Task<SessionClient> ForAsync(SignedInClient live, Uri sessionUrl)
    {
        var handler = new Handler(new HttpClientHandler { CookieContainer = live.Cookies, UseCookies = true, AllowAutoRedirect = false });
        var http = new HttpClient(handler) { BaseAddress = sessionUrl, Timeout = TimeSpan.FromSeconds(30) };
        var session = await http.GetFromJsonAsync<JsonElement>("/api/auth/session");
        handler.Token = session.GetProperty("antiforgery").GetString();
        return new SessionClient(http);
    }

    public void Dispose() => Http.Dispose();

    private sealed class Handler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public string? Token { get; set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Token is not null && request.Method != HttpMethod.Get)
            {
                request.Headers.Add("X-XSRF-TOKEN", Token);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
