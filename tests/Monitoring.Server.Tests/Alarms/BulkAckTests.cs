using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Server.Alarms;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests.Alarms;

/// <summary>
/// POST /api/alarms/ack, the console's "acknowledge all shown": the real server as a child process; many alarms
/// acknowledged with one comment in one request are all still acknowledged after a kill -9 and a restart; each id has
/// its own result (an unknown id 404, an already acknowledged one 409); the id count is bounded and the 400 names the bound.
/// </summary>
public sealed class BulkAckTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("alarm-bulk-ack-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_bulk_acknowledgement_answered_200_survives_a_kill_9_and_its_bounds_answer_400()
    {
        // no device sends anything: with a 1 s poll interval every device's "unreachable" alarm is raised within seconds
        using var server = new ChildServer(_data, new Dictionary<string, string> { ["Monitoring__Alarms__Engine__PollInterval"] = "00:00:01" });
        var client = await server.StartAsync();
        try
        {
            var ids = await ServerFixture.EventuallyAsync(
                async () => (await client.Http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray()
                    .Where(a => !a.TryGetProperty("acknowledgement", out var ack) || ack.ValueKind == JsonValueKind.Null)
                    .Select(a => a.GetProperty("id").GetInt64()).ToList(),
                list => list.Count >= 10,
                "ten unacknowledged alarms",
                timeoutMs: 90_000);
            var chosen = ids.Take(10).ToList();
            const long Unknown = 987_654_321;
            const string Comment = "bulk: power work in row A, known";

            // bounds: none, too many, a comment too long: 400 naming the field (and the bound)
            using (var none = await client.Http.PostAsJsonAsync("/api/alarms/ack", new { ids = Array.Empty<long>(), comment = "x" }))
            {
                Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
                Assert.Contains("ids", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            var tooMany = Enumerable.Range(1, AlarmEndpoints.MaxBulkAcknowledge + 1).Select(i => (long)i).ToArray();
            using (var many = await client.Http.PostAsJsonAsync("/api/alarms/ack", new { ids = tooMany, comment = "x" }))
            {
                Assert.Equal(HttpStatusCode.BadRequest, many.StatusCode);
                var problem = await many.Content.ReadAsStringAsync();
                Assert.True(problem.Contains("ids", StringComparison.Ordinal), problem);
                Assert.True(problem.Contains($"at most {AlarmEndpoints.MaxBulkAcknowledge}", StringComparison.Ordinal), problem);
            }

            using (var longComment = await client.Http.PostAsJsonAsync("/api/alarms/ack", new { ids = chosen, comment = new string('x', 1001) }))
            {
                Assert.Equal(HttpStatusCode.BadRequest, longComment.StatusCode);
                Assert.Contains("comment", await longComment.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            // nothing was acknowledged by the refused requests
            foreach (var id in chosen)
            {
                Assert.False(await IsAcknowledgedAsync(client.Http, id), $"alarm {id} was acknowledged by a refused request");
            }

            // one already acknowledged on its own: the bulk answers 409 for it and acknowledges the rest
            using (var single = await client.Http.PostAsJsonAsync($"/api/alarms/{chosen[0]}/ack", new { comment = "alone" }))
            {
                Assert.Equal(HttpStatusCode.OK, single.StatusCode);
            }

            using var bulk = await client.Http.PostAsJsonAsync("/api/alarms/ack", new { ids = chosen.Append(Unknown).ToArray(), comment = Comment });
            Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
            var answer = await bulk.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(chosen.Count - 1, answer.GetProperty("acknowledged").GetInt32());
            var results = answer.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetInt64());
            Assert.Equal(chosen.Count + 1, results.Count);
            Assert.Equal(409, results[chosen[0]].GetProperty("status").GetInt32());
            Assert.False(results[chosen[0]].GetProperty("ok").GetBoolean());
            Assert.Equal(404, results[Unknown].GetProperty("status").GetInt32());
            foreach (var id in chosen.Skip(1))
            {
                Assert.True(results[id].GetProperty("ok").GetBoolean(), $"alarm {id}: {results[id]}");
                Assert.Equal(Comment, results[id].GetProperty("alarm").GetProperty("acknowledgement").GetProperty("comment").GetString());
            }

            // the answer was 200: every acknowledgement is kept through a kill -9
            await server.KillAsync();
            client.Dispose();
            client = await server.StartAsync();
            foreach (var id in chosen.Skip(1))
            {
                var alarm = (await client.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}")).GetProperty("alarm");
                Assert.True(alarm.TryGetProperty("acknowledgement", out var ack) && ack.ValueKind == JsonValueKind.Object, $"alarm {id} was acknowledged in bulk (200) but is not after the kill");
                Assert.Equal(Comment, ack.GetProperty("comment").GetString());
            }

            var first = (await client.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{chosen[0]}")).GetProperty("alarm");
            Assert.Equal("alone", first.GetProperty("acknowledgement").GetProperty("comment").GetString());
        }
        catch
        {
            output.WriteLine(server.RecentOutput);
            throw;
        }
        finally
        {
            client.Dispose();
        }
    }

    private static async Task<bool> IsAcknowledgedAsync(HttpClient http, long id)
    {
        var alarm = (await http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}")).GetProperty("alarm");
        return alarm.TryGetProperty("acknowledgement", out var ack) && ack.ValueKind == JsonValueKind.Object;
    }
}
