using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>
/// Issue 21's time slider on the live console: a port recorded down for two minutes some minutes ago (written through
/// the line protocol with those timestamps, up again since). Dragging the slider into the fault paints the port down,
/// with the read-only HISTORY badge and no acknowledge button; "Back to live" paints it up again.
/// </summary>
public sealed class TimeSliderTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private static readonly PageWaitForFunctionOptions Within20Seconds = new() { Timeout = 20_000 };

    [Fact]
    public async Task Dragging_the_slider_into_a_recorded_fault_draws_the_port_down_and_back_to_live_draws_it_up()
    {
        var room = await fixture.FirstRoomAsync();
        var roomId = room.GetProperty("id").GetString()!;
        var device = room.GetProperty("devices").EnumerateArray().First(d => d.GetProperty("model").GetString() is { } m
            && room.GetProperty("models").EnumerateArray().Any(x => x.GetProperty("id").GetString() == m && x.GetProperty("kind").GetString() == "switch" && x.GetProperty("ports").GetArrayLength() >= 40));
        var id = device.GetProperty("id").GetString()!;
        var model = room.GetProperty("models").EnumerateArray().First(x => x.GetProperty("id").GetString() == device.GetProperty("model").GetString());
        var port = model.GetProperty("ports")[37].GetProperty("index").GetInt32();
        var now = DateTimeOffset.UtcNow;
        var (up, down, upAgain) = (now.AddMinutes(-10), now.AddMinutes(-8), now.AddMinutes(-6));
        foreach (var (at, oper) in new[] { (up, 1), (down, 2), (upAgain, 1) })
        {
            await WriteAsync($"interface,device={id},port={port} admin_status=1i,oper_status={oper}i {at.ToUnixTimeMilliseconds()}");
        }

        // the history holds the fault once the writes are flushed into it
        var inFault = now.AddMinutes(-7);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await ReplayedStatusAsync(roomId, id, port, inFault) != "down")
        {
            Assert.True(DateTime.UtcNow < until, "the recorded fault did not reach the history");
            await Task.Yield();
        }

        var page = await fixture.OpenConsoleAsync("en-US");
        try
        {
            await page.WaitForFunctionAsync("([d, i]) => window.__room.portStatus(d, i) === 'ok'", new object[] { id, port }, Within20Seconds);
            var downColour = await page.EvaluateAsync<string>("() => window.__room.statusColors.down");
            var okColour = await page.EvaluateAsync<string>("() => window.__room.statusColors.ok");

            await page.ClickAsync("#ts-toggle");
            await page.WaitForFunctionAsync("() => window.__replay.active() && window.__replay.settled()", null, Within20Seconds);
            Assert.True(await page.IsVisibleAsync("#timeslider"));

            // drag: the range's value is seconds from the slider's start, as the user's thumb sets it
            var from = DateTimeOffset.Parse(await page.EvaluateAsync<string>("() => window.__replay.from()"), CultureInfo.InvariantCulture);
            var seconds = (long)(inFault - from).TotalSeconds;
            var handle = await page.QuerySelectorAsync("#ts-range");
            await page.EvaluateAsync("([el, v]) => { el.value = String(v); el.dispatchEvent(new Event('input', { bubbles: true })); }", new object[] { handle!, seconds });
            await page.WaitForFunctionAsync("([d, i, c]) => window.__replay.settled() && window.__room.portColor(d, i) === c", new object[] { id, port, downColour }, Within20Seconds);
            Assert.Equal("down", await page.EvaluateAsync<string>("([d, i]) => window.__room.portStatus(d, i)", new object[] { id, port }));
            Assert.StartsWith("HISTORY ", (await page.InnerTextAsync("#ts-badge")).Trim(), StringComparison.Ordinal);
            Assert.Contains("history-mode", await page.GetAttributeAsync("body", "class") ?? string.Empty, StringComparison.Ordinal);
            Assert.False(await page.IsVisibleAsync("#alarm-banner [data-action=ack]"));

            await page.ClickAsync("#ts-live");
            await page.WaitForFunctionAsync("([d, i, c]) => !window.__replay.active() && window.__room.portColor(d, i) === c", new object[] { id, port, okColour }, Within20Seconds);
            Assert.DoesNotContain("history-mode", await page.GetAttributeAsync("body", "class") ?? string.Empty, StringComparison.Ordinal);
            Assert.False(await page.IsVisibleAsync("#timeslider"));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private async Task<string?> ReplayedStatusAsync(string roomId, string device, int port, DateTimeOffset at)
    {
        var text = Uri.EscapeDataString(at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        var answer = await fixture.Http.GetFromJsonAsync<JsonElement>($"/api/replay/rooms/{roomId}/at?t={text}");
        return answer.GetProperty("ports").EnumerateArray()
            .Single(p => p.GetProperty("device").GetString() == device && p.GetProperty("index").GetInt32() == port).GetProperty("status").GetString();
    }

    private async Task WriteAsync(string line)
    {
        using var content = new StringContent(line + "\n", Encoding.UTF8, "text/plain");
        using var response = await fixture.Ingest.PostAsync(new Uri("/api/v2/write?bucket=tests&precision=ms", UriKind.Relative), content);
        Assert.True(response.IsSuccessStatusCode, $"write '{line}': HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
