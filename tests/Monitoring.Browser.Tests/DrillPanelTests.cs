using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>The console of a training session's host (session keys set, room demo) with the simulator on.</summary>
public sealed class DrillSessionConsoleFixture : ConsoleFixture
{
    protected override bool Simulator => true;

    protected override IEnumerable<string> ExtraArguments =>
    [
        "--Monitoring:Simulator:IntervalSeconds", "1",
        "--Monitoring:Training:Session:Id", "browser-drill",
        "--Monitoring:Training:Session:Name", "Drill panel",
        "--Monitoring:Training:Session:RoomId", "demo",
    ];
}

/// <summary>
/// The instructor's drill panel (issue 21, drillrun): the duty lead (RunDrills) picks the access-port-flapping drill,
/// starts it at 10x, pauses it (the page's drill clock stops at the server's paused drill time and both stay there),
/// resumes it (both run on from there), and resets it with the two-click confirmation (idle, "No drill started").
/// Every step is checked on the page and on the server (GET /api/training/drill).
/// </summary>
public sealed class DrillPanelTests(DrillSessionConsoleFixture fixture) : IClassFixture<DrillSessionConsoleFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private Task<JsonElement> StateAsync() => fixture.Http.GetFromJsonAsync<JsonElement>("/api/training/drill");

    private static string ClockText(double drillSeconds)
    {
        var seconds = (int)Math.Floor(drillSeconds);
        return $"{seconds / 60:00}:{seconds % 60:00}";
    }

    /// <summary>Waits until <paramref name="condition"/> (a JS expression over <c>panel</c> and <c>clock</c>) holds; on timeout tells what the panel and the server showed.</summary>
    private async Task WaitForPanelAsync(IPage page, string condition, string what, object? arg = null)
    {
        try
        {
            await page.WaitForFunctionAsync(
                $"(arg) => {{ const panel = document.querySelector('#drill-panel'); const clock = panel && panel.querySelector('[data-drill=clock]'); return !!panel && ({condition}); }}",
                arg,
                new PageWaitForFunctionOptions { Timeout = (float)Deadline.TotalMilliseconds, PollingInterval = 100 });
        }
        catch (TimeoutException)
        {
            var panel = await page.EvaluateAsync<string>("() => document.querySelector('#drill-panel')?.outerHTML ?? '(no panel)'");
            var server = await StateAsync();
            throw new InvalidOperationException($"The drill panel did not show {what} within {Deadline.TotalSeconds} s. Panel: {panel} Server: {server}");
        }
    }

    /// <summary>Reads GET /api/training/drill until <paramref name="condition"/> holds, or fails at the deadline with the last state.</summary>
    private async Task<JsonElement> WaitForServerAsync(Func<JsonElement, bool> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            var state = await StateAsync();
            if (condition(state))
            {
                return state;
            }

            if (DateTime.UtcNow > until)
            {
                throw new InvalidOperationException($"The server's drill state did not show {what} within {Deadline.TotalSeconds} s: {state}");
            }

            await Task.Delay(50); // the poll interval of a deadline-bound wait, as ServerFixture.EventuallyAsync
        }
    }

    [Fact]
    public async Task The_instructor_pauses_resumes_and_resets_the_drill_from_the_panel()
    {
        var page = await fixture.OpenConsoleAsync("en-US");
        try
        {
            await page.WaitForSelectorAsync("#drill-panel .drill-controls", new PageWaitForSelectorOptions { Timeout = (float)Deadline.TotalMilliseconds });
            await WaitForPanelAsync(page, "panel.dataset.status === 'idle'", "idle before the start");
            Assert.Equal("No drill started", await page.TextContentAsync("#drill-panel .drill-name"));
            Assert.Equal("idle", (await StateAsync()).GetProperty("status").GetString());

            // start at 10x: the clock runs (10 s of drill time in about a second of wall time)
            await page.SelectOptionAsync("[data-drill=pick]", "access-port-flapping");
            await page.ClickAsync("#drill-panel [data-speed='10']");
            await page.ClickAsync("[data-drill=start]");
            await WaitForPanelAsync(page, "panel.dataset.status === 'running' && clock.textContent >= '00:10'", "a running drill past 00:10");
            Assert.Equal("Access switch port flapping", await page.TextContentAsync("#drill-panel .drill-name"));
            var running = await StateAsync();
            Assert.Equal(("access-port-flapping", "running", 10.0),
                (running.GetProperty("drillId").GetString(), running.GetProperty("status").GetString(), running.GetProperty("speed").GetDouble()));

            // pause: the server's drill time stops; the page's clock shows it and the pause button turns into "Resume"
            await page.ClickAsync("[data-drill=pause]");
            var paused = await WaitForServerAsync(s => s.GetProperty("status").GetString() == "paused", "paused");
            var pausedSeconds = paused.GetProperty("drillSeconds").GetDouble();
            var pausedClock = ClockText(pausedSeconds);
            await WaitForPanelAsync(page, "panel.dataset.status === 'paused' && clock.textContent === arg", $"paused at {pausedClock}", pausedClock);
            Assert.Equal("Resume", await page.TextContentAsync("[data-drill=pause]"));

            // a second of wall time later (by the server's own clock) neither the drill time nor the page's clock moved
            var pausedAt = paused.GetProperty("at").GetDateTimeOffset();
            var later = await WaitForServerAsync(s => s.GetProperty("at").GetDateTimeOffset() >= pausedAt.AddSeconds(1), "a second after the pause");
            Assert.Equal(("paused", pausedSeconds), (later.GetProperty("status").GetString(), later.GetProperty("drillSeconds").GetDouble()));
            Assert.Equal(("paused", pausedClock),
                (await page.GetAttributeAsync("#drill-panel", "data-status"), await page.TextContentAsync("[data-drill=clock]")));

            // resume: the drill runs on from where it stopped, on the server and on the page
            await page.ClickAsync("[data-drill=pause]");
            var resumed = await WaitForServerAsync(
                s => s.GetProperty("status").GetString() == "running" && s.GetProperty("drillSeconds").GetDouble() >= pausedSeconds + 5,
                $"running again past {pausedSeconds + 5} s of drill time");
            Assert.Equal(("access-port-flapping", 10.0), (resumed.GetProperty("drillId").GetString(), resumed.GetProperty("speed").GetDouble()));
            var resumedClock = ClockText(pausedSeconds + 5);
            await WaitForPanelAsync(page, "panel.dataset.status === 'running' && clock.textContent >= arg", $"running past {resumedClock}", resumedClock);
            Assert.Equal("Pause", await page.TextContentAsync("[data-drill=pause]"));

            // reset asks once more (nothing happens on the first click), then the runner is idle again
            await page.ClickAsync("[data-drill=reset]");
            Assert.Equal("Really reset?", await page.TextContentAsync("[data-drill=reset]"));
            Assert.Equal("running", (await StateAsync()).GetProperty("status").GetString());
            await page.ClickAsync("[data-drill=reset]");
            var idle = await WaitForServerAsync(s => s.GetProperty("status").GetString() == "idle", "idle after the reset");
            Assert.Equal((JsonValueKind.Null, JsonValueKind.Null, 0),
                (idle.GetProperty("drillId").ValueKind, idle.GetProperty("drillSeconds").ValueKind, idle.GetProperty("active").GetArrayLength()));
            await WaitForPanelAsync(page, "panel.dataset.status === 'idle' && clock.textContent === '--:--'", "idle after the reset");
            Assert.Equal(("No drill started", "Reset"),
                (await page.TextContentAsync("#drill-panel .drill-name"), await page.TextContentAsync("[data-drill=reset]")));
            Assert.False(await page.IsDisabledAsync("[data-drill=start]"));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
