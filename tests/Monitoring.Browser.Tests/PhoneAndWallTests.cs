using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Monitoring.Server.Security;

namespace Monitoring.Browser.Tests;

/// <summary>
/// Issue 20, "Phone and tablet" and the wall screen: on a 390x844 phone no visible part of the console covers another
/// (header, banner, legend, hint, status bar, the bottom sheet), the header folds into a menu, the side panel is a
/// bottom sheet; the wall screen (/?wall=1) shows a large "reconnecting" state while the server restarts and, once it is
/// back, reads everything again by itself (an alarm raised after the restart is counted).
/// </summary>
public sealed class PhoneAndWallTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private const string Switch = "asw-a01";
    private static readonly PageWaitForFunctionOptions Within30Seconds = new() { Timeout = 30_000 };

    private async Task WriteAsync(string lines)
    {
        using var content = new StringContent(lines, Encoding.UTF8, "text/plain");
        using var response = await fixture.Ingest.PostAsync(new Uri("/api/v2/write?bucket=b&org=o", UriKind.Relative), content);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"write: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A port goes down while administratively up: the port-down rule raises a major alarm.</summary>
    private async Task PortDownAsync(int port)
    {
        await WriteAsync($"interface,device={Switch},port={port} admin_status=1i");
        await WriteAsync($"interface,device={Switch},port={port} oper_status=2i");
    }

    /// <summary>The boxes (page coordinates) of the listed elements that are visible, by selector.</summary>
    private static async Task<Dictionary<string, double[]>> BoxesAsync(IPage page, params string[] selectors)
    {
        var text = await page.EvaluateAsync<string>(
            """
            (selectors) => {
              const out = {};
              for (const s of selectors) {
                const e = document.querySelector(s);
                if (!e) continue;
                const style = getComputedStyle(e);
                const r = e.getBoundingClientRect();
                if (style.display === 'none' || style.visibility === 'hidden' || r.width === 0 || r.height === 0) continue;
                out[s] = [r.left, r.top, r.right, r.bottom];
              }
              return JSON.stringify(out);
            }
            """, selectors);
        using var json = JsonDocument.Parse(text);
        return json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetDouble()).ToArray());
    }

    private static void AssertNoOverlap(Dictionary<string, double[]> boxes, string when)
    {
        var names = boxes.Keys.ToList();
        for (var i = 0; i < names.Count; i++)
        {
            var a = boxes[names[i]];
            Assert.True(a[0] >= -0.5 && a[2] <= 390.5 && a[1] >= -0.5 && a[3] <= 844.5, $"{when}: {names[i]} [{string.Join(", ", a)}] leaves the 390x844 screen");
            for (var j = i + 1; j < names.Count; j++)
            {
                var b = boxes[names[j]];
                var overlap = Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]) > 0.5 && Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]) > 0.5;
                Assert.False(overlap, $"{when}: {names[i]} [{string.Join(", ", a)}] overlaps {names[j]} [{string.Join(", ", b)}]");
            }
        }
    }

    [Fact]
    public async Task On_a_390x844_phone_nothing_overlaps_the_header_is_a_menu_and_the_panel_a_bottom_sheet()
    {
        await PortDownAsync(21); // something for the banner to show
        await using var context = await fixture.NewSignedInContextAsync(ConsoleFixture.DutyLeadName, new BrowserNewContextOptions
        {
            Locale = "en-US",
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
            HasTouch = true,
        });
        var page = await context.NewPageAsync();
        await fixture.GoToConsoleAsync(page);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__layout.sheetLayout()"));
        await page.WaitForFunctionAsync("() => window.__alarms && window.__alarms.bannerVisible()", null, Within30Seconds);

        // the page is exactly the screen wide, the header's parts folded away behind the menu button
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 390"));
        Assert.True(await page.IsVisibleAsync("#menu-toggle"));
        Assert.True(await page.IsHiddenAsync("#search"));
        Assert.True(await page.IsHiddenAsync("#view-switch"));
        Assert.True(await page.IsVisibleAsync("#alarm-toggle"));
        string[] parts = ["header.topbar", "#alarm-banner", ".legend", ".hint", "#panel", "#alarm-panel", "footer.statusbar"];
        var closed = await BoxesAsync(page, parts);
        Assert.Contains("#alarm-banner", closed.Keys);
        Assert.Contains(".legend", closed.Keys);
        AssertNoOverlap(closed, "room view");

        // the menu opens over the room with the views, the search and the header's buttons, and closes again
        await page.TapAsync("#menu-toggle");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__layout.menuOpen()"));
        Assert.True(await page.IsVisibleAsync("#search"));
        Assert.True(await page.IsVisibleAsync("#view-switch"));
        AssertNoOverlap(await BoxesAsync(page, "#view-switch", ".search", "#home", "#menu-toggle"), "open menu");
        await page.TapAsync("#menu-toggle");
        Assert.True(await page.IsHiddenAsync("#search"));

        // a device opened (a link from an alarm or a ticket) shows its panel as a bottom sheet: full width, on the bottom edge, the legend out of its way
        await page.GotoAsync(new Uri(fixture.BaseAddress, $"/?device={Switch}").ToString());
        await page.WaitForFunctionAsync("id => window.__room && window.__room.ready && window.__room.selectedDeviceId() === id", Switch, Within30Seconds);
        await page.WaitForFunctionAsync("() => !document.getElementById('panel').hidden && document.body.classList.contains('sheet-open')", null, Within30Seconds);
        var sheet = await BoxesAsync(page, parts);
        var panel = sheet["#panel"];
        Assert.Equal(0, panel[0], 0.5);
        Assert.Equal(390, panel[2], 0.5);
        var stageBottom = await page.EvaluateAsync<double>("() => document.querySelector('main.stage').getBoundingClientRect().bottom");
        Assert.Equal(stageBottom, panel[3], 0.5);
        AssertNoOverlap(sheet, "device sheet");

        // one finger on the room orbits it (OrbitControls' touch settings)
        Assert.True(await page.EvaluateAsync<bool>("() => getComputedStyle(document.querySelector('#viewport canvas')).touchAction === 'none'"));
    }

    [Fact]
    public async Task The_wall_screen_shows_reconnecting_while_the_server_restarts_and_reads_everything_again_after()
    {
        await using var context = await fixture.NewSignedInContextAsync(ConsoleFixture.DutyLeadName, new BrowserNewContextOptions
        {
            Locale = "en-US",
            ViewportSize = new ViewportSize { Width = 1600, Height = 900 },
        });
        var page = await context.NewPageAsync();
        await fixture.GoToConsoleAsync(page, "/?wall=1");
        await page.WaitForFunctionAsync("() => window.__wall.active && window.__wall.loads() >= 1 && window.__wall.hubState() === 'connected'", null, Within30Seconds);
        Assert.True(await page.IsHiddenAsync("header.topbar"));
        Assert.True(await page.IsHiddenAsync("footer.statusbar"));
        Assert.True(await page.IsVisibleAsync("#wall-counters"));
        // the room fills the whole screen
        Assert.True(await page.EvaluateAsync<bool>("() => { const r = document.querySelector('#viewport canvas').getBoundingClientRect(); return r.top === 0 && r.left === 0 && r.width === 1600 && r.height === 900; }"));
        Assert.False(await page.EvaluateAsync<bool>("() => window.__wall.reconnectingShown()"));
        // the incident list was asked for: shown, or (a server without incidents) said to be unavailable
        await page.WaitForFunctionAsync("() => window.__wall.incidentsAvailable() !== null", null, Within30Seconds);

        // an alarm while connected: counted, and the tour goes to its row
        await PortDownAsync(22);
        await page.WaitForFunctionAsync("([d, p]) => window.__wall.hasAlarm(d, p) && window.__wall.counts().major >= 1", new object[] { Switch, 22 }, Within30Seconds);
        Assert.NotEmpty(await page.EvaluateAsync<string[]>("() => window.__wall.alarmRows()"));
        var loads = await page.EvaluateAsync<int>("() => window.__wall.loads()");

        // the server restarts: the wall says so in large letters, and reconnects by itself
        // (the page is polled from before the stop: the state may last only as long as the restart takes)
        var shown = page.WaitForFunctionAsync("() => window.__wall.reconnectingShown() && window.__wall.hubState() !== 'connected'",
            null, new PageWaitForFunctionOptions { Timeout = 90_000, PollingInterval = 20 });
        await fixture.RestartServerAsync(TimeSpan.FromSeconds(60));
        await shown;

        // back: the state is read again (a new full load), and what happened after the restart reaches the wall
        await page.WaitForFunctionAsync("n => window.__wall.hubState() === 'connected' && !window.__wall.reconnectingShown() && window.__wall.loads() > n",
            loads, new PageWaitForFunctionOptions { Timeout = 90_000 });
        await PortDownAsync(23);
        await page.WaitForFunctionAsync("([d, p]) => window.__wall.hasAlarm(d, p)", new object[] { Switch, 23 }, Within30Seconds);
        Assert.True(await page.IsHiddenAsync("#wall-reconnecting"));

        // a wall screen switched on after the restart starts as well
        var fresh = await context.NewPageAsync();
        var console = new List<string>();
        fresh.Console += (_, m) => console.Add($"{m.Type}: {m.Text}");
        try
        {
            await fixture.GoToConsoleAsync(fresh, "/?wall=1");
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"{e.Message} Console: {string.Join(" | ", console)}", e);
        }

        try
        {
            await fresh.WaitForFunctionAsync("([d, p]) => window.__wall.loads() >= 1 && window.__wall.hasAlarm(d, p)", new object[] { Switch, 23 },
                new PageWaitForFunctionOptions { Timeout = 90_000 });
        }
        catch (TimeoutException e)
        {
            var seen = await fresh.EvaluateAsync<string>("() => JSON.stringify({ hub: window.__wall.hubState(), loads: window.__wall.loads(), counts: window.__wall.counts() })");
            throw new InvalidOperationException($"the wall opened after the restart: {seen}. Console: {string.Join(" | ", console)}", e);
        }
    }

    [Fact]
    public async Task The_field_page_shows_rack_u_and_port_and_show_me_where_opens_the_compact_room_on_a_phone()
    {
        const int port = 14;
        using var created = await fixture.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", description = "port 14 dead", deviceId = Switch, port });
        Assert.True(created.IsSuccessStatusCode, $"create: HTTP {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("summary").GetProperty("id").GetInt64();
        using (var dispatched = await fixture.Http.PostAsJsonAsync($"/api/tickets/{id}/dispatch", new { team = "team-network" }))
        {
            Assert.True(dispatched.IsSuccessStatusCode, $"dispatch: HTTP {(int)dispatched.StatusCode} {await dispatched.Content.ReadAsStringAsync()}");
        }

        var device = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/devices/{Switch}");
        var rack = device.GetProperty("rack").GetString()!;
        var u = device.GetProperty("u").GetInt32();
        var technician = ConsoleFixture.UniqueName("tech");
        await fixture.CreateUserAsync(technician, Role.Technician, "team-network");
        await using var context = await fixture.NewSignedInContextAsync(technician, new BrowserNewContextOptions
        {
            Locale = "en-US",
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
            HasTouch = true,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(fixture.BaseAddress, "/field.html?lang=en").ToString());
        await page.WaitForFunctionAsync("id => window.__field && window.__field.queue().includes(id) && window.__field.where(id).parts.length === 3", id, Within30Seconds);
        var where = await page.EvaluateAsync<JsonElement>("id => window.__field.where(id)", id);
        var parts = where.GetProperty("parts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        Assert.Equal($"Rack {rack}", parts[0]);
        Assert.StartsWith($"U {u}", parts[1], StringComparison.Ordinal);
        Assert.StartsWith("Port ", parts[2], StringComparison.Ordinal);
        Assert.Contains($"({port})", parts[2], StringComparison.Ordinal); // the port's name, then its number
        var card = page.Locator($"article.f-card[data-id='{id}']");
        Assert.Contains($"Rack {rack}", await card.Locator(".f-where").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal($"/?compact=1#port/{Switch}:{port}", await card.Locator("a.where").GetAttributeAsync("href"));

        // "show me where": the console in its compact phone view, the room drawn
        await card.Locator("a.where").TapAsync();
        await page.WaitForFunctionAsync("() => window.__room && window.__room.ready && window.__layout.compact()", null, Within30Seconds);
        Assert.True(await page.IsVisibleAsync("#back-to-field"));
        Assert.True(await page.IsHiddenAsync("#search"));
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 390"));
    }

    [Fact]
    public async Task A_trainee_the_server_lists_no_room_to_reads_why_instead_of_an_error()
    {
        var trainee = ConsoleFixture.UniqueName("trainee");
        await fixture.CreateUserAsync(trainee, Role.Trainee);
        await using var context = await fixture.NewSignedInContextAsync(trainee, new BrowserNewContextOptions { Locale = "en-US" });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(fixture.BaseAddress, "/?lang=en").ToString());
        var rooms = await page.EvaluateAsync<int>("async () => (await (await fetch('/api/rooms')).json()).length");
        if (rooms == 0)
        {
            await page.WaitForFunctionAsync("() => document.getElementById('loading').classList.contains('no-room')", null, Within30Seconds);
            var text = await page.InnerTextAsync("#loading");
            Assert.Contains("training room", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Error", text, StringComparison.Ordinal);
            Assert.DoesNotContain("no rooms", text, StringComparison.Ordinal);
        }
        else
        {
            // a server with a training room: the trainee simply gets it
            await page.WaitForFunctionAsync("() => window.__room && window.__room.ready", null, Within30Seconds);
        }
    }
}
