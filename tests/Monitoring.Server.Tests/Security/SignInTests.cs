using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Server.Security;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Security;

/// <summary>Sign-in over HTTP on the real server: cookie, lock-out, anti-forgery, API tokens, the audit log.</summary>
public abstract class SignInTests(ServerFixture server)
{
    [Fact]
    public async Task Signing_in_sets_a_strict_http_only_cookie_and_signing_out_ends_the_session()
    {
        using var client = await server.SignInAsync("sun.li", Role.Viewer);
        using (var rooms = await client.Http.GetAsync("/api/rooms"))
        {
            Assert.Equal(HttpStatusCode.OK, rooms.StatusCode);
        }

        using (var fresh = SignedInClient.Anonymous(server.BaseAddress))
        {
            await fresh.RefreshAntiforgeryAsync();
            using var signIn = await fresh.Http.PostAsJsonAsync("/api/auth/signin", new { name = "sun.li", password = TestSignIn.Password });
            var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(AuthSchemes.CookieName + "=", StringComparison.Ordinal));
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(TestSignIn.Password, await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var session = await client.Http.GetFromJsonAsync<JsonElement>("/api/auth/session");
        Assert.True(session.GetProperty("signedIn").GetBoolean());
        Assert.Equal("viewer", session.GetProperty("user").GetProperty("role").GetString());

        using (var signOut = await client.Http.PostAsync("/api/auth/signout", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        }

        using var after = await client.Http.GetAsync("/api/rooms");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.False((await client.Http.GetFromJsonAsync<JsonElement>("/api/auth/session")).GetProperty("signedIn").GetBoolean());
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_name_get_the_same_answer_and_five_failures_lock_until_an_administrator_unlocks()
    {
        await server.SignInAsync("qian.hao", Role.Operator);
        using var client = SignedInClient.Anonymous(server.BaseAddress);
        string? unknownText;
        using (var unknown = await client.TrySignInAsync("no.such.user", "whatever-it-is"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
            unknownText = await unknown.Content.ReadAsStringAsync();
        }

        for (var i = 1; i <= 4; i++)
        {
            using var wrong = await client.TrySignInAsync("qian.hao", "wrong-password-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal(unknownText, await wrong.Content.ReadAsStringAsync());
        }

        using (var fifth = await client.TrySignInAsync("qian.hao", "wrong-password-5"))
        {
            Assert.Equal((HttpStatusCode)423, fifth.StatusCode);
            var body = await fifth.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(body.GetProperty("lockedUntil").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(10));
        }

        using (var right = await client.TrySignInAsync("qian.hao", TestSignIn.Password))
        {
            Assert.Equal((HttpStatusCode)423, right.StatusCode);
        }

        var listed = await server.Http.GetFromJsonAsync<JsonElement>("/api/users");
        Assert.NotEqual(JsonValueKind.Null, listed.EnumerateArray().Single(u => u.GetProperty("name").GetString() == "qian.hao").GetProperty("lockedUntil").ValueKind);
        using (var unlock = await server.Http.PostAsync("/api/users/qian.hao/unlock", null))
        {
            Assert.Equal(HttpStatusCode.OK, unlock.StatusCode);
        }

        await client.SignInAsync("qian.hao", TestSignIn.Password);
    }

    [Fact]
    public async Task A_change_from_the_browser_needs_the_anti_forgery_token_of_its_own_session()
    {
        using var duty = await server.SignInAsync("zhou.duty", Role.DutyLead);
        using var other = await server.SignInAsync("wu.duty", Role.DutyLead);

        async Task<HttpResponseMessage> UnmuteAsync(string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, "/api/alarms/mute");
            request.Headers.Add("X-XSRF-TOKEN", token ?? "missing");
            return await duty.Http.SendAsync(request);
        }

        var own = duty.Antiforgery;
        duty.Antiforgery = null; // the handler stops adding it
        using (var none = await duty.Http.DeleteAsync("/api/alarms/mute"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
            Assert.Contains("antiforgery", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var foreign = await UnmuteAsync(other.Antiforgery))
        {
            Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        }

        using (var right = await UnmuteAsync(own))
        {
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        }

        // the sign-in form is protected too (login CSRF)
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        using var signIn = await anonymous.PostAsJsonAsync("/api/auth/signin", new { name = "zhou.duty", password = TestSignIn.Password });
        Assert.Equal(HttpStatusCode.BadRequest, signIn.StatusCode);
    }

    [Fact]
    public async Task An_API_token_is_shown_once_stored_hashed_limited_to_its_scopes_and_dead_once_revoked()
    {
        var sw = server.FirstSwitch();
        var writer = await CreateTokenAsync("telegraf-a01", "samples:write");
        var reader = await CreateTokenAsync("grafana", "read");
        var tickets = await CreateTokenAsync("itsm-bridge", "tickets");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        async Task<HttpStatusCode> CallAsync(string secret, HttpMethod method, string path, HttpContent? content = null, string scheme = "Token")
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue(scheme, secret);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        static StringContent Line(string line) => new(line, Encoding.UTF8, "text/plain");

        // as InfluxDB clients send it, no session and no anti-forgery token
        Assert.Equal(HttpStatusCode.NoContent, await CallAsync(writer.Secret, HttpMethod.Post, "/api/v2/write?bucket=b", Line($"cpu,device={sw.Id} usage=12")));
        Assert.Equal(HttpStatusCode.NoContent, await CallAsync(writer.Secret, HttpMethod.Post, "/write?db=noc", Line($"cpu,device={sw.Id} usage=13"), "Bearer"));
        Assert.Equal(HttpStatusCode.Forbidden, await CallAsync(writer.Secret, HttpMethod.Get, "/api/rooms"));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(reader.Secret, HttpMethod.Get, "/api/alarms"));
        Assert.Equal(HttpStatusCode.Forbidden, await CallAsync(reader.Secret, HttpMethod.Post, "/api/v2/write?bucket=b", Line($"cpu,device={sw.Id} usage=14")));
        Assert.Equal(HttpStatusCode.Forbidden, await CallAsync(reader.Secret, HttpMethod.Delete, "/api/alarms/mute"));
        Assert.Equal(HttpStatusCode.Forbidden, await CallAsync(tickets.Secret, HttpMethod.Get, "/api/alarms"));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(tickets.Secret, HttpMethod.Get, "/api/tickets"));
        Assert.Equal(HttpStatusCode.Created, await CallAsync(tickets.Secret, HttpMethod.Post, "/api/tickets",
            JsonContent.Create(new { category = "request", description = "from the ITSM bridge" })));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(writer.Secret + "x", HttpMethod.Post, "/api/v2/write?bucket=b", Line($"cpu,device={sw.Id} usage=15")));

        // listed with prefix and last use, never the secret; stored only as a hash
        var listed = await server.Http.GetStringAsync("/api/tokens");
        Assert.DoesNotContain(writer.Secret, listed, StringComparison.Ordinal);
        var entry = JsonDocument.Parse(listed).RootElement.EnumerateArray().Single(t => t.GetProperty("id").GetInt64() == writer.Id);
        Assert.StartsWith(entry.GetProperty("prefix").GetString()!, writer.Secret, StringComparison.Ordinal);
        Assert.NotEqual(JsonValueKind.Null, entry.GetProperty("lastUsedAt").ValueKind);
        var stored = await server.App.Services.GetRequiredService<Monitoring.Storage.Security.SecurityStore>().TokensAsync(CancellationToken.None);
        Assert.DoesNotContain(stored, t => t.Hash.Contains(writer.Secret[4..], StringComparison.Ordinal) || t.Prefix == writer.Secret);

        using (var revoke = await server.Http.DeleteAsync($"/api/tokens/{writer.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(writer.Secret, HttpMethod.Post, "/api/v2/write?bucket=b", Line($"cpu,device={sw.Id} usage=16")));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(reader.Secret, HttpMethod.Get, "/api/alarms")); // the others still work
    }

    [Fact]
    public async Task Token_creation_refuses_unknown_scopes_naming_them()
    {
        using var response = await server.Http.PostAsJsonAsync("/api/tokens", new { name = "bad", scopes = new[] { "read", "everything" } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("scopes", body.GetProperty("field").GetString());
        Assert.Contains("everything", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_kind_of_change_is_in_the_audit_log_with_who_when_where_and_what()
    {
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        using var duty = await server.SignInAsync("audit.duty", Role.DutyLead);
        using var field = await server.SignInAsync("audit.tech", Role.Technician, "team-power");
        using (var refused = SignedInClient.Anonymous(server.BaseAddress))
        using (var wrong = await refused.TrySignInAsync("audit.duty", "not-the-password"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // an alarm to handle: the UPS on battery
        using (var write = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent("ups,device=ups-1 mode=4", Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);
        }

        var alarm = await ServerFixture.EventuallyAsync(
            async () => (await duty.Http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray()
                .FirstOrDefault(a => a.GetProperty("ruleId").GetString() == "ups-on-battery" && a.GetProperty("target").GetProperty("deviceId").GetString() == "ups-1"),
            a => a.ValueKind == JsonValueKind.Object, "the UPS alarm");
        var alarmId = alarm.GetProperty("id").GetInt64();
        await OkAsync(duty.Http.PostAsJsonAsync($"/api/alarms/{alarmId}/ack", new { comment = "on it" }));
        await OkAsync(duty.Http.PostAsJsonAsync($"/api/alarms/{alarmId}/shelve", new { minutes = 10, reason = "UPS vendor on site" }));
        await OkAsync(duty.Http.PostAsJsonAsync("/api/alarms/mute", new { reason = "night shift briefing", minutes = 5 }));
        await OkAsync(duty.Http.DeleteAsync("/api/alarms/mute"));
        var window = await OkAsync(duty.Http.PostAsJsonAsync("/api/maintenance", new { scope = "ups-1", minutes = 30, reason = "battery swap" }));
        await OkAsync(duty.Http.DeleteAsync($"/api/maintenance/{window.GetProperty("id").GetInt64()}"));
        var ticket = await OkAsync(duty.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", description = "UPS 1 on battery", deviceId = "ups-1" }));
        var ticketId = ticket.GetProperty("summary").GetProperty("id").GetInt64();
        await OkAsync(duty.Http.PostAsJsonAsync($"/api/tickets/{ticketId}/dispatch", new { team = "team-power" }));
        await OkAsync(field.Http.PostAsJsonAsync($"/api/tickets/{ticketId}/accept", new { vehicle = "van-2" }));
        var created = await OkAsync(server.Http.PostAsJsonAsync("/api/users", new { name = "audit.new", role = "viewer" }));
        var generated = created.GetProperty("password").GetString()!;
        await OkAsync(server.Http.PutAsJsonAsync("/api/users/audit.new", new { role = "operator" }));
        var reset = await OkAsync(server.Http.PostAsync("/api/users/audit.new/reset", null));
        var token = await CreateTokenAsync("audit-token", "read");
        await OkAsync(server.Http.DeleteAsync($"/api/tokens/{token.Id}"));
        using (var newcomer = SignedInClient.Anonymous(server.BaseAddress))
        {
            await newcomer.SignInAsync("audit.new", reset.GetProperty("password").GetString()!);
            using var changed = await newcomer.Http.PostAsJsonAsync("/api/auth/password", new { current = reset.GetProperty("password").GetString(), @new = "audit-new-password-1" });
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        var entries = (await server.Http.GetFromJsonAsync<JsonElement>("/api/audit?limit=1000")).EnumerateArray()
            .Where(e => e.GetProperty("at").GetDateTimeOffset() >= started).ToList();

        void Has(string action, string user, string outcome = "ok", string? detail = null)
        {
            var match = entries.FirstOrDefault(e => e.GetProperty("action").GetString() == action && e.GetProperty("user").GetString() == user
                && e.GetProperty("outcome").GetString() == outcome
                && (detail is null || (e.GetProperty("detail").GetString() ?? string.Empty).Contains(detail, StringComparison.Ordinal)));
            Assert.True(match.ValueKind == JsonValueKind.Object, $"no audit entry {action} by {user} ({outcome}{(detail is null ? null : ", " + detail)})");
            Assert.Equal("127.0.0.1", match.GetProperty("address").GetString());
        }

        Has("SignIn", "audit.duty");
        Has("SignIn", "audit.duty", "refused", "wrong name or password");
        Has("AcknowledgeAlarm", "audit.duty", detail: "on it");
        Has("ShelveAlarm", "audit.duty", detail: "UPS vendor on site");
        Has("Mute", "audit.duty", detail: "night shift briefing");
        Has("Unmute", "audit.duty");
        // a call without a body records no detail: the detail is the request body, never a service's state
        Assert.All(entries.Where(e => e.GetProperty("action").GetString() is "Unmute" or "EndMaintenance" or "RevokeToken"),
            e => Assert.Equal(JsonValueKind.Null, e.GetProperty("detail").ValueKind));
        Has("AddMaintenance", "audit.duty", detail: "battery swap");
        Has("EndMaintenance", "audit.duty");
        Has("CreateTicket", "audit.duty", detail: "UPS 1 on battery");
        Has("DispatchTicket", "audit.duty", detail: "team-power");
        Has("AcceptTicket", "audit.tech", detail: "van-2");
        Has("CreateUser", "tester", detail: "audit.new");
        Has("UpdateUser", "tester", detail: "operator");
        Has("ResetPassword", "tester");
        Has("CreateToken", "tester", detail: "audit-token");
        Has("RevokeToken", "tester");
        Has("ChangePassword", "audit.new");

        // a refused change is recorded too; passwords and token secrets never are
        using (var denied = await field.Http.PostAsJsonAsync("/api/alarms/mute", new { reason = "try", minutes = 5 }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        var csv = await server.Http.GetStringAsync("/api/audit?format=csv&limit=1000");
        Assert.StartsWith("id,at,user,role,address,action,target,detail,outcome", csv.TrimStart('\uFEFF'), StringComparison.Ordinal);
        Assert.Contains(",audit.tech,technician,127.0.0.1,Mute,/api/alarms/mute,", csv, StringComparison.Ordinal);
        foreach (var secret in new[] { generated, reset.GetProperty("password").GetString()!, "audit-new-password-1", "not-the-password", token.Secret, TestSignIn.Password })
        {
            Assert.DoesNotContain(secret, csv, StringComparison.Ordinal);
        }

        var filtered = await server.Http.GetFromJsonAsync<JsonElement>("/api/audit?user=audit.tech&action=AcceptTicket");
        Assert.All(filtered.EnumerateArray(), e => Assert.Equal(("audit.tech", "AcceptTicket"), (e.GetProperty("user").GetString(), e.GetProperty("action").GetString())));
        Assert.True(filtered.GetArrayLength() >= 1);
    }

    [Fact]
    public async Task A_technician_works_on_the_own_teams_tickets_only()
    {
        using var tech = await server.SignInAsync("zheng.tech", Role.Technician, "team-power");
        var mine = await OkAsync(server.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", description = "PDU breaker tripped" }));
        var theirs = await OkAsync(server.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", description = "switch port flapping" }));
        var mineId = mine.GetProperty("summary").GetProperty("id").GetInt64();
        var theirsId = theirs.GetProperty("summary").GetProperty("id").GetInt64();
        await OkAsync(server.Http.PostAsJsonAsync($"/api/tickets/{mineId}/dispatch", new { team = "team-power" }));
        await OkAsync(server.Http.PostAsJsonAsync($"/api/tickets/{theirsId}/dispatch", new { team = "team-network" }));

        using (var refused = await tech.Http.PostAsJsonAsync($"/api/tickets/{theirsId}/accept", new { }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        var accepted = await OkAsync(tech.Http.PostAsJsonAsync($"/api/tickets/{mineId}/accept", new { by = "someone-else" }));
        Assert.Contains(accepted.GetProperty("timeline").EnumerateArray(), s => s.GetProperty("by").GetString() == "zheng.tech");
        Assert.DoesNotContain(accepted.GetProperty("timeline").EnumerateArray(), s => s.GetProperty("by").GetString() == "someone-else");
        using (var otherStatus = await tech.Http.PutAsJsonAsync("/api/teams/team-network/status", new { availability = "away", reason = "x" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, otherStatus.StatusCode);
        }

        await OkAsync(tech.Http.PutAsJsonAsync("/api/teams/team-power/status", new { availability = "busy", reason = "PDU" }));
    }

    private async Task<(long Id, string Secret)> CreateTokenAsync(string name, string scope)
    {
        var created = await OkAsync(server.Http.PostAsJsonAsync("/api/tokens", new { name, scopes = new[] { scope } }));
        var secret = created.GetProperty("secret").GetString()!;
        Assert.StartsWith("mon_", secret, StringComparison.Ordinal);
        return (created.GetProperty("token").GetProperty("id").GetInt64(), secret);
    }

    private static async Task<JsonElement> OkAsync(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>On SQLite (the default).</summary>
    public sealed class Sqlite(ServerFixture server) : SignInTests(server), IClassFixture<ServerFixture>;

    /// <summary>The same tests with the server's relational state in PostgreSQL.</summary>
    public sealed class Postgres(PostgresServerFixture server) : SignInTests(server), IClassFixture<PostgresServerFixture>;
}
