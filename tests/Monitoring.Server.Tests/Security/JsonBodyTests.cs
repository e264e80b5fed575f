using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Monitoring.Server.Api;

namespace Monitoring.Server.Tests.Security;

/// <summary>
/// Bounds on every JSON body and problem+json for one that does not bind (issue 15: a 10 MB ticket title, a 20 MB note
/// and 200k photos were accepted; `{"title":123}` answered an empty 400), on the real server.
/// </summary>
public sealed class JsonBodyTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_ticket_title_over_its_bound_is_refused_naming_the_field_and_the_limit_and_one_at_the_bound_is_kept()
    {
        var problem = await ProblemAsync(server.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", title = new string('t', 201), description = "x" }), 400);
        Assert.Equal("title", problem.GetProperty("field").GetString());
        Assert.Equal(JsonLimits.DefaultMaxTextLength, problem.GetProperty("limit").GetInt32());
        Assert.Contains("at most 200 characters", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var kept = await server.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", title = new string('t', 200), description = new string('d', 10_000) });
        Assert.Equal(HttpStatusCode.Created, kept.StatusCode);

        var caller = await ProblemAsync(server.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", description = "x", caller = new { name = new string('n', 201) } }), 400);
        Assert.Equal("caller.name", caller.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_note_over_ten_thousand_characters_and_a_list_of_over_a_hundred_photos_are_refused()
    {
        var note = await ProblemAsync(server.Http.PostAsJsonAsync("/api/tickets/1/notes", new { text = new string('n', 10_001) }), 400);
        Assert.Equal("text", note.GetProperty("field").GetString());
        Assert.Equal(JsonLimits.DefaultMaxLongTextLength, note.GetProperty("limit").GetInt32());

        var photos = Enumerable.Range(0, 101).Select(i => new { name = $"p{i}.jpg", contentType = "image/jpeg", size = 1000 }).ToArray();
        var many = await ProblemAsync(server.Http.PostAsJsonAsync("/api/tickets/1/resolve", new { note = "fixed", photos }), 400);
        Assert.Equal("photos", many.GetProperty("field").GetString());
        Assert.Equal(JsonLimits.DefaultMaxListItems, many.GetProperty("limit").GetInt32());

        var url = await ProblemAsync(server.Http.PostAsJsonAsync("/api/tickets/1/resolve", new { note = "fixed", photos = new[] { new { name = "a.jpg", url = "http://x/" + new string('u', 2048) } } }), 400);
        Assert.Equal("photos[0].url", url.GetProperty("field").GetString());

        var scopes = await ProblemAsync(server.Http.PostAsJsonAsync("/api/tokens", new { name = "many", scopes = Enumerable.Repeat("read", 101) }), 400);
        Assert.Equal("scopes", scopes.GetProperty("field").GetString());

        // the anonymous sign-in form too
        using var anonymous = Monitoring.Testing.SignedInClient.Anonymous(server.BaseAddress);
        await anonymous.RefreshAntiforgeryAsync();
        var name = await ProblemAsync(anonymous.Http.PostAsJsonAsync("/api/auth/signin", new { name = new string('a', 201), password = "x" }), 400);
        Assert.Equal("name", name.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_body_over_the_size_cap_is_refused_with_413_whether_its_length_is_declared_or_not()
    {
        var huge = JsonSerializer.Serialize(new { category = "fault", description = new string('d', JsonLimits.DefaultMaxBodyBytes) });
        var declared = await ProblemAsync(server.Http.PostAsync("/api/tickets", new StringContent(huge, Encoding.UTF8, "application/json")), 413);
        Assert.Equal(JsonLimits.DefaultMaxBodyBytes, declared.GetProperty("limit").GetInt32());

        // chunked: no Content-Length, the cap holds while reading
        var chunked = new StreamContent(new NoLengthStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var streamed = await ProblemAsync(server.Http.PostAsync("/api/tickets", chunked), 413);
        Assert.Contains("MaxBodyBytes", streamed.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_type_or_an_unknown_enum_value_answers_problem_json_naming_the_field_and_the_type_expected()
    {
        var number = await ProblemAsync(server.Http.PostAsync("/api/tickets", Json("""{"category":"fault","title":123,"description":"x"}""")), 400);
        Assert.Equal("title", number.GetProperty("field").GetString());
        Assert.Equal("$.title", number.GetProperty("path").GetString());
        Assert.Equal("a string", number.GetProperty("expected").GetString());

        var category = await ProblemAsync(server.Http.PostAsync("/api/tickets", Json("""{"category":"catastrophe","description":"x"}""")), 400);
        Assert.Equal("category", category.GetProperty("field").GetString());
        Assert.Equal("one of \"fault\", \"request\", \"complaint\", \"consultation\"", category.GetProperty("expected").GetString());

        var size = await ProblemAsync(server.Http.PostAsync("/api/tickets/1/resolve", Json("""{"note":"x","photos":[{"name":"a","size":"big"}]}""")), 400);
        Assert.Equal("photos[0].size", size.GetProperty("field").GetString());
        Assert.Equal("an integer", size.GetProperty("expected").GetString());

        var minutes = await ProblemAsync(server.Http.PostAsync("/api/alarms/mute", Json("""{"reason":"x","minutes":"ten"}""")), 400);
        Assert.Equal("minutes", minutes.GetProperty("field").GetString());
        Assert.Equal("a number", minutes.GetProperty("expected").GetString());

        var broken = await ProblemAsync(server.Http.PostAsync("/api/tickets", Json("""{"category":"fault",""")), 400);
        Assert.Contains("not valid JSON", broken.GetProperty("title").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_maintenance_window_is_capped_like_mute_and_shelve()
    {
        var device = server.FirstSwitch().Id;
        var minutes = await ProblemAsync(server.Http.PostAsJsonAsync("/api/maintenance", new { scope = device, minutes = 2147483647, reason = "forever" }), 400);
        Assert.Equal("minutes", minutes.GetProperty("field").GetString());
        Assert.Contains("at most 10080", minutes.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var until = await ProblemAsync(server.Http.PostAsJsonAsync("/api/maintenance", new { scope = device, until = DateTimeOffset.UtcNow.AddYears(4000), reason = "forever" }), 400);
        Assert.Equal("until", until.GetProperty("field").GetString());

        var from = await ProblemAsync(server.Http.PostAsJsonAsync("/api/maintenance", new { scope = device, from = DateTimeOffset.UtcNow.AddYears(5), minutes = 60, reason = "later" }), 400);
        Assert.Equal("from", from.GetProperty("field").GetString());

        using var week = await server.Http.PostAsJsonAsync("/api/maintenance", new { scope = device, minutes = 7 * 24 * 60, reason = "a week of works" });
        Assert.Equal(HttpStatusCode.Created, week.StatusCode);
        var window = await week.Content.ReadFromJsonAsync<JsonElement>();
        using var end = await server.Http.DeleteAsync($"/api/maintenance/{window.GetProperty("id").GetInt64()}");
        Assert.True(end.IsSuccessStatusCode);
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ProblemAsync(Task<HttpResponseMessage> call, int status)
    {
        using var response = await call;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(status, body.GetProperty("status").GetInt32());
        return body;
    }

    /// <summary>A stream that does not tell its length, so HttpClient sends it chunked.</summary>
    private sealed class NoLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
