using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Monitoring.Server.Tests;

/// <summary>
/// The server on PostgreSQL when PostgreSQL goes away (stopped as if it crashed) and comes back: a ticket write is
/// answered 503 "storage unavailable" naming the database, never 2xx, and the ticket is not there afterwards;
/// /healthz says storage failed with the same reason; once PostgreSQL is back, writes succeed and /healthz recovers.
/// </summary>
public sealed class StorageUnavailableTests(PostgresServerFixture server) : IClassFixture<PostgresServerFixture>
{
    [Fact]
    public async Task A_lost_database_is_a_503_with_a_clear_message_shown_in_healthz_and_writes_resume_when_it_is_back()
    {
        var postgres = server.Postgres!;
        var device = server.FirstSwitch();
        object Report(string what) => new
        {
            by = "operator.li",
            category = "fault",
            channel = "phone",
            description = what,
            deviceId = device.Id,
            port = 5,
            caller = new { name = "王五", phone = "6001", department = "财务部", location = "3F 301" },
        };

        using (var before = await server.Http.PostAsJsonAsync("/api/tickets", Report("before")))
        {
            Assert.True(before.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, $"{(int)before.StatusCode}");
        }

        await postgres.StopServerAsync();
        try
        {
            using var refused = await server.Http.PostAsJsonAsync("/api/tickets", Report("while the database is down"));
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode}: {body}");
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal("storage unavailable", problem.GetProperty("title").GetString());
            Assert.Contains($"127.0.0.1:{postgres.Port}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("cannot be reached", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

            using var health = await server.Http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            var storage = (await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("components").GetProperty("storage");
            Assert.Equal("failed", storage.GetProperty("state").GetString());
            Assert.True(storage.GetProperty("unavailable").GetBoolean());
            Assert.Contains($"127.0.0.1:{postgres.Port}", storage.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await postgres.StartServerAsync();
        }

        // back: the next write succeeds (the pool drops its broken connections), /healthz recovers
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement created;
        while (true)
        {
            using var again = await server.Http.PostAsJsonAsync("/api/tickets", Report("after"));
            if (again.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created)
            {
                created = await again.Content.ReadFromJsonAsync<JsonElement>();
                break;
            }

            Assert.True(again.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)again.StatusCode}: {await again.Content.ReadAsStringAsync()}");
            Assert.True(DateTime.UtcNow < deadline, "writes did not resume within 60 s of PostgreSQL coming back");
            await Task.Delay(200);
        }

        using var healthResponse = await server.Http.GetAsync("/healthz");
        var healthText = await healthResponse.Content.ReadAsStringAsync();
        Assert.True(healthResponse.IsSuccessStatusCode, $"/healthz after PostgreSQL is back: {(int)healthResponse.StatusCode} {healthText}");
        var healthAfter = JsonDocument.Parse(healthText).RootElement;
        Assert.False(healthAfter.GetProperty("components").GetProperty("storage").GetProperty("unavailable").GetBoolean());
        using var listResponse = await server.Http.GetAsync("/api/tickets?pageSize=100");
        var listText = await listResponse.Content.ReadAsStringAsync();
        Assert.True(listResponse.IsSuccessStatusCode, $"the ticket list after PostgreSQL is back: {(int)listResponse.StatusCode} {listText}");
        var tickets = JsonDocument.Parse(listText).RootElement;
        var ids = tickets.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(2, ids.Count); // before and after: nothing of the refused one was kept
        Assert.Contains(created.GetProperty("summary").GetProperty("id").GetInt64(), ids);
    }
}
