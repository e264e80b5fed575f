using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Testing;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests.Alarms;

/// <summary>
/// Incidents across kill -9: the real server as a child process, nothing reporting (every device's unreachable alarm
/// rises within seconds, grouped by root cause), SIGKILL, restart on the same data, twice. Every incident the server
/// listed is there afterwards with its alarms and its ticket, every active alarm's incident lists it, and no incident
/// ever has a second ticket.
/// </summary>
public sealed class IncidentKillTests(ITestOutputHelper output) : IDisposable
{
    private const int Rounds = 2;
    private readonly string _data = Directory.CreateTempSubdirectory("incident-kill-").FullName;

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
    public async Task Every_incident_the_server_listed_survives_a_kill_9_with_its_one_ticket()
    {
        using var server = new ChildServer(_data, new Dictionary<string, string>
        {
            ["Monitoring__Alarms__Engine__PollInterval"] = "00:00:01",
            ["Monitoring__Alarms__Engine__TicketAfter"] = "00:00:01",
        });
        var client = await server.StartAsync();
        try
        {
            var seen = new Dictionary<long, JsonElement>();
            for (var round = 1; round <= Rounds; round++)
            {
                var listed = await EventuallyAsync(
                    async () => (await client.Http.GetFromJsonAsync<JsonElement>("/api/incidents?open=true")).EnumerateArray().Select(i => i.Clone()).ToList(),
                    list => list.Count >= 3 && list.Any(i => i.GetProperty("ticketId").ValueKind == JsonValueKind.String),
                    "three open incidents, one with its ticket");
                foreach (var incident in listed)
                {
                    seen[incident.GetProperty("id").GetInt64()] = incident;
                }

                await server.KillAsync();
                client.Dispose();
                client = await server.StartAsync();

                foreach (var (id, before) in seen)
                {
                    using var response = await client.Http.GetAsync($"/api/incidents/{id}");
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"incident {id} was listed before the kill but is not there after it ({(int)response.StatusCode})");
                    var after = await response.Content.ReadFromJsonAsync<JsonElement>();
                    Assert.Equal(before.GetProperty("title").GetString(), after.GetProperty("title").GetString());
                    Assert.Equal(before.GetProperty("start").GetString(), after.GetProperty("start").GetString());
                    Assert.Superset(Ids(before), Ids(after));
                    if (before.GetProperty("ticketId").ValueKind == JsonValueKind.String)
                    {
                        Assert.Equal(before.GetProperty("ticketId").GetString(), after.GetProperty("ticketId").GetString());
                    }
                }

                // every active alarm names an open incident that lists it
                var alarms = await client.Http.GetFromJsonAsync<JsonElement>("/api/alarms");
                var open = (await client.Http.GetFromJsonAsync<JsonElement>("/api/incidents?open=true")).EnumerateArray().ToDictionary(i => i.GetProperty("id").GetInt64(), i => i.Clone());
                foreach (var alarm in alarms.EnumerateArray().Where(a => a.GetProperty("state").GetString() is "raised" or "acknowledged"))
                {
                    var incidentId = alarm.GetProperty("incidentId").GetInt64();
                    Assert.True(open.TryGetValue(incidentId, out var incident), $"alarm {alarm.GetProperty("id")} names incident {incidentId}, which is not open");
                    Assert.Contains(alarm.GetProperty("id").GetInt64(), Ids(incident));
                }

                // each incident that has a ticket has exactly that one
                var linked = await IncidentTicketsAsync(client.Http);
                foreach (var (incidentId, tickets) in linked)
                {
                    Assert.True(tickets.Count == 1, $"incident {incidentId} has tickets {string.Join(", ", tickets)}");
                    if (open.TryGetValue(incidentId, out var incident) && incident.GetProperty("ticketId").ValueKind == JsonValueKind.String)
                    {
                        Assert.Equal(tickets[0].ToString(CultureInfo.InvariantCulture), incident.GetProperty("ticketId").GetString());
                    }
                }

                output.WriteLine($"round {round}: {seen.Count} incidents seen, {open.Count} open after the restart, {linked.Count} with a ticket");
            }
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

    private static HashSet<long> Ids(JsonElement incident) => incident.GetProperty("alarmIds").EnumerateArray().Select(e => e.GetInt64()).ToHashSet();

    /// <summary>Incident id → the tickets that link it.</summary>
    private static async Task<Dictionary<long, List<long>>> IncidentTicketsAsync(HttpClient http)
    {
        var result = new Dictionary<long, List<long>>();
        var page = await http.GetFromJsonAsync<JsonElement>("/api/tickets?pageSize=200");
        foreach (var row in page.GetProperty("items").EnumerateArray())
        {
            var id = row.GetProperty("id").GetInt64();
            var detail = await http.GetFromJsonAsync<JsonElement>($"/api/tickets/{id}");
            foreach (var link in detail.GetProperty("links").EnumerateArray().Where(l => l.GetProperty("kind").GetString() == "incident"))
            {
                var incident = long.Parse(link.GetProperty("target").GetString()!, CultureInfo.InvariantCulture);
                if (!result.TryGetValue(incident, out var list))
                {
                    result[incident] = list = [];
                }

                list.Add(id);
            }
        }

        return result;
    }

    private static Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what) =>
        ServerFixture.EventuallyAsync(probe, done, what, timeoutMs: 120_000);
}
