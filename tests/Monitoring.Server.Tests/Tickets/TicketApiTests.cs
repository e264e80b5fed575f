using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Core.Alarms;
using Monitoring.Server.Tickets;

namespace Monitoring.Server.Tests.Tickets;

public abstract class TicketApiTests(ServerFixture server)
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<JsonElement> OkAsync(string path, object body)
    {
        var (status, json) = await SendAsync(HttpMethod.Post, path, body);
        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Created, $"POST {path} answered {(int)status}: {json}");
        return json;
    }

    private static long Id(JsonElement detail) => detail.GetProperty("summary").GetProperty("id").GetInt64();

    private static string Status(JsonElement detail) => detail.GetProperty("summary").GetProperty("status").GetString()!;

    private static JsonElement Segment(JsonElement detail, string code) =>
        detail.GetProperty("segments").EnumerateArray().Single(s => s.GetProperty("code").GetString() == code);

    [Fact]
    public async Task A_hotline_ticket_goes_the_whole_way_and_the_report_shows_it()
    {
        await using var hub = await server.ConnectHubAsync();
        var device = server.FirstSwitch();
        var created = await OkAsync("/api/tickets", new
        {
            by = "operator.li",
            category = "fault",
            channel = "phone",
            description = "交换机端口全部不通",
            deviceId = device.Id,
            port = 5,
            caller = new { name = "王五", phone = "6001", department = "财务部", location = "3F 301" },
        });
        var id = Id(created);
        Assert.Equal("new", Status(created));
        Assert.Equal(device.RoomId, created.GetProperty("summary").GetProperty("roomId").GetString());
        Assert.Equal(device.RackId, created.GetProperty("summary").GetProperty("rackId").GetString());
        Assert.Equal("hq", created.GetProperty("summary").GetProperty("areaId").GetString());
        Assert.Equal("王五", created.GetProperty("caller").GetProperty("name").GetString());
        await hub.WaitForAsync("ticket", m => m.GetProperty("kind").GetString() == "opened" && m.GetProperty("ticketId").GetInt64() == id, TimeSpan.FromSeconds(10));

        var dispatched = await OkAsync($"/api/tickets/{id}/dispatch", new { by = "noc.duty", team = "team-network" });
        Assert.Equal("dispatched", Status(dispatched));
        Assert.True(dispatched.GetProperty("awaitingAcceptance").GetBoolean());
        await hub.WaitForAsync("ticket", m => m.GetProperty("kind").GetString() == "dispatched" && m.GetProperty("ticketId").GetInt64() == id, TimeSpan.FromSeconds(10));

        var mine = await server.GetJsonAsync("/api/tickets/mine?member=li.wei");
        Assert.Contains(mine.GetProperty("tickets").EnumerateArray(), t => t.GetProperty("id").GetInt64() == id);
        Assert.Equal("李伟", mine.GetProperty("memberName").GetString());

        await OkAsync($"/api/tickets/{id}/accept", new { by = "li.wei", vehicle = "van-1" });
        await OkAsync($"/api/tickets/{id}/depart", new { by = "li.wei" });
        var arrived = await OkAsync($"/api/tickets/{id}/arrive", new { by = "li.wei" });
        Assert.Equal("onSite", Status(arrived));
        Assert.Equal("met", Segment(arrived, "AB").GetProperty("state").GetString());
        Assert.Equal("met", Segment(arrived, "GH").GetProperty("state").GetString());
        Assert.Equal(["A", "B", "E", "F", "G", "H"], arrived.GetProperty("timeline").EnumerateArray().Select(s => s.GetProperty("letter").GetString()!).ToArray());

        var resolved = await OkAsync($"/api/tickets/{id}/resolve", new
        {
            by = "li.wei",
            note = "更换光模块",
            photos = new[] { new { name = "before.jpg", contentType = "image/jpeg", size = 1000, url = "/files/before.jpg" } },
        });
        Assert.Equal("before.jpg", resolved.GetProperty("attachments")[0].GetProperty("name").GetString());
        var callbacks = await server.GetJsonAsync("/api/tickets/callbacks");
        Assert.Contains(callbacks.EnumerateArray(), t => t.GetProperty("id").GetInt64() == id);
        await OkAsync($"/api/tickets/{id}/callback", new { by = "noc.duty", satisfied = true, comment = "满意" });
        var closed = await OkAsync($"/api/tickets/{id}/close", new { by = "noc.duty" });
        Assert.Equal("closed", Status(closed));
        Assert.DoesNotContain((await server.GetJsonAsync("/api/tickets/callbacks")).EnumerateArray(), t => t.GetProperty("id").GetInt64() == id);

        var detail = await server.GetJsonAsync($"/api/tickets/{id}");
        Assert.Equal(
            ["opened", "dispatched", "accepted", "departed", "arrived", "resolved", "called-back", "closed"],
            detail.GetProperty("audit").EnumerateArray().Select(a => a.GetProperty("action").GetString()!).ToArray());

        var today = DateTimeOffset.UtcNow;
        var report = await server.GetJsonAsync($"/api/reports/service?from={Uri.EscapeDataString(today.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(today.AddMinutes(1).ToString("O"))}&groupBy=team");
        var group = report.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("key").GetString() == "team-network");
        Assert.True(group.GetProperty("tickets").GetInt32() >= 1);
        Assert.True(group.GetProperty("calledBack").GetInt32() >= 1);
        var toSite = group.GetProperty("segments").EnumerateArray().Single(s => s.GetProperty("code").GetString() == "toSite");
        Assert.True(toSite.GetProperty("met").GetInt32() >= 1);
        Assert.InRange(toSite.GetProperty("meanMinutes").GetDouble(), 0, 1);

        using var csv = await server.Http.GetAsync("/api/reports/service?groupBy=category&format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("group,tickets,", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("fault,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Errors_are_problem_json_with_the_right_status()
    {
        var created = await OkAsync("/api/tickets", new { by = "op", description = "printer offline", category = "request" });
        var id = Id(created);
        var (status, body) = await SendAsync(HttpMethod.Post, $"/api/tickets/{id}/depart", new { by = "x" });
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("accepted before", body.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, $"/api/tickets/{id}/dispatch", new { by = "x", team = "nobody" })).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Post, "/api/tickets/999999/accept", new { by = "x" })).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/api/tickets/999999")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, "/api/tickets", new { by = "op", description = "x", deviceId = "no-such-device" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, "/api/tickets?state=sleeping")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, "/api/reports/service?groupBy=colour")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/api/tickets/mine?member=nobody")).Status);
        var detail = await server.GetJsonAsync($"/api/tickets/{id}");
        Assert.Equal("new", Status(detail));
        Assert.Single(detail.GetProperty("audit").EnumerateArray());
    }

    [Fact]
    public async Task A_report_on_a_device_with_an_open_ticket_is_intercepted_and_counted()
    {
        var device = server.Inventory.Devices.First(d => d.RackId is not null && d.Kind == Core.Inventory.DeviceKind.Server);
        var first = Id(await OkAsync("/api/tickets", new { by = "op", description = "server down", deviceId = device.Id }));

        var lookup = await server.GetJsonAsync($"/api/tickets/intercept?device={device.Id}&rack={device.RackId}&room={device.RoomId}");
        var best = lookup.GetProperty("tickets")[0];
        Assert.Equal(first, best.GetProperty("ticket").GetProperty("id").GetInt64());
        Assert.Equal("device", best.GetProperty("matchedOn").GetString());

        var linked = await OkAsync($"/api/tickets/{first}/intercept", new { by = "op2", description = "same server, second caller", caller = new { name = "赵六", phone = "6002" } });
        Assert.Equal(1, linked.GetProperty("summary").GetProperty("intercepted").GetInt32());
        Assert.Equal("赵六", linked.GetProperty("interceptedReports")[0].GetProperty("caller").GetProperty("name").GetString());
        var list = await server.GetJsonAsync($"/api/tickets?device={device.Id}");
        Assert.Equal(1, list.GetProperty("total").GetInt32());

        await OkAsync($"/api/tickets/{first}/links", new { by = "op", kind = "ticket", target = "1" });
        var withLink = await server.GetJsonAsync($"/api/tickets/{first}");
        Assert.Contains(withLink.GetProperty("links").EnumerateArray(), l => l.GetProperty("kind").GetString() == "ticket");
    }

    [Fact]
    public async Task Recall_redispatch_queues_team_status_and_next_team()
    {
        var a = Id(await OkAsync("/api/tickets", new { by = "op", description = "UPS alarm panel beeping", skill = "power", priority = "high" }));
        var b = Id(await OkAsync("/api/tickets", new { by = "op", description = "air conditioner leaking", skill = "power", priority = "urgent" }));
        await OkAsync($"/api/tickets/{a}/dispatch", new { by = "noc", team = "team-network" });
        var recalled = await OkAsync($"/api/tickets/{a}/recall", new { by = "zhang.min", reason = "not a network fault" });
        Assert.Equal("new", Status(recalled));
        Assert.Equal(1, recalled.GetProperty("recalls").GetInt32());

        var next = await server.GetJsonAsync("/api/teams/next?skill=power&area=hq");
        Assert.Equal("team-power", next[0].GetProperty("id").GetString());
        await OkAsync($"/api/tickets/{a}/dispatch", new { by = "noc", team = "team-power" });
        await OkAsync($"/api/tickets/{b}/dispatch", new { by = "noc", team = "team-power" });

        var board = await server.GetJsonAsync("/api/teams");
        var power = board.EnumerateArray().Single(t => t.GetProperty("id").GetString() == "team-power");
        var queue = power.GetProperty("queue").EnumerateArray().Select(t => t.GetProperty("id").GetInt64()).Where(x => x == a || x == b).ToArray();
        Assert.Equal([b, a], queue); // urgent first
        Assert.Equal(2, power.GetProperty("supervisors").GetArrayLength());

        var (status, _) = await SendAsync(HttpMethod.Put, "/api/teams/team-power/status", new { by = "lead", availability = "away" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var (ok, set) = await SendAsync(HttpMethod.Put, "/api/teams/team-power/status", new { by = "lead", availability = "away", reason = "vehicle in repair" });
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("away", set.GetProperty("availability").GetString());
        var c = Id(await OkAsync("/api/tickets", new { by = "op", description = "another power fault", skill = "power" }));
        var (refused, problem) = await SendAsync(HttpMethod.Post, $"/api/tickets/{c}/dispatch", new { by = "noc", team = "team-power" });
        Assert.Equal(HttpStatusCode.Conflict, refused);
        Assert.Contains("vehicle in repair", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain((await server.GetJsonAsync("/api/teams/next?skill=power")).EnumerateArray(), t => t.GetProperty("id").GetString() == "team-power");
        await SendAsync(HttpMethod.Put, "/api/teams/team-power/status", new { by = "lead", availability = "standby" });
    }

    [Fact]
    public async Task Complaints_show_what_is_missing_and_close_only_when_done()
    {
        var id = Id(await OkAsync("/api/tickets", new { by = "op", category = "complaint", description = "technician was late", customerClass = "vip" }));
        await OkAsync($"/api/tickets/{id}/complaint", new { by = "lead", action = "review", note = "checked the timeline" });
        var list = await server.GetJsonAsync("/api/tickets/complaints");
        var entry = list.EnumerateArray().Single(e => e.GetProperty("ticket").GetProperty("id").GetInt64() == id);
        Assert.Equal(["followUp", "reply"], entry.GetProperty("missing").EnumerateArray().Select(m => m.GetString()!).ToArray());
        await OkAsync($"/api/tickets/{id}/resolve", new { by = "lead", note = "apologised" });
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, $"/api/tickets/{id}/close", new { by = "lead" })).Status);
        await OkAsync($"/api/tickets/{id}/complaint", new { by = "lead", action = "followUp" });
        var replied = await OkAsync($"/api/tickets/{id}/complaint", new { by = "lead", action = "reply" });
        Assert.Empty(replied.GetProperty("complaint").GetProperty("missing").EnumerateArray());
        Assert.Equal(1, replied.GetProperty("targets").GetProperty("ab").GetDouble()); // VIP line of the demo service file
        Assert.Equal("closed", Status(await OkAsync($"/api/tickets/{id}/close", new { by = "lead" })));
    }

    [Fact]
    public async Task The_clock_marks_a_late_segment_missed_and_tells_every_console()
    {
        await using var hub = await server.ConnectHubAsync();
        var id = Id(await OkAsync("/api/tickets", new { by = "op", description = "reported late", reportedAt = DateTimeOffset.UtcNow.AddMinutes(-44.5) }));
        var tickets = server.App.Services.GetRequiredService<TicketService>();
        await tickets.TickAsync(CancellationToken.None);
        var missed = await hub.WaitForAsync("ticket", m => m.GetProperty("kind").GetString() == "missed" && m.GetProperty("ticketId").GetInt64() == id, TimeSpan.FromSeconds(10));
        Assert.StartsWith("AB", missed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await hub.WaitForAsync("ticket", m => m.GetProperty("kind").GetString() == "warned" && m.GetProperty("ticketId").GetInt64() == id
            && m.GetProperty("detail").GetString()!.StartsWith("toSite", StringComparison.Ordinal), TimeSpan.FromSeconds(10));

        var detail = await server.GetJsonAsync($"/api/tickets/{id}");
        Assert.Equal("missed", Segment(detail, "AB").GetProperty("state").GetString());
        Assert.True(Segment(detail, "toSite").GetProperty("warned").GetBoolean());
        Assert.True(detail.GetProperty("summary").GetProperty("overdue").GetBoolean());
        var overdue = await server.GetJsonAsync("/api/tickets?overdue=true&pageSize=500");
        Assert.Contains(overdue.GetProperty("items").EnumerateArray(), t => t.GetProperty("id").GetInt64() == id);

        // a second tick does not repeat what was already marked
        var audit = detail.GetProperty("audit").GetArrayLength();
        await tickets.TickAsync(CancellationToken.None);
        Assert.Equal(audit, (await server.GetJsonAsync($"/api/tickets/{id}")).GetProperty("audit").GetArrayLength());
    }

    [Fact]
    public async Task A_storm_of_alarms_opens_one_ticket_for_the_root_and_its_children_join_it()
    {
        var bridge = server.App.Services.GetServices<IAlarmEventSink>().OfType<AlarmTicketBridge>().Single();
        var tickets = server.App.Services.GetRequiredService<TicketService>();
        var ups = server.Inventory.Devices.First(d => d.Kind == Core.Inventory.DeviceKind.Ups);
        var sw = server.FirstSwitch();
        var now = DateTimeOffset.UtcNow;
        AlarmSnapshot Alarm(long id, Core.Inventory.Device device, long? suppressedBy = null, IReadOnlyList<long>? suppresses = null, AlarmState state = AlarmState.Raised) => new()
        {
            Id = id,
            RuleId = "r",
            RuleName = "ups-on-battery",
            Severity = AlarmSeverity.Critical,
            Target = AlarmTarget.For(device),
            Message = "on battery",
            State = state,
            RaisedAt = now.AddMinutes(-5),
            ChangedAt = now,
            SuppressedBy = suppressedBy,
            Suppresses = suppresses ?? [],
            ClearedAt = state == AlarmState.Cleared ? now : null,
        };

        var root = 900_001L;
        bridge.OnAlarmEvent(new AlarmEvent(AlarmEventKind.Raised, Alarm(root + 1, sw, suppressedBy: root), now));
        bridge.OnAlarmEvent(new AlarmEvent(AlarmEventKind.TicketWanted, Alarm(root, ups, suppresses: [root + 1]), now));
        bridge.OnAlarmEvent(new AlarmEvent(AlarmEventKind.Raised, Alarm(root + 2, sw, suppressedBy: root), now));
        bridge.OnAlarmEvent(new AlarmEvent(AlarmEventKind.TicketWanted, Alarm(root + 3, sw, suppressedBy: root), now));
        bridge.OnAlarmEvent(new AlarmEvent(AlarmEventKind.TicketWanted, Alarm(root, ups, suppresses: [root + 1]), now));

        var ticket = await ServerFixture.EventuallyAsync(() => Task.FromResult(tickets.FindByAlarm(root + 3)), t => t is not null, "the last child joining the root's ticket");
        Assert.Equal([root, root + 1, root + 2, root + 3], ticket!.AlarmIds.ToArray());
        Assert.Single(tickets.Live, t => t.AlarmIds.Contains(root));
        Assert.Equal(now.AddMinutes(-5).ToUnixTimeMilliseconds(), ticket.FaultBeganAt?.ToUnixTimeMilliseconds()); // the raise: fault began
        Assert.True(ticket.ReportedAt >= now, $"A ({ticket.ReportedAt:O}) is when the ticket opened, not the raise");
        Assert.Equal(ups.Id, ticket.DeviceId);
        Assert.Equal("alarm", (await server.GetJsonAsync($"/api/tickets/{ticket.Id}")).GetProperty("summary").GetProperty("channel").GetString());

        bridge.OnAlarmEvent(new AlarmEvent(AlarmEventKind.Cleared, Alarm(root, ups, state: AlarmState.Cleared), now));
        var cleared = await ServerFixture.EventuallyAsync(() => server.GetJsonAsync($"/api/tickets/{ticket.Id}"), d => d.GetProperty("alarmCleared").GetBoolean(), "the ticket told of the clear");
        Assert.NotEqual("resolved", Status(cleared));
        Assert.Contains(cleared.GetProperty("notes").EnumerateArray(), n => n.GetProperty("text").GetString()!.Contains("cleared", StringComparison.Ordinal));
    }

    /// <summary>On SQLite (the default).</summary>
    public sealed class Sqlite(ServerFixture server) : TicketApiTests(server), IClassFixture<ServerFixture>;

    /// <summary>The same tests with the server's relational state in PostgreSQL.</summary>
    public sealed class Postgres(PostgresServerFixture server) : TicketApiTests(server), IClassFixture<PostgresServerFixture>;
}
