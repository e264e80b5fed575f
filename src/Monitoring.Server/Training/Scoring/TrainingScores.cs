using System.Globalization;
using System.Text;
using Monitoring.Core.Tickets;
using Monitoring.Core.Training;
using Monitoring.Storage.Training;

namespace Monitoring.Server.Training.Scoring;

/// <summary>One expectation of the drill for one trainee. Outcome: pending, overdue, met, late, missed. Times are drill seconds.</summary>
public sealed record ExpectationRowDto(
    string Id, string Kind, string DescriptionZh, string DescriptionEn, string Outcome, double? DoneAtSeconds, double? LateSeconds, int Earned, int Points);

/// <summary>One posed quiz for one trainee: not answered yet (answered false), or right/wrong, in how many seconds, for what.</summary>
public sealed record QuizRowDto(string QuizId, string AskZh, string AskEn, bool Answered, bool? Correct, double? Seconds, int Earned, int Points);

/// <summary>One action of the log as the report shows it (<c>drillSeconds</c> null: no drill ran).</summary>
public sealed record TraineeActionDto(
    long Id, string User, string Kind, DateTimeOffset At, string? DrillId, double? DrillSeconds, string? RuleId, string? DeviceId, int? Port,
    string? Category, string? TeamId, string? Ref, string? Detail);

/// <summary>A trainee on the live board: where each expectation stands, the quizzes, and the totals.</summary>
public sealed record TraineeBoardDto(
    string User, IReadOnlyList<ExpectationRowDto> Expectations, IReadOnlyList<QuizRowDto> Quizzes, int Actions, DateTimeOffset? LastActionAt,
    int Earned, int Possible, double Percent);

/// <summary>GET /api/training/board: the drill (null when none runs) and drill time now, and each trainee.</summary>
public sealed record TrainingBoardDto(string SessionId, string? DrillId, double? DrillSeconds, bool Finished, IReadOnlyList<TraineeBoardDto> Trainees);

/// <summary>A trainee in the after-action report: the timeline of actions, each expectation, what was missed, the quizzes, the score.</summary>
public sealed record TraineeReportDto(
    string User, IReadOnlyList<TraineeActionDto> Timeline, IReadOnlyList<ExpectationRowDto> Expectations, IReadOnlyList<string> Missed,
    IReadOnlyList<QuizRowDto> Quizzes, int Earned, int Possible, double Percent);

/// <summary>The session's totals: trainees, points, actions, quizzes posed, answers and right answers.</summary>
public sealed record SessionTotalsDto(int Trainees, int Earned, int Possible, double Percent, int Actions, int QuizzesPosed, int QuizAnswers, int QuizzesRight);

/// <summary>GET /api/training/report: the after-action report of the session.</summary>
public sealed record TrainingReportDto(
    string SessionId, string? Name, string? DrillId, double? DrillSeconds, bool Finished, DateTimeOffset GeneratedAt,
    IReadOnlyList<TraineeReportDto> Trainees, SessionTotalsDto Totals);

/// <summary>
/// Builds the live board and the after-action report from the stored log, quizzes and answers: the trainees' drill
/// actions are scored by <see cref="ExpectationScorer"/> against the drill running in this host, at drill time now (a
/// drill that reached its duration is finished: what was not done is missed). With no drill running only the actions
/// and quizzes are shown.
/// </summary>
internal sealed class TrainingScores(TrainingStore store, TrainingContext context, IDrillClock clock, DrillCatalog catalog, TimeProvider time)
{
    private sealed record Snapshot(
        IReadOnlyList<TrainingActionRow> Actions, IReadOnlyList<TrainingQuizRow> Quizzes, IReadOnlyList<TrainingQuizAnswerRow> Answers,
        Drill? Drill, TimeSpan? Now, bool Finished, IReadOnlyList<string> Trainees);

    public async Task<TrainingBoardDto> BoardAsync(CancellationToken cancellationToken)
    {
        var s = await ReadAsync(cancellationToken).ConfigureAwait(false);
        var trainees = s.Trainees.Select(user =>
        {
            var (expectations, quizzes, earned, possible) = Score(s, user);
            var mine = s.Actions.Where(a => a.User == user).ToList();
            return new TraineeBoardDto(user, expectations, quizzes, mine.Count, mine.Count == 0 ? null : mine[^1].At, earned, possible, Percent(earned, possible));
        }).ToList();
        return new TrainingBoardDto(context.SessionId ?? string.Empty, s.Drill?.Id, s.Now?.TotalSeconds, s.Finished, trainees);
    }

    public async Task<TrainingReportDto> ReportAsync(CancellationToken cancellationToken)
    {
        var s = await ReadAsync(cancellationToken).ConfigureAwait(false);
        var trainees = s.Trainees.Select(user =>
        {
            var (expectations, quizzes, earned, possible) = Score(s, user);
            var missed = expectations.Where(e => e.Outcome is "missed" or "overdue").Select(e => e.Id).ToList();
            return new TraineeReportDto(user, [.. s.Actions.Where(a => a.User == user).Select(Action)], expectations, missed, quizzes, earned, possible, Percent(earned, possible));
        }).ToList();
        var totals = new SessionTotalsDto(
            trainees.Count, trainees.Sum(t => t.Earned), trainees.Sum(t => t.Possible), Percent(trainees.Sum(t => t.Earned), trainees.Sum(t => t.Possible)),
            s.Actions.Count(a => s.Trainees.Contains(a.User)), s.Quizzes.Count, s.Answers.Count, s.Answers.Count(a => a.Correct));
        return new TrainingReportDto(context.SessionId ?? string.Empty, context.Options.Name, s.Drill?.Id, s.Now?.TotalSeconds, s.Finished, time.GetUtcNow(), trainees, totals);
    }

    /// <summary>
    /// The report as CSV: one row per trainee and expectation or quiz, UTF-8 with a byte order mark (so a spreadsheet
    /// reads Chinese), fields quoted as RFC 4180 says, CRLF line ends.
    /// </summary>
    public static byte[] Csv(TrainingReportDto report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        Row(text, "trainee", "item", "id", "description_zh", "description_en", "outcome", "done_at_s", "seconds", "earned", "points");
        foreach (var trainee in report.Trainees)
        {
            foreach (var e in trainee.Expectations)
            {
                Row(text, trainee.User, "expectation", e.Id, e.DescriptionZh, e.DescriptionEn, e.Outcome, Number(e.DoneAtSeconds), Number(e.LateSeconds), Number(e.Earned), Number(e.Points));
            }

            foreach (var q in trainee.Quizzes)
            {
                var outcome = !q.Answered ? "unanswered" : q.Correct == true ? "right" : "wrong";
                Row(text, trainee.User, "quiz", q.QuizId, q.AskZh, q.AskEn, outcome, string.Empty, Number(q.Seconds), Number(q.Earned), Number(q.Points));
            }
        }

        var preamble = Encoding.UTF8.GetPreamble();
        var body = Encoding.UTF8.GetBytes(text.ToString());
        return [.. preamble, .. body];
    }

    private static void Row(StringBuilder text, params string[] fields)
    {
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            var field = fields[i];
            if (field.AsSpan().IndexOfAny(",\"\r\n") >= 0)
            {
                text.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
            }
            else
            {
                text.Append(field);
            }
        }

        text.Append("\r\n");
    }

    private static string Number(double? value) => value is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) : string.Empty;

    private async Task<Snapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var session = context.SessionId ?? string.Empty;
        var actions = await store.ActionsAsync(session, cancellationToken).ConfigureAwait(false);
        var quizzes = await store.QuizzesAsync(session, cancellationToken).ConfigureAwait(false);
        var answers = await store.AnswersAsync(session, cancellationToken).ConfigureAwait(false);
        var drill = clock.DrillId is { } id && clock.Now is not null ? catalog.Find(id) : null;
        var now = drill is null ? null : clock.Now;
        var finished = drill is not null && now >= drill.Duration;

        // the invited trainees first, then anyone else who acted (not the instructor, unless invited)
        var options = context.Options;
        var trainees = new List<string>(options.Trainees);
        foreach (var user in actions.Select(a => a.User).Concat(answers.Select(a => a.User)))
        {
            if (!trainees.Contains(user, StringComparer.Ordinal) && !string.Equals(user, options.Instructor, StringComparison.Ordinal))
            {
                trainees.Add(user);
            }
        }

        return new Snapshot(actions, quizzes, answers, drill, now, finished, trainees);
    }

    private static (List<ExpectationRowDto> Expectations, List<QuizRowDto> Quizzes, int Earned, int Possible) Score(Snapshot s, string user)
    {
        var expectations = new List<ExpectationRowDto>();
        var earned = 0;
        var possible = 0;
        if (s.Drill is { } drill && s.Now is { } now)
        {
            var actions = s.Actions.Where(a => a.User == user && a.DrillId == drill.Id && a.DrillAt is not null).Select(ToTraineeAction).OfType<TraineeAction>();
            var score = ExpectationScorer.Score(drill, actions, now, s.Finished);
            expectations.AddRange(score.Results.Select(r => new ExpectationRowDto(
                r.Expectation.Id, Camel(r.Expectation.Kind.ToString()), Describe(r.Expectation, zh: true), Describe(r.Expectation, zh: false), Camel(r.Outcome.ToString()),
                r.DoneAt?.TotalSeconds, r.Late?.TotalSeconds, r.Earned, r.Expectation.Points)));
            earned += score.Earned;
            possible += score.Possible;
        }

        var quizzes = new List<QuizRowDto>();
        foreach (var quiz in s.Quizzes)
        {
            var answer = s.Answers.FirstOrDefault(a => a.QuizId == quiz.Id && a.User == user);
            quizzes.Add(new QuizRowDto(quiz.Id, quiz.AskZh, quiz.AskEn, answer is not null, answer?.Correct, answer?.Seconds, answer?.Earned ?? 0, quiz.Points));
            earned += answer?.Earned ?? 0;
            possible += quiz.Points;
        }

        return (expectations, quizzes, earned, possible);
    }

    /// <summary>A stored action as the scorer sees it; kinds the scorer has no expectation for (a quiz answer, a ticket closed) are none.</summary>
    internal static TraineeAction? ToTraineeAction(TrainingActionRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var at = row.DrillAt ?? TimeSpan.Zero;
        TicketCategory? category = Enum.TryParse<TicketCategory>(row.Category, ignoreCase: true, out var c) ? c : null;
        return row.Kind switch
        {
            TraineeActivityKinds.Acknowledge => new TraineeAction(at, TraineeActionKind.Acknowledge, row.RuleId, row.DeviceId, row.Port),
            TraineeActivityKinds.Close => new TraineeAction(at, TraineeActionKind.Close, row.RuleId, row.DeviceId, row.Port),
            TraineeActivityKinds.Mute => new TraineeAction(at, TraineeActionKind.Mute),
            TraineeActivityKinds.Locate => new TraineeAction(at, TraineeActionKind.Locate, DeviceId: row.DeviceId, PortIndex: row.Port),
            TraineeActivityKinds.TicketOpened or TraineeActivityKinds.TicketDispatched =>
                new TraineeAction(at, TraineeActionKind.Ticket, DeviceId: row.DeviceId, Category: category, TeamId: row.TeamId),
            _ => null,
        };
    }

    private static TraineeActionDto Action(TrainingActionRow a) =>
        new(a.Id, a.User, a.Kind, a.At, a.DrillId, a.DrillAt?.TotalSeconds, a.RuleId, a.DeviceId, a.Port, a.Category, a.TeamId, a.Ref, a.Detail);

    private static string Describe(DrillExpectation e, bool zh)
    {
        var target = e.PortName is not null ? $"{e.DeviceId} {e.PortName}" : e.DeviceId;
        return (e.Kind, zh) switch
        {
            (ExpectationKind.Acknowledge, true) => $"确认告警 {e.RuleId}{(target is null ? string.Empty : $"（{target}）")}",
            (ExpectationKind.Acknowledge, false) => $"acknowledge {e.RuleId}{(target is null ? string.Empty : $" on {target}")}",
            (ExpectationKind.Close, true) => $"关闭告警 {e.RuleId}{(target is null ? string.Empty : $"（{target}）")}",
            (ExpectationKind.Close, false) => $"close {e.RuleId}{(target is null ? string.Empty : $" on {target}")}",
            (ExpectationKind.Locate, true) => $"在三维机房中定位 {target}",
            (ExpectationKind.Locate, false) => $"locate {target} in 3D",
            (ExpectationKind.Ticket, true) => $"开 {e.Category?.ToString().ToLowerInvariant()} 工单{(e.TeamId is null ? string.Empty : $"并派给 {e.TeamId}")}",
            (ExpectationKind.Ticket, false) => $"open a {e.Category?.ToString().ToLowerInvariant()} ticket{(e.TeamId is null ? string.Empty : $", dispatched to {e.TeamId}")}",
            (ExpectationKind.Mute, true) => e.Mute ? "及时静音" : "不要静音",
            (ExpectationKind.Mute, false) => e.Mute ? "mute in time" : "do not mute",
            _ => e.Id,
        };
    }

    private static double Percent(int earned, int possible) => possible == 0 ? 0 : Math.Round(100.0 * earned / possible, 1);

    private static string Camel(string name) => TraineeActivityLog.Camel(name);
}
