using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Core.Inventory;

namespace Monitoring.Server.Tests.Alarms;

/// <summary>The demo room with its simulator, Modbus polled every second, alarm tickets wanted after 2 s (the demo's group wait of 30 s applies).</summary>
public class IncidentFixture : ServerFixture
{
    public IncidentFixture()
        : base([
            "--Monitoring:Simulator:IntervalSeconds", "1",
            "--Monitoring:Modbus:DefaultIntervalSeconds", "1",
            "--Monitoring:Alarms:Engine:TicketAfter", "00:00:02",
        ])
    {
    }

    public override bool Simulator => true;
}

/// <summary><see cref="IncidentFixture"/> with the relational state in PostgreSQL.</summary>
public sealed class PostgresIncidentFixture : IncidentFixture
{
    public override bool OnPostgres => true;
}

/// <summary>
/// Issue 19's incidents end to end, on the real server with the demo simulator: the scripted mains failure is one
/// incident and one ticket that links every UPS alarm of it (pushed on the hub as "incident", each alarm naming it), a
/// hotline report on the other UPS is intercepted onto that ticket, and the incident ends when the mains come back;
/// the cooling failure likewise across the air conditioners and sensors.
/// </summary>
public abstract class IncidentEndToEndTests(IncidentFixture server)
{
    private static readonly string[] PowerRules = ["ups-on-battery", "ups-battery-low", "ups-overload", "ups-input-voltage-low", "pdu-overcurrent"];
    private static readonly string[] CoolingRules = ["temperature-high", "return-air-hot", "temperature-rising", "aircon-fault", "supply-air-hot"];

    [Fact]
    public async Task A_mains_failure_is_one_incident_with_one_ticket_that_links_every_ups_alarm_and_takes_hotline_reports()
    {
        var upsUnits = server.Inventory.Devices.Where(d => d.Kind == DeviceKind.Ups && d.Profile is not null).Select(d => d.Id).ToList();
        Assert.True(upsUnits.Count >= 2, "the demo room has two UPS units");
        var room = server.Inventory.FindDevice(upsUnits[0])!.RoomId;
        await using var hub = await server.ConnectHubAsync();
        await RunAsync("mains-failure");
        try
        {
            // every UPS on battery, then (after its 30 s hold) every input voltage low: one incident, cause power
            var alarms = await ServerFixture.EventuallyAsync(
                () => ActiveAsync(PowerRules),
                list => upsUnits.All(u => list.Any(a => Rule(a) == "ups-on-battery" && Device(a) == u) && list.Any(a => Rule(a) == "ups-input-voltage-low" && Device(a) == u)),
                "ups-on-battery and ups-input-voltage-low on every UPS",
                timeoutMs: 120_000);
            var incidentIds = alarms.Select(a => a.GetProperty("incidentId").GetInt64()).Distinct().ToList();
            Assert.Single(incidentIds);
            var incidentId = incidentIds[0];

            var incident = await ServerFixture.EventuallyAsync(
                () => server.GetJsonAsync($"/api/incidents/{incidentId}"),
                i => i.GetProperty("ticketId").ValueKind == JsonValueKind.String && alarms.All(a => Ids(i, "alarmIds").Contains(a.GetProperty("id").GetInt64())),
                "the incident's ticket",
                timeoutMs: 90_000);
            Assert.Equal("power", incident.GetProperty("cause").GetString());
            Assert.Equal("critical", incident.GetProperty("severity").GetString());
            Assert.Equal(room, incident.GetProperty("roomId").GetString());
            Assert.Equal(JsonValueKind.Null, incident.GetProperty("end").ValueKind);
            Assert.StartsWith("Power failure in ", incident.GetProperty("titleEn").GetString(), StringComparison.Ordinal);
            Assert.Contains("供电故障", incident.GetProperty("title").GetString(), StringComparison.Ordinal);
            var open = await server.GetJsonAsync("/api/incidents?open=true");
            Assert.Single(open.EnumerateArray(), i => i.GetProperty("cause").GetString() == "power" && i.GetProperty("roomId").GetString() == room);

            // one ticket: it links the incident and every power alarm, and no other ticket links any of them
            var ticketId = long.Parse(incident.GetProperty("ticketId").GetString()!, CultureInfo.InvariantCulture);
            var powerAlarmIds = (await ActiveAsync(PowerRules)).Select(a => a.GetProperty("id").GetInt64()).ToHashSet();
            var ticket = await ServerFixture.EventuallyAsync(
                () => server.GetJsonAsync($"/api/tickets/{ticketId}"),
                t => powerAlarmIds.All(id => Links(t, "alarm").Contains(id.ToString(CultureInfo.InvariantCulture))),
                "every power alarm linked to the incident's ticket",
                timeoutMs: 30_000);
            Assert.Contains(incidentId.ToString(CultureInfo.InvariantCulture), Links(ticket, "incident"));
            Assert.Equal("alarm", ticket.GetProperty("summary").GetProperty("channel").GetString());
            var linkedOnTimeline = ticket.GetProperty("audit").EnumerateArray()
                .Where(e => e.GetProperty("action").GetString() == "alarm-linked").Select(e => e.GetProperty("detail").GetString()).ToHashSet();
            Assert.All(powerAlarmIds, id => Assert.Contains(id.ToString(CultureInfo.InvariantCulture), linkedOnTimeline));
            var others = await TicketsLinkingAsync(powerAlarmIds, incidentId);
            Assert.Equal([ticketId], others);

            // the alarms and the hub name the incident
            var pushed = await hub.WaitForAsync("incident", i => i.GetProperty("id").GetInt64() == incidentId && i.GetProperty("ticketId").ValueKind == JsonValueKind.String, TimeSpan.FromSeconds(30));
            Assert.Equal(incident.GetProperty("ticketId").GetString(), pushed.GetProperty("ticketId").GetString());
            Assert.All(await ActiveAsync(PowerRules), a => Assert.Equal(incidentId, a.GetProperty("incidentId").GetInt64()));

            // a hotline report on a UPS the ticket was not opened on is intercepted onto the incident's ticket
            var otherUps = upsUnits.First(u => u != ticket.GetProperty("summary").GetProperty("deviceId").GetString());
            var lookup = await server.GetJsonAsync($"/api/tickets/intercept?device={otherUps}");
            var first = lookup.GetProperty("tickets")[0];
            Assert.Equal(ticketId, first.GetProperty("ticket").GetProperty("id").GetInt64());
            Assert.Equal("incident", first.GetProperty("matchedOn").GetString());
            using (var intercept = await server.Http.PostAsJsonAsync($"/api/tickets/{ticketId}/intercept", new { by = "op1", description = "2 号 UPS 报警鸣叫", deviceId = otherUps, caller = new { name = "钱七", phone = "6003" } }))
            {
                var text = await intercept.Content.ReadAsStringAsync();
                Assert.True(intercept.IsSuccessStatusCode, $"intercept answered {(int)intercept.StatusCode}: {text}");
                var after = JsonDocument.Parse(text).RootElement;
                Assert.Equal(1, after.GetProperty("summary").GetProperty("intercepted").GetInt32());
                Assert.Equal("钱七", after.GetProperty("interceptedReports")[0].GetProperty("caller").GetProperty("name").GetString());
            }

            Assert.Equal([ticketId], await TicketsLinkingAsync(powerAlarmIds, incidentId));
        }
        finally
        {
            await RunAsync("mains-restore");
        }

        // the mains come back: every alarm of the incident clears and the incident ends
        var ended = await ServerFixture.EventuallyAsync(
            async () => (await server.GetJsonAsync("/api/incidents?open=false")).EnumerateArray().Where(i => i.GetProperty("cause").GetString() == "power").Select(i => i.Clone()).ToList(),
            list => list.Count > 0,
            "the power incident ended after mains-restore",
            timeoutMs: 60_000);
        Assert.All(ended, i => Assert.Equal(JsonValueKind.String, i.GetProperty("end").ValueKind));
    }

    [Fact]
    public async Task A_cooling_failure_is_one_incident_with_one_ticket_across_the_air_conditioners_and_sensors()
    {
        var aircons = server.Inventory.Devices.Where(d => d.Kind == DeviceKind.AirConditioner && d.Profile is not null).Select(d => d.Id).ToList();
        Assert.NotEmpty(aircons);
        await RunAsync("cooling-failure");
        try
        {
            // the units fault (30 s hold), and the sensors see the temperature climb
            var alarms = await ServerFixture.EventuallyAsync(
                () => ActiveAsync(CoolingRules),
                list => aircons.All(u => list.Any(a => Rule(a) == "aircon-fault" && Device(a) == u)) && list.Any(a => Rule(a) != "aircon-fault"),
                "aircon-fault on every air conditioner and a sensor's cooling alarm",
                timeoutMs: 240_000);
            var incidentIds = alarms.Select(a => a.GetProperty("incidentId").GetInt64()).Distinct().ToList();
            Assert.Single(incidentIds);
            var incidentId = incidentIds[0];
            var incident = await ServerFixture.EventuallyAsync(
                () => server.GetJsonAsync($"/api/incidents/{incidentId}"),
                i => i.GetProperty("ticketId").ValueKind == JsonValueKind.String,
                "the cooling incident's ticket",
                timeoutMs: 90_000);
            Assert.Equal("cooling", incident.GetProperty("cause").GetString());
            Assert.Equal("critical", incident.GetProperty("severity").GetString());
            Assert.StartsWith("Cooling failure in ", incident.GetProperty("titleEn").GetString(), StringComparison.Ordinal);

            var ticketId = long.Parse(incident.GetProperty("ticketId").GetString()!, CultureInfo.InvariantCulture);
            var coolingAlarmIds = (await ActiveAsync(CoolingRules)).Select(a => a.GetProperty("id").GetInt64()).ToHashSet();
            Assert.All(await ActiveAsync(CoolingRules), a => Assert.Equal(incidentId, a.GetProperty("incidentId").GetInt64()));
            await ServerFixture.EventuallyAsync(
                () => server.GetJsonAsync($"/api/tickets/{ticketId}"),
                t => coolingAlarmIds.All(id => Links(t, "alarm").Contains(id.ToString(CultureInfo.InvariantCulture))),
                "every cooling alarm linked to the incident's ticket",
                timeoutMs: 30_000);
            Assert.Equal([ticketId], await TicketsLinkingAsync(coolingAlarmIds, incidentId));
        }
        finally
        {
            await RunAsync("cooling-restore");
        }
    }

    [Fact]
    public async Task Bad_incident_queries_answer_400_naming_the_field_and_an_unknown_incident_404()
    {
        using (var bad = await server.Http.GetAsync("/api/incidents?open=maybe"))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("open", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        }

        using (var bad = await server.Http.GetAsync("/api/incidents?limit=0"))
        {
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal("limit", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        }

        using var missing = await server.Http.GetAsync("/api/incidents/987654321");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    private static string? Rule(JsonElement alarm) => alarm.GetProperty("ruleId").GetString();

    private static string? Device(JsonElement alarm) => alarm.GetProperty("target").GetProperty("deviceId").GetString();

    private static HashSet<long> Ids(JsonElement element, string property) => element.GetProperty(property).EnumerateArray().Select(e => e.GetInt64()).ToHashSet();

    private static HashSet<string> Links(JsonElement ticket, string kind) =>
        ticket.GetProperty("links").EnumerateArray().Where(l => l.GetProperty("kind").GetString() == kind).Select(l => l.GetProperty("target").GetString()!).ToHashSet();

    private async Task RunAsync(string scenario)
    {
        using var response = await server.Http.PostAsync($"/api/simulator/scenarios/{scenario}", null);
        Assert.True(response.IsSuccessStatusCode, $"{scenario} answered {(int)response.StatusCode}");
    }

    private async Task<List<JsonElement>> ActiveAsync(string[] rules) =>
        [.. (await server.GetJsonAsync("/api/alarms")).EnumerateArray()
            .Where(a => rules.Contains(Rule(a)) && a.GetProperty("state").GetString() is "raised" or "acknowledged").Select(a => a.Clone())];

    /// <summary>Every ticket (any state) that links one of the alarms or the incident.</summary>
    private async Task<List<long>> TicketsLinkingAsync(HashSet<long> alarmIds, long incidentId)
    {
        var page = await server.GetJsonAsync("/api/tickets?pageSize=200");
        var result = new List<long>();
        foreach (var row in page.GetProperty("items").EnumerateArray())
        {
            var id = row.GetProperty("id").GetInt64();
            var detail = await server.GetJsonAsync($"/api/tickets/{id}");
            if (Links(detail, "incident").Contains(incidentId.ToString(CultureInfo.InvariantCulture))
                || Links(detail, "alarm").Any(a => alarmIds.Contains(long.Parse(a, CultureInfo.InvariantCulture))))
            {
                result.Add(id);
            }
        }

        return result;
    }

    /// <summary>On SQLite (the default).</summary>
    public sealed class Sqlite(IncidentFixture server) : IncidentEndToEndTests(server), IClassFixture<IncidentFixture>;

    /// <summary>The same tests with the server's relational state in PostgreSQL.</summary>
    public sealed class Postgres(PostgresIncidentFixture server) : IncidentEndToEndTests(server), IClassFixture<PostgresIncidentFixture>;
}
