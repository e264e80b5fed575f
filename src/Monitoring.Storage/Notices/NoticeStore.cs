using System.Data.Common;
using Monitoring.Core.Tickets.Notices;

namespace Monitoring.Storage.Notices;

/// <summary>One delivery attempt of a notice.</summary>
public sealed record NoticeAttempt(int Attempt, DateTimeOffset At, bool Ok, string? Error);

/// <summary>A stored notice as the sender and the ticket's timeline see it.</summary>
public sealed record StoredNotice(
    long Id,
    long TicketId,
    NoticeStep Step,
    NoticeRole Role,
    NoticeChannel Channel,
    string Address,
    string Language,
    string? Subject,
    string Body,
    NoticeState State,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset NextAt,
    DateTimeOffset? SentAt,
    string? LastError)
{
    public IReadOnlyList<NoticeAttempt> History { get; init; } = [];
}

/// <summary>
/// The notice outbox in the shared database: written inside the ticket save's transaction (<see cref="InsertAsync"/>),
/// read by the sender per channel when due, updated after every attempt (the attempt row and the notice's state in one
/// transaction).
/// </summary>
public sealed class NoticeStore(Database database)
{
    private const string Columns = "id, ticket_id, step, role, channel, address, language, subject, body, state, attempts, created_at, next_at, sent_at, last_error";

    /// <summary>Inserts the drafts on the caller's connection and transaction (the ticket save's).</summary>
    public static async Task InsertAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<NoticeDraft> drafts)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(drafts);
        foreach (var d in drafts)
        {
            await using var command = connection.Command(
                "INSERT INTO notices (ticket_id, step, role, channel, address, language, subject, body, state, attempts, created_at, next_at, updated_at) " +
                "VALUES (@t, @step, @role, @channel, @address, @language, @subject, @body, 'pending', 0, @created, @next, @created)", transaction)
                .With("@t", d.TicketId).With("@step", d.Step.ToString()).With("@role", d.Role.ToString()).With("@channel", d.Channel.ToString())
                .With("@address", d.Address).With("@language", d.Language).With("@subject", d.Subject).With("@body", d.Body)
                .With("@created", d.CreatedAt.ToUnixTimeMilliseconds()).With("@next", d.NotBefore.ToUnixTimeMilliseconds());
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Up to <paramref name="limit"/> notices of a channel due at <paramref name="now"/> (pending or retrying), oldest due first.</summary>
    public async Task<IReadOnlyList<StoredNotice>> DueAsync(NoticeChannel channel, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command(
            $"SELECT {Columns} FROM notices WHERE channel = @c AND state IN ('pending', 'retrying') AND next_at <= @now ORDER BY next_at, id LIMIT @limit")
            .With("@c", channel.ToString()).With("@now", now.ToUnixTimeMilliseconds()).With("@limit", limit);
        return await ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>When the next notice of a channel is due (pending or retrying), null when none waits.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(NoticeChannel channel, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT MIN(next_at) FROM notices WHERE channel = @c AND state IN ('pending', 'retrying')")
            .With("@c", channel.ToString());
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? null : DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Records an attempt and the notice's new state (sent, retrying at <paramref name="nextAt"/>, or gaveUp) in one transaction.</summary>
    public Task RecordAttemptAsync(long id, int attempt, DateTimeOffset at, bool ok, string? error, NoticeState state, DateTimeOffset nextAt, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            var none = CancellationToken.None;
            await using (var insert = connection.Command(
                // a retried attempt of the same number replaces the row: ON CONFLICT, which both providers understand
                "INSERT INTO notice_attempts (notice_id, attempt, at, ok, error) VALUES (@id, @n, @at, @ok, @error) " +
                "ON CONFLICT (notice_id, attempt) DO UPDATE SET at = excluded.at, ok = excluded.ok, error = excluded.error", transaction)
                .With("@id", id).With("@n", attempt).With("@at", at.ToUnixTimeMilliseconds()).With("@ok", ok ? 1 : 0).With("@error", error))
            {
                await insert.ExecuteNonQueryAsync(none).ConfigureAwait(false);
            }

            await using var update = connection.Command(
                "UPDATE notices SET state = @state, attempts = @n, next_at = @next, sent_at = @sent, last_error = @error, updated_at = @at WHERE id = @id", transaction)
                .With("@state", Wire(state)).With("@n", attempt).With("@next", nextAt.ToUnixTimeMilliseconds())
                .With("@sent", ok ? at.ToUnixTimeMilliseconds() : null).With("@error", error).With("@at", at.ToUnixTimeMilliseconds()).With("@id", id);
            await update.ExecuteNonQueryAsync(none).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>A ticket's notices, oldest first, each with its attempts.</summary>
    public async Task<IReadOnlyList<StoredNotice>> ForTicketAsync(long ticketId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        List<StoredNotice> notices;
        await using (var command = connection.Command($"SELECT {Columns} FROM notices WHERE ticket_id = @t ORDER BY id LIMIT 1000").With("@t", ticketId))
        {
            notices = await ReadAsync(command, cancellationToken).ConfigureAwait(false);
        }

        if (notices.Count == 0)
        {
            return notices;
        }

        var attempts = new Dictionary<long, List<NoticeAttempt>>();
        await using (var command = connection.Command(
            "SELECT a.notice_id, a.attempt, a.at, a.ok, a.error FROM notice_attempts a JOIN notices n ON n.id = a.notice_id WHERE n.ticket_id = @t ORDER BY a.notice_id, a.attempt")
            .With("@t", ticketId))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetInt64(0);
                if (!attempts.TryGetValue(id, out var list))
                {
                    attempts[id] = list = [];
                }

                list.Add(new NoticeAttempt(reader.GetInt32(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)), reader.GetInt32(3) != 0, reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
        }

        return [.. notices.Select(n => attempts.TryGetValue(n.Id, out var list) ? n with { History = list } : n)];
    }

    /// <summary>How many notices are in each state (for /healthz).</summary>
    public async Task<IReadOnlyDictionary<NoticeState, long>> CountsAsync(CancellationToken cancellationToken)
    {
        var counts = Enum.GetValues<NoticeState>().ToDictionary(s => s, _ => 0L);
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT state, COUNT(*) FROM notices GROUP BY state");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts[Parse(reader.GetString(0))] = reader.GetInt64(1);
        }

        return counts;
    }

    public static string Wire(NoticeState state) => state switch
    {
        NoticeState.GaveUp => "gaveUp",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static NoticeState Parse(string state) => state switch
    {
        "gaveUp" => NoticeState.GaveUp,
        "sent" => NoticeState.Sent,
        "retrying" => NoticeState.Retrying,
        _ => NoticeState.Pending,
    };

    private static async Task<List<StoredNotice>> ReadAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var list = new List<StoredNotice>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new StoredNotice(
                r.GetInt64(0), r.GetInt64(1), Enum.Parse<NoticeStep>(r.GetString(2)), Enum.Parse<NoticeRole>(r.GetString(3)), Enum.Parse<NoticeChannel>(r.GetString(4)),
                r.GetString(5), r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetString(8), Parse(r.GetString(9)), r.GetInt32(10),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(11)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(12)),
                r.IsDBNull(13) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(13)), r.IsDBNull(14) ? null : r.GetString(14)));
        }

        return list;
    }
}
