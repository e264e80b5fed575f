using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Server.Security;

namespace Monitoring.Server.Tests.Tickets;

/// <summary>
/// Issue 18 item 5: the server tells the console what the user may do. The session answer lists the role's
/// capabilities (from the role table, Roles.cs) and every ticket answer carries `allowedActions`: what the ticket's
/// state allows that the caller's role (and a technician's team) may run. The console draws its buttons from these.
/// </summary>
public abstract class AllowedActionsTests(ServerFixture server)
{
    private static string[] Actions(JsonElement summary) =>
        [.. summary.GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()!)];

    private static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<JsonElement> PostAsync(string path, object body)
    {
        using var response = await server.Http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Theory]
    [InlineData(Role.Administrator, new[] { "session", "read", "handleAlarms", "silenceAlarms", "dispatchTickets", "administer", "simulate" }, new string[0])]
    [InlineData(Role.DutyLead, new[] { "session", "read", "handleAlarms", "silenceAlarms", "openTickets", "dispatchTickets", "fieldSteps", "followUpTickets" }, new[] { "administer", "simulate", "writeSamples" })]
    [InlineData(Role.Operator, new[] { "session", "read", "handleAlarms", "openTickets", "noteTickets", "followUpTickets" }, new[] { "silenceAlarms", "dispatchTickets", "fieldSteps", "administer" })]
    [InlineData(Role.Technician, new[] { "session", "read", "readTickets", "noteTickets", "fieldSteps", "teamStatus" }, new[] { "handleAlarms", "dispatchTickets", "openTickets" })]
    [InlineData(Role.Trainee, new[] { "session", "listRooms", "readRoom" }, new[] { "read", "readTickets", "handleAlarms" })]
    [InlineData(Role.Viewer, new[] { "session", "listRooms", "readRoom", "read", "readTickets" }, new[] { "handleAlarms", "openTickets", "administer", "readDrills" })]
    [InlineData(Role.Instructor, new[] { "session", "listRooms", "readRoom", "read", "readTickets", "readDrills" }, new[] { "handleAlarms", "openTickets", "silenceAlarms", "simulate", "administer" })]
    public async Task The_session_lists_the_capabilities_of_the_users_role(Role role, string[] has, string[] hasNot)
    {
        using var user = await server.SignInAsync("caps." + Permissions.RoleName(role), role);
        var session = await GetAsync(user.Http, "/api/auth/session");
        var capabilities = session.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()!).ToHashSet(StringComparer.Ordinal);
        foreach (var capability in has)
        {
            Assert.Contains(capability, capabilities);
        }

        foreach (var capability in hasNot)
        {
            Assert.DoesNotContain(capability, capabilities);
        }

        // exactly the role table: every capability the server's matrix grants, none else
        var expected = Enum.GetValues<Capability>().Where(c => Permissions.Allows(role, c)).Select(c => JsonNamingPolicy.CamelCase.ConvertName(c.ToString()));
        Assert.Equal(expected.Order(StringComparer.Ordinal), capabilities.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Nobody_signed_in_has_no_capabilities()
    {
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        var session = await GetAsync(anonymous, "/api/auth/session");
        Assert.False(session.GetProperty("signedIn").GetBoolean());
        Assert.Equal(0, session.GetProperty("capabilities").GetArrayLength());
    }

    [Fact]
    public async Task Each_ticket_carries_the_actions_its_state_and_the_callers_role_allow()
    {
        var created = await PostAsync("/api/tickets", new { category = "fault", description = "allowed actions: link down", skill = "network" });
        var id = created.GetProperty("summary").GetProperty("id").GetInt64();

        // new, at the NOC: the administrator may dispatch or resolve
        Assert.Equal(["dispatch", "resolve"], Actions(created.GetProperty("summary")));

        using var operatorClient = await server.SignInAsync("actions.operator", Role.Operator);
        using var viewer = await server.SignInAsync("actions.viewer", Role.Viewer);
        using var ownTech = await server.SignInAsync("actions.tech.network", Role.Technician, "team-network");
        using var otherTech = await server.SignInAsync("actions.tech.power", Role.Technician, "team-power");

        // an operator may neither dispatch nor resolve; a viewer nothing; the list answers the same as the detail
        Assert.Empty(Actions((await GetAsync(operatorClient.Http, $"/api/tickets/{id}")).GetProperty("summary")));
        Assert.Empty(Actions((await GetAsync(viewer.Http, $"/api/tickets/{id}")).GetProperty("summary")));
        var listed = (await GetAsync(server.Http, "/api/tickets?state=open&pageSize=500")).GetProperty("items").EnumerateArray().Single(t => t.GetProperty("id").GetInt64() == id);
        Assert.Equal(["dispatch", "resolve"], Actions(listed));

        // dispatched to a field team: receive, accept, recall, dispatch, resolve for the NOC; the field steps for that team's technician only
        var dispatched = await PostAsync($"/api/tickets/{id}/dispatch", new { team = "team-network" });
        Assert.Equal(["receive", "accept", "recall", "dispatch", "resolve"], Actions(dispatched.GetProperty("summary")));
        Assert.Equal(["receive", "accept", "resolve"], Actions((await GetAsync(ownTech.Http, $"/api/tickets/{id}")).GetProperty("summary")));
        Assert.Empty(Actions((await GetAsync(otherTech.Http, $"/api/tickets/{id}")).GetProperty("summary")));

        // accepted (received on the way): no second receive
        var accepted = await PostAsync($"/api/tickets/{id}/accept", new { });
        Assert.Equal(["depart", "recall", "resolve"], Actions(accepted.GetProperty("summary")));
        Assert.Equal(["depart", "resolve"], Actions((await GetAsync(ownTech.Http, $"/api/tickets/{id}")).GetProperty("summary")));

        // resolved: callback and close are the operator's; closed: only the callback is left
        var resolved = await PostAsync($"/api/tickets/{id}/resolve", new { note = "reseated the optic" });
        Assert.Equal(["callback", "close"], Actions(resolved.GetProperty("summary")));
        Assert.Equal(["callback", "close"], Actions((await GetAsync(operatorClient.Http, $"/api/tickets/{id}")).GetProperty("summary")));
        Assert.Empty(Actions((await GetAsync(ownTech.Http, $"/api/tickets/{id}")).GetProperty("summary")));
        var closed = await PostAsync($"/api/tickets/{id}/close", new { });
        Assert.Equal(["callback"], Actions(closed.GetProperty("summary")));

        // a closed ticket is no longer in memory: the list reads its actions from the stored ticket
        var listedClosed = (await GetAsync(server.Http, "/api/tickets?state=closed&pageSize=500")).GetProperty("items").EnumerateArray().Single(t => t.GetProperty("id").GetInt64() == id);
        Assert.Equal(["callback"], Actions(listedClosed));
        await PostAsync($"/api/tickets/{id}/callback", new { satisfied = true });
        Assert.Empty(Actions((await GetAsync(server.Http, $"/api/tickets/{id}")).GetProperty("summary")));
    }

    [Fact]
    public async Task A_complaint_offers_its_missing_steps_until_done()
    {
        var created = await PostAsync("/api/tickets", new { category = "complaint", description = "allowed actions: nobody called back" });
        var id = created.GetProperty("summary").GetProperty("id").GetInt64();
        Assert.Equal(["dispatch", "resolve", "review", "followUp", "reply"], Actions(created.GetProperty("summary")));
        var reviewed = await PostAsync($"/api/tickets/{id}/complaint", new { action = "review" });
        Assert.Equal(["dispatch", "resolve", "followUp", "reply"], Actions(reviewed.GetProperty("summary")));
    }

    /// <summary>On SQLite (the default).</summary>
    public sealed class Sqlite(ServerFixture server) : AllowedActionsTests(server), IClassFixture<ServerFixture>;

    /// <summary>The same tests with the server's relational state in PostgreSQL.</summary>
    public sealed class Postgres(PostgresServerFixture server) : AllowedActionsTests(server), IClassFixture<PostgresServerFixture>;
}
