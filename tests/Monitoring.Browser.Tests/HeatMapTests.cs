using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>
/// The temperature heat map (issue 23) in the real console against the demo server with its simulator: it toggles
/// (button, legend, overlay), it finds the room's temperature points, and after the scripted cooling failure the colour
/// drawn at a rack front (read back from the WebGL canvas) moves toward hot.
/// </summary>
public sealed class HeatMapTests(DemoConsoleFixture fixture) : IClassFixture<DemoConsoleFixture>
{
    private const string Rack = "a02"; // a rack with its own cabinet-door T/H sensor (th-a02): its inlet
    private static readonly PageWaitForFunctionOptions Within60Seconds = new() { Timeout = 60_000, PollingInterval = 250 };

    [Theory]
    [InlineData("zh-CN", "温度云图", "温度 (°C)")]
    [InlineData("en-US", "Heat map", "Temperature (°C)")]
    public async Task The_heat_map_toggle_and_legend_speak_the_console_language(string locale, string toggle, string legend)
    {
        var page = await fixture.OpenConsoleAsync(locale);
        try
        {
            await page.WaitForFunctionAsync("() => window.__room && window.__room.ready && window.__heatmap", null, Within60Seconds);
            Assert.Equal(toggle, (await page.TextContentAsync("#heatmap-toggle"))?.Trim());
            await page.ClickAsync("#heatmap-toggle");
            await page.WaitForFunctionAsync("() => window.__heatmap.visible() && window.__heatmap.updates() > 0", null, Within60Seconds);
            Assert.True(await page.IsVisibleAsync("#heatmap-legend"));
            Assert.Equal(legend, (await page.TextContentAsync("#heatmap-legend [data-i18n='hm.legend']"))?.Trim());
            await page.ClickAsync("#heatmap-toggle");
            await page.WaitForFunctionAsync("() => !window.__heatmap.visible()", null, Within60Seconds);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_heat_map_toggles_and_a_rack_front_turns_hot_after_a_cooling_failure()
    {
        var page = await fixture.OpenConsoleAsync("en-US");
        try
        {
            await page.WaitForFunctionAsync("() => window.__room && window.__room.ready && window.__heatmap", null, Within60Seconds);
            Assert.False(await page.EvaluateAsync<bool>("() => window.__heatmap.visible()"));
            await page.ClickAsync("#heatmap-toggle");
            await page.WaitForFunctionAsync(
                "() => window.__heatmap.visible() && window.__heatmap.sources().length >= 5 && window.__heatmap.sources().every(s => s.value !== null) && window.__heatmap.updates() > 0",
                null, Within60Seconds);
            Assert.True(await page.IsVisibleAsync("#heatmap-legend"));
            Assert.Equal("true", await page.GetAttributeAsync("#heatmap-toggle", "aria-pressed"));
            var sources = await page.EvaluateAsync<string[]>("() => window.__heatmap.sources().map(s => s.id)");
            Assert.Contains("th-a02", sources);
            Assert.DoesNotContain(sources, s => s.StartsWith("leak", StringComparison.Ordinal)); // a leak probe reports no temperature

            var before = await page.EvaluateAsync<int[]>($"() => window.__heatmap.pixelAtRack('{Rack}')");
            var inletBefore = await page.EvaluateAsync<double>($"() => window.__heatmap.inletOf('{Rack}')");
            // the demo's inlets swing 21.5-24.5 °C: the comfortable band, drawn green (blue-green to yellow-green) before the failure
            Assert.True(before[1] > before[0] && before[1] > before[2], $"a rack front at {inletBefore:0.0} °C should start comfortable (green over red and blue): rgba({string.Join(",", before)})");

            using (var run = await fixture.Http.PostAsync(new Uri("/api/simulator/scenarios/cooling-failure", UriKind.Relative), null))
            {
                Assert.True(run.IsSuccessStatusCode, $"cooling-failure: HTTP {(int)run.StatusCode} {await run.Content.ReadAsStringAsync()}");
            }

            // the door sensor warms by about 2 °C a minute without cooling: wait (with a deadline) for the drawn colour to follow
            await page.WaitForFunctionAsync(
                "([rack, r0, b0]) => { const p = window.__heatmap.pixelAtRack(rack); return p !== null && (p[0] - p[2]) >= (r0 - b0) + 60; }",
                new object[] { Rack, before[0], before[2] },
                new PageWaitForFunctionOptions { Timeout = 300_000, PollingInterval = 1000 });
            var after = await page.EvaluateAsync<int[]>($"() => window.__heatmap.pixelAtRack('{Rack}')");
            var inletAfter = await page.EvaluateAsync<double>($"() => window.__heatmap.inletOf('{Rack}')");
            Assert.True(inletAfter > inletBefore, $"inlet {inletBefore:0.0} → {inletAfter:0.0} °C");
            Assert.True(after[0] > before[0], $"rgba({string.Join(",", before)}) → rgba({string.Join(",", after)})");

            await page.ClickAsync("#heatmap-toggle");
            await page.WaitForFunctionAsync("() => !window.__heatmap.visible()", null, Within60Seconds);
            Assert.False(await page.IsVisibleAsync("#heatmap-legend"));
        }
        finally
        {
            using (await fixture.Http.PostAsync(new Uri("/api/simulator/scenarios/cooling-restore", UriKind.Relative), null))
            {
            }

            await page.Context.CloseAsync();
        }
    }
}
