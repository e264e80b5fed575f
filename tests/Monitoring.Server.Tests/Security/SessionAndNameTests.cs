using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Server.Security;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Security;

/// <summary>Sign-out ends the session on the server; names in any script work end to end (issue 15).</summary>
public abstract class SessionAndNameTests(ServerFixture server)
{
    [Fact]
    public async Task A_session_cookie_replayed_after_sign_out_is_refused()
    {
        using var client = await server.SignInAsync("replay.lead", Role.DutyLead);
        using var otherConsole = await server.SignInAsync("replay.lead", Role.DutyLead);
        var cookie = client.Cookies.GetCookies(server.BaseAddress)[AuthSchemes.CookieName]!.Value;
        using (var before = await Replay(cookie, "/api/alarms"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using (var signOut = await client.Http.PostAsync("/api/auth/signout", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        }

        // the browser dropped it, an attacker who copied it did not: the server refuses it all the same
        using (var replayed = await Replay(cookie, "/api/alarms"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        }

        using (var session = await Replay(cookie, "/api/auth/session"))
        {
            Assert.False((await session.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("signedIn").GetBoolean());
        }

        // only that session ended: the same user's other console goes on
        using (var other = await otherConsole.Http.GetAsync("/api/alarms"))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        // signing in again gives a new session that works
        using var again = await server.SignInAsync("replay.lead", Role.DutyLead);
        using var ok = await again.Http.GetAsync("/api/alarms");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Theory]
    [InlineData("张伟")]
    [InlineData("Ирина.К")]
    [InlineData("محمد")]
    public async Task A_user_named_in_any_script_is_created_listed_signed_in_and_audited(string name)
    {
        using var created = await server.Http.PostAsJsonAsync("/api/users", new { name, role = "viewer" });
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"{(int)created.StatusCode}: {text}");
        Assert.Equal("/api/users/" + Uri.EscapeDataString(name), created.Headers.Location!.OriginalString);
        Assert.True(created.Headers.Location.OriginalString.All(char.IsAscii));
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(name, body.GetProperty("user").GetProperty("name").GetString());
        var password = body.GetProperty("password").GetString()!;
        Assert.Equal(20, password.Length);

        var listed = await server.Http.GetFromJsonAsync<JsonElement>("/api/users");
        Assert.Contains(listed.EnumerateArray(), u => u.GetProperty("name").GetString() == name);

        using (var renamed = await server.Http.PutAsJsonAsync("/api/users/" + Uri.EscapeDataString(name), new { displayName = name + " (NOC)" }))
        {
            Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        }

        using var user = SignedInClient.Anonymous(server.BaseAddress);
        await user.SignInAsync(name, password);
        using (var changed = await user.Http.PostAsJsonAsync("/api/auth/password", new { current = password, @new = "a-new-password-" + name }))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        var session = await user.Http.GetFromJsonAsync<JsonElement>("/api/auth/session");
        Assert.Equal(name, session.GetProperty("user").GetProperty("name").GetString());
        using (var rooms = await user.Http.GetAsync("/api/rooms"))
        {
            Assert.Equal(HttpStatusCode.OK, rooms.StatusCode);
        }

        var audit = await server.Http.GetFromJsonAsync<JsonElement>("/api/audit?user=" + Uri.EscapeDataString(name));
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "SignIn" && e.GetProperty("user").GetString() == name);
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "ChangePassword");
        var csv = await server.Http.GetStringAsync("/api/audit?format=csv&user=" + Uri.EscapeDataString(name));
        Assert.Contains("," + name + ",", csv, StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> Replay(string cookie, string path)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", AuthSchemes.CookieName + "=" + cookie);
        return await http.SendAsync(request);
    }

    /// <summary>On SQLite (the default).</summary>
    public sealed class Sqlite(ServerFixture server) : SessionAndNameTests(server), IClassFixture<ServerFixture>;

    /// <summary>The same tests with the server's relational state in PostgreSQL.</summary>
    public sealed class Postgres(PostgresServerFixture server) : SessionAndNameTests(server), IClassFixture<PostgresServerFixture>;
}
