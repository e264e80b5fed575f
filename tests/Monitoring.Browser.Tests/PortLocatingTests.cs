using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Monitoring.Server.Security;

namespace Monitoring.Browser.Tests;

/// <summary>
/// Locating down to the port (issue 20): deep links (#device/, #port/, #ticket/) survive the sign-in redirect (and the
/// return URL stays on this server), and a selected port shows its number, an outline and its cable to the far end
/// in 3D, read both from the scene's state and from a screenshot's pixels.
/// </summary>
public sealed class PortLocatingTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private static readonly PageWaitForFunctionOptions Within20Seconds = new() { Timeout = 20_000 };
    private static readonly PageWaitForFunctionOptions Within60Seconds = new() { Timeout = 60_000 };

    [Fact]
    public async Task Deep_links_to_a_device_a_port_and_a_ticket_survive_the_sign_in_redirect()
    {
        var ticketId = await CreateTicketAsync();
        var number = "T" + ticketId.ToString("D6", CultureInfo.InvariantCulture);
        var name = ConsoleFixture.UniqueName("deep");
        await fixture.CreateUserAsync(name, Role.DutyLead);
        foreach (var link in new[] { "/#device/ups-1", "/#port/asw-a02:14", $"/#ticket/{number}" })
        {
            // a fresh browser each time: nobody signed in, so the server sends the page to the sign-in page
            var context = await fixture.NewContextAsync(new BrowserNewContextOptions { Locale = "en-US", ViewportSize = new ViewportSize { Width = 1280, Height = 720 } });
            var page = await context.NewPageAsync();
            try
            {
                await page.GotoAsync(new Uri(fixture.BaseAddress, link).ToString());
                await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready && window.__signin.mode() === 'signin'", null, Within20Seconds);
                Assert.Equal("/signin.html", new Uri(page.Url).AbsolutePath);
                Assert.Equal(link, await page.EvaluateAsync<string>("() => window.__signin.returnUrl()"));

                await page.FillAsync("#signin-name", name);
                await page.FillAsync("#signin-password", ConsoleFixture.PasswordOf(name));
                await page.ClickAsync("#signin-submit");
                await page.WaitForFunctionAsync("() => window.__room && window.__room.ready", null, Within60Seconds);
                Assert.Equal("/", new Uri(page.Url).AbsolutePath);

                if (link.Contains("device", StringComparison.Ordinal))
                {
                    await page.WaitForFunctionAsync("() => window.__room.selectedDeviceId() === 'ups-1'", null, Within20Seconds);
                    Assert.Equal("ups-1", await page.EvaluateAsync<string?>("() => window.__room.highlightedDeviceId()"));

                    // a floor unit's location in words: the nearest rack (by its display name) and row, and the nearest wall
                    var location = await LocationFieldAsync(page);
                    Assert.Matches(@"^\d+\.\d m (east|west|north|south) of rack [A-Z]\d+ · .+ · \d+\.\d m from the (east|west|north|south) wall$", location);
                }
                else if (link.Contains("port", StringComparison.Ordinal))
                {
                    await page.WaitForFunctionAsync("() => window.__room.selectedDeviceId() === 'asw-a02' && window.__room.selectedPort() === 14", null, Within20Seconds);
                    var detail = await page.EvaluateAsync<JsonElement>("() => window.__room.portDetail()");
                    Assert.Equal("asw-a02", detail.GetProperty("deviceId").GetString());
                    Assert.Equal(14, detail.GetProperty("port").GetInt32());
                    Assert.True(detail.GetProperty("outlineVisible").GetBoolean());

                    // racks by their display names (A02, not the id a02)
                    Assert.StartsWith("A02 · U38", await LocationFieldAsync(page), StringComparison.Ordinal);
                }
                else
                {
                    await page.WaitForFunctionAsync("id => window.__tickets.view() === 'tickets' && window.__tickets.detailId() === id", ticketId, Within20Seconds);
                }
            }
            finally
            {
                await context.CloseAsync();
            }
        }
    }

    [Fact]
    public async Task The_sign_in_redirect_keeps_the_return_url_on_this_server()
    {
        var client = fixture.AnonymousClient();
        using (var local = await client.GetAsync(new Uri("/field.html?ticket=5", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Redirect, local.StatusCode);
            Assert.Equal("/signin.html?returnUrl=%2Ffield.html%3Fticket%3D5", local.Headers.Location?.OriginalString);
        }

        // a path that would read as another host ("//evil.example/...") goes back to "/" instead
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.BaseAddress.GetLeftPart(UriPartial.Authority) + "//evil.example/x.html"));
        Assert.Equal("//evil.example/x.html", request.RequestUri!.AbsolutePath);
        using var evil = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, evil.StatusCode);
        Assert.Equal("/signin.html?returnUrl=%2F", evil.Headers.Location?.OriginalString);

        // and the sign-in page checks the return URL with the carried-over fragment as a whole
        var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        try
        {
            foreach (var (url, expected) in new[]
            {
                ("/signin.html?returnUrl=%2F#port/asw-a01:49", "/#port/asw-a01:49"),
                ("/signin.html?returnUrl=%2F%23reports#device/ups-1", "/#reports"),
                ("/signin.html?returnUrl=%2F%2Fevil.example#device/ups-1", "/#device/ups-1"),
                ("/signin.html?returnUrl=https%3A%2F%2Fevil.example%2F#x", "/#x"),
            })
            {
                await page.GotoAsync(new Uri(fixture.BaseAddress, url).ToString());
                await page.WaitForFunctionAsync("() => window.__signin && window.__signin.ready", null, Within20Seconds);
                Assert.Equal(expected, await page.EvaluateAsync<string>("() => window.__signin.returnUrl()"));
            }
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_selected_port_shows_its_number_an_outline_and_its_cable_to_the_far_end_in_another_rack()
    {
        var room = await fixture.FirstRoomAsync();
        Assert.Contains(room.GetProperty("links").EnumerateArray(), l =>
            l.GetProperty("from").GetProperty("device").GetString() == "asw-a01" && l.GetProperty("from").GetProperty("port").GetInt32() == 49
            && l.GetProperty("to").GetProperty("device").GetString() == "csw-1" && l.GetProperty("to").GetProperty("port").GetInt32() == 1);

        var context = await fixture.NewSignedInContextAsync(ConsoleFixture.DutyLeadName, new BrowserNewContextOptions
        {
            Locale = "en-US",
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        var page = await context.NewPageAsync();
        try
        {
            await fixture.GoToConsoleAsync(page);
            await page.WaitForFunctionAsync("() => window.__room.hubState() === 'connected'", null, Within20Seconds);
            var okColour = await page.EvaluateAsync<string>("() => window.__room.statusColors.ok");
            await WriteLineProtocolAsync("interface,device=asw-a01,port=49 oper_status=1i");
            await page.WaitForFunctionAsync("c => window.__room.portColor('asw-a01', 49) === c", okColour, Within20Seconds);

            // nothing selected: no close-up
            var idle = await page.EvaluateAsync<JsonElement>("() => window.__room.portDetail()");
            Assert.False(idle.GetProperty("outlineVisible").GetBoolean());
            Assert.False(idle.GetProperty("linkVisible").GetBoolean());

            await page.EvaluateAsync("() => { location.hash = '#port/asw-a01:49'; }");
            await page.WaitForFunctionAsync("() => window.__room.selectedDeviceId() === 'asw-a01' && window.__room.selectedPort() === 49", null, Within20Seconds);
            await page.WaitForFunctionAsync("() => window.__room.cameraIdle() && window.__room.portDetail().labelsVisible", null, Within20Seconds);

            var detail = await page.EvaluateAsync<JsonElement>("() => window.__room.portDetail()");
            var labels = detail.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToList();
            Assert.Contains("49", labels);
            Assert.Contains("1", labels);
            Assert.Contains("CON", labels); // the console port is labelled, not "0"
            Assert.DoesNotContain("0", labels);
            Assert.True(detail.GetProperty("outlineVisible").GetBoolean());
            Assert.True(detail.GetProperty("linkVisible").GetBoolean());
            Assert.Equal("csw-1", detail.GetProperty("peer").GetProperty("device").GetString());
            Assert.Equal(1, detail.GetProperty("peer").GetProperty("port").GetInt32());

            // the panel names the far end, and the console port's chip says CON
            await page.WaitForSelectorAsync("#panel .port-far-end[data-peer='csw-1:1']", new PageWaitForSelectorOptions { Timeout = 20_000 });
            Assert.Contains("10GE1/0/1", await page.InnerTextAsync("#panel .port-far-end"), StringComparison.Ordinal);
            Assert.Contains("csw-1 10GE1/0/1", await page.InnerTextAsync("#panel .port-description"), StringComparison.Ordinal);
            Assert.Equal("CON", (await page.InnerTextAsync("#panel .port-chip[data-port='0']")).Trim());

            // the screenshot: the port keeps its own status colour under the selection (not washed out) ...
            var port = await page.EvaluateAsync<JsonElement>("() => window.__room.portScreenPosition('asw-a01', 49)");
            Assert.True(port.GetProperty("visible").GetBoolean(), "the selected port is on screen");
            var px = port.GetProperty("x").GetDouble();
            var py = port.GetProperty("y").GetDouble();
            var screenshot = await page.ScreenshotAsync();
            if (Environment.GetEnvironmentVariable("MONITORING_TEST_SCREENSHOTS") is { Length: > 0 } folder)
            {
                await File.WriteAllBytesAsync(Path.Combine(folder, "port-close-up.png"), screenshot); // for a person to look at
            }

            var portPixel = await PixelAsync(page, screenshot, px, py);
            Assert.True(Near(portPixel, okColour, 24), $"port pixel at ({px:0}, {py:0}) is {portPixel}, expected the ok colour {okColour}");

            // ... and the cable is drawn in its colour somewhere along its path on screen
            var linkColour = await page.EvaluateAsync<string>("() => window.__room.linkColor");
            var panelLeft = await page.EvaluateAsync<double>("() => document.getElementById('panel').getBoundingClientRect().left");
            var points = detail.GetProperty("linkPoints").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
            Assert.True(points.Count >= 3, $"{points.Count} points on the cable's path");
            var seen = new List<string>();
            var matched = false;
            for (var s = 0; s + 1 < points.Count && !matched; s++)
            {
                for (var k = 1; k < 10 && !matched; k++)
                {
                    var f = k / 10.0;
                    var world = points[s].Zip(points[s + 1], (a, b) => a + ((b - a) * f)).ToArray();
                    var at = await page.EvaluateAsync<JsonElement>("p => window.__room.screenOf(p)", world);
                    var x = at.GetProperty("x").GetDouble();
                    var y = at.GetProperty("y").GetDouble();
                    if (!at.GetProperty("visible").GetBoolean() || x > panelLeft - 6 || y < 90 || y > 760 || Math.Sqrt(((x - px) * (x - px)) + ((y - py) * (y - py))) < 12)
                    {
                        continue;
                    }

                    var pixel = await PixelAsync(page, screenshot, x, y);
                    seen.Add($"({x:0}, {y:0}) {pixel}");
                    matched = Near(pixel, linkColour, 40);
                }
            }

            Assert.True(matched, $"no pixel of the cable's colour {linkColour} along its path; sampled: {string.Join(", ", seen)}");

            // closing the panel clears the close-up
            await page.ClickAsync("#panel-close");
            var cleared = await page.EvaluateAsync<JsonElement>("() => window.__room.portDetail()");
            Assert.False(cleared.GetProperty("outlineVisible").GetBoolean());
            Assert.False(cleared.GetProperty("linkVisible").GetBoolean());
            Assert.False(cleared.GetProperty("labelsVisible").GetBoolean());
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_port_shut_down_on_purpose_is_admin_down_in_colour_legend_panel_and_api_not_unknown()
    {
        var page = await fixture.OpenConsoleAsync();
        try
        {
            await page.WaitForFunctionAsync("() => window.__room.hubState() === 'connected'", null, Within20Seconds);
            var colours = await page.EvaluateAsync<JsonElement>("() => window.__room.statusColors");
            var adminDown = colours.GetProperty("adminDown").GetString()!;
            Assert.NotEqual(colours.GetProperty("unknown").GetString(), adminDown);

            await WriteLineProtocolAsync("interface,device=asw-a03,port=7 admin_status=2i,oper_status=2i");
            await page.WaitForFunctionAsync("() => window.__room.portStatus('asw-a03', 7) === 'adminDown'", null, Within20Seconds);
            Assert.Equal(adminDown, await page.EvaluateAsync<string>("() => window.__room.portColor('asw-a03', 7)"));
            await page.WaitForFunctionAsync("() => /^[1-9]/.test(document.querySelector(\".legend li[data-status='adminDown'] .count\")?.textContent ?? '')", null, Within20Seconds);
            Assert.Equal("Admin down", (await page.InnerTextAsync(".legend li[data-status='adminDown'] span:nth-child(2)")).Trim());

            // the API says so too: the room's devices and the device's ports
            var room = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/rooms/demo");
            var device = room.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("id").GetString() == "asw-a03");
            Assert.Contains(7, device.GetProperty("portsAdminDown").EnumerateArray().Select(p => p.GetInt32()));
            var detail = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/devices/asw-a03");
            var port = detail.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("index").GetInt32() == 7);
            Assert.True(port.GetProperty("adminDown").GetBoolean());
            Assert.Equal("unknown", port.GetProperty("status").GetString());

            // the panel's chip is in the admin-down colour and says so
            await page.EvaluateAsync("() => { location.hash = '#port/asw-a03:7'; }");
            await page.WaitForSelectorAsync("#panel .port-chip[data-port='7']", new PageWaitForSelectorOptions { Timeout = 20_000 });
            Assert.Contains("Admin down", await page.GetAttributeAsync("#panel .port-chip[data-port='7']", "title") ?? string.Empty, StringComparison.Ordinal);

            // enabled again: the port is down (a fault) once more
            await WriteLineProtocolAsync("interface,device=asw-a03,port=7 admin_status=1i,oper_status=2i");
            await page.WaitForFunctionAsync("() => window.__room.portStatus('asw-a03', 7) === 'down'", null, Within20Seconds);

            // a patch panel's port: the room file's cabling tag says where it runs
            await page.EvaluateAsync("() => { location.hash = '#port/pp-a01-1:3'; }");
            await page.WaitForSelectorAsync("#panel .port-cabling", new PageWaitForSelectorOptions { Timeout = 20_000 });
            Assert.Equal("Cabling: 至 B列 水平配线", (await page.InnerTextAsync("#panel .port-cabling")).Trim());
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>The side panel's "Location" field as shown (English).</summary>
    private static Task<string> LocationFieldAsync(IPage page) => page.EvaluateAsync<string>(
        """
        () => {
          const dt = [...document.querySelectorAll('#panel dl.fields dt')].find((d) => d.textContent.trim() === 'Location');
          return dt?.nextElementSibling?.textContent.trim() ?? '';
        }
        """);

    /// <summary>The colour ('#rrggbb') of one pixel of a PNG screenshot, decoded by the page itself (createImageBitmap).</summary>
    private static Task<string> PixelAsync(IPage page, byte[] png, double x, double y) => page.EvaluateAsync<string>(
        """
        async ([b64, x, y]) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
          const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
          const g = canvas.getContext('2d');
          g.drawImage(bitmap, 0, 0);
          const [r, gr, b] = g.getImageData(Math.round(x), Math.round(y), 1, 1).data;
          return '#' + [r, gr, b].map((v) => v.toString(16).padStart(2, '0')).join('');
        }
        """,
        new object[] { Convert.ToBase64String(png), x, y });

    private static bool Near(string actual, string expected, int tolerance)
    {
        static int[] Rgb(string hex) => [Convert.ToInt32(hex[1..3], 16), Convert.ToInt32(hex[3..5], 16), Convert.ToInt32(hex[5..7], 16)];
        var a = Rgb(actual);
        var e = Rgb(expected);
        return a.Zip(e).All(p => Math.Abs(p.First - p.Second) <= tolerance);
    }

    private async Task WriteLineProtocolAsync(string line)
    {
        using var content = new StringContent(line + "\n", Encoding.UTF8, "text/plain");
        using var response = await fixture.Ingest.PostAsync(new Uri("/api/v2/write?bucket=tests", UriKind.Relative), content);
        Assert.True(response.IsSuccessStatusCode, $"write '{line}': HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<long> CreateTicketAsync()
    {
        using var response = await fixture.Http.PostAsJsonAsync("/api/tickets", new { category = "request", title = "Deep link test ticket", channel = "web" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create ticket: HTTP {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("summary").GetProperty("id").GetInt64();
    }
}
