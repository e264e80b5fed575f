using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Monitoring.Server.Tests;

/// <summary>
/// The OpenAPI document is derived from the handlers' typed results: for representative operations the documented
/// responses are exactly the ones the handler can give (no more, no fewer), with the body and content type it writes;
/// and the real server, asked for a few of them, answers with a documented status and content type.
/// </summary>
public sealed class OpenApiResponsesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Problem = "application/problem+json";
    private const string Json = "application/json";

    /// <summary>Method, path, the statuses the handler gives, and which errors are plain JSON rather than problem+json.</summary>
    public static TheoryData<string, string, string, string> Operations() => new()
    {
        { "get", "/api/tickets/{id}", "200 404", "" },
        { "get", "/api/tickets/{id}/notices", "200 404", "" },
        { "post", "/api/tickets", "201 400", "" },
        { "post", "/api/tickets/{id}/accept", "200 400 403 404 409", "" },
        { "post", "/api/tickets/{id}/links", "200 400 403 404 409", "" },
        { "get", "/api/tickets/mine", "200 400 403 404", "403" },
        { "put", "/api/teams/{id}/status", "200 400 403 404", "403" },
        { "get", "/api/alarms/{id}", "200 404", "" },
        { "get", "/api/incidents", "200 400", "" },
        { "get", "/api/incidents/{id}", "200 404", "" },
        { "post", "/api/alarms/{id}/ack", "200 400 404 409", "" },
        { "post", "/api/alarms/{id}/unshelve", "200 404 409", "" },
        { "post", "/api/maintenance", "201 400", "" },
        { "delete", "/api/maintenance/{id}", "204 404", "" },
        { "delete", "/api/alarms/mute", "200", "" },
        { "get", "/api/rooms/{id}", "200 403 404", "403" },
        { "get", "/api/devices/{id}", "200 403 404", "403" },
        { "get", "/api/series", "200 400 404 503", "" },
        { "post", "/api/v2/write", "204 400 403 413 415 503", "400 403 413 415 503" },
        { "post", "/write", "204 400 403 413 415 503", "400 403 413 415 503" },
        { "get", "/api/replay/rooms/{roomId}/at", "200 400 403 404", "403" },
        { "get", "/api/replay/rooms/{roomId}/changes", "200 400 403 404", "403" },
        { "get", "/api/training/replay", "200 409", "" },
        { "post", "/api/training/replay/speed", "200 400 409", "" },
        { "post", "/api/training/replay/seek", "200 400 409", "" },
        { "post", "/api/training/locate", "200 400 409", "" },
        { "post", "/api/training/quizzes", "201 400 409", "" },
        { "post", "/api/training/quizzes/{id}/answer", "200 400 404 409", "" },
        { "get", "/api/training/board", "200 409", "" },
        { "get", "/api/training/report.csv", "200 409", "" },
        { "get", "/api/kb/articles", "200 400", "" },
        { "post", "/api/kb/articles", "201 400", "" },
        { "post", "/api/kb/articles/from-ticket/{id}", "201 404 409", "" },
        { "get", "/api/kb/articles/{id}", "200 404", "" },
        { "put", "/api/kb/articles/{id}", "200 400 404 409", "" },
        { "get", "/api/kb/articles/{id}/versions", "200 404", "" },
        { "post", "/api/kb/articles/{id}/usage", "200 400 404", "" },
        { "get", "/api/kb/suggest", "200 400 404", "" },
        { "get", "/api/training/drill", "200 403 409", "" },
        { "post", "/api/training/drill/start", "200 400 404 409", "" },
        { "post", "/api/training/drill/inject", "200 400 404 409", "" },
        { "post", "/api/training/drill/reset", "200 409", "" },
        { "get", "/api/collectors/config", "200 304 400 403 404", "403" },
        { "post", "/api/collectors/heartbeat", "204 400 403", "403" },
        { "post", "/api/training/sessions", "201 400 409 503", "" },
        { "get", "/api/training/sessions/{id}", "200 404 409", "" },
        { "delete", "/api/training/sessions/{id}", "204 404 409", "" },
        { "post", "/api/training/sessions/{id}/reset", "202 404 409", "" },
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Documented_responses_are_the_ones_the_handler_gives(string method, string path, string statuses, string json)
    {
        var document = await server.GetJsonAsync("/openapi/v1.json");

        var responses = Operation(document, method, path).GetProperty("responses");
        var documented = responses.EnumerateObject().Select(r => r.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(statuses.Split(' ').Order(StringComparer.Ordinal).ToArray(), documented);
        foreach (var response in responses.EnumerateObject().Where(r => r.Name[0] is '4' or '5'))
        {
            // every error is documented with its body: problem details, or InfluxDB's shape on the write endpoints
            var content = response.Value.GetProperty("content");
            var expected = json.Split(' ').Contains(response.Name) ? Json : Problem;
            Assert.Equal([expected], content.EnumerateObject().Select(c => c.Name).ToArray());
        }
    }

    [Fact]
    public async Task A_ticket_is_documented_with_its_allowed_actions_and_a_missing_one_as_a_problem()
    {
        var document = await server.GetJsonAsync("/openapi/v1.json");

        var responses = Operation(document, "get", "/api/tickets/{id}").GetProperty("responses");
        var ticket = Schema(document, responses.GetProperty("200").GetProperty("content").GetProperty(Json).GetProperty("schema"));
        var summary = Schema(document, ticket.GetProperty("properties").GetProperty("summary"));
        Assert.True(summary.GetProperty("properties").TryGetProperty("allowedActions", out _), "the ticket's summary schema lacks allowedActions");
        var problem = Schema(document, responses.GetProperty("404").GetProperty("content").GetProperty(Problem).GetProperty("schema"));
        Assert.True(problem.GetProperty("properties").TryGetProperty("title", out _), "the 404 is not documented as problem details");
    }

    [Fact]
    public async Task The_write_endpoints_document_their_own_error_shape()
    {
        var document = await server.GetJsonAsync("/openapi/v1.json");

        foreach (var (path, property, absent) in new[] { ("/api/v2/write", "code", "error"), ("/write", "error", "code") })
        {
            var responses = Operation(document, "post", path).GetProperty("responses");
            Assert.False(responses.GetProperty("204").TryGetProperty("content", out _), $"{path}: 204 has no body");
            foreach (var status in new[] { "400", "413", "415", "503" })
            {
                var body = Schema(document, responses.GetProperty(status).GetProperty("content").GetProperty(Json).GetProperty("schema"));
                var properties = body.GetProperty("properties");
                Assert.True(properties.TryGetProperty(property, out _), $"{path} {status}: the body lacks '{property}'");
                Assert.True(properties.TryGetProperty("linesWritten", out _), $"{path} {status}: the body lacks 'linesWritten'");
                Assert.False(properties.TryGetProperty(absent, out _), $"{path} {status}: the body has the other version's '{absent}'");
            }
        }
    }

    [Fact]
    public async Task The_server_answers_with_a_documented_status_and_content_type()
    {
        var document = await server.GetJsonAsync("/openapi/v1.json");

        await AnswersAsDocumented(document, "get", "/api/tickets/{id}", new HttpRequestMessage(HttpMethod.Get, "/api/tickets/987654321"), 404);
        await AnswersAsDocumented(document, "post", "/api/alarms/{id}/ack", new HttpRequestMessage(HttpMethod.Post, "/api/alarms/987654321/ack") { Content = JsonContent.Create(new { comment = "x" }) }, 404);
        await AnswersAsDocumented(document, "post", "/api/alarms/{id}/ack", new HttpRequestMessage(HttpMethod.Post, "/api/alarms/1/ack") { Content = JsonContent.Create(new { comment = new string('x', 1001) }) }, 400);
        await AnswersAsDocumented(document, "get", "/api/rooms/{id}", new HttpRequestMessage(HttpMethod.Get, "/api/rooms/no-such-room"), 404);
        await AnswersAsDocumented(document, "get", "/api/series", new HttpRequestMessage(HttpMethod.Get, "/api/series?metric=x"), 400);
        await AnswersAsDocumented(document, "delete", "/api/maintenance/{id}", new HttpRequestMessage(HttpMethod.Delete, "/api/maintenance/987654321"), 404);
        await AnswersAsDocumented(document, "post", "/api/maintenance", new HttpRequestMessage(HttpMethod.Post, "/api/maintenance") { Content = JsonContent.Create(new { scope = "" }) }, 400);
        await AnswersAsDocumented(document, "post", "/api/v2/write", new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?precision=xs") { Content = new StringContent("cpu v=1i\n", Encoding.UTF8) }, 400);
        await AnswersAsDocumented(document, "post", "/write", new HttpRequestMessage(HttpMethod.Post, "/write?precision=xs") { Content = new StringContent("cpu v=1i\n", Encoding.UTF8) }, 400);
        await AnswersAsDocumented(document, "post", "/api/v2/write", new HttpRequestMessage(HttpMethod.Post, "/api/v2/write") { Content = new StringContent(new string('x', 300_000), Encoding.UTF8) }, 413);
        await AnswersAsDocumented(document, "get", "/api/replay/rooms/{roomId}/at", new HttpRequestMessage(HttpMethod.Get, "/api/replay/rooms/demo/at?t=2000-01-01T00:00:00Z"), 400);
        await AnswersAsDocumented(document, "get", "/api/training/replay", new HttpRequestMessage(HttpMethod.Get, "/api/training/replay"), 409);
        await AnswersAsDocumented(document, "get", "/api/kb/articles/{id}", new HttpRequestMessage(HttpMethod.Get, "/api/kb/articles/987654321"), 404);
        await AnswersAsDocumented(document, "get", "/api/kb/articles", new HttpRequestMessage(HttpMethod.Get, "/api/kb/articles?pageSize=0"), 400);
        await AnswersAsDocumented(document, "get", "/api/kb/suggest", new HttpRequestMessage(HttpMethod.Get, "/api/kb/suggest?ticket=987654321"), 404);
    }

    private async Task AnswersAsDocumented(JsonElement document, string method, string path, HttpRequestMessage request, int status)
    {
        using (request)
        {
            using var response = await server.Http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == status, $"{method} {path} answered {(int)response.StatusCode}, expected {status}: {body}");
            var documented = Operation(document, method, path).GetProperty("responses").GetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var contentTypes = documented.GetProperty("content").EnumerateObject().Select(c => c.Name).ToArray();
            Assert.Contains(response.Content.Headers.ContentType?.MediaType, contentTypes);
            var schema = Schema(document, documented.GetProperty("content").GetProperty(response.Content.Headers.ContentType!.MediaType!).GetProperty("schema"));
            using var answer = JsonDocument.Parse(body);
            // problem details' extensions (traceId, the field or parameter named) are open-ended in the schema too
            foreach (var property in answer.RootElement.EnumerateObject().Where(p => p.Name is not ("traceId" or "field" or "parameter")))
            {
                Assert.True(schema.GetProperty("properties").TryGetProperty(property.Name, out _), $"{method} {path} {status}: '{property.Name}' is not in the documented schema");
            }
        }
    }

    private static JsonElement Operation(JsonElement document, string method, string path)
    {
        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"the OpenAPI document lacks {path}");
        Assert.True(item.TryGetProperty(method, out var operation), $"the OpenAPI document lacks {method} {path}");
        return operation;
    }

    /// <summary>The schema itself, following a <c>$ref</c> into components.</summary>
    private static JsonElement Schema(JsonElement document, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var reference))
        {
            return schema;
        }

        var name = reference.GetString()!;
        Assert.StartsWith("#/components/schemas/", name, StringComparison.Ordinal);
        return document.GetProperty("components").GetProperty("schemas").GetProperty(name["#/components/schemas/".Length..]);
    }
}
