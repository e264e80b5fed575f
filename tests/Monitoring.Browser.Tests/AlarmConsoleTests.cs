using System.Net;
using System.Text;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>
/// The alarm console against the real server: a port goes down (line protocol into the pipeline), the console shows the
/// flashing banner, lists the alarm, blinks the port in the 3D room with a beacon on its rack, plays the sound once the
/// operator enabled it, and acknowledging in the UI stops the banner, the sound and the blinking. The operator is signed
/// in: the acknowledgement carries their name without the console asking who they are.
/// </summary>
public sealed class AlarmConsoleTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private const string Switch = "asw-a01";
    private const int Port = 17;
    private static readonly PageWaitForFunctionOptions Within20Seconds = new() { Timeout = 20_000 };

    private async Task WriteAsync(string lines)
    {
        using var content = new StringContent(lines, Encoding.UTF8, "text/plain");
        using var response = await fixture.Ingest.PostAsync(new Uri("/api/v2/write?bucket=b&org=o", UriKind.Relative), content);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"write: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task A_port_down_alarm_flashes_lists_blinks_and_sounds_until_acknowledged_in_the_console()
    {
        var room = await fixture.FirstRoomAsync();
        var rack = room.GetProperty("devices").EnumerateArray().First(d => d.GetProperty("id").GetString() == Switch).GetProperty("rack").GetString()!;
        // every device reports now and then (nothing else feeds this server): no absence alarm joins in while the test runs
        var ids = room.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToList();
        var heartbeat = string.Join('\n', ids.Select(d => $"heartbeat,device={d} alive=1i"));
        using var stop = new CancellationTokenSource();
        await WriteAsync(heartbeat);
        var beating = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(5_000, stop.Token);
                    await WriteAsync(heartbeat);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
        var page = await fixture.OpenConsoleAsync(user: ConsoleFixture.OperatorName);
        var console = new List<string>();
        page.Console += (_, m) => console.Add($"{m.Type}: {m.Text}");
        try
        {
            await page.WaitForFunctionAsync("() => window.__alarms && window.__alarms.ready", null, Within20Seconds);
            Assert.False(await page.EvaluateAsync<bool>("() => window.__alarms.bannerVisible()"));
            Assert.False(await page.EvaluateAsync<bool>("() => window.__alarms.audioPlaying()"));

            // the operator enables sound (a user gesture: browsers refuse audio without one)
            await page.ClickAsync("#alarm-sound");
            await page.WaitForFunctionAsync("() => window.__alarms.audioEnabled()", null, Within20Seconds);
            Assert.True(await page.IsHiddenAsync("#alarm-sound"));

            // the port goes down while administratively up: the port-down rule raises a major alarm
            await WriteAsync($"interface,device={Switch},port={Port} admin_status=1i");
            await WriteAsync($"interface,device={Switch},port={Port} oper_status=2i");

            await page.WaitForFunctionAsync(
                "([d, p]) => window.__alarms.list().some(a => a.deviceId === d && a.port === p && a.ruleId === 'port-down')",
                new object[] { Switch, Port }, Within20Seconds);
            await page.WaitForFunctionAsync("() => window.__alarms.bannerVisible()", null, Within20Seconds);
            Assert.Equal("major", await page.GetAttributeAsync("#alarm-banner", "data-severity"));
            Assert.Contains("GigabitEthernet", await page.InnerTextAsync("#alarm-banner-target"), StringComparison.Ordinal);

            // the 3D room: the port glows orange and blinks, its rack has a beacon
            await page.WaitForFunctionAsync("([d, p]) => window.__room.alarmState(d, p)?.blinking === true", new object[] { Switch, Port }, Within20Seconds);
            Assert.Equal("major", await page.EvaluateAsync<string>("([d, p]) => window.__room.alarmState(d, p).severity", new object[] { Switch, Port }));
            Assert.True(await page.EvaluateAsync<bool>("r => window.__room.beacon(r)?.blinking === true", rack));

            // the sound repeats
            await page.WaitForFunctionAsync("() => window.__alarms.audioPlaying() && window.__alarms.beeps() >= 1", null, Within20Seconds);
            Assert.Equal("major", await page.EvaluateAsync<string>("() => window.__alarms.playingSeverity()"));

            // the list shows it; clicking the row flies to the device
            await page.ClickAsync("#alarm-toggle");
            var id = await page.EvaluateAsync<long>("([d, p]) => window.__alarms.list().find(a => a.deviceId === d && a.port === p).id", new object[] { Switch, Port });
            var row = $"#alarm-rows tr[data-alarm-id='{id}']";
            await page.WaitForSelectorAsync(row, new PageWaitForSelectorOptions { Timeout = 20_000 });
            await page.ClickAsync($"{row} td:nth-child(2)");
            await page.WaitForFunctionAsync("d => window.__room.selectedDeviceId() === d", Switch, Within20Seconds);

            // filter: minor only hides it, all severities shows it again
            await page.SelectOptionAsync("#alarm-filter-severity", "minor");
            Assert.Equal(0, await page.Locator(row).CountAsync());
            await page.SelectOptionAsync("#alarm-filter-severity", string.Empty);
            Assert.Equal(1, await page.Locator(row).CountAsync());

            // acknowledge in the UI with a comment: the dialog no longer asks who, the signed-in operator is the one
            // (dispatched: the row is redrawn whenever an alarm message arrives, which Playwright's "stable" check can chase forever)
            await page.Locator($"{row} button[data-action='ack']").DispatchEventAsync("click");
            await page.WaitForSelectorAsync("#alarm-dialog[open]", new PageWaitForSelectorOptions { Timeout = 20_000 });
            Assert.Equal(0, await page.Locator("#alarm-dialog-user").CountAsync());
            await page.FillAsync("#alarm-dialog-text", "已派人检查跳线");
            await page.ClickAsync("#alarm-dialog-ok");

            try
            {
                await page.WaitForFunctionAsync("id => window.__alarms.list().find(a => a.id === id)?.acknowledged === true", id, Within20Seconds);
            }
            catch (TimeoutException)
            {
                var seen = await page.EvaluateAsync<string>(
                    "id => JSON.stringify({ dialogOpen: document.getElementById('alarm-dialog').open, error: document.getElementById('alarm-error').textContent, dialogError: document.getElementById('alarm-dialog-error').textContent, alarm: window.__alarms.list().find(a => a.id === id) })", id);
                Assert.Fail($"the acknowledgement did not show: {seen}; console: {string.Join(" | ", console)}");
            }
            await page.WaitForFunctionAsync("() => !window.__alarms.bannerVisible() && !window.__alarms.audioPlaying()", null, Within20Seconds);
            await page.WaitForFunctionAsync("([d, p]) => window.__room.alarmState(d, p)?.blinking === false", new object[] { Switch, Port }, Within20Seconds);

            var detail = await fixture.Http.GetStringAsync(new Uri($"/api/alarms/{id}", UriKind.Relative));
            Assert.Contains(ConsoleFixture.OperatorName, detail, StringComparison.Ordinal);
            Assert.Contains("已派人检查跳线", detail, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            await beating;
            await page.Context.CloseAsync();
        }
    }
}
