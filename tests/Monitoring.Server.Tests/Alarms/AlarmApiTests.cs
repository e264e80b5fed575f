using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Monitoring.Server.Tests.Alarms;

/// <summary><see cref="SnmpTrapFixture"/> with the relational state in PostgreSQL.</summary>
public sealed class PostgresSnmpTrapFixture : SnmpTrapFixture
{
    public override bool OnPostgres => true;
}

/// <summary>
/// The alarm API and hub against the real server: a real SNMP linkDown trap (net-snmp's snmptrap) raises the trap rule's
/// alarm on the exact port at once, a console on the hub receives it, and the REST commands act on it.
/// </summary>
public abstract class AlarmApiTests(SnmpTrapFixture server)
{
    private const string Switch = "asw-a01";
    private const string LinkDown = "1.3.6.1.6.3.1.1.5.3";

    private static string[] LinkBindings(int ifIndex, int admin, int oper) =>
    [
        $"1.3.6.1.2.1.2.2.1.1.{ifIndex}", "i", $"{ifIndex}",
        $"1.3.6.1.2.1.2.2.1.7.{ifIndex}", "i", $"{admin}",
        $"1.3.6.1.2.1.2.2.1.8.{ifIndex}", "i", $"{oper}",
    ];

    private async Task<JsonElement> TrapAlarmAsync(HubClient hub, int port)
    {
        var (exit, output) = await SnmpTrapFixture.ToolAsync(
            "snmptrap", ["-v2c", "-c", SnmpTrapFixture.Community, "-r", "0", "-t", "3", server.Target, "100", LinkDown, .. LinkBindings(port, admin: 1, oper: 2)]);
        Assert.True(exit == 0, output);
        var message = await hub.WaitForAsync(
            "alarm",
            m => m.GetProperty("alarm").GetProperty("ruleId").GetString() == "link-down-trap"
                && m.GetProperty("alarm").GetProperty("target").GetProperty("port").ValueKind == JsonValueKind.Number
                && m.GetProperty("alarm").GetProperty("target").GetProperty("port").GetInt32() == port,
            TimeSpan.FromSeconds(15));
        return message;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task A_linkDown_trap_raises_the_trap_alarm_on_that_port_and_the_console_gets_it()
    {
        await using var hub = await server.ConnectHubAsync();
        var message = await TrapAlarmAsync(hub, 9);
        Assert.Equal("raised", message.GetProperty("kind").GetString());
        var alarm = message.GetProperty("alarm");
        Assert.Equal(Switch, alarm.GetProperty("target").GetProperty("deviceId").GetString());
        Assert.Equal("major", alarm.GetProperty("severity").GetString());
        Assert.False(alarm.GetProperty("silent").GetBoolean());

        // a console connecting now gets it in the list
        await using var late = await server.ConnectHubAsync();
        var snapshot = (await late.InvokeAsync("GetAlarms")).GetProperty("result");
        Assert.Contains(snapshot.GetProperty("alarms").EnumerateArray(), a => a.GetProperty("id").GetInt64() == alarm.GetProperty("id").GetInt64());

        // REST: the list, the detail with its timeline, healthz
        var id = alarm.GetProperty("id").GetInt64();
        var list = await server.GetJsonAsync("/api/alarms?severity=major,critical&state=raised");
        Assert.Contains(list.EnumerateArray(), a => a.GetProperty("id").GetInt64() == id);
        var none = await server.GetJsonAsync("/api/alarms?room=no-such-room");
        Assert.Empty(none.EnumerateArray());
        var detail = await server.GetJsonAsync($"/api/alarms/{id}");
        Assert.Equal(id, detail.GetProperty("alarm").GetProperty("id").GetInt64());
        Assert.Equal("raised", detail.GetProperty("timeline")[0].GetProperty("kind").GetString());
        // the alarms component reports on the engine's 1 s tick, so the count can lag the event by up to a tick
        await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/healthz"),
            h => h.GetProperty("components").GetProperty("alarms").GetProperty("data").GetProperty("activeBySeverity").GetProperty("major").GetInt32() >= 1,
            "/healthz to count the major alarm");
    }

    [Fact]
    public async Task Acknowledge_shelve_unshelve_and_close_change_the_alarm_and_reach_the_console()
    {
        await using var hub = await server.ConnectHubAsync();
        var id = (await TrapAlarmAsync(hub, 11)).GetProperty("alarm").GetProperty("id").GetInt64();

        using (var response = await server.Http.PostAsJsonAsync($"/api/alarms/{id}/shelve", new { user = "li", minutes = 30, reason = "割接中" }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var shelved = await hub.WaitForAsync(
            "alarm", m => m.GetProperty("alarm").GetProperty("id").GetInt64() == id && m.GetProperty("alarm").GetProperty("shelving").ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(10));
        Assert.True(shelved.GetProperty("alarm").GetProperty("silent").GetBoolean());
        Assert.Equal("割接中", shelved.GetProperty("alarm").GetProperty("shelving").GetProperty("reason").GetString());

        using (var response = await server.Http.PostAsJsonAsync($"/api/alarms/{id}/unshelve", new { user = "li" }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await hub.WaitForAsync(
            "alarm", m => m.GetProperty("alarm").GetProperty("id").GetInt64() == id && m.GetProperty("alarm").GetProperty("shelving").ValueKind == JsonValueKind.Null,
            TimeSpan.FromSeconds(10));

        using (var response = await server.Http.PostAsJsonAsync($"/api/alarms/{id}/ack", new { user = "li", comment = "seen" }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("acknowledged", body.GetProperty("state").GetString());
        }

        await hub.WaitForAsync("alarm", m => m.GetProperty("kind").GetString() == "acknowledged" && m.GetProperty("alarm").GetProperty("id").GetInt64() == id, TimeSpan.FromSeconds(10));

        using (var again = await server.Http.PostAsJsonAsync($"/api/alarms/{id}/ack", new { user = "li" }))
        {
            // the engine says whether a second acknowledgement is an error; either way it is not a server error
            Assert.True(again.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"second ack answered {(int)again.StatusCode}");
        }

        using (var response = await server.Http.PostAsJsonAsync($"/api/alarms/{id}/close", new { user = "li", comment = "端口已恢复" }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await hub.WaitForAsync("alarm", m => m.GetProperty("kind").GetString() == "closed" && m.GetProperty("alarm").GetProperty("id").GetInt64() == id, TimeSpan.FromSeconds(10));
        var active = await server.GetJsonAsync("/api/alarms");
        Assert.DoesNotContain(active.EnumerateArray(), a => a.GetProperty("id").GetInt64() == id);
        var history = await server.GetJsonAsync($"/api/alarms/history?device={Switch}");
        Assert.Contains(history.EnumerateArray(), a => a.GetProperty("id").GetInt64() == id && a.GetProperty("state").GetString() == "closed");
    }

    [Theory]
    [InlineData("/api/alarms/{id}/shelve", "{\"user\":\"li\",\"reason\":\"x\"}", "minutes")]
    [InlineData("/api/alarms/{id}/shelve", "{\"user\":\"li\",\"minutes\":100000,\"reason\":\"x\"}", "minutes")]
    [InlineData("/api/alarms/{id}/shelve", "{\"user\":\"li\",\"minutes\":10}", "reason")]
    [InlineData("/api/alarms/mute", "{\"user\":\"li\",\"reason\":\"x\",\"minutes\":31}", "minutes")]
    [InlineData("/api/alarms/mute", "{\"user\":\"li\",\"minutes\":5}", "reason")]
    [InlineData("/api/maintenance", "{\"user\":\"li\",\"scope\":\"no-such-device\",\"minutes\":5,\"reason\":\"x\"}", "scope")]
    [InlineData("/api/maintenance", "{\"user\":\"li\",\"scope\":\"asw-a01\",\"reason\":\"x\"}", "until")]
    public async Task Bad_input_answers_400_naming_the_field(string path, string json, string field)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await server.Http.PostAsync(new Uri(path.Replace("{id}", "1", StringComparison.Ordinal), UriKind.Relative), content);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(field, problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Unknown_alarms_answer_404_and_bad_filters_400()
    {
        using (var response = await server.Http.GetAsync(new Uri("/api/alarms/987654321", UriKind.Relative)))
        {
            await ProblemAsync(response, HttpStatusCode.NotFound);
        }

        using (var response = await server.Http.PostAsJsonAsync("/api/alarms/987654321/ack", new { user = "li" }))
        {
            await ProblemAsync(response, HttpStatusCode.NotFound);
        }

        using (var response = await server.Http.GetAsync(new Uri("/api/alarms?severity=loud", UriKind.Relative)))
        {
            Assert.Equal("severity", (await ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("field").GetString());
        }

        using (var response = await server.Http.GetAsync(new Uri("/api/alarms/history?from=yesterday", UriKind.Relative)))
        {
            Assert.Equal("from", (await ProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task A_maintenance_window_is_listed_and_ended_and_the_openapi_document_has_the_alarm_routes()
    {
        using (var response = await server.Http.PostAsJsonAsync("/api/maintenance", new { user = "wang", scope = Switch, minutes = 60, reason = "更换电源模块" }))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var window = await response.Content.ReadFromJsonAsync<JsonElement>();
            var id = window.GetProperty("id").GetInt64();
            var list = await server.GetJsonAsync("/api/maintenance");
            Assert.Contains(list.EnumerateArray(), w => w.GetProperty("id").GetInt64() == id && w.GetProperty("scope").GetString() == Switch);
            using var end = await server.Http.DeleteAsync(new Uri($"/api/maintenance/{id}?user=wang", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NoContent, end.StatusCode);
        }

        var openApi = await server.GetJsonAsync("/openapi/v1.json");
        var paths = openApi.GetProperty("paths");
        foreach (var path in new[] { "/api/alarms", "/api/alarms/history", "/api/alarms/{id}", "/api/alarms/{id}/ack", "/api/alarms/{id}/shelve", "/api/alarms/mute", "/api/maintenance" })
        {
            Assert.True(paths.TryGetProperty(path, out _) || paths.TryGetProperty(path + "/", out _), $"the OpenAPI document lacks {path}");
        }
    }

    /// <summary>On SQLite (the default).</summary>
    public sealed class Sqlite(SnmpTrapFixture server) : AlarmApiTests(server), IClassFixture<SnmpTrapFixture>;

    /// <summary>The same tests with the server's relational state in PostgreSQL.</summary>
    public sealed class Postgres(PostgresSnmpTrapFixture server) : AlarmApiTests(server), IClassFixture<PostgresSnmpTrapFixture>;
}
