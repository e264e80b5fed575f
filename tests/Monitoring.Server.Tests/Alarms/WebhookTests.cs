using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Monitoring.Core.Alarms;
using Monitoring.Server.Alarms;

namespace Monitoring.Server.Tests.Alarms;

/// <summary>A real HTTP listener (Kestrel on a free loopback port) that refuses the first requests with 503, then takes them.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _refuse;

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<(string Body, string? ContentType, string Query, bool Refused)> Requests { get; } = new();

    public Uri Address { get; private set; } = null!;

    /// <summary>How many requests to answer 503 before taking the next.</summary>
    public int RefuseNext
    {
        get => Volatile.Read(ref _refuse);
        set => Volatile.Write(ref _refuse, value);
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var refuse = Interlocked.Decrement(ref receiver._refuse) >= 0;
            receiver.Requests.Enqueue((body, context.Request.ContentType, context.Request.QueryString.Value ?? string.Empty, refuse));
            return refuse ? Results.StatusCode(503) : Results.Ok();
        });
        await app.StartAsync();
        receiver.Address = new Uri(app.Urls.First());
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The server (simulator off) with one webhook target pointing at the <see cref="WebhookReceiver"/>.</summary>
public sealed class WebhookFixture : IAsyncLifetime
{
    public const string Secret = "s3cr3t-gateway-key";
    public const string Template = "{\"msgtype\":\"text\",\"event\":\"{event}\",\"severity\":\"{severity}\",\"device\":\"{device}\",\"port\":\"{port}\",\"rack\":\"{rack}\",\"raisedAt\":\"{raisedAt}\",\"text\":\"{message}\",\"by\":\"{user}\",\"comment\":\"{comment}\"}";

    public const string TicketTemplate = "{\"msgtype\":\"text\",\"ticketEvent\":\"{event}\",\"number\":\"{number}\",\"device\":\"{device}\",\"rack\":\"{rack}\",\"team\":\"{team}\",\"by\":\"{by}\",\"title\":\"{title}\"}";

    public WebhookReceiver Receiver { get; private set; } = null!;

    public ServerFixture Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        Server = new Configured([
            "--Monitoring:Alarms:Webhooks:0:Url", new Uri(Receiver.Address, "/hook?key=" + Secret).ToString(),
            "--Monitoring:Alarms:Webhooks:0:Name", "sms-gateway",
            "--Monitoring:Alarms:Webhooks:0:Template", Template,
            "--Monitoring:Alarms:Webhooks:0:MinSeverity", "major",
            "--Monitoring:Alarms:Webhooks:0:Events:0", "raised",
            "--Monitoring:Alarms:Webhooks:0:Events:1", "acknowledged",
            "--Monitoring:Alarms:Webhooks:0:RetryBaseMilliseconds", "50",
            "--Monitoring:Alarms:Webhooks:0:MaxAttempts", "4",
            "--Monitoring:Alarms:Webhooks:0:TicketEvents:0", "opened",
            "--Monitoring:Alarms:Webhooks:0:TicketEvents:1", "dispatched",
            "--Monitoring:Alarms:Webhooks:0:TicketTemplate", TicketTemplate]);
        await Server.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Receiver.DisposeAsync();
    }

    private sealed class Configured(string[] args) : ServerFixture(args);
}

/// <summary>Outbound webhooks: per-target template with JSON escaping, retries with backoff, severity and event filters.</summary>
public sealed class WebhookTests(WebhookFixture fixture) : IClassFixture<WebhookFixture>
{
    private async Task WriteAsync(string lines)
    {
        using var content = new StringContent(lines, Encoding.UTF8, "text/plain");
        using var response = await fixture.Server.Http.PostAsync(new Uri("/api/v2/write?bucket=b&org=o", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task A_raised_alarm_is_posted_with_the_template_after_retries_and_its_acknowledgement_follows()
    {
        var server = fixture.Server;
        fixture.Receiver.RefuseNext = 2;
        await WriteAsync("ups,device=ups-2 mode=2");

        var raised = await ServerFixture.EventuallyAsync(
            () => Task.FromResult(fixture.Receiver.Requests.ToArray()),
            r => r.Any(x => !x.Refused && IsRaisedOnUps2(x.Body)),
            "the raised webhook to be delivered");
        var attempts = raised.Where(x => IsRaisedOnUps2(x.Body)).ToList();
        Assert.Equal(3, attempts.Count); // two 503s, then delivered
        Assert.True(attempts[0].Refused && attempts[1].Refused && !attempts[2].Refused);
        Assert.All(attempts, a => Assert.Equal(attempts[0].Body, a.Body));
        Assert.StartsWith("application/json", attempts[2].ContentType, StringComparison.Ordinal);
        Assert.Equal("?key=" + WebhookFixture.Secret, attempts[2].Query);

        using var body = JsonDocument.Parse(attempts[2].Body);
        var root = body.RootElement;
        Assert.Equal("critical", root.GetProperty("severity").GetString());
        Assert.Equal("ups-2", root.GetProperty("device").GetString());
        Assert.Equal(string.Empty, root.GetProperty("port").GetString());
        var alarm = server.App.Services.GetService(typeof(IAlarmService)) as IAlarmService;
        var snapshot = alarm!.Active.Single(a => a.RuleId == "ups-on-battery" && a.Target.DeviceId == "ups-2");
        Assert.Equal(snapshot.Message, root.GetProperty("text").GetString());
        Assert.Equal(snapshot.RaisedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), root.GetProperty("raisedAt").GetString());

        // a comment with quotes, a backslash and a line break stays valid JSON
        const string Comment = "他说 \"马上到\"\\ 第二行\n完";
        using var operatorClient = await server.SignInAsync("值班员", Monitoring.Server.Security.Role.Operator);
        using (var ack = await operatorClient.Http.PostAsJsonAsync($"/api/alarms/{snapshot.Id}/ack", new { comment = Comment }))
        {
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        }

        var acknowledged = await ServerFixture.EventuallyAsync(
            () => Task.FromResult(fixture.Receiver.Requests.ToArray()),
            r => r.Any(x => x.Body.Contains("\"event\":\"acknowledged\"", StringComparison.Ordinal)),
            "the acknowledged webhook");
        using var ackBody = JsonDocument.Parse(acknowledged.First(x => x.Body.Contains("\"event\":\"acknowledged\"", StringComparison.Ordinal)).Body);
        Assert.Equal(Comment, ackBody.RootElement.GetProperty("comment").GetString());
        Assert.Equal("值班员", ackBody.RootElement.GetProperty("by").GetString());

        var health = await server.GetJsonAsync("/healthz");
        var hooks = health.GetProperty("components").GetProperty("webhooks");
        var gateway = hooks.GetProperty("data").GetProperty("sms-gateway");
        Assert.True(gateway.GetProperty("delivered").GetInt64() >= 2);
        Assert.True(gateway.GetProperty("retries").GetInt64() >= 2);
        Assert.DoesNotContain(WebhookFixture.Secret, health.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alarms_below_the_targets_minimum_severity_are_not_posted()
    {
        var alarms = (IAlarmService)fixture.Server.App.Services.GetService(typeof(IAlarmService))!;
        // a warning first (a coldStart notification: the device-restarted rule), then a major one (UPS on bypass)
        alarms.OnInputEvent(new AlarmInputEvent("asw-a02", null, "coldStart", DateTimeOffset.UtcNow));
        Assert.Contains(alarms.Active, a => a.RuleId == "device-restarted" && a.Target.DeviceId == "asw-a02" && a.Severity == AlarmSeverity.Warning);
        await WriteAsync("ups,device=ups-1 mode=3");
        var requests = await ServerFixture.EventuallyAsync(
            () => Task.FromResult(fixture.Receiver.Requests.ToArray()),
            r => r.Any(x => x.Body.Contains("\"device\":\"ups-1\"", StringComparison.Ordinal) && !x.Refused),
            "the major alarm's webhook");

        // one queue per target, in order: the major one arrived, so the warning one would have been sent before it
        Assert.DoesNotContain(requests, r => r.Body.Contains("\"device\":\"asw-a02\"", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Body.Contains("\"severity\":\"major\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ticket_events_the_target_names_go_through_the_same_webhook_with_their_own_template()
    {
        var server = fixture.Server;
        using var hotline = await server.SignInAsync("热线值班员", Monitoring.Server.Security.Role.Operator);
        using var created = await hotline.Http.PostAsJsonAsync("/api/tickets", new
        {
            category = "fault",
            channel = "phone",
            caller = new { name = "王五", phone = "6001", department = "财务部", location = "3F 301" },
            description = "ERP 服务器 \"无法登录\"",
            deviceId = "srv-b01-u10",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var ticket = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var id = ticket.RootElement.GetProperty("summary").GetProperty("id").GetInt64();
        var number = ticket.RootElement.GetProperty("summary").GetProperty("number").GetString()!;
        using (var dispatched = await server.Http.PostAsJsonAsync($"/api/tickets/{id}/dispatch", new { by = "noc.duty", team = "team-network" }))
        {
            Assert.Equal(HttpStatusCode.OK, dispatched.StatusCode);
        }

        var requests = await ServerFixture.EventuallyAsync(
            () => Task.FromResult(fixture.Receiver.Requests.Where(r => !r.Refused && r.Body.Contains(number, StringComparison.Ordinal)).ToArray()),
            r => r.Length >= 2,
            "the ticket's opened and dispatched webhooks");
        var bodies = requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        var opened = Assert.Single(bodies, b => b.GetProperty("ticketEvent").GetString() == "opened");
        Assert.Equal("srv-b01-u10", opened.GetProperty("device").GetString());
        Assert.Equal("b01", opened.GetProperty("rack").GetString()); // the rack srv-b01-u10 is mounted in (demo.yaml)
        Assert.Equal("热线值班员", opened.GetProperty("by").GetString());
        var dispatchedBody = Assert.Single(bodies, b => b.GetProperty("ticketEvent").GetString() == "dispatched");
        Assert.Equal("team-network", dispatchedBody.GetProperty("team").GetString());

        // events the target does not name (accepted, departed, ...) are not sent
        using (var accepted = await server.Http.PostAsJsonAsync($"/api/tickets/{id}/accept", new { by = "li.wei" }))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        using (var depart = await server.Http.PostAsJsonAsync($"/api/tickets/{id}/depart", new { by = "li.wei" }))
        {
            Assert.Equal(HttpStatusCode.OK, depart.StatusCode);
        }

        // one queue per target, in order: once a later ticket's "opened" has arrived, an "accepted" would have been sent before it
        using var later = await server.Http.PostAsJsonAsync("/api/tickets", new { by = "热线值班员", category = "request", description = "会议室投影仪" });
        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
        using var laterTicket = JsonDocument.Parse(await later.Content.ReadAsStringAsync());
        var laterNumber = laterTicket.RootElement.GetProperty("summary").GetProperty("number").GetString()!;
        await ServerFixture.EventuallyAsync(
            () => Task.FromResult(fixture.Receiver.Requests.ToArray()),
            r => r.Any(x => !x.Refused && x.Body.Contains(laterNumber, StringComparison.Ordinal)),
            "the later ticket's opened webhook");
        Assert.Equal(2, fixture.Receiver.Requests.Count(r => !r.Refused && r.Body.Contains(number, StringComparison.Ordinal)));
    }

    private static bool IsRaisedOnUps2(string body) =>
        body.Contains("\"event\":\"raised\"", StringComparison.Ordinal) && body.Contains("\"device\":\"ups-2\"", StringComparison.Ordinal);

    [Fact]
    public void Templates_escape_for_json_only_when_the_body_is_json_and_urls_are_masked_for_logs()
    {
        var alarm = new AlarmSnapshot
        {
            Id = 42,
            RuleId = "r",
            RuleName = "规则",
            Severity = AlarmSeverity.Major,
            Target = new AlarmTarget("sw-1", 12, "demo", "A01"),
            Message = "line \"1\"\nline 2",
            State = AlarmState.Raised,
            RaisedAt = DateTimeOffset.UnixEpoch,
            ChangedAt = DateTimeOffset.UnixEpoch,
        };
        var e = new AlarmEvent(AlarmEventKind.Raised, alarm, DateTimeOffset.UnixEpoch);
        Assert.Equal("{\"m\":\"line \\\"1\\\"\\nline 2\",\"p\":\"12\",\"r\":\"A01\"}", WebhookTemplate.Render("{\"m\":\"{message}\",\"p\":\"{port}\",\"r\":\"{rack}\"}", e, json: true));
        Assert.Equal("major sw-1:12 line \"1\"\nline 2 {unknown}", WebhookTemplate.Render("{severity} {target} {message} {unknown}", e, json: false));
        Assert.Equal("https://***@sms.example.com/send?***", WebhookTemplate.MaskUrl("https://u:p@sms.example.com/send?key=abc&to=1"));
        Assert.Equal("http://127.0.0.1:8080/hook", WebhookTemplate.MaskUrl("http://127.0.0.1:8080/hook"));
    }

    [Fact]
    public void Templates_carry_the_message_in_both_languages()
    {
        var alarm = new AlarmSnapshot
        {
            Id = 7,
            RuleId = "ups-on-battery",
            RuleName = "UPS 电池供电",
            Severity = AlarmSeverity.Critical,
            Target = new AlarmTarget("ups-1", null, "demo", null),
            Message = "1号UPS 运行模式：电池供电",
            MessageEn = "1号UPS operating mode: on battery",
            State = AlarmState.Raised,
            RaisedAt = DateTimeOffset.UnixEpoch,
            ChangedAt = DateTimeOffset.UnixEpoch,
        };
        var e = new AlarmEvent(AlarmEventKind.Raised, alarm, DateTimeOffset.UnixEpoch);
        Assert.Equal("1号UPS 运行模式：电池供电 | 1号UPS operating mode: on battery", WebhookTemplate.Render("{message} | {messageEn}", e, json: false));
        Assert.Equal("1号UPS 运行模式：电池供电", WebhookTemplate.Render("{messageEn}", e with { Alarm = alarm with { MessageEn = null } }, json: false));
        Assert.Contains("\"messageEn\":\"1号UPS operating mode: on battery\"", WebhookTemplate.DefaultBody(e, new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), StringComparison.Ordinal);
    }
}
