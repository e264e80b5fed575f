using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>
/// Issue 14 in the browser: the hub sends a device's values only to consoles that subscribed to it, so the console
/// subscribes to the device whose panel is open, shows its values live, and unsubscribes when the panel closes.
/// </summary>
public sealed class LiveValuesTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private static readonly PageWaitForFunctionOptions Within20Seconds = new() { Timeout = 20_000 };

    [Fact]
    public async Task The_open_panel_subscribes_to_its_device_shows_its_values_live_and_unsubscribes_when_closed()
    {
        var room = await fixture.FirstRoomAsync();
        // a server: its panel lists memory.usage
        var device = room.GetProperty("devices").EnumerateArray().First(d => d.GetProperty("kind").GetString() == "server");
        var id = device.GetProperty("id").GetString()!;
        var page = await fixture.OpenConsoleAsync();
        try
        {
            await page.WaitForFunctionAsync("() => window.__room.hubState() === 'connected'", null, Within20Seconds);
            Assert.Null(await page.EvaluateAsync<string?>("() => window.__room.subscribedDeviceId()"));

            await page.FillAsync("#search", device.GetProperty("name").GetString()!);
            await page.PressAsync("#search", "Enter");
            await page.WaitForSelectorAsync("#panel:not([hidden])", new PageWaitForSelectorOptions { Timeout = 20_000 });
            await page.WaitForFunctionAsync("id => window.__room.subscribedDeviceId() === id", id, Within20Seconds);

            await WriteLineProtocolAsync($"memory,device={id} usage=42.5");
            await page.WaitForFunctionAsync(
                "() => document.querySelector('#panel-body tr[data-key=\"|memory.usage\"]')?.cells[2]?.textContent.includes('42.5')", null, Within20Seconds);

            await page.ClickAsync("#panel-close");
            await page.WaitForFunctionAsync("() => window.__room.subscribedDeviceId() === null", null, Within20Seconds);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private async Task WriteLineProtocolAsync(string line)
    {
        using var content = new StringContent(line + "\n", Encoding.UTF8, "text/plain");
        using var response = await fixture.Ingest.PostAsync(new Uri("/api/v2/write?bucket=tests", UriKind.Relative), content);
        Assert.True(response.IsSuccessStatusCode, $"write '{line}': HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
