using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Server.Live;
using Monitoring.Server.Security;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Live;

/// <summary>The real server for the hub tests: a small per-connection queue bound (64 KiB) and a fast tick, so a slow client overflows quickly.</summary>
public sealed class HubFixture() : ServerFixture([
    "--Monitoring:Live:MaxQueuedBytesPerClient", "65536", "--Monitoring:Live:MaxSubscriptionsPerClient", "100000", "--Monitoring:Live:BroadcastIntervalMs", "50"])
{
    public HubConnectionRegistry Registry => App.Services.GetRequiredService<HubConnectionRegistry>();

    /// <summary>Sends line protocol and expects 204.</summary>
    public async Task WriteAsync(string lines)
    {
        using var response = await Http.PostAsync("/api/v2/write?bucket=b", new StringContent(lines));
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"write answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static bool HasPort(JsonElement changes, string device, int port, string status) =>
        changes.GetProperty("ports").EnumerateArray().Any(p =>
            p.GetProperty("device").GetString() == device && p.GetProperty("index").GetInt32() == port && p.GetProperty("status").GetString() == status);

    public static bool IsPortAlarm(JsonElement alarm, string device, int port) =>
        alarm.GetProperty("alarm").GetProperty("target") is var target
        && target.GetProperty("deviceId").GetString() == device
        && target.GetProperty("port").ValueKind == JsonValueKind.Number && target.GetProperty("port").GetInt32() == port;
}

/// <summary>
/// Issue 15 on the hub, with the official SignalR client against the real server: ending a session or token closes
/// its hub connections at once and nothing reaches them afterwards; a trainee's connection is in no group of a room it
/// may not open; a request with two Origin headers is refused.
/// </summary>
public sealed class HubSecurityTests(HubFixture server) : IClassFixture<HubFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static readonly string[] EndingNames = ["revoke-token", "disable", "role", "team", "sign-out", "password", "reset"];

    public static TheoryData<string> Endings => [.. EndingNames];

    [Theory]
    [MemberData(nameof(Endings))]
    public async Task Ending_the_session_or_token_closes_its_hub_connection_at_once_and_nothing_reaches_it_after(string ending)
    {
        var name = "hub." + ending;
        using var user = await server.SignInAsync(name, Role.Operator);
        long? tokenId = null;
        OfficialHub victim;
        if (ending == "revoke-token")
        {
            using var created = await server.Http.PostAsJsonAsync("/api/tokens", new { name = "hub test", scopes = new[] { "read" } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var body = await created.Content.ReadFromJsonAsync<JsonElement>();
            tokenId = body.GetProperty("token").GetProperty("id").GetInt64();
            victim = await OfficialHub.ConnectAsync(server.BaseAddress, token: body.GetProperty("secret").GetString());
        }
        else
        {
            victim = await OfficialHub.ConnectAsync(server.BaseAddress, user.Cookies);
        }

        await using var closing = victim;
        await using var control = await OfficialHub.ConnectAsync(server.BaseAddress, server.Admin.Cookies);
        await victim.Connection.InvokeAsync("JoinRoom", "demo");
        await control.Connection.InvokeAsync("JoinRoom", "demo");
        var before = await victim.Connection.InvokeAsync<JsonElement>("GetAlarms");
        Assert.Equal(JsonValueKind.Array, before.GetProperty("alarms").ValueKind);

        using (var response = await EndAsync(ending, name, user, tokenId))
        {
            Assert.True(response.IsSuccessStatusCode, $"{ending} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        // closed on the server before the answer was sent
        Assert.DoesNotContain(server.Registry.Connections, c => c.IsOpen && (tokenId is { } id ? c.TokenId == id : c.UserName == name));
        await victim.WaitClosedAsync(Deadline);
        await Assert.ThrowsAnyAsync<Exception>(() => victim.Connection.InvokeAsync<JsonElement>("GetAlarms"));

        // a port goes down: status change and alarm reach the console still signed in, not the closed one
        var sw = server.FirstSwitch();
        var port = sw.Model.Ports[10 + Array.IndexOf(EndingNames, ending)].Index;
        await server.WriteAsync($"interface,device={sw.Id},port={port} admin_status=1i,oper_status=2i\n");
        await control.WaitForAsync("changes", c => HubFixture.HasPort(c, sw.Id, port, "down"), Deadline);
        await control.WaitForAsync("alarm", a => HubFixture.IsPortAlarm(a, sw.Id, port), Deadline);
        Assert.DoesNotContain(victim.Received, r =>
            (r.Kind == "changes" && HubFixture.HasPort(r.Message, sw.Id, port, "down")) || (r.Kind == "alarm" && HubFixture.IsPortAlarm(r.Message, sw.Id, port)));
        await server.WriteAsync($"interface,device={sw.Id},port={port} admin_status=1i,oper_status=1i\n");
    }

    [Fact]
    public async Task A_change_that_keeps_the_session_keeps_the_hub_connection()
    {
        using var user = await server.SignInAsync("hub.display", Role.Operator);
        await using var hub = await OfficialHub.ConnectAsync(server.BaseAddress, user.Cookies);

        using (var response = await server.Http.PutAsJsonAsync("/api/users/hub.display", new { displayName = "Another name" }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var alarms = await hub.Connection.InvokeAsync<JsonElement>("GetAlarms");
        Assert.Equal(JsonValueKind.Array, alarms.GetProperty("alarms").ValueKind);
        Assert.False(hub.Closed.IsCompleted);
    }

    [Fact]
    public async Task A_trainee_connection_gets_no_alarm_or_ticket_of_a_room_it_may_not_open()
    {
        using var trainee = await server.SignInAsync("hub.trainee", Role.Trainee);
        using var viewer = await server.SignInAsync("hub.viewer", Role.Viewer);
        await using var traineeHub = await OfficialHub.ConnectAsync(server.BaseAddress, trainee.Cookies);
        await using var viewerHub = await OfficialHub.ConnectAsync(server.BaseAddress, viewer.Cookies);
        var groups = server.Registry.Connections.Single(c => c.UserName == "hub.trainee").VisibleRooms;
        Assert.DoesNotContain("demo", (IReadOnlySet<string>)groups);
        Assert.Contains("demo", (IReadOnlySet<string>)server.Registry.Connections.Single(c => c.UserName == "hub.viewer").VisibleRooms);

        // an alarm and a ticket in the demo room (not a training room)
        var sw = server.FirstSwitch();
        var port = sw.Model.Ports[30].Index;
        await server.WriteAsync($"interface,device={sw.Id},port={port} admin_status=1i,oper_status=2i\n");
        using var created = await server.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", description = "port flapping", deviceId = sw.Id });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var ticketId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("summary").GetProperty("id").GetInt64();

        await viewerHub.WaitForAsync("alarm", a => HubFixture.IsPortAlarm(a, sw.Id, port), Deadline);
        await viewerHub.WaitForAsync("ticket", t => t.GetProperty("ticketId").GetInt64() == ticketId, Deadline);
        // a round trip on the trainee's connection: whatever was queued for it before has arrived by now
        await traineeHub.Connection.InvokeAsync("LeaveRoom", "demo");
        Assert.DoesNotContain(traineeHub.Received, r => r.Kind is "alarm" or "ticket" or "mute");
        await server.WriteAsync($"interface,device={sw.Id},port={port} admin_status=1i,oper_status=1i\n");
    }

    [Theory]
    [InlineData("POST /hubs/live/negotiate?negotiateVersion=1 HTTP/1.1\r\nContent-Length: 0\r\n", "200")]
    [InlineData("GET /hubs/live HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "101")]
    public async Task A_hub_request_with_two_Origin_headers_is_refused(string request, string acceptedStatus)
    {
        var self = $"http://{server.BaseAddress.Authority}";
        // one Origin, our own: accepted (so the refusal below is about the second header, not the request)
        Assert.Equal(acceptedStatus, await StatusOfAsync(request, [self]));
        Assert.Equal("403", await StatusOfAsync(request, [self, "http://evil.example"]));
        Assert.Equal("403", await StatusOfAsync(request, [self, self]));
        Assert.Equal("403", await StatusOfAsync(request, ["http://evil.example"]));
    }

    private Task<HttpResponseMessage> EndAsync(string ending, string name, SignedInClient user, long? tokenId) => ending switch
    {
        "revoke-token" => server.Http.DeleteAsync($"/api/tokens/{tokenId}"),
        "disable" => server.Http.PutAsJsonAsync($"/api/users/{name}", new { disabled = true }),
        "role" => server.Http.PutAsJsonAsync($"/api/users/{name}", new { role = "viewer" }),
        "team" => server.Http.PutAsJsonAsync($"/api/users/{name}", new { team = "team-elsewhere" }),
        "sign-out" => user.Http.PostAsync("/api/auth/signout", null),
        "password" => user.Http.PostAsJsonAsync("/api/auth/password", new { current = TestSignIn.Password, @new = "another-password-0002" }),
        "reset" => server.Http.PostAsync($"/api/users/{name}/reset", null),
        _ => throw new ArgumentOutOfRangeException(nameof(ending)),
    };

    /// <summary>Sends the request over a raw TCP connection (an HTTP client would fold two Origin headers into one) and returns the status code.</summary>
    private async Task<string> StatusOfAsync(string request, string[] origins)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var cookie = server.Admin.Cookies.GetCookieHeader(server.BaseAddress);
        var text = new StringBuilder(request)
            .Append("Host: ").Append(server.BaseAddress.Authority).Append("\r\n")
            .Append("Cookie: ").Append(cookie).Append("\r\n");
        foreach (var origin in origins)
        {
            text.Append("Origin: ").Append(origin).Append("\r\n");
        }

        text.Append("\r\n");
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text.ToString()));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var cts = new CancellationTokenSource(Deadline);
        var statusLine = await reader.ReadLineAsync(cts.Token) ?? string.Empty;
        return statusLine.Split(' ') is [_, var status, ..] ? status : statusLine;
    }
}
