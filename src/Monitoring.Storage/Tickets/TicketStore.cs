using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Monitoring.Core.Tickets;

namespace Monitoring.Storage.Tickets;

/// <summary>
/// Tickets in the shared database. Every save is one piece of the database's one writer (ticket row, new steps, new
/// audit lines, links, callback, all or nothing) committed with synchronous=FULL before it returns: a step acknowledged
/// to a client survives a kill.
/// </summary>
public sealed partial class TicketStore(Database database)
{
    public static readonly JsonSerializerOptions Json = CreateJson();

    private const string Columns =
        "id, category, priority, customer_class, channel, status, title, area_id, team_id, holder, device_id, port, room_id, rack_id, " +
        "a_at, due_at, missed, escalation, intercepted, updated_at";

    /// <summary>Writes the ticket; <paramref name="stepsBefore"/>/<paramref name="auditBefore"/>: how many were already stored.</summary>
    /// <param name="alsoInTransaction">More writes that commit or fail with the ticket's (the notices its step made due).</param>
    public async Task SaveAsync(Ticket ticket, DateTimeOffset? dueAt, int stepsBefore, int auditBefore, CancellationToken cancellationToken, Func<DbConnection, DbTransaction, Task>? alsoInTransaction = null)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        // the ticket is written as it is now, on the caller's thread, so a later change cannot slip into this save
        var doc = Serialize(ticket);
        var steps = ticket.StepHistory.Skip(stepsBefore).Select((step, i) => (Seq: stepsBefore + i + 1, Step: step)).ToList();
        var audit = ticket.Audit.Skip(auditBefore).ToList();
        var links = ticket.Links.ToList();
        var callback = ticket.Callback;
        await database.WriteAsync(async (connection, transaction) =>
        {
            var none = CancellationToken.None;
            await UpsertAsync(connection, transaction, ticket, dueAt, doc, none).ConfigureAwait(false);
            if (alsoInTransaction is not null)
            {
                await alsoInTransaction(connection, transaction).ConfigureAwait(false);
            }

            foreach (var (seq, step) in steps)
            {
                await using var command = connection.Command(
                    "INSERT INTO ticket_steps (ticket_id, seq, step, at, by, note) VALUES (@id, @seq, @step, @at, @by, @note) " +
                    "ON CONFLICT (ticket_id, seq) DO UPDATE SET step = excluded.step, at = excluded.at, by = excluded.by, note = excluded.note", transaction)
                    .With("@id", ticket.Id).With("@seq", seq).With("@step", step.Step.ToString()).With("@at", Ms(step.At)).With("@by", step.By).With("@note", step.Note);
                await command.ExecuteNonQueryAsync(none).ConfigureAwait(false);
            }
            foreach (var line in audit)
            {
                await using var command = connection.Command(
                    "INSERT INTO ticket_audit (ticket_id, seq, at, by, action, detail) VALUES (@id, @seq, @at, @by, @action, @detail) " +
                    "ON CONFLICT (ticket_id, seq) DO UPDATE SET at = excluded.at, by = excluded.by, action = excluded.action, detail = excluded.detail", transaction)
                    .With("@id", ticket.Id).With("@seq", line.Seq).With("@at", Ms(line.At)).With("@by", line.By).With("@action", line.Action).With("@detail", line.Detail);
                await command.ExecuteNonQueryAsync(none).ConfigureAwait(false);
            }
            await using (var delete = connection.Command("DELETE FROM ticket_links WHERE ticket_id = @id", transaction).With("@id", ticket.Id))
            {
                await delete.ExecuteNonQueryAsync(none).ConfigureAwait(false);
            }
            foreach (var link in links)
            {
                await using var command = connection.Command(
                    "INSERT INTO ticket_links (ticket_id, kind, target, at, by) VALUES (@id, @kind, @target, @at, @by) ON CONFLICT DO NOTHING", transaction)
                    .With("@id", ticket.Id).With("@kind", Name(link.Kind)).With("@target", link.Target).With("@at", Ms(link.At)).With("@by", link.By);
                await command.ExecuteNonQueryAsync(none).ConfigureAwait(false);
            }
            if (callback is not null)
            {
                await using var command = connection.Command(
                    "INSERT INTO ticket_callbacks (ticket_id, at, by, satisfied, comment) VALUES (@id, @at, @by, @s, @c) " +
                    "ON CONFLICT (ticket_id) DO UPDATE SET at = excluded.at, by = excluded.by, satisfied = excluded.satisfied, comment = excluded.comment", transaction)
                    .With("@id", ticket.Id).With("@at", Ms(callback.At)).With("@by", callback.By).With("@s", callback.Satisfied ? 1 : 0).With("@c", callback.Comment);
                await command.ExecuteNonQueryAsync(none).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Many tickets in one transaction (imports, benchmarks, tests).</summary>
    public async Task SaveManyAsync(IEnumerable<(Ticket Ticket, DateTimeOffset? DueAt)> tickets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tickets);
        var docs = tickets.Select(t => (t.Ticket, t.DueAt, Doc: Serialize(t.Ticket))).ToList();
        await database.WriteAsync(async (connection, transaction) =>
        {
            foreach (var (ticket, due, doc) in docs)
            {
                await UpsertAsync(connection, transaction, ticket, due, doc, CancellationToken.None).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Ticket?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT doc FROM ticket_docs WHERE ticket_id = @id").With("@id", id);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string doc ? Deserialize(doc) : null;
    }

    /// <summary>Every ticket not closed yet (resolved ones wait for callback and close): what the service keeps in memory.</summary>
    public async Task<IReadOnlyList<Ticket>> LoadNotClosedAsync(CancellationToken cancellationToken)
    {
        var tickets = new List<Ticket>();
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT d.doc FROM tickets t JOIN ticket_docs d ON d.ticket_id = t.id WHERE t.closed_at IS NULL ORDER BY t.id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tickets.Add(Deserialize(reader.GetString(0)));
        }

        return tickets;
    }

    public async Task<long> MaxIdAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT COALESCE(MAX(id), 0) FROM tickets");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>Ids of the tickets that link a target (e.g. alarm "42"), newest first.</summary>
    public async Task<IReadOnlyList<long>> FindByLinkAsync(TicketLinkKind kind, string target, CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT ticket_id FROM ticket_links WHERE kind = @k AND target = @t ORDER BY ticket_id DESC")
            .With("@k", Name(kind)).With("@t", target);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    /// <summary>A filtered page of tickets, newest reported first, with the total matching count.</summary>
    public async Task<TicketPage> QueryAsync(TicketQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = Math.Max(1, query.Page);
        var size = Math.Clamp(query.PageSize, 1, 500);
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        var where = new StringBuilder(" WHERE 1 = 1");
        await using var count = connection.Command(string.Empty);
        await using var select = connection.Command(string.Empty);
        Filter(count, query, where);
        Filter(select, query, null);

        count.CommandText = "SELECT COUNT(*) FROM tickets" + where;
        select.CommandText = $"SELECT {Columns} FROM tickets{where} ORDER BY a_at DESC, id DESC LIMIT @limit OFFSET @offset";
        select.With("@limit", size).With("@offset", (page - 1) * size);
        var total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        var items = new List<TicketSummary>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(ReadSummary(reader, query.Now));
        }

        return new TicketPage(total, page, size, items);
    }

    /// <summary>Report facts of tickets reported in [from - 7 days, to): the 7 days before feed the repeat-fault rule.</summary>
    public async Task<IReadOnlyList<TicketFacts>> LoadFactsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var facts = new List<TicketFacts>();
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command(
            "SELECT id, category, customer_class, area_id, team_id, device_type, device_id, port, tiers, other_building, " +
            "a_at, b_at, c_at, d_at, e_at, f_at, g_at, h_at, resolved_at, called_back_at, closed_at, satisfied, intercepted, due_at, fault_at " +
            "FROM tickets WHERE a_at >= @from AND a_at < @to")
            .With("@from", Ms(from - ServiceReport.RepeatWindow)).With("@to", Ms(to));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var steps = new DateTimeOffset?[11];
            for (var i = 0; i < 11; i++)
            {
                steps[i] = Time(reader, 10 + i);
            }

            facts.Add(new TicketFacts
            {
                Id = reader.GetInt64(0),
                Category = Enum.Parse<TicketCategory>(reader.GetString(1)),
                CustomerClass = Enum.Parse<CustomerClass>(reader.GetString(2)),
                AreaId = Text(reader, 3),
                TeamId = Text(reader, 4),
                DeviceType = Text(reader, 5),
                DeviceId = Text(reader, 6),
                Port = reader.IsDBNull(7) ? null : reader.GetInt32(7),
                Tiers = reader.GetInt32(8),
                OtherBuilding = reader.GetInt32(9) != 0,
                Steps = steps,
                Satisfied = reader.IsDBNull(21) ? null : reader.GetInt32(21) != 0,
                Intercepted = reader.GetInt32(22),
                DueAt = Time(reader, 23),
                FaultBeganAt = Time(reader, 24),
            });
        }

        return facts;
    }

    public async Task SaveTeamStatusAsync(TeamStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.Command(
                "INSERT INTO team_status (team_id, availability, reason, by, at) VALUES (@t, @a, @r, @b, @at) " +
                "ON CONFLICT (team_id) DO UPDATE SET availability = excluded.availability, reason = excluded.reason, by = excluded.by, at = excluded.at", transaction)
                .With("@t", status.TeamId).With("@a", status.Availability.ToString()).With("@r", status.Reason).With("@b", status.By).With("@at", Ms(status.At));
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<TeamStatus>> LoadTeamStatusesAsync(CancellationToken cancellationToken)
    {
        var statuses = new List<TeamStatus>();
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT team_id, availability, reason, by, at FROM team_status");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            statuses.Add(new TeamStatus(reader.GetString(0), Enum.Parse<TeamAvailability>(reader.GetString(1)), Text(reader, 2), reader.GetString(3),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
        }

        return statuses;
    }

    /// <summary>The audit trail as stored (independent of the JSON doc): what a kill test checks against.</summary>
    public async Task<IReadOnlyList<AuditEntry>> LoadAuditAsync(long ticketId, CancellationToken cancellationToken)
    {
        var lines = new List<AuditEntry>();
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT seq, at, by, action, detail FROM ticket_audit WHERE ticket_id = @id ORDER BY seq").With("@id", ticketId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            lines.Add(new AuditEntry(reader.GetInt32(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetString(2), reader.GetString(3), Text(reader, 4)));
        }

        return lines;
    }

    public static string Serialize(Ticket ticket) => JsonSerializer.Serialize(ticket, Json);

    public static Ticket Deserialize(string doc) => JsonSerializer.Deserialize<Ticket>(doc, Json) ?? throw new InvalidDataException("empty ticket document");

    private static async Task UpsertAsync(DbConnection connection, DbTransaction transaction, Ticket t, DateTimeOffset? dueAt, string docJson, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            "INSERT INTO tickets (id, category, priority, customer_class, channel, status, is_open, title, area_id, team_id, holder, device_id, port, room_id, rack_id, " +
            "device_type, tiers, other_building, a_at, b_at, c_at, d_at, e_at, f_at, g_at, h_at, resolved_at, called_back_at, closed_at, due_at, missed, escalation, " +
            "satisfied, intercepted, updated_at, fault_at) VALUES (@id, @category, @priority, @class, @channel, @status, @open, @title, @area, @team, @holder, @device, @port, " +
            "@room, @rack, @type, @tiers, @other, @a, @b, @c, @d, @e, @f, @g, @h, @resolved, @calledBack, @closed, @due, @missed, @escalation, @satisfied, @intercepted, " +
            "@updated, @fault) ON CONFLICT(id) DO UPDATE SET category = excluded.category, priority = excluded.priority, customer_class = excluded.customer_class, " +
            "channel = excluded.channel, status = excluded.status, is_open = excluded.is_open, title = excluded.title, area_id = excluded.area_id, " +
            "team_id = excluded.team_id, holder = excluded.holder, device_id = excluded.device_id, port = excluded.port, room_id = excluded.room_id, " +
            "rack_id = excluded.rack_id, device_type = excluded.device_type, tiers = excluded.tiers, other_building = excluded.other_building, a_at = excluded.a_at, " +
            "b_at = excluded.b_at, c_at = excluded.c_at, d_at = excluded.d_at, e_at = excluded.e_at, f_at = excluded.f_at, g_at = excluded.g_at, h_at = excluded.h_at, " +
            "resolved_at = excluded.resolved_at, called_back_at = excluded.called_back_at, closed_at = excluded.closed_at, due_at = excluded.due_at, " +
            "missed = excluded.missed, escalation = excluded.escalation, satisfied = excluded.satisfied, intercepted = excluded.intercepted, " +
            "updated_at = excluded.updated_at, fault_at = excluded.fault_at", transaction)
            .With("@id", t.Id).With("@category", t.Category.ToString()).With("@priority", (int)t.Priority).With("@class", t.CustomerClass.ToString())
            .With("@channel", t.Channel.ToString()).With("@status", t.Status.ToString()).With("@open", t.IsOpen ? 1 : 0).With("@title", t.Title)
            .With("@area", t.AreaId).With("@team", t.TeamId).With("@holder", t.Holder).With("@device", t.DeviceId).With("@port", t.Port)
            .With("@room", t.RoomId).With("@rack", t.RackId).With("@type", t.DeviceType).With("@tiers", t.Tiers).With("@other", t.OtherBuilding ? 1 : 0)
            .With("@a", Ms(t.ReportedAt)).With("@b", Ms(t.At(TicketStep.Dispatched))).With("@c", Ms(t.At(TicketStep.CentreReceived)))
            .With("@d", Ms(t.At(TicketStep.CentreDispatched))).With("@e", Ms(t.At(TicketStep.TeamReceived))).With("@f", Ms(t.At(TicketStep.Accepted)))
            .With("@g", Ms(t.At(TicketStep.Departed))).With("@h", Ms(t.At(TicketStep.Arrived))).With("@resolved", Ms(t.At(TicketStep.Resolved)))
            .With("@calledBack", Ms(t.At(TicketStep.CalledBack))).With("@closed", Ms(t.At(TicketStep.Closed))).With("@due", Ms(dueAt))
            .With("@missed", t.Missed.Count).With("@escalation", (int)t.Escalation).With("@satisfied", t.Callback is null ? null : t.Callback.Satisfied ? 1 : 0)
            .With("@intercepted", t.Reports.Count).With("@updated", Ms(t.UpdatedAt)).With("@fault", Ms(t.FaultBeganAt));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var doc = connection.Command("INSERT INTO ticket_docs (ticket_id, doc) VALUES (@id, @doc) ON CONFLICT (ticket_id) DO UPDATE SET doc = excluded.doc", transaction)
            .With("@id", t.Id).With("@doc", docJson);
        await doc.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void Filter(DbCommand command, TicketQuery q, StringBuilder? where)
    {
        void Add(string clause, string name, object? value)
        {
            where?.Append(" AND ").Append(clause);
            command.With(name, value);
        }

        if (q.Status is { } status)
        {
            Add("status = @status", "@status", status.ToString());
        }

        if (q.Open is { } open)
        {
            Add("is_open = @open", "@open", open ? 1 : 0);
        }

        if (q.Category is { } category)
        {
            Add("category = @category", "@category", category.ToString());
        }

        if (q.AreaId is { } area)
        {
            Add("area_id = @area", "@area", area);
        }

        if (q.TeamId is { } team)
        {
            Add("team_id = @team", "@team", team);
        }

        if (q.DeviceId is { } device)
        {
            // a ticket of an incident covers every device of it (its device links)
            Add("(device_id = @device OR id IN (SELECT ticket_id FROM ticket_links WHERE kind = 'device' AND target = @device))", "@device", device);
        }

        if (q.From is { } from)
        {
            Add("a_at >= @from", "@from", Ms(from));
        }

        if (q.To is { } to)
        {
            Add("a_at < @to", "@to", Ms(to));
        }

        if (q.Overdue)
        {
            Add("is_open = 1 AND due_at < @now", "@now", Ms(q.Now));
        }
    }

    private static TicketSummary ReadSummary(DbDataReader r, DateTimeOffset now)
    {
        var id = r.GetInt64(0);
        var due = Time(r, 15);
        var status = Enum.Parse<TicketStatus>(r.GetString(5));
        return new TicketSummary
        {
            Id = id,
            Number = "T" + id.ToString("D6", CultureInfo.InvariantCulture),
            Category = Enum.Parse<TicketCategory>(r.GetString(1)),
            Priority = (TicketPriority)r.GetInt32(2),
            CustomerClass = Enum.Parse<CustomerClass>(r.GetString(3)),
            Channel = Enum.Parse<TicketChannel>(r.GetString(4)),
            Status = status,
            Title = r.GetString(6),
            AreaId = Text(r, 7),
            TeamId = Text(r, 8),
            Holder = Text(r, 9),
            DeviceId = Text(r, 10),
            Port = r.IsDBNull(11) ? null : r.GetInt32(11),
            RoomId = Text(r, 12),
            RackId = Text(r, 13),
            ReportedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(14)),
            DueAt = due,
            Overdue = due is { } d && d < now && status is not (TicketStatus.Resolved or TicketStatus.Closed),
            MissedSegments = r.GetInt32(16),
            Escalation = (EscalationLevel)r.GetInt32(17),
            Intercepted = r.GetInt32(18),
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(19)),
        };
    }

    private static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private static long Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    private static long? Ms(DateTimeOffset? at) => at?.ToUnixTimeMilliseconds();

    private static string Name(TicketLinkKind kind) => kind.ToString().ToLowerInvariant();

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        return json;
    }
}
