using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Core.Training;
using Monitoring.Server.Security;
using Monitoring.Server.Training.Scoring;
using Monitoring.Storage.Training;

namespace Monitoring.Server.Tests.Training;

/// <summary>
/// A drill clock the test moves by hand, so that scoring is tested at chosen drill times: registered before the
/// modules, it takes the place of the drill runner as the host's <see cref="IDrillClock"/>.
/// </summary>
public sealed class ManualDrillClock : IDrillClock
{
    private long _nowMs = -1;

    public string? DrillId { get; set; }

    public TimeSpan? Now
    {
        get => Interlocked.Read(ref _nowMs) is var ms and >= 0 ? TimeSpan.FromMilliseconds(ms) : null;
        set => Interlocked.Exchange(ref _nowMs, value is { } v ? (long)v.TotalMilliseconds : -1);
    }
}

/// <summary>
/// A training session's host (a plain server started with Monitoring:Training:Session:Id and its trainees), with the
/// demo simulator running and the drill "UPS on battery at night" playing on a clock the test sets.
/// </summary>
public sealed class ScoringSessionFixture : ServerFixture
{
    public const string SessionId = "s-score";
    public const string Ann = "ann.trainee";
    public const string Bob = "bob.trainee";
    public const string Ivy = "ivy.instructor";

    /// <summary>An invited trainee whose name has a comma and quotes: the CSV must keep it whole.</summary>
    public const string Quoted = "Li, \"Wei\"";

    public ScoringSessionFixture()
        : base([
            "--Monitoring:Simulator:IntervalSeconds", "1",
            "--Monitoring:Training:Session:Id", SessionId,
            "--Monitoring:Training:Session:Name", "scoring",
            "--Monitoring:Training:Session:RoomId", "demo",
            "--Monitoring:Training:Session:DrillId", "ups-on-battery-night",
            "--Monitoring:Training:Session:Instructor", Ivy,
            "--Monitoring:Training:Session:Trainees:0", Ann,
            "--Monitoring:Training:Session:Trainees:1", Bob,
            "--Monitoring:Training:Session:Trainees:2", Quoted,
        ])
    {
    }

    public override bool Simulator => true;

    public ManualDrillClock Clock { get; } = new();

    public TrainingStore Store => App.Services.GetRequiredService<TrainingStore>();

    protected override void Configure(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IDrillClock>(Clock);
    }
}

/// <summary>
/// Issue 21, quizzes and scores, in a session host with real parts: the simulator's mains failure raises the real
/// "UPS on battery" alarm, a trainee acknowledges it over REST, and the activity log (fed by the alarm engine's
/// events with their user) is what <see cref="ExpectationScorer"/> scores on the board; locates are kept before their
/// 2xx; quizzes are scored once per trainee; the report's CSV parses back.
/// </summary>
public sealed class ScoringTests(ScoringSessionFixture server) : IClassFixture<ScoringSessionFixture>
{
    private static readonly JsonSerializerOptions Json = ServerFixture.Json;

    [Fact]
    public async Task A_trainee_acknowledging_the_real_alarm_is_logged_in_drill_time_and_scored_on_the_board()
    {
        server.Clock.DrillId = "ups-on-battery-night";
        server.Clock.Now = TimeSpan.FromSeconds(20);
        using var ann = await server.SignInAsync(ScoringSessionFixture.Ann, Role.DutyLead);
        using var ivy = await server.SignInAsync(ScoringSessionFixture.Ivy, Role.Instructor);

        using (var fault = await server.Http.PostAsync(new Uri("/api/simulator/scenarios/mains-failure", UriKind.Relative), null))
        {
            Assert.True(fault.IsSuccessStatusCode, await fault.Content.ReadAsStringAsync());
        }

        var alarm = await ServerFixture.EventuallyAsync(
            async () => (await server.GetJsonAsync("/api/alarms")).EnumerateArray()
                .FirstOrDefault(a => a.GetProperty("ruleId").GetString() == "ups-on-battery" && a.GetProperty("target").GetProperty("deviceId").GetString() == "ups-1"),
            a => a.ValueKind == JsonValueKind.Object, "the UPS on battery alarm of ups-1", timeoutMs: 30_000);

        // before the deadline (2 minutes after the mains failed at 30s): pending on the board
        var board = await ivy.Http.GetFromJsonAsync<JsonElement>("/api/training/board", Json);
        Assert.Equal("ups-on-battery-night", board.GetProperty("drillId").GetString());
        Assert.Equal("pending", Expectation(board, ScoringSessionFixture.Ann, "acknowledge").GetProperty("outcome").GetString());

        server.Clock.Now = TimeSpan.FromSeconds(75);
        using (var ack = await ann.Http.PostAsJsonAsync($"/api/alarms/{alarm.GetProperty("id").GetInt64()}/ack", new { comment = "on it" }))
        {
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        }

        var logged = await ServerFixture.EventuallyAsync(
            () => server.Store.ActionsAsync(ScoringSessionFixture.SessionId, CancellationToken.None),
            rows => rows.Any(r => r.User == ScoringSessionFixture.Ann && r.Kind == "acknowledge"), "ann's acknowledgement in the activity log");
        var row = logged.First(r => r.User == ScoringSessionFixture.Ann && r.Kind == "acknowledge");
        Assert.Equal(("ups-on-battery", "ups-1", "ups-on-battery-night", TimeSpan.FromSeconds(75)), (row.RuleId, row.DeviceId, row.DrillId, row.DrillAt));
        Assert.Equal(alarm.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), row.Ref);
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - row.At).TotalMinutes) < 5, $"wall time {row.At:O}");

        board = await ivy.Http.GetFromJsonAsync<JsonElement>("/api/training/board", Json);
        var met = Expectation(board, ScoringSessionFixture.Ann, "acknowledge");
        Assert.Equal(("met", 75.0, 10), (met.GetProperty("outcome").GetString(), met.GetProperty("doneAtSeconds").GetDouble(), met.GetProperty("earned").GetInt32()));

        // bob did nothing: once the window has passed his acknowledgement is overdue, and missed when the drill has ended
        server.Clock.Now = TimeSpan.FromSeconds(200);
        board = await ivy.Http.GetFromJsonAsync<JsonElement>("/api/training/board", Json);
        Assert.Equal("overdue", Expectation(board, ScoringSessionFixture.Bob, "acknowledge").GetProperty("outcome").GetString());
        Assert.Equal("met", Expectation(board, ScoringSessionFixture.Ann, "acknowledge").GetProperty("outcome").GetString());
        server.Clock.Now = TimeSpan.FromMinutes(20);
        var report = await ivy.Http.GetFromJsonAsync<JsonElement>("/api/training/report", Json);
        Assert.True(report.GetProperty("finished").GetBoolean());
        var bob = Trainee(report, ScoringSessionFixture.Bob);
        Assert.Contains("acknowledge", bob.GetProperty("missed").EnumerateArray().Select(m => m.GetString()));
        var annReport = Trainee(report, ScoringSessionFixture.Ann);
        Assert.DoesNotContain("acknowledge", annReport.GetProperty("missed").EnumerateArray().Select(m => m.GetString()));
        Assert.Contains(annReport.GetProperty("timeline").EnumerateArray(), a => a.GetProperty("kind").GetString() == "acknowledge" && a.GetProperty("drillSeconds").GetDouble() == 75);

        // the mains come back for the other tests
        using var restore = await server.Http.PostAsync(new Uri("/api/simulator/scenarios/mains-restore", UriKind.Relative), null);
        Assert.True(restore.IsSuccessStatusCode);
    }

    [Fact]
    public async Task A_locate_is_kept_before_its_answer_and_an_unknown_device_or_port_is_refused_by_name()
    {
        server.Clock.DrillId = "ups-on-battery-night";
        server.Clock.Now = TimeSpan.FromSeconds(90);
        using var ann = await server.SignInAsync(ScoringSessionFixture.Ann, Role.DutyLead);

        using var located = await ann.Http.PostAsJsonAsync("/api/training/locate", new { deviceId = "asw-a02", port = 14 });
        Assert.Equal(HttpStatusCode.OK, located.StatusCode);
        var action = await located.Content.ReadFromJsonAsync<JsonElement>(Json);
        var id = action.GetProperty("id").GetInt64();

        // in the database as soon as the answer came
        var rows = await server.Store.ActionsAsync(ScoringSessionFixture.SessionId, CancellationToken.None);
        var row = Assert.Single(rows, r => r.Id == id);
        Assert.Equal(("locate", ScoringSessionFixture.Ann, "asw-a02", (int?)14, (TimeSpan?)TimeSpan.FromSeconds(90)), (row.Kind, row.User, row.DeviceId, row.Port, row.DrillAt));

        using var ups = await ann.Http.PostAsJsonAsync("/api/training/locate", new { deviceId = "ups-1" });
        Assert.Equal(HttpStatusCode.OK, ups.StatusCode);

        using var unknown = await ann.Http.PostAsJsonAsync("/api/training/locate", new { deviceId = "asw-z99" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("asw-z99", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var badPort = await ann.Http.PostAsJsonAsync("/api/training/locate", new { deviceId = "asw-a02", port = 99 });
        Assert.Equal(HttpStatusCode.BadRequest, badPort.StatusCode);
        var problem = await badPort.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal("port", problem.GetProperty("field").GetString());
        Assert.Contains("99", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var missing = await ann.Http.PostAsJsonAsync("/api/training/locate", new { port = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);

        // the locate of ups-1 meets the drill's "locate the UPS" expectation (from 30s, within 3m)
        using var ivy = await server.SignInAsync(ScoringSessionFixture.Ivy, Role.Instructor);
        var board = await ivy.Http.GetFromJsonAsync<JsonElement>("/api/training/board", Json);
        Assert.Equal("met", Expectation(board, ScoringSessionFixture.Ann, "locate-ups").GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task A_live_quiz_answered_right_scores_a_wrong_answer_does_not_and_a_second_answer_is_refused()
    {
        server.Clock.DrillId = null;
        server.Clock.Now = null;
        using var ivy = await server.SignInAsync(ScoringSessionFixture.Ivy, Role.Instructor);
        using var ann = await server.SignInAsync(ScoringSessionFixture.Ann, Role.DutyLead);
        using var bob = await server.SignInAsync(ScoringSessionFixture.Bob, Role.DutyLead);
        await using var hub = await server.ConnectHubAsync(bob);

        using var posed = await ivy.Http.PostAsJsonAsync("/api/training/quizzes", new { deviceId = "asw-a02", port = 24 });
        Assert.Equal(HttpStatusCode.Created, posed.StatusCode);
        var quiz = await posed.Content.ReadFromJsonAsync<JsonElement>(Json);
        var quizId = quiz.GetProperty("id").GetString()!;

        // the question, written from the inventory in both languages: the port's name, the device's kind, its rack
        var en = quiz.GetProperty("ask").GetProperty("en").GetString()!;
        var zh = quiz.GetProperty("ask").GetProperty("zh").GetString()!;
        Assert.Contains("GigabitEthernet0/0/24", en, StringComparison.Ordinal);
        Assert.Contains("switch", en, StringComparison.Ordinal);
        Assert.Contains("rack A02", en, StringComparison.Ordinal);
        Assert.Contains("GigabitEthernet0/0/24", zh, StringComparison.Ordinal);
        Assert.Contains("A02 机柜", zh, StringComparison.Ordinal);

        // the session's consoles hear of it, without the answer
        var message = await hub.WaitForAsync("quiz", m => m.GetProperty("id").GetString() == quizId, TimeSpan.FromSeconds(20));
        Assert.Equal(en, message.GetProperty("ask").GetProperty("en").GetString());
        Assert.False(message.TryGetProperty("deviceId", out _));

        using var right = await ann.Http.PostAsJsonAsync($"/api/training/quizzes/{quizId}/answer", new { deviceId = "asw-a02", port = 24 });
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        var scored = await right.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.True(scored.GetProperty("correct").GetBoolean());
        Assert.Equal(10, scored.GetProperty("earned").GetInt32());
        Assert.True(scored.GetProperty("seconds").GetDouble() >= 0);

        // the right device but the wrong port is wrong
        using var wrong = await bob.Http.PostAsJsonAsync($"/api/training/quizzes/{quizId}/answer", new { deviceId = "asw-a02", port = 23 });
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        var missed = await wrong.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal((false, 0), (missed.GetProperty("correct").GetBoolean(), missed.GetProperty("earned").GetInt32()));

        using var again = await bob.Http.PostAsJsonAsync($"/api/training/quizzes/{quizId}/answer", new { deviceId = "asw-a02", port = 24 });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var unknownQuiz = await bob.Http.PostAsJsonAsync("/api/training/quizzes/no-such-quiz/answer", new { deviceId = "asw-a02", port = 24 });
        Assert.Equal(HttpStatusCode.NotFound, unknownQuiz.StatusCode);
        using var badAnswer = await bob.Http.PostAsJsonAsync($"/api/training/quizzes/{quizId}/answer", new { deviceId = "nowhere-1" });
        Assert.Equal(HttpStatusCode.BadRequest, badAnswer.StatusCode);

        // each trainee's own answer in the list; both answers kept, one right
        var list = await ann.Http.GetFromJsonAsync<JsonElement>("/api/training/quizzes", Json);
        var listed = list.EnumerateArray().Single(q => q.GetProperty("id").GetString() == quizId);
        Assert.True(listed.GetProperty("mine").GetProperty("correct").GetBoolean());
        var answers = await server.Store.AnswersAsync(ScoringSessionFixture.SessionId, CancellationToken.None);
        Assert.Equal(
            [(ScoringSessionFixture.Ann, true, 10), (ScoringSessionFixture.Bob, false, 0)],
            answers.Where(a => a.QuizId == quizId).Select(a => (a.User, a.Correct, a.Earned)).OrderBy(a => a.User, StringComparer.Ordinal));

        var board = await ivy.Http.GetFromJsonAsync<JsonElement>("/api/training/board", Json);
        Assert.Equal(JsonValueKind.Null, board.GetProperty("drillId").ValueKind);
        var annQuiz = Trainee(board, ScoringSessionFixture.Ann).GetProperty("quizzes").EnumerateArray().Single(q => q.GetProperty("quizId").GetString() == quizId);
        var bobQuiz = Trainee(board, ScoringSessionFixture.Bob).GetProperty("quizzes").EnumerateArray().Single(q => q.GetProperty("quizId").GetString() == quizId);
        Assert.Equal((true, 10), (annQuiz.GetProperty("correct").GetBoolean(), annQuiz.GetProperty("earned").GetInt32()));
        Assert.Equal((false, 0), (bobQuiz.GetProperty("correct").GetBoolean(), bobQuiz.GetProperty("earned").GetInt32()));

        // a UPS is asked for by the rack it alone feeds (the power topology of the room file)
        using var upsQuiz = await ivy.Http.PostAsJsonAsync("/api/training/quizzes", new { deviceId = "ups-2" });
        var ups = await upsQuiz.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Matches("^Find the UPS that feeds rack [A-C]0[0-9]$", ups.GetProperty("ask").GetProperty("en").GetString());
    }

    [Fact]
    public async Task The_drills_quiz_is_posed_when_drill_time_reaches_it()
    {
        using var ann = await server.SignInAsync(ScoringSessionFixture.Ann, Role.DutyLead);
        server.Clock.DrillId = "ups-on-battery-night";
        server.Clock.Now = TimeSpan.FromSeconds(61);

        var quizzes = await ServerFixture.EventuallyAsync(
            () => ann.Http.GetFromJsonAsync<JsonElement>("/api/training/quizzes", Json),
            list => list.EnumerateArray().Any(q => q.GetProperty("id").GetString() == "ups-for-c03"), "the drill's quiz, posed at 1m");
        var quiz = quizzes.EnumerateArray().Single(q => q.GetProperty("id").GetString() == "ups-for-c03");
        Assert.Equal(("drill", 60.0, "Find the UPS that feeds rack C03"),
            (quiz.GetProperty("source").GetString(), quiz.GetProperty("drillSeconds").GetDouble(), quiz.GetProperty("ask").GetProperty("en").GetString()));

        server.Clock.Now = TimeSpan.FromSeconds(100);
        using var answer = await ann.Http.PostAsJsonAsync("/api/training/quizzes/ups-for-c03/answer", new { deviceId = "ups-2" });
        var scored = await answer.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal((true, 40.0, 10), (scored.GetProperty("correct").GetBoolean(), scored.GetProperty("seconds").GetDouble(), scored.GetProperty("earned").GetInt32()));
    }

    [Fact]
    public async Task The_report_csv_has_a_row_per_trainee_and_item_and_survives_commas_and_quotes()
    {
        server.Clock.DrillId = "ups-on-battery-night";
        server.Clock.Now = TimeSpan.FromSeconds(200);
        using var ivy = await server.SignInAsync(ScoringSessionFixture.Ivy, Role.Instructor);
        const string AskEn = "Find the \"core\" switch, the one in rack A02";
        const string AskZh = "找到 A02 机柜的“核心”交换机，\"csw\"";
        using (var posed = await ivy.Http.PostAsJsonAsync("/api/training/quizzes", new { deviceId = "asw-a02", ask = new { zh = AskZh, en = AskEn } }))
        {
            Assert.Equal(HttpStatusCode.Created, posed.StatusCode);
        }

        using var half = await ivy.Http.PostAsJsonAsync("/api/training/quizzes", new { deviceId = "asw-a02", ask = new { en = "only English" } });
        Assert.Equal(HttpStatusCode.BadRequest, half.StatusCode);

        using var response = await ivy.Http.GetAsync("/api/training/report.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        var rows = ParseCsv(Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3));

        Assert.Equal(["trainee", "item", "id", "description_zh", "description_en", "outcome", "done_at_s", "seconds", "earned", "points"], rows[0]);
        Assert.All(rows, r => Assert.Equal(10, r.Count));
        var report = await ivy.Http.GetFromJsonAsync<JsonElement>("/api/training/report", Json);
        var drill = await ivy.Http.GetFromJsonAsync<JsonElement>("/api/training/drills/ups-on-battery-night", Json);
        var expectations = drill.GetProperty("expectations").GetArrayLength();
        var quizzes = report.GetProperty("totals").GetProperty("quizzesPosed").GetInt32();
        foreach (var trainee in report.GetProperty("trainees").EnumerateArray())
        {
            var name = trainee.GetProperty("user").GetString()!;
            Assert.Equal(expectations, rows.Count(r => r[0] == name && r[1] == "expectation"));
            Assert.Equal(quizzes, rows.Count(r => r[0] == name && r[1] == "quiz"));
        }

        // the invited trainee whose name has a comma and quotes, and the question with both, come back whole
        Assert.Contains(rows, r => r[0] == ScoringSessionFixture.Quoted && r[1] == "quiz" && r[3] == AskZh && r[4] == AskEn && r[5] == "unanswered");
        Assert.Contains(rows, r => r[0] == ScoringSessionFixture.Quoted && r[2] == "acknowledge" && r[5] == "overdue");
        var totals = report.GetProperty("totals");
        Assert.Equal(report.GetProperty("trainees").GetArrayLength(), totals.GetProperty("trainees").GetInt32());
        Assert.Equal(
            report.GetProperty("trainees").EnumerateArray().Sum(t => t.GetProperty("earned").GetInt32()),
            totals.GetProperty("earned").GetInt32());
        Assert.Equal(
            rows.Skip(1).Sum(r => int.Parse(r[8], System.Globalization.CultureInfo.InvariantCulture)),
            totals.GetProperty("earned").GetInt32());
    }

    private static JsonElement Trainee(JsonElement board, string user) =>
        board.GetProperty("trainees").EnumerateArray().Single(t => t.GetProperty("user").GetString() == user);

    private static JsonElement Expectation(JsonElement board, string user, string id) =>
        Trainee(board, user).GetProperty("expectations").EnumerateArray().Single(e => e.GetProperty("id").GetString() == id);

    /// <summary>RFC 4180, read independently of the writer: quoted fields may hold commas, doubled quotes and line breaks.</summary>
    internal static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(field.ToString());
                field.Clear();
                rows.Add(row);
                row = [];
                i++;
            }
            else
            {
                field.Append(c);
            }
        }

        Assert.True(row.Count == 0 && field.Length == 0, "the CSV ends with CRLF");
        return rows;
    }
}

/// <summary>On the live host every session-only endpoint of the quizzes and scores answers 409, and nothing is logged.</summary>
public sealed class ScoringLiveHostTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("POST", "/api/training/locate")]
    [InlineData("GET", "/api/training/quizzes")]
    [InlineData("POST", "/api/training/quizzes")]
    [InlineData("POST", "/api/training/quizzes/q1/answer")]
    [InlineData("GET", "/api/training/board")]
    [InlineData("GET", "/api/training/report")]
    [InlineData("GET", "/api/training/report.csv")]
    public async Task Every_session_only_endpoint_answers_409_on_the_live_host(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = JsonContent.Create(new { deviceId = "asw-a02", port = 14 });
        }

        using var response = await server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(ScoringEndpoints.OnlyInSession, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(server.App.Services.GetService<TraineeActivityLog>());
        Assert.Empty(await server.App.Services.GetRequiredService<TrainingStore>().ActionsAsync(string.Empty, CancellationToken.None));
    }
}
