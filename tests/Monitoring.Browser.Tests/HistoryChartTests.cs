using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>The side panel's trend chart: history from /api/series, several series, range buttons.</summary>
public sealed class HistoryChartTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private static readonly PageWaitForFunctionOptions Within20Seconds = new() { Timeout = 20_000 };

    [Fact]
    public async Task A_servers_panel_charts_its_cpu_and_memory_history_and_switches_range()
    {
        var room = await fixture.FirstRoomAsync();
        var device = room.GetProperty("devices").EnumerateArray().First(d => d.GetProperty("kind").GetString() == "server");
        var id = device.GetProperty("id").GetString()!;
        var name = device.GetProperty("name").GetString()!;
        const int Points = 30;
        var now = DateTimeOffset.UtcNow;
        var lines = Enumerable.Range(0, Points).SelectMany(i =>
        {
            var ns = now.AddMinutes(1 - (2 * (Points - i))).ToUnixTimeMilliseconds() * 1_000_000;
            return new[]
            {
                $"cpu,device={id} usage={(20 + i).ToString(CultureInfo.InvariantCulture)} {ns}",
                $"memory,device={id} usage={(50 + (i % 5)).ToString(CultureInfo.InvariantCulture)} {ns}",
            };
        });
        using (var content = new StringContent(string.Join('\n', lines) + "\n", Encoding.UTF8, "text/plain"))
        using (var response = await fixture.Ingest.PostAsync(new Uri("/api/v2/write?bucket=tests", UriKind.Relative), content))
        {
            Assert.True(response.IsSuccessStatusCode, $"write: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // the history is on disk before the page asks for it (the writer flushes every second)
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var history = JsonDocument.Parse(await fixture.Http.GetStringAsync(new Uri($"/api/series?device={Uri.EscapeDataString(id)}&metric=cpu.usage", UriKind.Relative)));
            if (history.RootElement.GetProperty("points").GetArrayLength() >= Points)
            {
                break;
            }

            await Task.Delay(100);
        }

        var page = await fixture.OpenConsoleAsync();
        try
        {
            await page.FillAsync("#search", name);
            await page.PressAsync("#search", "Enter");
            await page.WaitForFunctionAsync("id => window.__room.selectedDeviceId() === id", id, Within20Seconds);
            await page.WaitForSelectorAsync("#trend canvas", new PageWaitForSelectorOptions { Timeout = 20_000 });
            try
            {
                await page.WaitForFunctionAsync("n => window.__room.trendLoaded() && window.__room.chartPointCount() >= n", 2 * Points, Within20Seconds);
            }
            catch (TimeoutException)
            {
                var seen = await page.EvaluateAsync<string>(
                    "() => JSON.stringify({ loaded: window.__room.trendLoaded(), points: window.__room.chartPointCount(), series: window.__room.chartSeries() })");
                Assert.Fail($"the chart did not show the history; it shows {seen}");
            }

            var series = await page.EvaluateAsync<string[]>("() => window.__room.chartSeries()");
            Assert.Equal(["cpu.usage", "memory.usage"], series);
            Assert.Equal(2 * Points, await page.EvaluateAsync<int>("() => window.__room.chartPointCount()"));
            Assert.Equal("1h", await page.EvaluateAsync<string>("() => window.__room.trendRange()"));

            await page.ClickAsync("#trend-ranges button[data-range='24h']");
            await page.WaitForFunctionAsync("() => window.__room.trendRange() === '24h' && window.__room.trendLoaded()", null, Within20Seconds);

            // a day reads the 1-minute rollups: one point per minute that had a sample
            Assert.Equal(2 * Points, await page.EvaluateAsync<int>("() => window.__room.chartPointCount()"));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
