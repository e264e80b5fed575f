using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Monitoring.Server.Security;

namespace Monitoring.Browser.Tests;

/// <summary>
/// Incident tickets in the browser against the real server: the hotline form offers the open incident on the same
/// device and links the report to it (interception), the ticket's timeline shows its steps, the list follows the hub,
/// and the field page takes a ticket through accept, depart, arrive and resolve. The console is signed in as a duty lead,
/// the field page as a technician of the team the ticket went to: the steps carry their names.
/// </summary>
public sealed class TicketConsoleTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private static readonly PageWaitForFunctionOptions Within20Seconds = new() { Timeout = 20_000 };
    private static readonly PageWaitForSelectorOptions Visible20Seconds = new() { Timeout = 20_000, State = WaitForSelectorState.Visible };
    private static readonly string[] OpenSegmentStates = ["running", "warned", "missed"];

    [Fact]
    public async Task A_hotline_report_on_a_device_with_an_open_incident_is_offered_the_incident_first_linked_to_it_and_shows_its_timeline()
    {
        var room = await fixture.FirstRoomAsync();
        var device = room.GetProperty("devices").EnumerateArray()
            .First(d => d.GetProperty("kind").GetString() == "server" && d.TryGetProperty("rack", out var r) && r.ValueKind == JsonValueKind.String);
        var deviceId = device.GetProperty("id").GetString()!;
        var deviceName = device.GetProperty("name").GetString()!;
        var incident = await CreateTicketAsync(new
        {
            category = "fault",
            title = "Server unreachable",
            description = "monitoring lost the server",
            deviceId,
            roomId = room.GetProperty("id").GetString(),
            rackId = device.GetProperty("rack").GetString(),
        });

        var ticketsOnDevice = await CountTicketsOnAsync(deviceId);
        var page = await fixture.OpenConsoleAsync();
        try
        {
            await page.EvaluateAsync("() => { location.hash = '#tickets/new'; }");
            await page.WaitForSelectorAsync("#hotline-form", Visible20Seconds);
            Assert.Equal("tickets", await page.EvaluateAsync<string>("() => window.__tickets.view()"));
            await page.FillAsync("#hotline-form input[name=caller]", "Zhang Wei");
            await page.FillAsync("#hotline-form input[name=phone]", "13800000001");
            await page.FillAsync("#hotline-form input[name=department]", "Dispatch office");
            await page.FillAsync("#hotline-form textarea[name=description]", "The dispatch desk cannot reach the scheduling server");

            // the device is picked by search; as soon as it is chosen, the open incident on it is offered
            await page.FillAsync("#hotline-device-search", deviceName);
            await page.ClickAsync($"#hotline-device-results li[data-device='{deviceId}']", new PageClickOptions { Timeout = 20_000 });
            await page.WaitForFunctionAsync(
                "id => { const i = window.__tickets.interception(); return i.loaded && i.tickets.includes(id); }", incident, Within20Seconds);
            var offer = await page.WaitForSelectorAsync($"#interception-tickets li[data-id='{incident}'] button.icpt-link", Visible20Seconds);
            Assert.NotNull(offer);

            // offered before the operator gets to open a new ticket
            Assert.True(await page.EvaluateAsync<bool>(
                "() => !!(document.querySelector('#interception').compareDocumentPosition(document.querySelector('#hotline-open')) & Node.DOCUMENT_POSITION_FOLLOWING)"));

            await offer!.ClickAsync();
            await page.WaitForFunctionAsync(
                "id => { const r = window.__tickets.lastResult(); return r && r.kind === 'linked' && r.id === id && window.__tickets.detailId() === id; }",
                incident, Within20Seconds);

            // the report is on the incident, counted as intercepted, and no duplicate was opened
            var detail = await GetTicketAsync(incident);
            var reports = detail.GetProperty("interceptedReports");
            Assert.Equal(1, reports.GetArrayLength());
            Assert.Equal("Zhang Wei", reports[0].GetProperty("caller").GetProperty("name").GetString());
            Assert.Equal(1, detail.GetProperty("summary").GetProperty("intercepted").GetInt32());
            Assert.Equal(ticketsOnDevice, await CountTicketsOnAsync(deviceId));

            // the detail shows the timeline: step A, and AB running against its target
            await page.WaitForFunctionAsync("() => window.__tickets.detailSteps().includes('A')", null, Within20Seconds);
            await page.WaitForSelectorAsync("#ticket-timeline .tl-row[data-segment='AB']", Visible20Seconds);
            var ab = await page.GetAttributeAsync("#ticket-timeline .tl-row[data-segment='AB']", "data-state");
            Assert.Contains(ab, OpenSegmentStates);

            // a step through the detail's buttons: dispatch; B appears on the timeline and AB is met
            var team = await DispatchTargetAsync(detail);
            await page.ClickAsync("#ticket-actions button[data-action='dispatch']");
            await page.SelectOptionAsync("select[name=team]", team);
            await page.ClickAsync("button[data-submit='dispatch']");
            await page.WaitForFunctionAsync("() => window.__tickets.detailSteps().includes('B')", null, Within20Seconds);
            await page.WaitForSelectorAsync("#ticket-timeline .tl-row[data-segment='AB'][data-state='met']", Visible20Seconds);
            Assert.Equal(["A", "B"], await page.EvaluateAsync<string[]>("() => window.__tickets.detailSteps()"));
            var steps = await page.Locator("#ticket-steps li").AllAsync();
            Assert.Equal(2, steps.Count);

            var after = await GetTicketAsync(incident);
            Assert.Equal("dispatched", after.GetProperty("summary").GetProperty("status").GetString());
            Assert.Equal(team, after.GetProperty("summary").GetProperty("holder").GetString());

            // dispatched by whoever is signed in at the console: the console no longer asks
            var dispatched = after.GetProperty("timeline").EnumerateArray().First(x => x.GetProperty("letter").GetString() == "B");
            Assert.Equal(ConsoleFixture.DutyLeadName, dispatched.GetProperty("by").GetString());
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_ticket_list_shows_a_ticket_opened_elsewhere_without_a_reload()
    {
        var page = await fixture.OpenConsoleAsync();
        try
        {
            await page.EvaluateAsync("() => { location.hash = '#tickets'; }");
            await page.WaitForFunctionAsync("() => window.__tickets.view() === 'tickets' && window.__tickets.listLoaded()", null, Within20Seconds);
            var before = await page.EvaluateAsync<long[]>("() => window.__tickets.listIds()");

            var id = await CreateTicketAsync(new { category = "request", title = "New desk phone for room 301", channel = "web" });

            Assert.DoesNotContain(id, before);
            await page.WaitForFunctionAsync("id => window.__tickets.listIds().includes(id)", id, Within20Seconds);
            Assert.True(await page.EvaluateAsync<int>("() => window.__tickets.messages()") > 0);
            await page.WaitForSelectorAsync($"#tk-list tr[data-id='{id}']", Visible20Seconds);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_technician_accepts_departs_arrives_and_resolves_from_the_field_page()
    {
        var room = await fixture.FirstRoomAsync();
        var device = room.GetProperty("devices").EnumerateArray().First(d => d.GetProperty("kind").GetString() == "switch");
        var deviceId = device.GetProperty("id").GetString()!;
        var id = await CreateTicketAsync(new { category = "fault", title = "Access switch down", deviceId, roomId = room.GetProperty("id").GetString() });

        // NOC → (centre →) field team, through the API
        var teams = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/teams");
        var first = await DispatchTargetAsync(await GetTicketAsync(id));
        await PostAsync($"/api/tickets/{id}/dispatch", new { team = first });
        var fieldTeam = teams.EnumerateArray().First(t => t.GetProperty("id").GetString() == first);
        if (fieldTeam.GetProperty("kind").GetString() == "centre")
        {
            fieldTeam = teams.EnumerateArray().First(t => t.GetProperty("kind").GetString() == "field" && t.GetProperty("members").GetArrayLength() > 0
                && t.GetProperty("status").GetProperty("availability").GetString() != "away");
            await PostAsync($"/api/tickets/{id}/dispatch", new { team = fieldTeam.GetProperty("id").GetString() });
        }

        // the technician signs in; their queue is their team's, no member to pick
        var technician = ConsoleFixture.UniqueName("tech");
        await fixture.CreateUserAsync(technician, Role.Technician, fieldTeam.GetProperty("id").GetString());
        var context = await fixture.NewSignedInContextAsync(technician, new BrowserNewContextOptions
        {
            Locale = "en-US",
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
            HasTouch = true,
        });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);
        try
        {
            await page.GotoAsync(new Uri(fixture.BaseAddress, "/field.html").ToString());
            await page.WaitForFunctionAsync("id => window.__field && window.__field.queue().includes(id)", id, Within20Seconds);
            Assert.Equal(technician, await page.EvaluateAsync<string>("() => window.__field.member()"));
            Assert.Equal(technician, (await page.InnerTextAsync("#f-user-name")).Trim());
            Assert.Equal(0, await page.Locator("#f-member").CountAsync());
            var card = $".f-card[data-id='{id}']";

            foreach (var (action, step) in new[] { ("accept", "F"), ("depart", "G"), ("arrive", "H") })
            {
                await page.ClickAsync($"{card} button[data-action='{action}']", new PageClickOptions { Timeout = 20_000 });
                await page.WaitForFunctionAsync("([id, step]) => window.__field.steps(id).includes(step)", new object[] { id, step }, Within20Seconds);
                await page.WaitForSelectorAsync($"{card} .f-steps li[data-step='{step}']", Visible20Seconds);
            }

            // resolve with a note and a photo: the photo's name, size and type reach the ticket as metadata
            await page.ClickAsync($"{card} button[data-action='resolve']");
            await page.FillAsync($"{card} textarea[name=note]", "Replaced the failed power supply");
            await page.SetInputFilesAsync($"{card} input[name=photos]", new FilePayload
            {
                Name = "psu.jpg",
                MimeType = "image/jpeg",
                Buffer = Encoding.ASCII.GetBytes(new string('x', 1234)),
            });
            await page.ClickAsync($"{card} button[data-submit='resolve']");
            await page.WaitForFunctionAsync("id => !window.__field.queue().includes(id)", id, Within20Seconds);

            var detail = await GetTicketAsync(id);
            var timeline = detail.GetProperty("timeline").EnumerateArray().ToDictionary(s => s.GetProperty("letter").GetString()!, s => s);
            foreach (var step in new[] { "F", "G", "H" })
            {
                Assert.True(timeline.ContainsKey(step), $"step {step} is missing from the timeline");
                Assert.Equal(technician, timeline[step].GetProperty("by").GetString());
            }

            Assert.Equal("resolved", detail.GetProperty("summary").GetProperty("status").GetString());
            var photo = Assert.Single(detail.GetProperty("attachments").EnumerateArray());
            Assert.Equal("psu.jpg", photo.GetProperty("name").GetString());
            Assert.Equal("image/jpeg", photo.GetProperty("contentType").GetString());
            Assert.Equal(1234, photo.GetProperty("size").GetInt64());
            Assert.Empty(errors);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_dispatch_board_sends_a_waiting_ticket_to_a_team_and_sets_a_team_away_with_a_reason()
    {
        var room = await fixture.FirstRoomAsync();
        var device = room.GetProperty("devices").EnumerateArray().First(d => d.GetProperty("kind").GetString() == "server");
        var id = await CreateTicketAsync(new { category = "fault", title = "Mail server slow", deviceId = device.GetProperty("id").GetString() });
        var team = await DispatchTargetAsync(await GetTicketAsync(id));
        var teams = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/teams");
        var other = teams.EnumerateArray().Select(t => t.GetProperty("id").GetString()!).First(t => t != team);

        var page = await fixture.OpenConsoleAsync();
        try
        {
            await page.EvaluateAsync("() => { location.hash = '#dispatch'; }");
            await page.WaitForFunctionAsync("id => window.__dispatch && window.__dispatch.loaded() && window.__dispatch.waiting().includes(id)", id, Within20Seconds);

            await page.ClickAsync($"#dp-waiting li[data-id='{id}']");
            await page.ClickAsync($"button[data-dispatch='{team}']");
            await page.WaitForFunctionAsync(
                "([id, team]) => window.__dispatch.teams().some(t => t.id === team && t.queue.includes(id)) && !window.__dispatch.waiting().includes(id)",
                new object[] { id, team }, Within20Seconds);
            var detail = await GetTicketAsync(id);
            Assert.Equal(team, detail.GetProperty("summary").GetProperty("holder").GetString());
            Assert.Equal("dispatched", detail.GetProperty("summary").GetProperty("status").GetString());

            var card = $".dp-team[data-team='{other}']";
            await page.SelectOptionAsync($"{card} select[name=availability]", "away");
            await page.FillAsync($"{card} input[name=reason]", "vehicle in service");
            await page.ClickAsync($"{card} button[data-set-status='{other}']");
            await page.WaitForFunctionAsync("team => window.__dispatch.teams().some(t => t.id === team && t.status === 'away')", other, Within20Seconds);
            await page.WaitForSelectorAsync($"{card} .dp-status.away", Visible20Seconds);
            var status = (await fixture.Http.GetFromJsonAsync<JsonElement>("/api/teams")).EnumerateArray()
                .First(t => t.GetProperty("id").GetString() == other).GetProperty("status");
            Assert.Equal("away", status.GetProperty("availability").GetString());
            Assert.Equal("vehicle in service", status.GetProperty("reason").GetString());
        }
        finally
        {
            using (var restore = await fixture.Http.PutAsJsonAsync($"/api/teams/{other}/status", new { availability = "standby" }))
            {
                Assert.True(restore.IsSuccessStatusCode, $"restore {other}: HTTP {(int)restore.StatusCode}");
            }

            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_reports_view_charts_the_service_report_of_the_period_and_links_its_csv()
    {
        await CreateTicketAsync(new { category = "consultation", title = "How to book the video room", channel = "phone" });
        var page = await fixture.OpenConsoleAsync();
        try
        {
            await page.EvaluateAsync("() => { location.hash = '#reports'; }");
            await page.WaitForFunctionAsync("() => window.__reports && window.__reports.loaded() && window.__reports.charts().length === 6", null, Within20Seconds);
            var period = await page.EvaluateAsync<JsonElement>("() => window.__reports.period()");
            var query = $"from={Uri.EscapeDataString(period.GetProperty("from").GetString()!)}&to={Uri.EscapeDataString(period.GetProperty("to").GetString()!)}&groupBy=area";
            var report = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/reports/service?{query}");
            var total = report.GetProperty("all").GetProperty("tickets").GetInt32();
            Assert.True(total >= 1, "the report of the last 7 days counts the ticket just opened");

            // what the page shows is the server's report for the same period (alarm-opened tickets may add to it meanwhile)
            var shown = await page.EvaluateAsync<int>("() => window.__reports.total()");
            Assert.InRange(shown, 1, total);
            Assert.Equal(shown.ToString(System.Globalization.CultureInfo.InvariantCulture), (await page.InnerTextAsync("#rp-kpis [data-kpi='tickets'] .v")).Trim());
            Assert.Equal(6, await page.EvaluateAsync<int>("() => [...document.querySelectorAll('.rp-chart .c')].filter(c => c.querySelector('canvas')).length"));

            var csvHref = await page.GetAttributeAsync("#rp-csv", "href");
            Assert.NotNull(csvHref);
            using var csv = await fixture.Http.GetAsync(new Uri(csvHref!, UriKind.Relative));
            Assert.True(csv.IsSuccessStatusCode, $"CSV: HTTP {(int)csv.StatusCode}");
            Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
            var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length >= 2, "a header and the 'all' row at least");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_detail_shows_exactly_the_buttons_the_server_allows_the_signed_in_user()
    {
        // a new ticket: a duty lead may dispatch or resolve it, an operator neither (the server's allowedActions say so)
        var id = await CreateTicketAsync(new { category = "fault", title = "Buttons follow the server", description = "allowed actions in the browser" });
        var cases = new[] { (User: ConsoleFixture.DutyLeadName, Expected: new[] { "dispatch", "resolve" }), (User: ConsoleFixture.OperatorName, Expected: Array.Empty<string>()) };
        foreach (var (user, expected) in cases)
        {
            using var client = await fixture.SignedInClientAsync(user);
            var allowed = (await client.GetFromJsonAsync<JsonElement>($"/api/tickets/{id}")).GetProperty("summary").GetProperty("allowedActions")
                .EnumerateArray().Select(a => a.GetString()!).ToArray();
            Assert.Equal(expected, allowed);

            var page = await fixture.OpenConsoleAsync(user: user);
            try
            {
                await page.EvaluateAsync("id => { location.hash = `#tickets/${id}`; }", id);
                await page.WaitForFunctionAsync("id => window.__tickets.detailId() === id", id, Within20Seconds);
                await page.WaitForSelectorAsync("#ticket-actions", new PageWaitForSelectorOptions { Timeout = 20_000, State = WaitForSelectorState.Attached });
                var shown = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#ticket-actions button[data-action]')].map(b => b.dataset.action)");
                Assert.Equal(allowed, shown);
                // the session answer's capabilities drive the rest: the hotline tab only for who may open tickets
                Assert.Equal(user == ConsoleFixture.DutyLeadName || user == ConsoleFixture.OperatorName,
                    await page.EvaluateAsync<bool>("() => window.__session.can('openTickets')"));
                Assert.False(await page.EvaluateAsync<bool>("() => window.__session.can('administer')"));
            }
            finally
            {
                await page.Context.CloseAsync();
            }
        }
    }

    [Fact]
    public async Task Without_the_test_flag_the_pages_publish_no_test_hooks()
    {
        await CreateTicketAsync(new { category = "consultation", title = "No hooks without the flag" });
        string signedIn;
        await using (var flagged = await fixture.NewSignedInContextAsync(ConsoleFixture.DutyLeadName))
        {
            signedIn = await flagged.StorageStateAsync();
        }

        // a context as a person's browser is: signed in, no test flag
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { StorageState = signedIn });
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync(new Uri(fixture.BaseAddress, "/#tickets").ToString());
            // the console is up (its ticket list drew) and yet no window.__* hook exists
            await page.WaitForSelectorAsync("#tk-list", new PageWaitForSelectorOptions { Timeout = 60_000, State = WaitForSelectorState.Attached });
            // (three.js announces itself as window.__THREE__: a library's, not a test hook)
            var hooks = await page.EvaluateAsync<string[]>("() => Object.keys(window).filter(k => k.startsWith('__') && k !== '__THREE__')");
            Assert.Empty(hooks);
            Assert.False(await page.EvaluateAsync<bool>("() => 'monitoringTest' in window || '__tickets' in window || '__room' in window || '__session' in window"));
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private async Task<long> CreateTicketAsync(object body)
    {
        using var response = await fixture.Http.PostAsJsonAsync("/api/tickets", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create ticket: HTTP {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("summary").GetProperty("id").GetInt64();
    }

    private async Task<int> CountTicketsOnAsync(string deviceId) =>
        (await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/tickets?device={Uri.EscapeDataString(deviceId)}")).GetProperty("total").GetInt32();

    private async Task<JsonElement> GetTicketAsync(long id) =>
        await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/tickets/{id}");

    private async Task PostAsync(string url, object body)
    {
        using var response = await fixture.Http.PostAsJsonAsync(url, body);
        Assert.True(response.IsSuccessStatusCode, $"{url}: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Where the NOC sends this ticket: the area's repair centre over three tiers, a field team of the area over two.</summary>
    private async Task<string> DispatchTargetAsync(JsonElement detail)
    {
        var teams = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/teams");
        var area = detail.GetProperty("summary").TryGetProperty("areaId", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
        var kind = detail.GetProperty("tiers").GetInt32() == 3 ? "centre" : "field";
        var candidates = teams.EnumerateArray()
            .Where(t => t.GetProperty("kind").GetString() == kind && t.GetProperty("status").GetProperty("availability").GetString() != "away")
            .ToList();
        Assert.True(candidates.Count > 0, $"the service configuration has no {kind} team to dispatch to");
        var inArea = candidates.FirstOrDefault(t => area is not null && t.GetProperty("areas").EnumerateArray().Any(x => x.GetString() == area));
        var chosen = inArea.ValueKind == JsonValueKind.Object ? inArea : candidates[0];
        if (kind == "field" && chosen.GetProperty("members").GetArrayLength() == 0)
        {
            chosen = candidates.First(t => t.GetProperty("members").GetArrayLength() > 0);
        }

        return chosen.GetProperty("id").GetString()!;
    }
}
