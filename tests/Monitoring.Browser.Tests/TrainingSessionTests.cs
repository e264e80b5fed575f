using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Monitoring.Server.Security;

namespace Monitoring.Browser.Tests;

/// <summary>The demo with its simulator: a training session of the demo room runs its own copy of it.</summary>
public sealed class TrainingSessionFixture : ConsoleFixture
{
    protected override bool Simulator => true;
}

/// <summary>
/// Issue 21: a trainee signs in on the live host (where they have no room), opens their session from the Training list,
/// sees the TRAINING frame on the session's console, sees the session's leak alarm, acknowledges it and locates the
/// device in 3D. The live console shows no frame.
/// </summary>
public sealed class TrainingSessionTests(TrainingSessionFixture fixture) : IClassFixture<TrainingSessionFixture>
{
    private static readonly PageWaitForFunctionOptions Within60Seconds = new() { Timeout = 60_000 };

    [Fact]
    public async Task A_trainee_opens_their_session_sees_the_training_frame_acknowledges_and_locates()
    {
        var instructorName = ConsoleFixture.UniqueName("instructor");
        var traineeName = ConsoleFixture.UniqueName("trainee");
        await fixture.CreateUserAsync(instructorName, Role.Instructor);
        await fixture.CreateUserAsync(traineeName, Role.Trainee);
        var instructor = await fixture.SignedInClientAsync(instructorName);
        JsonElement session;
        using (var created = await instructor.PostAsJsonAsync("/api/training/sessions", new { name = "漏水演练 leak", roomId = "demo", drillId = "raised-floor-leak", trainees = new[] { traineeName } }))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            session = await created.Content.ReadFromJsonAsync<JsonElement>();
        }

        var id = session.GetProperty("id").GetString()!;
        var sessionUrl = new Uri(session.GetProperty("url").GetString()!);

        // the session's own simulator plays the leak (the administrator's cookie is good on the session's address; the
        // anti-forgery token is the session host's own, as the console fetches it there: the session host's user carries
        // the session's claims, so the live host's token is not theirs)
        var onSession = await fixture.Http.GetFromJsonAsync<JsonElement>(new Uri(sessionUrl, "/api/auth/session"));
        using (var request = new HttpRequestMessage(HttpMethod.Post, new Uri(sessionUrl, "/api/simulator/scenarios/leak")))
        {
            request.Headers.Add(ConsoleFixture.AntiforgeryHeader, onSession.GetProperty("antiforgery").GetString());
            using var leak = await fixture.Http.SendAsync(request);
            Assert.True(leak.StatusCode == HttpStatusCode.NoContent, $"{leak.StatusCode} {await leak.Content.ReadAsStringAsync()}");
        }

        await using var context = await fixture.NewSignedInContextAsync(traineeName, new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1024, Height = 700 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);

        // the live host: no room for a trainee, the Training list open with the session's link; no frame here
        await page.GotoAsync(fixture.BaseAddress.ToString());
        var link = page.Locator($"a[data-session-link='{id}']");
        await link.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        Assert.Equal(0, await page.Locator("#training-banner").CountAsync());
        await link.ClickAsync();

        // the session's console: the room drawn, the TRAINING frame and banner with the session's name
        await page.WaitForFunctionAsync("() => window.__room && window.__room.ready", null, Within60Seconds);
        Assert.Equal(sessionUrl.Port, new Uri(page.Url).Port);
        var banner = page.Locator("#training-banner");
        await banner.WaitForAsync(new LocatorWaitForOptions { Timeout = 20_000 });
        Assert.True(await banner.IsVisibleAsync());
        var text = await banner.TextContentAsync();
        Assert.Contains("TRAINING", text, StringComparison.Ordinal);
        Assert.Contains("培训", text, StringComparison.Ordinal);
        Assert.Contains("漏水演练 leak", text, StringComparison.Ordinal);
        Assert.True(await page.Locator("#training-frame").IsVisibleAsync());

        // the session's alarm: listed, located in 3D by clicking its row, acknowledged in the UI
        await page.WaitForFunctionAsync("() => window.__alarms && window.__alarms.ready", null, Within60Seconds);
        await page.WaitForFunctionAsync("() => window.__alarms.list().some(a => a.deviceId === 'leak-1' && a.ruleId === 'water-leak')", null, Within60Seconds);
        var alarmId = await page.EvaluateAsync<long>("() => window.__alarms.list().find(a => a.deviceId === 'leak-1' && a.ruleId === 'water-leak').id");
        await page.ClickAsync("#alarm-toggle");
        var row = $"#alarm-rows tr[data-alarm-id='{alarmId}']";
        await page.WaitForSelectorAsync(row, new PageWaitForSelectorOptions { Timeout = 20_000 });
        await page.ClickAsync($"{row} td:nth-child(2)");
        await page.WaitForFunctionAsync("d => window.__room.selectedDeviceId() === d", "leak-1", Within60Seconds);

        await page.Locator($"{row} button[data-action='ack']").DispatchEventAsync("click");
        await page.WaitForSelectorAsync("#alarm-dialog[open]", new PageWaitForSelectorOptions { Timeout = 20_000 });
        await page.FillAsync("#alarm-dialog-text", "学员 已看到漏水");
        await page.ClickAsync("#alarm-dialog-ok");
        await page.WaitForFunctionAsync("id => window.__alarms.list().find(a => a.id === id)?.acknowledged === true", alarmId, Within60Seconds);
        Assert.True(await page.Locator("#training-frame").IsVisibleAsync(), "the TRAINING frame stays while the trainee works");
        Assert.True(await banner.IsVisibleAsync());

        // acknowledged in the session, by the trainee; the live host has no such alarm
        var acknowledged = await fixture.Http.GetFromJsonAsync<JsonElement>(new Uri(sessionUrl, $"/api/alarms/{alarmId}"));
        Assert.Equal(traineeName, acknowledged.GetProperty("alarm").GetProperty("acknowledgement").GetProperty("by").GetString());
        var live = await fixture.Http.GetFromJsonAsync<JsonElement>("/api/alarms");
        Assert.DoesNotContain(live.EnumerateArray(), a => a.GetProperty("ruleId").GetString() == "water-leak");
        Assert.True(errors.Count == 0, "page errors: " + string.Join(" | ", errors));

        using var ended = await instructor.DeleteAsync($"/api/training/sessions/{id}");
        Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
    }
}
