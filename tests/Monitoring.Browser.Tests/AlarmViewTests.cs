using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>
/// The full alarm view against the real server (port-down alarms raised through line protocol): sort by age, bulk
/// acknowledge of everything shown with one comment, the keyboard (arrows, l locates in 3D, Enter opens the event
/// history, a acknowledges), severity chips readable in both colour schemes, the banner above the panels, and the alarm
/// sound that stays armed across a reload (the overlay asks for the one click the browser needs, then the audio
/// element really plays).
/// </summary>
public sealed partial class AlarmViewTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>, IAsyncLifetime, IDisposable
{
    private const string Switch = "asw-a01";
    private static readonly PageWaitForFunctionOptions Within30Seconds = new() { Timeout = 30_000 };
    private readonly CancellationTokenSource _stop = new();
    private Task _beating = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        // every device reports now and then (nothing else feeds this server): no absence alarm joins in while a test runs
        var room = await fixture.FirstRoomAsync();
        var ids = room.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToList();
        var heartbeat = string.Join('\n', ids.Select(d => $"heartbeat,device={d} alive=1i"));
        await WriteAsync(heartbeat);
        _beating = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(5_000, _stop.Token);
                    await WriteAsync(heartbeat);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _beating;
    }

    public void Dispose() => _stop.Dispose();

    private async Task WriteAsync(string lines)
    {
        using var content = new StringContent(lines, Encoding.UTF8, "text/plain");
        using var response = await fixture.Ingest.PostAsync(new Uri("/api/v2/write?bucket=b&org=o", UriKind.Relative), content);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"write: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Takes ports down one after another (each raised before the next goes down: their ages differ) and answers their alarm ids.</summary>
    private async Task<List<long>> PortsDownAsync(IPage page, IReadOnlyList<int> ports)
    {
        var ids = new List<long>();
        foreach (var port in ports)
        {
            await WriteAsync($"interface,device={Switch},port={port} admin_status=1i\ninterface,device={Switch},port={port} oper_status=1i");
            await WriteAsync($"interface,device={Switch},port={port} oper_status=2i");
            await page.WaitForFunctionAsync(
                "([d, p]) => window.__alarms.list().some(a => a.deviceId === d && a.port === p && a.ruleId === 'port-down' && !a.acknowledged)",
                new object[] { Switch, port }, Within30Seconds);
            ids.Add(await page.EvaluateAsync<long>(
                "([d, p]) => window.__alarms.list().find(a => a.deviceId === d && a.port === p && a.ruleId === 'port-down' && !a.acknowledged).id",
                new object[] { Switch, port }));
        }

        return ids;
    }

    private async Task PortsUpAsync(IEnumerable<int> ports) =>
        await WriteAsync(string.Join('\n', ports.Select(p => $"interface,device={Switch},port={p} oper_status=1i")));

    private async Task<IPage> OpenAsync()
    {
        var page = await fixture.OpenConsoleAsync(user: ConsoleFixture.OperatorName);
        await page.WaitForFunctionAsync("() => window.__alarms && window.__alarms.ready", null, Within30Seconds);
        return page;
    }

    private static async Task ShowAsync(IPage page, string search)
    {
        if (await page.IsHiddenAsync("#alarm-panel"))
        {
            await page.ClickAsync("#alarm-toggle");
        }

        await page.FillAsync("#alarm-search", search);
    }

    [Fact]
    public async Task Sorting_by_age_then_acknowledging_all_shown_with_one_comment_acknowledges_each_one()
    {
        var page = await OpenAsync();
        try
        {
            int[] ports = [31, 32, 33, 34, 35];
            var ids = await PortsDownAsync(page, ports);
            await ShowAsync(page, $"device:{Switch}");
            await page.SelectOptionAsync("#alarm-filter-state", "raised");
            await page.WaitForFunctionAsync("ids => ids.every(id => window.__alarms.rowIds().includes(id))", ids.ToArray(), Within30Seconds);

            // sort by age: the oldest first (age descending), then (again) the youngest first; the raise order is the order the ports went down
            var raisedOrder = await RaisedOrderAsync(page, ids);
            await page.ClickAsync("#alarm-table th[data-sort='age']");
            Assert.Equal("descending", await page.GetAttributeAsync("#alarm-table th[data-sort='age']", "aria-sort"));
            var rows = (await page.EvaluateAsync<long[]>("() => window.__alarms.rowIds()")).Where(ids.Contains).ToList();
            Assert.Equal(raisedOrder, rows);
            await page.ClickAsync("#alarm-table th[data-sort='age']");
            Assert.Equal("ascending", await page.GetAttributeAsync("#alarm-table th[data-sort='age']", "aria-sort"));
            rows = (await page.EvaluateAsync<long[]>("() => window.__alarms.rowIds()")).Where(ids.Contains).ToList();
            Assert.Equal(Enumerable.Reverse(raisedOrder).ToList(), rows);

            // the age column counts live
            var ageCell = $"#alarm-rows tr[data-alarm-id='{ids[0]}'] td.age";
            var age = await page.InnerTextAsync(ageCell);
            Assert.Matches(AgePattern(), age);
            await page.WaitForFunctionAsync("([sel, before]) => document.querySelector(sel)?.textContent !== before", new object[] { ageCell, age }, Within30Seconds);

            // acknowledge all shown, one comment: the bulk API acknowledges every one of them
            var shown = await page.EvaluateAsync<long[]>("() => window.__alarms.rowIds()");
            Assert.All(ids, id => Assert.Contains(id, shown));
            await page.ClickAsync("#alarm-ack-shown");
            await page.WaitForSelectorAsync("#alarm-dialog[open]", new PageWaitForSelectorOptions { Timeout = 20_000 });
            const string Comment = "批量确认：A 列端口割接";
            await page.FillAsync("#alarm-dialog-text", Comment);
            var bulk = page.WaitForResponseAsync(r => r.Url.EndsWith("/api/alarms/ack", StringComparison.Ordinal) && r.Request.Method == "POST");
            await page.ClickAsync("#alarm-dialog-ok");
            var response = await bulk;
            Assert.Equal(200, response.Status);
            await page.WaitForFunctionAsync("ids => ids.every(id => window.__alarms.list().find(a => a.id === id)?.acknowledged)", ids.ToArray(), Within30Seconds);
            foreach (var id in ids)
            {
                var detail = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}");
                var ack = detail.GetProperty("alarm").GetProperty("acknowledgement");
                Assert.Equal(Comment, ack.GetProperty("comment").GetString());
                Assert.Equal(ConsoleFixture.OperatorName, ack.GetProperty("by").GetString());
            }

            // the raised filter no longer shows them; the acknowledged-by column names the operator
            await page.WaitForFunctionAsync("ids => !ids.some(id => window.__alarms.rowIds().includes(id))", ids.ToArray(), Within30Seconds);
            await page.SelectOptionAsync("#alarm-filter-state", "acknowledged");
            await page.WaitForFunctionAsync("ids => ids.every(id => window.__alarms.rowIds().includes(id))", ids.ToArray(), Within30Seconds);
            Assert.Contains(ConsoleFixture.OperatorName, await page.InnerTextAsync($"#alarm-rows tr[data-alarm-id='{ids[0]}'] td.ack-by"), StringComparison.Ordinal);
        }
        finally
        {
            await PortsUpAsync([31, 32, 33, 34, 35]);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_keyboard_moves_locates_opens_the_history_and_acknowledges()
    {
        var page = await OpenAsync();
        try
        {
            var ids = await PortsDownAsync(page, [41, 42]);
            await ShowAsync(page, string.Empty);
            await page.SelectOptionAsync("#alarm-filter-state", "raised");
            await page.ClickAsync("#alarm-table th[data-sort='age']"); // oldest first
            await page.WaitForFunctionAsync("ids => ids.every(id => window.__alarms.rowIds().includes(id))", ids.ToArray(), Within30Seconds);
            var order = (await page.EvaluateAsync<long[]>("() => window.__alarms.rowIds()")).ToList();
            var target = ids[0]; // port 41
            var steps = order.IndexOf(target) + 1;

            await page.FocusAsync("#alarm-table-wrap");
            for (var i = 0; i < steps; i++)
            {
                await page.Keyboard.PressAsync("ArrowDown");
            }

            Assert.Equal($"a:{target}", await page.EvaluateAsync<string>("() => window.__alarms.cursor()"));
            Assert.Equal(1, await page.Locator($"#alarm-rows tr[data-alarm-id='{target}'].cursor").CountAsync());

            // l: the room flies to the switch and selects the port
            await page.Keyboard.PressAsync("l");
            await page.WaitForFunctionAsync("d => window.__room.selectedDeviceId() === d", Switch, Within30Seconds);
            await page.WaitForFunctionAsync("p => window.__room.selectedPort() === p", 41, Within30Seconds);

            // Enter: the details with the event history (raised)
            await page.FocusAsync("#alarm-table-wrap");
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForFunctionAsync("() => (window.__alarms.history() ?? []).includes('raised')", null, Within30Seconds);
            Assert.True(await page.IsVisibleAsync("#alarm-detail #alarm-history li[data-kind='raised']"));

            // a: the acknowledge dialog for the current row; the history then shows the acknowledgement
            await page.FocusAsync("#alarm-table-wrap");
            await page.Keyboard.PressAsync("a");
            await page.WaitForSelectorAsync("#alarm-dialog[open]", new PageWaitForSelectorOptions { Timeout = 20_000 });
            Assert.Contains("GigabitEthernet", await page.InnerTextAsync("#alarm-dialog-target"), StringComparison.Ordinal);
            await page.FillAsync("#alarm-dialog-text", "keyboard ack");
            await page.ClickAsync("#alarm-dialog-ok");
            await page.WaitForFunctionAsync("id => window.__alarms.list().find(a => a.id === id)?.acknowledged === true", target, Within30Seconds);
            await page.WaitForFunctionAsync("() => (window.__alarms.history() ?? []).includes('acknowledged')", null, Within30Seconds);
            Assert.False(await page.EvaluateAsync<bool>("id => window.__alarms.list().find(a => a.id === id).acknowledged", ids[1]));
        }
        finally
        {
            await PortsUpAsync([41, 42]);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Every_severity_chip_has_at_least_4_5_to_1_contrast_in_both_colour_schemes()
    {
        var page = await OpenAsync();
        try
        {
            await ShowAsync(page, string.Empty);
            foreach (var scheme in new[] { ColorScheme.Dark, ColorScheme.Light })
            {
                await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = scheme });
                // the counters at the top of the view carry one chip per severity, always
                var chips = await page.EvaluateAsync<JsonElement>(
                    """
                    () => [...document.querySelectorAll('#alarm-counts .sev-chip, #alarm-rows .sev-chip, #alarm-banner .sev-chip')].map(c => {
                      const s = getComputedStyle(c);
                      return { severity: c.dataset.severity, color: s.color, background: s.backgroundColor };
                    })
                    """);
                var seen = new HashSet<string>();
                foreach (var chip in chips.EnumerateArray())
                {
                    var severity = chip.GetProperty("severity").GetString()!;
                    seen.Add(severity);
                    var ratio = Contrast(Rgb(chip.GetProperty("color").GetString()!), Rgb(chip.GetProperty("background").GetString()!));
                    Assert.True(ratio >= 4.5, $"{scheme}: the {severity} chip has contrast {ratio:F2}:1 ({chip})");
                }

                Assert.Equal(["critical", "major", "minor", "warning"], seen.Order(StringComparer.Ordinal).ToArray());
            }

            // the two schemes differ (the light one is not the dark one again)
            await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Dark });
            var dark = await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector(\"#alarm-counts .sev-critical\")).backgroundColor");
            await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Light });
            var light = await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector(\"#alarm-counts .sev-critical\")).backgroundColor");
            Assert.NotEqual(dark, light);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_armed_sound_stays_armed_across_a_reload_and_the_audio_element_plays_after_one_click()
    {
        var page = await OpenAsync();
        try
        {
            // never armed: no overlay; the operator arms it with the header button
            Assert.False(await page.EvaluateAsync<bool>("() => window.__alarms.armOverlayVisible()"));
            await page.ClickAsync("#alarm-sound");
            await page.WaitForFunctionAsync("() => window.__alarms.audioEnabled() && window.__alarms.armed()", null, Within30Seconds);

            var ids = await PortsDownAsync(page, [45]);
            await page.WaitForFunctionAsync("() => window.__alarms.playingEvents() >= 1 && window.__alarms.playedSeconds() > 0", null, Within30Seconds);

            // reload: still armed (localStorage), but the browser wants a gesture first: the large overlay asks for it
            await page.ReloadAsync();
            await page.WaitForFunctionAsync("() => window.__alarms && window.__alarms.ready", null, Within30Seconds);
            Assert.True(await page.EvaluateAsync<bool>("() => window.__alarms.armed()"));
            await page.WaitForFunctionAsync("() => window.__alarms.armOverlayVisible()", null, Within30Seconds);
            Assert.False(await page.EvaluateAsync<bool>("() => window.__alarms.audioEnabled()"));
            Assert.Equal(0, await page.EvaluateAsync<int>("() => window.__alarms.playingEvents()"));
            var box = await page.Locator("#alarm-arm").BoundingBoxAsync();
            var viewport = page.ViewportSize!;
            Assert.True(box is not null && box.Width >= viewport.Width * 0.99 && box.Height >= viewport.Height * 0.99, "the arming overlay covers the page");
            Assert.Contains("arm the alarm sound", await page.InnerTextAsync("#alarm-arm"), StringComparison.OrdinalIgnoreCase);

            // one real click anywhere: the overlay goes, the unacknowledged alarm's sound plays (the <audio> element's `playing` event, played ranges)
            await page.Mouse.ClickAsync(viewport.Width / 3, viewport.Height / 2);
            await page.WaitForFunctionAsync("() => !window.__alarms.armOverlayVisible() && window.__alarms.audioEnabled()", null, Within30Seconds);
            await page.WaitForFunctionAsync("() => window.__alarms.playingSeverity() === 'major' && window.__alarms.playingEvents() >= 1 && window.__alarms.playedSeconds() > 0", null, Within30Seconds);

            // acknowledged: silent
            using var ack = await fixture.Http.PostAsJsonAsync($"/api/alarms/{ids[0]}/ack", new { comment = "sound test" });
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
            await page.WaitForFunctionAsync("() => !window.__alarms.audioPlaying()", null, Within30Seconds);
        }
        finally
        {
            await PortsUpAsync([45]);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_banner_never_covers_the_side_panel_header_or_the_alarm_view()
    {
        var page = await OpenAsync();
        try
        {
            await PortsDownAsync(page, [46]);
            await page.WaitForFunctionAsync("() => window.__alarms.bannerVisible()", null, Within30Seconds);
            // the banner locates its alarm: the device's side panel opens
            await page.ClickAsync("#alarm-banner .target");
            await page.WaitForFunctionAsync("() => window.__room.selectedDeviceId() !== null", null, Within30Seconds);
            var banner = (await page.Locator("#alarm-banner").BoundingBoxAsync())!;
            var panelHead = (await page.Locator(".panel:not([hidden]) .panel-head").First.BoundingBoxAsync())!;
            Assert.True(panelHead.Y >= banner.Y + banner.Height, $"the side panel's header (top {panelHead.Y}) starts below the banner (bottom {banner.Y + banner.Height})");

            await page.ClickAsync("#alarm-toggle");
            var view = (await page.Locator("#alarm-panel").BoundingBoxAsync())!;
            Assert.True(view.Y >= banner.Y + banner.Height, $"the alarm view (top {view.Y}) starts below the banner (bottom {banner.Y + banner.Height})");
        }
        finally
        {
            await PortsUpAsync([46]);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_report_period_without_tickets_says_so_instead_of_drawing_empty_axes()
    {
        var page = await OpenAsync();
        try
        {
            // a week of 2020: no ticket of this server is that old
            await page.EvaluateAsync("() => { location.hash = '#reports'; }");
            await page.WaitForFunctionAsync("() => window.__reports && window.__reports.loaded()", null, Within30Seconds);
            await page.SelectOptionAsync("#rp-period", "custom");
            await page.FillAsync(".rp-controls input[type='date'] >> nth=0", "2020-03-02");
            await page.FillAsync(".rp-controls input[type='date'] >> nth=1", "2020-03-08");
            await page.ClickAsync(".rp-controls button.btn");
            await page.WaitForFunctionAsync(
                "() => window.__reports.loaded() && window.__reports.period().from.startsWith('2020-03') && window.__reports.charts().includes('perDay')", null, Within30Seconds);
            Assert.Equal(0, await page.EvaluateAsync<int>("() => window.__reports.total() ?? -1"));
            Assert.Equal("true", await page.GetAttributeAsync("#rp-chart-perDay", "data-empty"));
            Assert.Equal("true", await page.GetAttributeAsync("#rp-chart-compliance", "data-empty"));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private static async Task<List<long>> RaisedOrderAsync(IPage page, List<long> ids)
    {
        var list = await page.EvaluateAsync<JsonElement>("() => window.__alarms.list()");
        return list.EnumerateArray()
            .Where(a => ids.Contains(a.GetProperty("id").GetInt64()))
            .OrderBy(a => DateTimeOffset.Parse(a.GetProperty("raisedAt").GetString()!, CultureInfo.InvariantCulture))
            .ThenBy(a => a.GetProperty("id").GetInt64())
            .Select(a => a.GetProperty("id").GetInt64()).ToList();
    }

    private static (double R, double G, double B) Rgb(string css)
    {
        var m = RgbPattern().Match(css);
        Assert.True(m.Success, $"not an rgb() colour: {css}");
        return (double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>WCAG 2 contrast ratio of two sRGB colours.</summary>
    private static double Contrast((double R, double G, double B) a, (double R, double G, double B) b)
    {
        static double Channel(double c)
        {
            c /= 255;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }

        static double Luminance((double R, double G, double B) c) => (0.2126 * Channel(c.R)) + (0.7152 * Channel(c.G)) + (0.0722 * Channel(c.B));
        var (l1, l2) = (Luminance(a), Luminance(b));
        return (Math.Max(l1, l2) + 0.05) / (Math.Min(l1, l2) + 0.05);
    }

    [GeneratedRegex(@"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)")]
    private static partial Regex RgbPattern();

    [GeneratedRegex(@"^\d+(s|m|h \d\dm|d \d+h)( ✓)?$")]
    private static partial Regex AgePattern();
}
