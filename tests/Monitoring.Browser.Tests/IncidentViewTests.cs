using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>The console against the demo: the simulator on, Modbus polled every second, alarm tickets wanted after 2 s (the demo's group wait of 30 s applies).</summary>
public sealed class IncidentConsoleFixture : ConsoleFixture
{
    protected override bool Simulator => true;

    protected override IEnumerable<string> ExtraArguments =>
        ["--Monitoring:Simulator:IntervalSeconds", "1", "--Monitoring:Modbus:DefaultIntervalSeconds", "1",
            "--Monitoring:Alarms:Engine:TicketAfter", "00:00:02"];
}

/// <summary>
/// Issue 19's incident in the alarm view, against the real server running the demo's mains failure: the power incident
/// is ONE row (its title in the console's language, its severity), expanding it shows its alarms (the on-battery alarm
/// of both UPS units among them), the row follows the hub (ticket, acknowledgements), acknowledging from the view
/// (one row, then the rest selected) acknowledges them on the server, and the row goes when the mains come back.
/// </summary>
public sealed class IncidentViewTests(IncidentConsoleFixture fixture) : IClassFixture<IncidentConsoleFixture>
{
    private static readonly string[] UpsUnits = ["ups-1", "ups-2"]; // device-profiles/rooms/demo.yaml
    private static readonly PageWaitForFunctionOptions Within30Seconds = new() { Timeout = 30_000 };
    private static readonly PageWaitForFunctionOptions Within2Minutes = new() { Timeout = 120_000 };

    [Fact]
    public async Task The_mains_failure_is_one_row_that_expands_to_both_ups_alarms_which_are_acknowledged_from_the_view()
    {
        var page = await fixture.OpenConsoleAsync(user: ConsoleFixture.OperatorName);
        try
        {
            await page.WaitForFunctionAsync("() => window.__alarms && window.__alarms.ready && window.__alarms.incidentsAvailable() === true", null, Within30Seconds);
            if (await page.IsHiddenAsync("#alarm-panel"))
            {
                await page.ClickAsync("#alarm-toggle");
            }

            await RunAsync("mains-failure");

            // the console hears of both UPS units on battery, both in one incident
            var found = await page.WaitForFunctionAsync(
                """
                units => {
                  const on = window.__alarms.list().filter(a => a.ruleId === 'ups-on-battery' && units.includes(a.deviceId) && a.incidentId != null);
                  return units.every(u => on.some(a => a.deviceId === u)) && new Set(on.map(a => a.incidentId)).size === 1 && on[0].incidentId;
                }
                """,
                UpsUnits,
                Within2Minutes);
            var incidentId = await found.JsonValueAsync<long>();
            var incident = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}");
            Assert.Equal("power", incident.GetProperty("cause").GetString());
            var severity = incident.GetProperty("severity").GetString()!;
            Assert.Equal("critical", severity);
            var titleEn = incident.GetProperty("titleEn").GetString()!;
            Assert.StartsWith("Power failure in ", titleEn, StringComparison.Ordinal);

            // ONE row for the incident, its alarms folded into it
            var row = $"#alarm-rows tr.incident-row[data-incident-id='{incidentId}']";
            await page.WaitForSelectorAsync(row, new PageWaitForSelectorOptions { Timeout = 30_000 });
            Assert.Equal(1, await page.Locator(row).CountAsync());
            var open = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/incidents?open=true");
            Assert.Single(open.EnumerateArray(), i => i.GetProperty("cause").GetString() == "power");
            await page.WaitForFunctionAsync(
                "id => !window.__alarms.list().some(a => a.incidentId === id && window.__alarms.rowIds().includes(a.id))", incidentId, Within30Seconds);
            Assert.StartsWith(titleEn + " · ", await page.InnerTextAsync($"{row} td.message"), StringComparison.Ordinal);
            Assert.Equal(severity, await page.GetAttributeAsync($"{row} td.severity .sev-chip", "data-severity"));
            Assert.Equal("false", await page.GetAttributeAsync($"{row} button.incident-toggle", "aria-expanded"));

            // expanded: one row per alarm of the incident, the on-battery alarm of both UPS units among them
            await page.ClickAsync($"{row} button.incident-toggle");
            await page.WaitForFunctionAsync(
                """
                id => {
                  const members = window.__alarms.list().filter(a => a.incidentId === id).map(a => a.id).sort();
                  const rows = [...document.querySelectorAll('#alarm-rows tr.member[data-alarm-id]')].map(tr => Number(tr.dataset.alarmId)).sort();
                  return members.length >= 2 && JSON.stringify(members) === JSON.stringify(rows);
                }
                """,
                incidentId,
                Within30Seconds);
            Assert.Equal("true", await page.GetAttributeAsync($"{row} button.incident-toggle", "aria-expanded"));
            var onBattery = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var unit in UpsUnits)
            {
                onBattery[unit] = await page.EvaluateAsync<long>(
                    "([id, u]) => window.__alarms.list().find(a => a.incidentId === id && a.ruleId === 'ups-on-battery' && a.deviceId === u).id", new object[] { incidentId, unit });
                var name = (await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/devices/{unit}")).GetProperty("name").GetString()!;
                Assert.Equal(name, await page.InnerTextAsync($"#alarm-rows tr.member[data-alarm-id='{onBattery[unit]}'] td.device"));
            }

            // the title follows the console's language
            await page.ClickAsync(".lang[data-lang='zh']");
            var title = incident.GetProperty("title").GetString()!;
            Assert.Contains("供电故障", title, StringComparison.Ordinal);
            await page.WaitForFunctionAsync(
                "([sel, title]) => document.querySelector(sel)?.textContent.startsWith(title + ' · ')", new object[] { $"{row} td.message", title }, Within30Seconds);
            await page.ClickAsync(".lang[data-lang='en']");
            await page.WaitForFunctionAsync(
                "([sel, title]) => document.querySelector(sel)?.textContent.startsWith(title + ' · ')", new object[] { $"{row} td.message", titleEn }, Within30Seconds);

            // the hub keeps the row current: the incident's ticket shows once the server opened it (after the group's wait)
            var ticketId = await EventuallyAsync(
                async () => (await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}")).GetProperty("ticketId"),
                t => t.ValueKind == JsonValueKind.String,
                TimeSpan.FromMinutes(2));
            await page.WaitForFunctionAsync(
                "([sel, ticket]) => document.querySelector(sel)?.textContent.includes(ticket)", new object[] { $"{row} td.incident", ticketId.GetString()! }, Within30Seconds);

            // acknowledge one alarm from its row: the server has it, and the incident row counts it
            var first = onBattery[UpsUnits[0]];
            await page.ClickAsync($"#alarm-rows tr.member[data-alarm-id='{first}'] button[data-action='ack']");
            await page.WaitForSelectorAsync("#alarm-dialog[open]", new PageWaitForSelectorOptions { Timeout = 20_000 });
            await page.FillAsync("#alarm-dialog-text", "市电中断，已通知供电局");
            await page.ClickAsync("#alarm-dialog-ok");
            await page.WaitForFunctionAsync("id => window.__alarms.list().find(a => a.id === id)?.acknowledged === true", first, Within30Seconds);
            await AssertAcknowledgedAsync(first, "市电中断，已通知供电局");
            await WaitForAckCountAsync(page, row, incidentId);

            // then the rest of the incident's alarms, selected in the expanded rows, with one comment
            var rest = await page.EvaluateAsync<long[]>("id => window.__alarms.list().filter(a => a.incidentId === id && !a.acknowledged).map(a => a.id)", incidentId);
            Assert.Contains(onBattery[UpsUnits[1]], rest);
            foreach (var id in rest)
            {
                await page.CheckAsync($"#alarm-rows tr.member[data-alarm-id='{id}'] input.alarm-select");
            }

            await page.ClickAsync("#alarm-ack-selected");
            await page.WaitForSelectorAsync("#alarm-dialog[open]", new PageWaitForSelectorOptions { Timeout = 20_000 });
            await page.FillAsync("#alarm-dialog-text", "UPS 告警一并确认");
            await page.ClickAsync("#alarm-dialog-ok");
            await page.WaitForFunctionAsync("ids => ids.every(id => window.__alarms.list().find(a => a.id === id)?.acknowledged)", rest, Within30Seconds);
            foreach (var id in rest)
            {
                await AssertAcknowledgedAsync(id, "UPS 告警一并确认");
            }

            await WaitForAckCountAsync(page, row, incidentId);
            Assert.Equal(1, await page.Locator(row).CountAsync());

            // the mains come back: the alarms clear, the incident ends and its row goes
            await RunAsync("mains-restore");
            var ended = await EventuallyAsync(
                async () => (await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/incidents/{incidentId}")).GetProperty("end"),
                e => e.ValueKind == JsonValueKind.String,
                TimeSpan.FromMinutes(2));
            Assert.Equal(JsonValueKind.String, ended.ValueKind);
            await page.WaitForSelectorAsync(row, new PageWaitForSelectorOptions { State = WaitForSelectorState.Detached, Timeout = 30_000 });
        }
        finally
        {
            await RunAsync("mains-restore");
            await page.Context.CloseAsync();
        }
    }

    /// <summary>The incident row's acknowledged count ("acknowledged/alarms") matches the console's alarms of the incident.</summary>
    private static Task WaitForAckCountAsync(IPage page, string row, long incidentId) => page.WaitForFunctionAsync(
        """
        ([sel, id]) => {
          const members = window.__alarms.list().filter(a => a.incidentId === id);
          return document.querySelector(sel)?.textContent === `${members.filter(a => a.acknowledged).length}/${members.length}`;
        }
        """,
        new object[] { $"{row} td.ack-by", incidentId },
        Within30Seconds);

    private async Task AssertAcknowledgedAsync(long id, string comment)
    {
        var detail = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}");
        var ack = detail.GetProperty("alarm").GetProperty("acknowledgement");
        Assert.Equal(ConsoleFixture.OperatorName, ack.GetProperty("by").GetString());
        Assert.Equal(comment, ack.GetProperty("comment").GetString());
    }

    private async Task RunAsync(string scenario)
    {
        using var response = await fixture.Http.PostAsync(new Uri($"/api/simulator/scenarios/{scenario}", UriKind.Relative), null);
        Assert.True(response.IsSuccessStatusCode, $"{scenario} answered {(int)response.StatusCode}");
    }

    /// <summary>Asks until <paramref name="done"/> holds or the deadline passes (then fails naming the last answer).</summary>
    private static async Task<JsonElement> EventuallyAsync(Func<Task<JsonElement>> read, Func<JsonElement, bool> done, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        var last = await read();
        while (!done(last))
        {
            Assert.True(await tick.WaitForNextTickAsync(CancellationToken.None) && !timeout.IsCancellationRequested, $"not within {deadline}: last {last.GetRawText()}");
            last = await read();
        }

        return last;
    }
}
