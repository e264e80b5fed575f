using System.Data.Common;

namespace Monitoring.Storage.Training;

/// <summary>
/// One thing a trainee did in a training session. <see cref="At"/> is wall time; <see cref="DrillAt"/> drill time (from
/// the drill's start), null when no drill ran. Kind: acknowledge, close, mute, ticketOpened, ticketDispatched,
/// ticketClosed, locate, quizAnswer. <see cref="Ref"/>: the alarm id, ticket number or quiz id it was about.
/// </summary>
public sealed record TrainingActionRow(
    long Id,
    string SessionId,
    string User,
    string Kind,
    DateTimeOffset At,
    string? DrillId,
    TimeSpan? DrillAt,
    string? RuleId = null,
    string? DeviceId = null,
    int? Port = null,
    string? Category = null,
    string? TeamId = null,
    string? Ref = null,
    string? Detail = null);

/// <summary>A locate quiz posed in a session: from the drill's <c>quiz:</c> list (source "drill") or by the instructor ("live").</summary>
public sealed record TrainingQuizRow(
    string SessionId,
    string Id,
    string Source,
    string DeviceId,
    int? Port,
    string AskZh,
    string AskEn,
    DateTimeOffset PosedAt,
    TimeSpan? DrillAt,
    TimeSpan Within,
    int Points,
    string? PosedBy);

/// <summary>A trainee's one scored answer to a quiz: what they clicked, right or wrong, how long it took, the points.</summary>
public sealed record TrainingQuizAnswerRow(
    string SessionId, string QuizId, string User, DateTimeOffset At, string DeviceId, int? Port, bool Correct, double Seconds, int Earned);

/// <summary>
/// The trainee activity log, the session's quizzes and their answers, in the host's database. Every write goes through
/// the database's one writer and is committed before it returns.
/// </summary>
public sealed class TrainingStore(Database database)
{
    private const string ActionColumns = "id, session_id, user_name, kind, at, drill_id, drill_ms, rule_id, device_id, port, category, team_id, ref, detail";
    private const string QuizColumns = "session_id, id, source, device_id, port, ask_zh, ask_en, posed_at, drill_ms, within_ms, points, posed_by";
    private const string AnswerColumns = "session_id, quiz_id, user_name, at, device_id, port, correct, seconds, earned";

    /// <summary>Appends an action; answers it with its id.</summary>
    public Task<TrainingActionRow> AppendAsync(TrainingActionRow action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        return database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.Command(
                $"INSERT INTO training_actions ({ActionColumns[4..]}) VALUES (@s, @u, @k, @a, @di, @dm, @r, @d, @p, @c, @t, @ref, @x) RETURNING id",
                transaction)
                .With("@s", action.SessionId).With("@u", action.User).With("@k", action.Kind).With("@a", action.At.ToUnixTimeMilliseconds())
                .With("@di", action.DrillId).With("@dm", Ms(action.DrillAt)).With("@r", action.RuleId).With("@d", action.DeviceId).With("@p", action.Port)
                .With("@c", action.Category).With("@t", action.TeamId).With("@ref", action.Ref).With("@x", action.Detail);
            var id = Convert.ToInt64(await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            return action with { Id = id };
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<TrainingActionRow>> ActionsAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command($"SELECT {ActionColumns} FROM training_actions WHERE session_id = @s ORDER BY id").With("@s", sessionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<TrainingActionRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new TrainingActionRow(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), At(reader, 4), Text(reader, 5), Span(reader, 6),
                Text(reader, 7), Text(reader, 8), Int(reader, 9), Text(reader, 10), Text(reader, 11), Text(reader, 12), Text(reader, 13)));
        }

        return rows;
    }

    /// <summary>Stores a quiz; false when the session already has one of this id (a drill's quiz posed once).</summary>
    public Task<bool> AddQuizAsync(TrainingQuizRow quiz, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(quiz);
        return database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.Command(
                $"INSERT INTO training_quizzes ({QuizColumns}) VALUES (@s, @i, @src, @d, @p, @zh, @en, @a, @dm, @w, @pt, @by) ON CONFLICT DO NOTHING", transaction)
                .With("@s", quiz.SessionId).With("@i", quiz.Id).With("@src", quiz.Source).With("@d", quiz.DeviceId).With("@p", quiz.Port)
                .With("@zh", quiz.AskZh).With("@en", quiz.AskEn).With("@a", quiz.PosedAt.ToUnixTimeMilliseconds()).With("@dm", Ms(quiz.DrillAt))
                .With("@w", (long)quiz.Within.TotalMilliseconds).With("@pt", quiz.Points).With("@by", quiz.PosedBy);
            return await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) == 1;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<TrainingQuizRow>> QuizzesAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command($"SELECT {QuizColumns} FROM training_quizzes WHERE session_id = @s ORDER BY posed_at, id").With("@s", sessionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<TrainingQuizRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new TrainingQuizRow(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), Int(reader, 4), reader.GetString(5), reader.GetString(6),
                At(reader, 7), Span(reader, 8), TimeSpan.FromMilliseconds(reader.GetInt64(9)), (int)reader.GetInt64(10), Text(reader, 11)));
        }

        return rows;
    }

    /// <summary>
    /// Keeps a trainee's answer and the "quizAnswer" action together, in one transaction; false (nothing written) when
    /// the trainee has answered this quiz already.
    /// </summary>
    public Task<bool> AddAnswerAsync(TrainingQuizAnswerRow answer, TrainingActionRow action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(action);
        return database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.Command(
                $"INSERT INTO training_quiz_answers ({AnswerColumns}) VALUES (@s, @q, @u, @a, @d, @p, @c, @sec, @e) ON CONFLICT DO NOTHING", transaction)
                .With("@s", answer.SessionId).With("@q", answer.QuizId).With("@u", answer.User).With("@a", answer.At.ToUnixTimeMilliseconds())
                .With("@d", answer.DeviceId).With("@p", answer.Port).With("@c", answer.Correct ? 1 : 0).With("@sec", answer.Seconds).With("@e", answer.Earned);
            if (await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) != 1)
            {
                return false;
            }

            await using var log = connection.Command(
                $"INSERT INTO training_actions ({ActionColumns[4..]}) VALUES (@s, @u, @k, @a, @di, @dm, @r, @d, @p, @c, @t, @ref, @x)", transaction)
                .With("@s", action.SessionId).With("@u", action.User).With("@k", action.Kind).With("@a", action.At.ToUnixTimeMilliseconds())
                .With("@di", action.DrillId).With("@dm", Ms(action.DrillAt)).With("@r", action.RuleId).With("@d", action.DeviceId).With("@p", action.Port)
                .With("@c", action.Category).With("@t", action.TeamId).With("@ref", action.Ref).With("@x", action.Detail);
            await log.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<TrainingQuizAnswerRow>> AnswersAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command($"SELECT {AnswerColumns} FROM training_quiz_answers WHERE session_id = @s ORDER BY at").With("@s", sessionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<TrainingQuizAnswerRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new TrainingQuizAnswerRow(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), At(reader, 3), reader.GetString(4), Int(reader, 5),
                reader.GetInt64(6) != 0, reader.GetDouble(7), (int)reader.GetInt64(8)));
        }

        return rows;
    }

    private static long? Ms(TimeSpan? span) => span is { } s ? (long)s.TotalMilliseconds : null;

    private static DateTimeOffset At(DbDataReader reader, int ordinal) => DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private static TimeSpan? Span(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(ordinal));

    private static int? Int(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : (int)reader.GetInt64(ordinal);

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
