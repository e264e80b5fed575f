using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Monitoring.Core.Knowledge;
using Monitoring.Core.Tickets;

namespace Monitoring.Storage.Knowledge;

/// <summary>A search of the knowledge base: text (<see cref="ArticleLimits.MaxQueryChars"/>) and exact filters.</summary>
public sealed record ArticleQuery
{
    public string? Text { get; init; }
    public string? Tag { get; init; }
    public string? Rule { get; init; }
    public string? Model { get; init; }
    public TicketCategory? Category { get; init; }
    public bool IncludeDrafts { get; init; }
    public int Page { get; init; } = 1;
    public int PageSize { get; init; } = ArticleLimits.DefaultPageSize;
}

/// <summary>One page of a search; <see cref="ShortTermsByLike"/>: terms of 1-2 characters were matched by LIKE (trigram cannot).</summary>
public sealed record ArticlePage(IReadOnlyList<Article> Items, bool HasMore, bool ShortTermsByLike);

public enum SaveOutcome
{
    Saved,
    Unchanged,
    NotFound,
    StaleVersion,
}

public sealed record SaveResult(SaveOutcome Outcome, Article? Article);

/// <summary>
/// The knowledge base in the shared database (migration 0009). Every save goes through the database's one writer and
/// is committed before it returns; an edit names the version it was based on and is refused when another save came
/// first (optimistic concurrency, checked inside the writer's transaction). Search: FTS5 with the trigram tokenizer
/// for terms of 3+ characters (Chinese included), LIKE over at most <see cref="ArticleLimits.MaxLikeScan"/> articles
/// for shorter terms.
/// <para>
/// On PostgreSQL (Migrations/postgres/0009_knowledge.sql) kb_fts is a plain table with a pg_trgm GIN index over
/// <see cref="PostgresDocument"/>: a term of 3+ characters is "document ILIKE '%term%'" (the index serves it), with the
/// same meaning as FTS5 trigram: every term must occur, case-insensitive substring. FTS5's rank has no counterpart
/// there: those hits come newest first. Shorter terms go the bounded ILIKE way on both (SQLite's LIKE already ignores
/// ASCII case). The search is the only SQL that differs by provider; the rest is one text for both.
/// </para>
/// </summary>
public sealed class KnowledgeStore(Database database)
{
    private const string Columns =
        "a.id, a.slug, a.version, a.status, a.title_zh, a.title_en, a.body_zh, a.body_en, a.tags, a.rules, a.models, a.categories, " +
        "a.source_ticket, a.created_at, a.created_by, a.updated_at, a.updated_by";

    /// <summary>The expression the PostgreSQL trigram index is built on (Migrations/postgres/0009_knowledge.sql, character for character).</summary>
    private const string PostgresDocument =
        "(coalesce(f.title_zh, '') || ' ' || coalesce(f.title_en, '') || ' ' || coalesce(f.body_zh, '') || ' ' || coalesce(f.body_en, '') || ' ' || coalesce(f.tags, ''))";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public async Task<Article> CreateAsync(ArticleContent content, string by, DateTimeOffset at, long? sourceTicket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var id = await database.WriteAsync(
            (connection, transaction) => InsertAsync(connection, transaction, null, content, by, at, sourceTicket), cancellationToken).ConfigureAwait(false);
        return (await GetAsync(id, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The seed articles whose slug the database does not hold yet (seeded once: later edits in the database win). Returns how many were added.</summary>
    public Task<int> SeedAsync(IReadOnlyList<SeedArticle> seeds, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        return database.WriteAsync(async (connection, transaction) =>
        {
            var added = 0;
            foreach (var seed in seeds)
            {
                await using var exists = connection.Command("SELECT 1 FROM kb_articles WHERE slug = @s", transaction).With("@s", seed.Slug);
                if (await exists.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false) is not null)
                {
                    continue;
                }

                await InsertAsync(connection, transaction, seed.Slug, seed.Content, "seed", at, null).ConfigureAwait(false);
                added++;
            }

            return added;
        }, cancellationToken);
    }

    /// <summary>Saves a new version of article <paramref name="id"/> if it is still at <paramref name="baseVersion"/>.</summary>
    public async Task<SaveResult> UpdateAsync(long id, int baseVersion, ArticleContent content, string by, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var outcome = await database.WriteAsync(async (connection, transaction) =>
        {
            var current = await ReadAsync(connection, transaction, id, CancellationToken.None).ConfigureAwait(false);
            if (current is null)
            {
                return SaveOutcome.NotFound;
            }

            if (current.Version != baseVersion)
            {
                return SaveOutcome.StaleVersion;
            }

            var changes = content.ChangesFrom(current.Content);
            if (changes.Count == 0)
            {
                return SaveOutcome.Unchanged;
            }

            var version = current.Version + 1;
            await using (var update = connection.Command(
                "UPDATE kb_articles SET version = @v, status = @st, title_zh = @tz, title_en = @te, body_zh = @bz, body_en = @be, tags = @tags, " +
                "rules = @rules, models = @models, categories = @cats, updated_at = @at, updated_by = @by WHERE id = @id", transaction))
            {
                Bind(update, content).With("@v", version).With("@at", at.ToUnixTimeMilliseconds()).With("@by", by).With("@id", id);
                await update.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }

            await WriteSideTablesAsync(connection, transaction, id, version, content, changes, by, at, replace: true).ConfigureAwait(false);
            return SaveOutcome.Saved;
        }, cancellationToken).ConfigureAwait(false);
        var article = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        return new SaveResult(outcome, article);
    }

    public async Task<Article?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, null, id, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ArticleVersion>> VersionsAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT version, at, \"by\", changes, doc FROM kb_versions WHERE article_id = @id ORDER BY version DESC").With("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var versions = new List<ArticleVersion>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions.Add(new ArticleVersion(
                reader.GetInt32(0),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                reader.GetString(2),
                JsonSerializer.Deserialize<string[]>(reader.GetString(3), Json) ?? [],
                JsonSerializer.Deserialize<ArticleContent>(reader.GetString(4), Json)!));
        }

        return versions;
    }

    public async Task<ArticlePage> SearchAsync(ArticleQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var terms = (query.Text ?? string.Empty).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var longTerms = terms.Where(t => t.Length >= 3).ToList();
        var shortTerms = terms.Where(t => t.Length < 3).ToList();
        var postgres = database.Provider == DatabaseProvider.Postgres;
        var like = postgres ? "ILIKE" : "LIKE";
        var sql = new StringBuilder("SELECT ").Append(Columns);
        if (longTerms.Count > 0 && postgres)
        {
            sql.Append(" FROM kb_fts f JOIN kb_articles a ON a.id = f.rowid WHERE ");
            sql.AppendJoin(" AND ", longTerms.Select((_, i) => $"{PostgresDocument} ILIKE @term{i} ESCAPE '\\'"));
        }
        else if (longTerms.Count > 0)
        {
            sql.Append(" FROM kb_fts f JOIN kb_articles a ON a.id = f.rowid WHERE kb_fts MATCH @match");
        }
        else
        {
            sql.Append(" FROM kb_articles a WHERE 1 = 1");
        }

        if (!query.IncludeDrafts)
        {
            sql.Append(" AND a.status = 'published'");
        }

        foreach (var (kind, value) in new[] { ("tag", query.Tag), ("rule", query.Rule), ("model", query.Model), ("category", query.Category is { } c ? Name(c) : null) })
        {
            if (value is not null)
            {
                sql.Append(CultureInfo.InvariantCulture, $" AND EXISTS (SELECT 1 FROM kb_links l WHERE l.article_id = a.id AND l.kind = '{kind}' AND l.value = @{kind})");
            }
        }

        if (shortTerms.Count > 0)
        {
            // trigram needs 3 characters: 1-2 character terms (a Chinese word such as 漏水) by LIKE, over a bounded set of rows
            sql.Append(CultureInfo.InvariantCulture, $" AND a.id IN (SELECT id FROM kb_articles ORDER BY updated_at DESC LIMIT {ArticleLimits.MaxLikeScan})");
            for (var i = 0; i < shortTerms.Count; i++)
            {
                sql.Append(CultureInfo.InvariantCulture,
                    $" AND (a.title_zh {like} @like{i} ESCAPE '\\' OR a.title_en {like} @like{i} ESCAPE '\\' OR a.body_zh {like} @like{i} ESCAPE '\\' " +
                    $"OR a.body_en {like} @like{i} ESCAPE '\\' OR a.tags {like} @like{i} ESCAPE '\\')");
            }
        }

        sql.Append(longTerms.Count > 0 && !postgres ? " ORDER BY f.rank, a.id" : " ORDER BY a.updated_at DESC, a.id");
        var pageSize = Math.Clamp(query.PageSize, 1, ArticleLimits.MaxPageSize);
        var skip = (Math.Max(1, query.Page) - 1) * pageSize;
        sql.Append(CultureInfo.InvariantCulture, $" LIMIT {pageSize + 1} OFFSET {skip}");

        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command(sql.ToString());
        if (longTerms.Count > 0 && postgres)
        {
            for (var i = 0; i < longTerms.Count; i++)
            {
                command.With("@term" + i.ToString(CultureInfo.InvariantCulture), "%" + EscapeLike(longTerms[i]) + "%");
            }
        }
        else if (longTerms.Count > 0)
        {
            command.With("@match", string.Join(" AND ", longTerms.Select(t => "\"" + t.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"")));
        }

        command.With("@tag", query.Tag).With("@rule", query.Rule).With("@model", query.Model).With("@category", query.Category is { } cat ? Name(cat) : null);
        for (var i = 0; i < shortTerms.Count; i++)
        {
            command.With("@like" + i.ToString(CultureInfo.InvariantCulture), "%" + EscapeLike(shortTerms[i]) + "%");
        }

        var items = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        var more = items.Count > pageSize;
        return new ArticlePage(more ? items.Take(pageSize).ToList() : items, more, shortTerms.Count > 0);
    }

    /// <summary>The articles linked to any of the rules, models or categories (drafts only when asked), at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<Article>> LinkedAsync(IReadOnlyCollection<string> rules, IReadOnlyCollection<string> models, IReadOnlyCollection<TicketCategory> categories, bool includeDrafts, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(categories);
        var values = rules.Select(r => ("rule", r)).Concat(models.Select(m => ("model", m))).Concat(categories.Select(c => ("category", Name(c)))).ToList();
        if (values.Count == 0)
        {
            return [];
        }

        var sql = new StringBuilder("SELECT ").Append(Columns).Append(" FROM kb_articles a WHERE a.id IN (SELECT article_id FROM kb_links WHERE ");
        sql.AppendJoin(" OR ", values.Select((_, i) => $"(kind = @k{i} AND value = @v{i})"));
        sql.Append(')');
        if (!includeDrafts)
        {
            sql.Append(" AND a.status = 'published'");
        }

        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY a.updated_at DESC LIMIT {limit}");
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command(sql.ToString());
        for (var i = 0; i < values.Count; i++)
        {
            var suffix = i.ToString(CultureInfo.InvariantCulture);
            command.With("@k" + suffix, values[i].Item1).With("@v" + suffix, values[i].Item2);
        }

        return await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records that an article was opened (helpful null) or marked (helpful true/false) from an alarm or a ticket. Committed before it returns.</summary>
    public Task RecordUsageAsync(long articleId, string fromKind, long fromId, bool? helpful, string by, DateTimeOffset at, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.Command(
                "INSERT INTO kb_usage (article_id, at, \"by\", from_kind, from_id, helpful) VALUES (@a, @at, @by, @k, @f, @h)", transaction)
                .With("@a", articleId).With("@at", at.ToUnixTimeMilliseconds()).With("@by", by).With("@k", fromKind).With("@f", fromId)
                .With("@h", helpful is { } h ? (h ? 1 : 0) : null);
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }, cancellationToken);

    public async Task<KnowledgeUsage> UsageAsync(DateTimeOffset from, DateTimeOffset to, int top, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        var f = from.ToUnixTimeMilliseconds();
        var t = to.ToUnixTimeMilliseconds();
        int opened, helpful, notHelpful, fromAlarms, fromTickets, published, drafts;
        await using (var totals = connection.Command(
            "SELECT COALESCE(SUM(CASE WHEN helpful IS NULL THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN helpful = 1 THEN 1 ELSE 0 END), 0), " +
            "COALESCE(SUM(CASE WHEN helpful = 0 THEN 1 ELSE 0 END), 0), " +
            "COALESCE(SUM(CASE WHEN helpful IS NULL AND from_kind = 'alarm' THEN 1 ELSE 0 END), 0), " +
            "COALESCE(SUM(CASE WHEN helpful IS NULL AND from_kind = 'ticket' THEN 1 ELSE 0 END), 0) " +
            "FROM kb_usage WHERE at >= @f AND at < @t").With("@f", f).With("@t", t))
        await using (var reader = await totals.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (opened, helpful, notHelpful, fromAlarms, fromTickets) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4));
        }

        await using (var counts = connection.Command("SELECT COALESCE(SUM(CASE WHEN status = 'published' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status = 'draft' THEN 1 ELSE 0 END), 0) FROM kb_articles"))
        await using (var reader = await counts.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (published, drafts) = (reader.GetInt32(0), reader.GetInt32(1));
        }

        var rows = new List<ArticleUsage>();
        await using (var most = connection.Command(
            // a helpful flag is null for an opening: SUM(helpful = 1) over openings only is NULL, so every count is a CASE
            "SELECT u.article_id, a.title_zh, a.title_en, SUM(CASE WHEN u.helpful IS NULL THEN 1 ELSE 0 END) AS opened_n, " +
            "SUM(CASE WHEN u.helpful = 1 THEN 1 ELSE 0 END) AS helpful_n, SUM(CASE WHEN u.helpful = 0 THEN 1 ELSE 0 END) AS not_helpful_n " +
            "FROM kb_usage u JOIN kb_articles a ON a.id = u.article_id WHERE u.at >= @f AND u.at < @t " +
            "GROUP BY u.article_id, a.title_zh, a.title_en ORDER BY opened_n DESC, helpful_n DESC, u.article_id LIMIT @n").With("@f", f).With("@t", t).With("@n", top))
        await using (var reader = await most.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new ArticleUsage(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5)));
            }
        }

        return new KnowledgeUsage(opened, helpful, notHelpful, fromAlarms, fromTickets, published, drafts, rows);
    }

    /// <summary>The SQLite library's version (FTS5's trigram tokenizer needs 3.34 or later); SQLite provider only.</summary>
    public async Task<string> SqliteVersionAsync(CancellationToken cancellationToken)
    {
        if (database.Provider != DatabaseProvider.Sqlite)
        {
            throw new InvalidOperationException($"the knowledge base is on {database.Target}, not SQLite");
        }

        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT sqlite_version()");
        return (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// The engine behind the search, for the log: "SQLite 3.x, FTS5 trigram" (the trigram tokenizer needs 3.34 or later)
    /// or "PostgreSQL 1x.y, pg_trgm".
    /// </summary>
    public async Task<string> SearchEngineAsync(CancellationToken cancellationToken)
    {
        var postgres = database.Provider == DatabaseProvider.Postgres;
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command(postgres ? "SHOW server_version" : "SELECT sqlite_version()");
        var version = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return postgres ? $"PostgreSQL {version}, pg_trgm" : $"SQLite {version}, FTS5 trigram";
    }

    private static async Task<long> InsertAsync(DbConnection connection, DbTransaction transaction, string? slug, ArticleContent content, string by, DateTimeOffset at, long? sourceTicket)
    {
        long id;
        await using (var insert = connection.Command(
            "INSERT INTO kb_articles (slug, version, status, title_zh, title_en, body_zh, body_en, tags, rules, models, categories, source_ticket, created_at, created_by, updated_at, updated_by) " +
            "VALUES (@slug, 1, @st, @tz, @te, @bz, @be, @tags, @rules, @models, @cats, @src, @at, @by, @at, @by) RETURNING id", transaction))
        {
            Bind(insert, content).With("@slug", slug).With("@src", sourceTicket).With("@at", at.ToUnixTimeMilliseconds()).With("@by", by);
            id = Convert.ToInt64(await insert.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }

        await WriteSideTablesAsync(connection, transaction, id, 1, content, content.ChangesFrom(null), by, at, replace: false).ConfigureAwait(false);
        return id;
    }

    private static async Task WriteSideTablesAsync(DbConnection connection, DbTransaction transaction, long id, int version, ArticleContent content, IReadOnlyList<string> changes, string by, DateTimeOffset at, bool replace)
    {
        var none = CancellationToken.None;
        if (replace)
        {
            foreach (var sql in new[] { "DELETE FROM kb_links WHERE article_id = @id", "DELETE FROM kb_fts WHERE rowid = @id" })
            {
                await using var delete = connection.Command(sql, transaction).With("@id", id);
                await delete.ExecuteNonQueryAsync(none).ConfigureAwait(false);
            }
        }

        var links = content.Tags.Select(v => ("tag", v)).Concat(content.Rules.Select(v => ("rule", v))).Concat(content.Models.Select(v => ("model", v)))
            .Concat(content.Categories.Select(c => ("category", Name(c)))).Distinct();
        foreach (var (kind, value) in links)
        {
            await using var link = connection.Command("INSERT INTO kb_links (article_id, kind, value) VALUES (@id, @k, @v) ON CONFLICT DO NOTHING", transaction)
                .With("@id", id).With("@k", kind).With("@v", value);
            await link.ExecuteNonQueryAsync(none).ConfigureAwait(false);
        }

        await using (var fts = connection.Command(
            "INSERT INTO kb_fts (rowid, title_zh, title_en, body_zh, body_en, tags) VALUES (@id, @tz, @te, @bz, @be, @tags)", transaction))
        {
            fts.With("@id", id).With("@tz", content.Title.Zh).With("@te", content.Title.En).With("@bz", content.Body.Zh).With("@be", content.Body.En)
                .With("@tags", string.Join(' ', content.Tags));
            await fts.ExecuteNonQueryAsync(none).ConfigureAwait(false);
        }

        await using var record = connection.Command(
            "INSERT INTO kb_versions (article_id, version, at, \"by\", changes, doc) VALUES (@id, @v, @at, @by, @changes, @doc)", transaction)
            .With("@id", id).With("@v", version).With("@at", at.ToUnixTimeMilliseconds()).With("@by", by)
            .With("@changes", JsonSerializer.Serialize(changes, Json)).With("@doc", JsonSerializer.Serialize(content, Json));
        await record.ExecuteNonQueryAsync(none).ConfigureAwait(false);
    }

    private static DbCommand Bind(DbCommand command, ArticleContent content) =>
        command.With("@st", Name(content.Status)).With("@tz", content.Title.Zh).With("@te", content.Title.En).With("@bz", content.Body.Zh).With("@be", content.Body.En)
            .With("@tags", JsonSerializer.Serialize(content.Tags, Json)).With("@rules", JsonSerializer.Serialize(content.Rules, Json))
            .With("@models", JsonSerializer.Serialize(content.Models, Json)).With("@cats", JsonSerializer.Serialize(content.Categories, Json));

    private static async Task<Article?> ReadAsync(DbConnection connection, DbTransaction? transaction, long id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command($"SELECT {Columns} FROM kb_articles a WHERE a.id = @id", transaction).With("@id", id);
        var rows = await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    private static async Task<List<Article>> ReadAllAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var articles = new List<Article>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            articles.Add(new Article
            {
                Id = reader.GetInt64(0),
                Slug = reader.IsDBNull(1) ? null : reader.GetString(1),
                Version = reader.GetInt32(2),
                Content = new ArticleContent
                {
                    Status = reader.GetString(3) == "draft" ? ArticleStatus.Draft : ArticleStatus.Published,
                    Title = new Bilingual(reader.GetString(4), reader.GetString(5)),
                    Body = new Bilingual(reader.GetString(6), reader.GetString(7)),
                    Tags = JsonSerializer.Deserialize<string[]>(reader.GetString(8), Json) ?? [],
                    Rules = JsonSerializer.Deserialize<string[]>(reader.GetString(9), Json) ?? [],
                    Models = JsonSerializer.Deserialize<string[]>(reader.GetString(10), Json) ?? [],
                    Categories = JsonSerializer.Deserialize<TicketCategory[]>(reader.GetString(11), Json) ?? [],
                },
                SourceTicket = reader.IsDBNull(12) ? null : reader.GetInt64(12),
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(13)),
                CreatedBy = reader.GetString(14),
                UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(15)),
                UpdatedBy = reader.GetString(16),
            });
        }

        return articles;
    }

    private static string Name(ArticleStatus status) => status == ArticleStatus.Draft ? "draft" : "published";

    private static string Name(TicketCategory category) => JsonNamingPolicy.CamelCase.ConvertName(category.ToString());

    private static string EscapeLike(string term) =>
        term.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
