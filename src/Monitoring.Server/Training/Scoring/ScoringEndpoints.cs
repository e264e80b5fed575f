using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Core.Inventory;
using Monitoring.Core.Training;
using Monitoring.Server.Api;
using Monitoring.Server.Security;
using Monitoring.Storage.Training;

namespace Monitoring.Server.Training.Scoring;

/// <summary>POST /api/training/locate: a device, or a port of it, the trainee selected in the 3D room.</summary>
public sealed record LocateRequest(string? DeviceId, int? Port);

/// <summary>POST /api/training/quizzes: the instructor asks the trainees to find a device or port; <c>ask</c> omitted: written from the inventory.</summary>
public sealed record PoseQuizRequest(string? DeviceId, int? Port, DrillTextDto? Ask);

/// <summary>POST /api/training/quizzes/{id}/answer: what the trainee clicked.</summary>
public sealed record QuizAnswerRequest(string? DeviceId, int? Port);

/// <summary>A quiz as GET /api/training/quizzes lists it. The answer (device, port) only to those who run drills; <c>mine</c>: the caller's own answer.</summary>
public sealed record QuizDto(
    string Id, string Source, DrillTextDto Ask, DateTimeOffset PosedAt, double? DrillSeconds, double WithinSeconds, int Points, string? PosedBy,
    string? DeviceId, int? Port, QuizAnswerDto? Mine, int Answers, int Right);

/// <summary>A scored answer: right or wrong, in how many seconds (drill time for a drill's quiz), the points earned of the quiz's.</summary>
public sealed record QuizAnswerDto(string QuizId, string User, DateTimeOffset At, string DeviceId, int? Port, bool Correct, double Seconds, int Earned, int Points);

/// <summary>
/// The session-only endpoints of the quizzes and scores (issue 21): locate, quizzes, the live board, the after-action
/// report and its CSV. On the live host each answers 409 "only in a training session".
/// </summary>
internal static class ScoringEndpoints
{
    public const string OnlyInSession = "only in a training session";

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/locate", LocateAsync).WithName("TrainingLocate").Requires(Capability.Train)
            .WithSummary("A trainee selected a device, or a port of it, in 3D: { deviceId, port }; recorded (wall and drill time) before the answer.");
        group.MapGet("/quizzes", ListQuizzesAsync).WithName("ListQuizzes").Requires(Capability.Train)
            .WithSummary("The session's locate quizzes posed so far, with the caller's own answer (the right answer only to those who run drills).");
        group.MapPost("/quizzes", PoseAsync).WithName("PoseQuiz").Requires(Capability.RunDrills)
            .WithSummary("Pose a locate quiz now: { deviceId, port, ask: { zh, en } } (ask omitted: written from the inventory); hub \"quiz\" to the session's consoles.");
        group.MapPost("/quizzes/{id}/answer", AnswerAsync).WithName("AnswerQuiz").Requires(Capability.Train)
            .WithSummary("Answer a quiz by what was clicked: { deviceId, port }; scored once per trainee (a second answer 409).");
        group.MapGet("/board", BoardAsync).WithName("TrainingBoard").Requires(Capability.RunDrills)
            .WithSummary("The instructor's live board: per trainee each expectation's outcome against the running drill, the quizzes, the totals.");
        group.MapGet("/report", ReportAsync).WithName("TrainingReport").Requires(Capability.RunDrills)
            .WithSummary("The after-action report: per trainee the timeline of actions, scores and missed expectations; the session's totals.");
        group.MapGet("/report.csv", CsvAsync).WithName("TrainingReportCsv").Requires(Capability.RunDrills)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .WithSummary("The report as CSV (UTF-8 with BOM, RFC 4180): one row per trainee and expectation or quiz.");
    }

    internal static async Task<Results<Ok<TraineeActionDto>, Problem<Status400>, Problem<Status409>>> LocateAsync(
        LocateRequest? body, TrainingContext context, Inventory inventory, IServiceProvider services, ClaimsPrincipal caller, CancellationToken cancellationToken)
    {
        if (!context.IsSession)
        {
            return NotInSession();
        }

        if (Target(inventory, body?.DeviceId, body?.Port) is { } bad)
        {
            return bad;
        }

        var log = services.GetRequiredService<TraineeActivityLog>();
        var device = inventory.FindDevice(body!.DeviceId!.Trim())!;
        var action = await log.RecordAsync(log.Stamp(Principals.Name(caller), TraineeActivityKinds.Locate) with { DeviceId = device.Id, Port = body.Port }, cancellationToken)
            .ConfigureAwait(false);
        return TypedResults.Ok(Action(action));
    }

    internal static async Task<Results<Ok<QuizDto[]>, Problem<Status409>>> ListQuizzesAsync(
        TrainingContext context, IServiceProvider services, ClaimsPrincipal caller, CancellationToken cancellationToken)
    {
        if (!context.IsSession)
        {
            return NotInSession();
        }

        var store = services.GetRequiredService<TrainingStore>();
        var quizzes = await store.QuizzesAsync(context.SessionId!, cancellationToken).ConfigureAwait(false);
        var answers = await store.AnswersAsync(context.SessionId!, cancellationToken).ConfigureAwait(false);
        var user = Principals.Name(caller);
        var instructor = HubGuard.Allows(caller, Capability.RunDrills);
        return TypedResults.Ok(quizzes.Select(q =>
        {
            var mine = answers.FirstOrDefault(a => a.QuizId == q.Id && a.User == user);
            var all = answers.Where(a => a.QuizId == q.Id).ToList();
            var reveal = instructor || mine is not null;
            return new QuizDto(
                q.Id, q.Source, new DrillTextDto(q.AskZh, q.AskEn), q.PosedAt, q.DrillAt?.TotalSeconds, q.Within.TotalSeconds, q.Points, q.PosedBy,
                reveal ? q.DeviceId : null, reveal ? q.Port : null, mine is null ? null : Answer(mine, q.Points), instructor ? all.Count : 0, instructor ? all.Count(a => a.Correct) : 0);
        }).ToArray());
    }

    internal static async Task<Results<Created<QuizDto>, Problem<Status400>, Problem<Status409>>> PoseAsync(
        PoseQuizRequest? body, TrainingContext context, Inventory inventory, IServiceProvider services, ClaimsPrincipal caller, CancellationToken cancellationToken)
    {
        if (!context.IsSession)
        {
            return NotInSession();
        }

        if (Target(inventory, body?.DeviceId, body?.Port) is { } bad)
        {
            return bad;
        }

        DrillText? ask = null;
        if (body!.Ask is { } given)
        {
            if (string.IsNullOrWhiteSpace(given.Zh) || string.IsNullOrWhiteSpace(given.En))
            {
                return Bad("ask", "needs the question in both languages: { zh, en } (or leave it out to have it written from the inventory)");
            }

            ask = new DrillText(given.Zh.Trim(), given.En.Trim());
        }

        var device = inventory.FindDevice(body.DeviceId!.Trim())!;
        var quiz = await services.GetRequiredService<QuizService>().PoseAsync(device, body.Port, ask, Principals.Name(caller), cancellationToken).ConfigureAwait(false);
        return TypedResults.Created($"/api/training/quizzes/{Uri.EscapeDataString(quiz.Id)}", Quiz(quiz));
    }

    internal static async Task<Results<Ok<QuizAnswerDto>, Problem<Status400>, Problem<Status404>, Problem<Status409>>> AnswerAsync(
        string id, QuizAnswerRequest? body, TrainingContext context, Inventory inventory, IServiceProvider services, ClaimsPrincipal caller, CancellationToken cancellationToken)
    {
        if (!context.IsSession)
        {
            return NotInSession();
        }

        if (Target(inventory, body?.DeviceId, body?.Port) is { } bad)
        {
            return bad;
        }

        var device = inventory.FindDevice(body!.DeviceId!.Trim())!;
        var user = Principals.Name(caller);
        var (outcome, answer, quiz) = await services.GetRequiredService<QuizService>().AnswerAsync(id, user, device, body.Port, cancellationToken).ConfigureAwait(false);
        return outcome switch
        {
            AnswerOutcome.UnknownQuiz => new Problem<Status404>($"no quiz '{id}' in this session"),
            AnswerOutcome.AlreadyAnswered => new Problem<Status409>($"{user} has answered quiz '{id}' already; only the first answer is scored"),
            _ => TypedResults.Ok(Answer(answer!, quiz!.Points)),
        };
    }

    internal static async Task<Results<Ok<TrainingBoardDto>, Problem<Status409>>> BoardAsync(TrainingContext context, IServiceProvider services, CancellationToken cancellationToken) =>
        context.IsSession ? TypedResults.Ok(await services.GetRequiredService<TrainingScores>().BoardAsync(cancellationToken).ConfigureAwait(false)) : NotInSession();

    internal static async Task<Results<Ok<TrainingReportDto>, Problem<Status409>>> ReportAsync(TrainingContext context, IServiceProvider services, CancellationToken cancellationToken) =>
        context.IsSession ? TypedResults.Ok(await services.GetRequiredService<TrainingScores>().ReportAsync(cancellationToken).ConfigureAwait(false)) : NotInSession();

    internal static async Task<Results<FileContentHttpResult, Problem<Status409>>> CsvAsync(TrainingContext context, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!context.IsSession)
        {
            return NotInSession();
        }

        var report = await services.GetRequiredService<TrainingScores>().ReportAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.File(TrainingScores.Csv(report), "text/csv; charset=utf-8", $"training-{report.SessionId}.csv");
    }

    /// <summary>The device (and port) a request names, checked against the inventory; a problem naming what is unknown.</summary>
    private static Problem<Status400>? Target(Inventory inventory, string? deviceId, int? port)
    {
        if (string.IsNullOrWhiteSpace(deviceId))
        {
            return Bad("deviceId", "is required: the device selected in 3D");
        }

        if (inventory.FindDevice(deviceId.Trim()) is not { } device)
        {
            return Bad("deviceId", $"names no device: '{deviceId.Trim()}'");
        }

        if (port is { } index && device.Model.FindPort(index) is null)
        {
            return Bad("port", $"{index} is no port of device '{device.Id}' (model {device.Model.Id})");
        }

        return null;
    }

    private static Problem<Status400> Bad(string field, string why) =>
        new($"bad field '{field}'", $"'{field}' {why}", new Dictionary<string, object?>(StringComparer.Ordinal) { ["field"] = field });

    private static Problem<Status409> NotInSession() => new(OnlyInSession, "this is the live room's host; locate, quizzes, the board and the report belong to a training session's host");

    private static TraineeActionDto Action(TrainingActionRow a) =>
        new(a.Id, a.User, a.Kind, a.At, a.DrillId, a.DrillAt?.TotalSeconds, a.RuleId, a.DeviceId, a.Port, a.Category, a.TeamId, a.Ref, a.Detail);

    private static QuizDto Quiz(TrainingQuizRow q) =>
        new(q.Id, q.Source, new DrillTextDto(q.AskZh, q.AskEn), q.PosedAt, q.DrillAt?.TotalSeconds, q.Within.TotalSeconds, q.Points, q.PosedBy, q.DeviceId, q.Port, null, 0, 0);

    private static QuizAnswerDto Answer(TrainingQuizAnswerRow a, int points) => new(a.QuizId, a.User, a.At, a.DeviceId, a.Port, a.Correct, a.Seconds, a.Earned, points);
}
