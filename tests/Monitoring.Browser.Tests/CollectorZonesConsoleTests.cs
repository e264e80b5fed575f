using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>
/// Remote collector zones in the console (issue 22): the administrator creates a collector token bound to a zone in the
/// administration view; the "Collectors" tab shows the zone as never reported, then, once a node reports with that
/// token, ok with its last contact and backlog as the server's /healthz has them.
/// </summary>
public sealed class CollectorZonesConsoleTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private static readonly PageWaitForFunctionOptions Within20Seconds = new() { Timeout = 20_000 };
    private static readonly PageWaitForSelectorOptions Visible20Seconds = new() { Timeout = 20_000, State = WaitForSelectorState.Visible };

    [Fact]
    public async Task The_collectors_tab_shows_a_zone_never_reported_then_ok_with_its_last_contact_and_backlog()
    {
        var page = await fixture.OpenConsoleAsync(user: ConsoleFixture.AdminName);
        try
        {
            await page.ClickAsync("#admin-tab");
            await page.WaitForFunctionAsync("() => window.__admin && window.__admin.loaded()", null, Within20Seconds);
            await page.ClickAsync("#ad-tabs button[data-tab='tokens']");
            await page.WaitForFunctionAsync("() => window.__admin.tab() === 'tokens' && window.__admin.loaded()", null, Within20Seconds);

            // a collector token without a zone is refused in the page; with one, created and listed with it
            var zone = ConsoleFixture.UniqueName("room-b");
            var tokenName = ConsoleFixture.UniqueName("collector");
            await page.FillAsync("#ad-token-create input[name=name]", tokenName);
            await page.UncheckAsync("#ad-token-create input[name=scope][value='samples:write']");
            await page.CheckAsync("#ad-token-create input[name=scope][value='collector']");
            await page.ClickAsync("#ad-token-create button[type=submit]");
            await page.WaitForFunctionAsync("() => document.querySelector('#ad-status').classList.contains('error')", null, Within20Seconds);
            Assert.False(await page.EvaluateAsync<bool>("name => window.__admin.tokens().some(k => k.name === name)", tokenName));
            await page.FillAsync("#ad-token-create input[name=zone]", zone);
            await page.ClickAsync("#ad-token-create button[type=submit]");
            await page.WaitForSelectorAsync("#ad-secret", Visible20Seconds);
            var secret = await page.EvaluateAsync<string>("() => window.__admin.secret()");
            await page.WaitForFunctionAsync("name => window.__admin.tokens().some(k => k.name === name)", tokenName, Within20Seconds);
            var id = await page.EvaluateAsync<long>("name => window.__admin.tokens().find(k => k.name === name).id", tokenName);
            Assert.Equal(["collector"], await page.EvaluateAsync<string[]>("id => window.__admin.tokens().find(k => k.id === id).scopes", id));
            Assert.Contains(zone, await page.InnerTextAsync($"#ad-tokens tr[data-token='{id}']"), StringComparison.Ordinal);

            // the zone is remote from now on: shown, never reported
            await page.ClickAsync("#ad-tabs button[data-tab='collectors']");
            await page.WaitForFunctionAsync(
                "zone => window.__admin.tab() === 'collectors' && window.__admin.loaded() && window.__admin.zones().some(z => z.zone === zone)", zone, Within20Seconds);
            Assert.Equal("unknown", await page.GetAttributeAsync($"#co-zones tr[data-zone='{zone}']", "data-state"));

            // a node reports with the token: ok, its backlog shown as the server has it
            using (var node = new HttpClient { BaseAddress = fixture.BaseAddress })
            {
                node.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", secret);
                using var beat = await node.PostAsJsonAsync("/api/collectors/heartbeat", new
                {
                    zone,
                    version = "test",
                    backlogBytes = 3 * 1024 * 1024,
                    oldestUnsentSeconds = 95.0,
                    devices = 7,
                    polls = 40,
                    failures = 2,
                    samplesDropped = 0,
                    samplesPolled = 280,
                    failingDevices = new[] { new { id = "pdu-9", outcome = "Timeout", message = "no answer" } },
                });
                Assert.Equal(HttpStatusCode.NoContent, beat.StatusCode);
            }

            await page.ClickAsync("#ad-tabs button[data-tab='users']");
            await page.ClickAsync("#ad-tabs button[data-tab='collectors']");
            await page.WaitForFunctionAsync(
                "zone => window.__admin.loaded() && window.__admin.zones().some(z => z.zone === zone && z.state === 'ok')", zone, Within20Seconds);
            var shown = await page.EvaluateAsync<JsonElement>("zone => window.__admin.zones().find(z => z.zone === zone)", zone);
            Assert.Equal(3 * 1024 * 1024, shown.GetProperty("backlogBytes").GetInt64());
            Assert.Equal(95.0, shown.GetProperty("oldestUnsentSeconds").GetDouble());
            Assert.False(string.IsNullOrEmpty(shown.GetProperty("lastContact").GetString()));
            var row = await page.InnerTextAsync($"#co-zones tr[data-zone='{zone}']");
            Assert.Contains("3.0 MiB", row, StringComparison.Ordinal);
            Assert.Contains("40 / 2", row, StringComparison.Ordinal);
            Assert.Contains("pdu-9", await page.GetAttributeAsync($"#co-zones tr[data-zone='{zone}']", "title") ?? "", StringComparison.Ordinal);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
