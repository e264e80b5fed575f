using System.Net;
using Microsoft.AspNetCore.Builder;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Tickets.Notices;
using Monitoring.Server.Security;
using Monitoring.Storage.Notices;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Tickets.Notices;

/// <summary>
/// Customer progress notices end to end with real peers: a real SMTP server (aiosmtpd) receives the emails, a real
/// HTTP receiver verifies the signed SMS webhook; the server is the real one (in process, or a child process for kill -9).
/// </summary>
public sealed class NoticeTests : IDisposable
{
    private const string Secret = "a-shared-secret-of-the-gateway-42";
    private readonly string _directory = Directory.CreateTempSubdirectory("notices-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string[] Args(string data, SmtpCapture? smtp, int smtpPort, SignedWebhookReceiver? sms, params string[] more) =>
    [
        "--urls", "http://127.0.0.1:0", "--data", data, "--simulator", "false",
        "--Monitoring:Notices:Email:Host", "127.0.0.1", "--Monitoring:Notices:Email:Port", (smtp?.Port ?? smtpPort).ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--Monitoring:Notices:Email:From", "noc@example.test", "--Monitoring:Notices:Email:FromName", "NOC",
        .. sms is null ? Array.Empty<string>() : ["--Monitoring:Notices:Sms:Url", sms.Url, "--Monitoring:Notices:Sms:Secret", Secret],
        "--Monitoring:Notices:RetryBaseSeconds", "0.2", "--Monitoring:Notices:RetryMaxSeconds", "1",
        .. more,
    ];

    private static async Task<(WebApplication App, SignedInClient Admin)> StartAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var app = ServerHost.Build(args, configure);
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        return (app, await TestSignIn.AsAsync(app, address, "tester", Role.Administrator));
    }

    private static async Task<JsonElement> OkAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static object Report(string deviceId, string priority = "urgent", string customerClass = "standard") => new
    {
        category = "fault",
        priority,
        customerClass,
        description = "财务部打印机网络不通",
        deviceId,
        caller = new { name = "王五", phone = "13800000001", department = "财务部", email = "wang.wu@example.test", language = "zh" },
        accountManager = new { name = "Alice Smith", phone = "13900000002", email = "alice@example.test", language = "en" },
    };

    [Fact]
    public async Task The_steps_of_a_ticket_reach_a_real_smtp_server_and_a_signed_sms_gateway_in_each_contacts_language()
    {
        using var smtp = await SmtpCapture.StartAsync(_directory);
        using var sms = new SignedWebhookReceiver(Secret);
        var (app, admin) = await StartAsync(Args(Path.Combine(_directory, "data"), smtp, 0, sms));
        await using var _ = app;
        using var __ = admin;
        var device = app.Services.GetRequiredService<Monitoring.Core.Inventory.Inventory>().Devices.First(d => d.Kind == Monitoring.Core.Inventory.DeviceKind.Switch);
        // urgent: the SMS quiet hours do not hold it, whatever the time of day the test runs at
        var created = await OkAsync(admin.Http, "/api/tickets", Report(device.Id));
        var id = created.GetProperty("summary").GetProperty("id").GetInt64();
        var number = created.GetProperty("summary").GetProperty("number").GetString()!;
        Assert.Equal("alice@example.test", created.GetProperty("accountManager").GetProperty("email").GetString());
        await OkAsync(admin.Http, $"/api/tickets/{id}/dispatch", new { team = "team-network" });
        await OkAsync(admin.Http, $"/api/tickets/{id}/accept", new { vehicle = "van-1" });
        await OkAsync(admin.Http, $"/api/tickets/{id}/depart", new { });
        await OkAsync(admin.Http, $"/api/tickets/{id}/arrive", new { });
        await OkAsync(admin.Http, $"/api/tickets/{id}/resolve", new { note = "更换了故障的交换机端口模块" });

        // the rules (notices.yaml): customer at accepted, arrived, resolved; account manager at accepted, resolved, overdue
        var mails = await smtp.WaitForAsync(m => m.Count >= 5, "5 emails (accepted ×2, arrived, resolved ×2)");
        string Subject(string to, string contains) => mails.Single(m => m.GetProperty("to")[0].GetString() == to && m.GetProperty("subject").GetString()!.Contains(contains, StringComparison.Ordinal))
            .GetProperty("subject").GetString()!;
        Assert.Equal($"【工单 {number}】您的报修已受理", Subject("wang.wu@example.test", "受理"));
        Assert.Equal($"[Ticket {number}] Your report was accepted", Subject("alice@example.test", "accepted"));
        Assert.Equal($"【工单 {number}】维修人员已到达现场", Subject("wang.wu@example.test", "到达"));
        Assert.Equal($"[Ticket {number}] Resolved", Subject("alice@example.test", "Resolved"));
        var resolvedZh = mails.Single(m => m.GetProperty("subject").GetString() == $"【工单 {number}】已修复");
        Assert.Equal("zh", resolvedZh.GetProperty("contentLanguage").GetString());
        Assert.Contains("王五 您好", resolvedZh.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Contains("更换了故障的交换机端口模块", resolvedZh.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Contains("Dear Alice Smith", mails.Single(m => m.GetProperty("subject").GetString() == $"[Ticket {number}] Resolved").GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.All(mails, m => Assert.Equal("noc@example.test", m.GetProperty("from").GetString()));
        Assert.DoesNotContain(mails, m => m.GetProperty("subject").GetString()!.Contains("派单", StringComparison.Ordinal) || m.GetProperty("subject").GetString()!.Contains("Dispatched", StringComparison.Ordinal));

        var texts = await sms.WaitForAsync(r => r.Count >= 5, "5 SMS");
        Assert.All(texts, r => Assert.True(r.SignatureValid, $"bad signature on {r.Body}"));
        Assert.Contains(texts, r => r.Body.GetProperty("to").GetString() == "13800000001" && r.Body.GetProperty("text").GetString() == $"【运维中心】工单{number}已受理：财务部打印机网络不通。");
        Assert.Contains(texts, r => r.Body.GetProperty("to").GetString() == "13900000002" && r.Body.GetProperty("language").GetString() == "en"
            && r.Body.GetProperty("step").GetString() == "resolved" && r.Body.GetProperty("text").GetString()!.StartsWith($"[NOC] Ticket {number} resolved", StringComparison.Ordinal));

        // the ticket's timeline: every notice with its state, nothing for the dispatch step
        var detail = await ServerFixture.EventuallyAsync(
            async () => await admin.Http.GetFromJsonAsync<JsonElement>($"/api/tickets/{id}"),
            d => d.GetProperty("notices").GetArrayLength() == 10 && d.GetProperty("notices").EnumerateArray().All(n => n.GetProperty("state").GetString() == "sent"),
            "10 notices sent in the ticket's timeline");
        Assert.DoesNotContain(detail.GetProperty("notices").EnumerateArray(), n => n.GetProperty("step").GetString() == "dispatched");
        Assert.All(detail.GetProperty("notices").EnumerateArray(), n => Assert.Equal(1, n.GetProperty("history").GetArrayLength()));
    }

    [Fact]
    public async Task A_failing_gateway_is_retried_and_the_retries_are_in_the_tickets_timeline_without_holding_up_email()
    {
        using var smtp = await SmtpCapture.StartAsync(_directory);
        using var sms = new SignedWebhookReceiver(Secret, 500, 500);
        var (app, admin) = await StartAsync(Args(Path.Combine(_directory, "data"), smtp, 0, sms));
        await using var _ = app;
        using var __ = admin;
        await using var hub = await HubClient.ConnectAsync(new Uri(app.Urls.First()), "/hubs/live", admin.Cookies);
        var device = app.Services.GetRequiredService<Monitoring.Core.Inventory.Inventory>().Devices.First(d => d.Kind == Monitoring.Core.Inventory.DeviceKind.Switch);
        var created = await OkAsync(admin.Http, "/api/tickets", Report(device.Id));
        var id = created.GetProperty("summary").GetProperty("id").GetInt64();

        var texts = await sms.WaitForAsync(r => r.Count(x => x.Answered == 200) >= 2, "both SMS delivered after the gateway's two 500s");
        Assert.Equal(2, texts.Count(r => r.Answered == 500));
        Assert.All(texts, r => Assert.True(r.SignatureValid));
        await smtp.WaitForAsync(m => m.Count >= 2, "the 2 emails");
        await hub.WaitForAsync("ticket", m => m.GetProperty("kind").GetString() == "notice" && m.GetProperty("ticketId").GetInt64() == id
            && m.GetProperty("detail").GetString()!.Contains("gateway answered 500", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

        var detail = await ServerFixture.EventuallyAsync(
            async () => await admin.Http.GetFromJsonAsync<JsonElement>($"/api/tickets/{id}"),
            d => d.GetProperty("notices").EnumerateArray().Count(n => n.GetProperty("state").GetString() == "sent") == 4,
            "4 notices sent");
        var retried = detail.GetProperty("notices").EnumerateArray().Where(n => n.GetProperty("channel").GetString() == "sms").ToList();
        Assert.Equal(4, retried.Sum(n => n.GetProperty("history").GetArrayLength()));
        Assert.Contains(retried, n => n.GetProperty("history").EnumerateArray().Any(a => !a.GetProperty("ok").GetBoolean() && a.GetProperty("error").GetString() == "gateway answered 500"));
        Assert.All(retried, n => Assert.True(n.GetProperty("history").EnumerateArray().Last().GetProperty("ok").GetBoolean()));
        var health = await admin.Http.GetFromJsonAsync<JsonElement>("/healthz");
        var notices = health.GetProperty("components").GetProperty("notices");
        Assert.Equal(0, notices.GetProperty("data").GetProperty("gaveUp").GetInt64());
        Assert.True(notices.GetProperty("data").GetProperty("failedAttempts").GetInt64() >= 2);
    }

    [Fact]
    public async Task Quiet_hours_hold_an_sms_until_they_end_while_email_goes_at_once()
    {
        using var smtp = await SmtpCapture.StartAsync(_directory);
        using var sms = new SignedWebhookReceiver(Secret);
        // 15:00 UTC is 23:00 in Shanghai: inside the SMS quiet hours 22:00-07:00
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 15, 0, 0, TimeSpan.Zero));
        var (app, admin) = await StartAsync(
            Args(Path.Combine(_directory, "data"), smtp, 0, sms, "--Monitoring:Site:TimeZone", "Asia/Shanghai"),
            builder => builder.Services.AddSingleton<TimeProvider>(time));
        await using var _ = app;
        using var __ = admin;
        var device = app.Services.GetRequiredService<Monitoring.Core.Inventory.Inventory>().Devices.First(d => d.Kind == Monitoring.Core.Inventory.DeviceKind.Switch);
        var created = await OkAsync(admin.Http, "/api/tickets", Report(device.Id, priority: "normal"));
        var id = created.GetProperty("summary").GetProperty("id").GetInt64();
        await smtp.WaitForAsync(m => m.Count >= 2, "the 2 emails (email has no quiet hours)");

        var store = app.Services.GetRequiredService<NoticeStore>();
        var held = (await store.ForTicketAsync(id, CancellationToken.None)).Where(n => n.Channel == NoticeChannel.Sms).ToList();
        Assert.Equal(2, held.Count);
        var morning = new DateTimeOffset(2026, 12, 7, 23, 0, 0, TimeSpan.Zero); // 07:00 the next morning in Shanghai
        Assert.All(held, n => Assert.Equal((NoticeState.Pending, morning, 0), (n.State, n.NextAt, n.Attempts)));
        Assert.Empty(sms.Requests);

        time.Advance(TimeSpan.FromHours(7) + TimeSpan.FromMinutes(59));
        Assert.Empty(sms.Requests); // 06:59: still quiet (the notices are due at 07:00 only)
        time.Advance(TimeSpan.FromMinutes(1));
        var texts = await sms.WaitForAsync(r => r.Count >= 2, "the 2 held SMS at 07:00");
        Assert.All(texts, r => Assert.Equal(morning.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), r.Timestamp));
    }

    [Fact]
    public async Task A_notice_due_at_a_step_answered_2xx_is_sent_after_a_kill_9_and_restart()
    {
        var port = PeerProcess.FreePort(); // nothing listens yet: the first server cannot send
        var data = Path.Combine(_directory, "data");
        Directory.CreateDirectory(data);
        var environment = new Dictionary<string, string>
        {
            ["Monitoring__Notices__Email__Host"] = "127.0.0.1",
            ["Monitoring__Notices__Email__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Monitoring__Notices__Email__From"] = "noc@example.test",
            ["Monitoring__Notices__RetryBaseSeconds"] = "0.5",
            ["Monitoring__Notices__RetryMaxSeconds"] = "1",
            ["Monitoring__Notices__MaxAttempts"] = "50",
        };
        long id;
        using var server = new ChildServer(data, environment);
        using (var admin = await server.StartAsync())
        {
            var created = await OkAsync(admin.Http, "/api/tickets", new
            {
                category = "fault",
                description = "机房空调告警",
                caller = new { name = "赵六", email = "zhao.liu@example.test", language = "zh" },
            });
            id = created.GetProperty("summary").GetProperty("id").GetInt64();
            await server.KillAsync(); // SIGKILL right after the 2xx: no shutdown, nothing flushed
        }

        Assert.DoesNotContain(server.Output, l => l.Contains("sent, attempt", StringComparison.Ordinal));
        using var smtp = await SmtpCapture.StartAsync(_directory, port);
        using var again = await server.StartAsync();
        var mails = await smtp.WaitForAsync(m => m.Any(x => x.GetProperty("subject").GetString() == $"【工单 T{id:D6}】您的报修已受理"), "the accepted notice after the restart", 60_000);
        Assert.Equal("zhao.liu@example.test", mails.Single().GetProperty("to")[0].GetString());
    }
}
