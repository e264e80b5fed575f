using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>The console's server as a training session's host (Monitoring:Training:Session:Id set), the duty lead invited as a trainee.</summary>
public sealed class QuizSessionFixture : ConsoleFixture
{
    protected override IEnumerable<string> ExtraArguments =>
    [
        "--Monitoring:Training:Session:Id", "browser-quiz",
        "--Monitoring:Training:Session:Name", "locate quiz",
        "--Monitoring:Training:Session:RoomId", "demo",
        "--Monitoring:Training:Session:Trainees:0", DutyLeadName,
    ];
}

/// <summary>
/// Issue 21's "done when": a locate quiz answered by clicking the right port in 3D scores, a wrong click does not. The
/// instructor poses the quiz over the API; the trainee's console shows it as a banner, and the next click on a port
/// in the 3D scene (a real mouse click at the port's place on screen) answers it.
/// </summary>
public sealed class LocateQuizTests(QuizSessionFixture fixture) : IClassFixture<QuizSessionFixture>
{
    private static readonly PageWaitForFunctionOptions Within30Seconds = new() { Timeout = 30_000 };

    [Fact]
    public async Task A_locate_quiz_answered_by_clicking_the_right_port_scores_and_a_wrong_click_does_not()
    {
        var page = await fixture.OpenConsoleAsync();
        try
        {
            await page.WaitForFunctionAsync("() => window.__room.hubState() === 'connected' && window.__quiz && window.__quiz.ready", null, Within30Seconds);

            // the camera goes close to the switch's port (a deep link selects but answers nothing: only a click does)
            await page.EvaluateAsync("() => { location.hash = '#port/asw-a02:24'; }");
            await page.WaitForFunctionAsync("() => window.__room.selectedPort() === 24 && window.__room.cameraIdle()", null, Within30Seconds);

            var first = await PoseAsync();
            await page.WaitForFunctionAsync("id => window.__quiz.current() === id", first, Within30Seconds);
            var banner = await page.InnerTextAsync("#quiz-banner");
            Assert.Contains("GigabitEthernet0/0/24", banner, StringComparison.Ordinal);
            Assert.Contains("A02", banner, StringComparison.Ordinal);

            await ClickPortAsync(page, 24);
            await page.WaitForFunctionAsync("id => window.__quiz.lastResult() && window.__quiz.lastResult().quizId === id", first, Within30Seconds);
            var right = await page.EvaluateAsync<JsonElement>("() => window.__quiz.lastResult()");
            Assert.True(right.GetProperty("correct").GetBoolean());
            Assert.Equal(10, right.GetProperty("earned").GetInt32());
            Assert.Equal("right", await page.GetAttributeAsync("#quiz-banner", "data-state"));

            // a second quiz on the same port: this time the click lands on the port next to it
            var second = await PoseAsync();
            await page.WaitForFunctionAsync("id => window.__quiz.current() === id", second, Within30Seconds);
            await ClickPortAsync(page, 23);
            await page.WaitForFunctionAsync("id => window.__quiz.lastResult() && window.__quiz.lastResult().quizId === id", second, Within30Seconds);
            var wrong = await page.EvaluateAsync<JsonElement>("() => window.__quiz.lastResult()");
            Assert.False(wrong.GetProperty("correct").GetBoolean());
            Assert.Equal(0, wrong.GetProperty("earned").GetInt32());
            Assert.Equal("wrong", await page.GetAttributeAsync("#quiz-banner", "data-state"));

            // the server's record agrees: the board scores the first and not the second; the clicks were recorded as locates
            var board = await fixture.Http.GetFromJsonAsync<JsonElement>(new Uri("/api/training/board", UriKind.Relative));
            var trainee = board.GetProperty("trainees").EnumerateArray().Single(t => t.GetProperty("user").GetString() == ConsoleFixture.DutyLeadName);
            var quizzes = trainee.GetProperty("quizzes").EnumerateArray().ToDictionary(q => q.GetProperty("quizId").GetString()!);
            Assert.Equal((true, 10), (quizzes[first].GetProperty("correct").GetBoolean(), quizzes[first].GetProperty("earned").GetInt32()));
            Assert.Equal((false, 0), (quizzes[second].GetProperty("correct").GetBoolean(), quizzes[second].GetProperty("earned").GetInt32()));
            var report = await fixture.Http.GetFromJsonAsync<JsonElement>(new Uri("/api/training/report", UriKind.Relative));
            var timeline = report.GetProperty("trainees").EnumerateArray().Single(t => t.GetProperty("user").GetString() == ConsoleFixture.DutyLeadName)
                .GetProperty("timeline").EnumerateArray().ToList();
            Assert.Contains(timeline, a => a.GetProperty("kind").GetString() == "locate" && a.GetProperty("deviceId").GetString() == "asw-a02" && a.GetProperty("port").GetInt32() == 24);
            Assert.Contains(timeline, a => a.GetProperty("kind").GetString() == "locate" && a.GetProperty("port").GetInt32() == 23);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private async Task<string> PoseAsync()
    {
        using var posed = await fixture.Http.PostAsJsonAsync(new Uri("/api/training/quizzes", UriKind.Relative), new { deviceId = "asw-a02", port = 24 });
        Assert.Equal(HttpStatusCode.Created, posed.StatusCode);
        return (await posed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>A real mouse click where the port is drawn, after checking the scene would pick that very port there.</summary>
    private static async Task ClickPortAsync(IPage page, int port)
    {
        var at = await page.EvaluateAsync<JsonElement>("p => window.__room.portScreenPosition('asw-a02', p)", port);
        Assert.True(at.GetProperty("visible").GetBoolean(), $"port {port} is on screen");
        var x = at.GetProperty("x").GetDouble();
        var y = at.GetProperty("y").GetDouble();
        var hit = await page.EvaluateAsync<JsonElement>("([x, y]) => window.__room.pickAt(x, y)", new[] { x, y });
        Assert.Equal(("port", "asw-a02", port), (hit.GetProperty("type").GetString(), hit.GetProperty("deviceId").GetString(), hit.GetProperty("index").GetInt32()));
        await page.Mouse.ClickAsync((float)x, (float)y);
    }
}
