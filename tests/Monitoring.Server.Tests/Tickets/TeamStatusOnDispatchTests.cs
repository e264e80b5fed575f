using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Monitoring.Server.Tests.Tickets;

/// <summary>A team's status follows the work dispatched to it (issue 20: it used to stay "standby").</summary>
public abstract class TeamStatusOnDispatchTests(ServerFixture server)
{
    private const string Team = "team-north";

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        using var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<(string Availability, string By)> StatusAsync()
    {
        var board = await server.GetJsonAsync("/api/teams");
        var status = board.EnumerateArray().Single(t => t.GetProperty("id").GetString() == Team).GetProperty("status");
        return (status.GetProperty("availability").GetString()!, status.GetProperty("by").GetString()!);
    }

    [Fact]
    public async Task Dispatch_makes_the_team_busy_and_the_empty_queue_gives_standby_back_but_a_busy_set_by_hand_stays()
    {
        await using var hub = await server.ConnectHubAsync();
        Assert.Equal("standby", (await StatusAsync()).Availability);

        var id = (await SendAsync(HttpMethod.Post, "/api/tickets", new { by = "op", description = "north office switch dead" }))
            .GetProperty("summary").GetProperty("id").GetInt64();
        await SendAsync(HttpMethod.Post, $"/api/tickets/{id}/dispatch", new { by = "noc", team = Team });
        // the dispatch answered 2xx: the status is already what the board shows, and every console was told
        Assert.Equal(("busy", "queue"), await StatusAsync());
        await hub.WaitForAsync("ticket", m => m.GetProperty("kind").GetString() == "teamStatus"
            && m.GetProperty("detail").GetString() == $"{Team}: Busy", TimeSpan.FromSeconds(10));

        await SendAsync(HttpMethod.Post, $"/api/tickets/{id}/recall", new { by = "xu.gang", reason = "not ours" });
        Assert.Equal("standby", (await StatusAsync()).Availability);
        await hub.WaitForAsync("ticket", m => m.GetProperty("kind").GetString() == "teamStatus"
            && m.GetProperty("detail").GetString() == $"{Team}: Standby", TimeSpan.FromSeconds(10));

        // the lead marks the team busy by hand: the queue emptying does not undo that
        await SendAsync(HttpMethod.Put, $"/api/teams/{Team}/status", new { by = "lead", availability = "busy" });
        await SendAsync(HttpMethod.Post, $"/api/tickets/{id}/dispatch", new { by = "noc", team = Team });
        await SendAsync(HttpMethod.Post, $"/api/tickets/{id}/recall", new { by = "xu.gang", reason = "still not ours" });
        var (availability, by) = await StatusAsync();
        Assert.Equal("busy", availability);
        Assert.NotEqual("queue", by);
    }

    /// <summary>On SQLite (the default).</summary>
    public sealed class Sqlite(ServerFixture server) : TeamStatusOnDispatchTests(server), IClassFixture<ServerFixture>;

    /// <summary>The same tests with the server's relational state in PostgreSQL.</summary>
    public sealed class Postgres(PostgresServerFixture server) : TeamStatusOnDispatchTests(server), IClassFixture<PostgresServerFixture>;
}
