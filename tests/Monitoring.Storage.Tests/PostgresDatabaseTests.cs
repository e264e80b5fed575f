using System.Data.Common;
using Npgsql;

namespace Monitoring.Storage.Tests;

/// <summary>
/// What is PostgreSQL's own in <see cref="Database"/>: pooled writers (each piece its own transaction), read-only
/// readers, a lost connection (the server killed under it) answered as "unavailable" and recovered from, a full disk
/// reported as such, and the connection string's password kept out of every message.
/// </summary>
public sealed class PostgresDatabaseTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime, IAsyncDisposable
{
    private const string Password = "s3cret-Pa55word";
    private readonly string _directory = Directory.CreateTempSubdirectory("monitoring-pg-database-").FullName;
    private Database _database = null!;

    public async Task InitializeAsync()
    {
        var options = await postgres.NewOptionsAsync(_directory);
        // trust authentication ignores it, but it is in the string: nothing may ever show it
        options.ConnectionString += ";Password=" + Password;
        _database = new Database(options);
        await new Migrator(_database).MigrateAsync(CancellationToken.None);
    }

    ValueTask IAsyncDisposable.DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return _database.DisposeAsync();
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Readers_cannot_write()
    {
        await ExecuteAsync("CREATE TABLE t (v BIGINT)");
        await using var reader = await _database.OpenReaderAsync(CancellationToken.None);
        await using var command = reader.CreateCommand();
        command.CommandText = "INSERT INTO t VALUES (1)";
        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
    }

    [Fact]
    public async Task Concurrent_pieces_commit_on_pooled_connections_and_a_failing_piece_fails_alone()
    {
        await ExecuteAsync("CREATE TABLE t (seq BIGINT PRIMARY KEY, v TEXT NOT NULL)");
        var pieces = Enumerable.Range(1, 200).Select(i => _database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = i == 50 ? "INSERT INTO t (seq, v) VALUES (@i, NULL)" : "INSERT INTO t (seq, v) VALUES (@i, 'x')";
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@i";
            parameter.Value = (long)i;
            command.Parameters.Add(parameter);
            await command.ExecuteNonQueryAsync();
        }, CancellationToken.None)).ToList();

        var failed = await Assert.ThrowsAsync<PostgresException>(() => pieces[49]);
        Assert.Equal(PostgresErrorCodes.NotNullViolation, failed.SqlState);
        await Task.WhenAll(pieces.Where((_, i) => i != 49));
        Assert.Equal(199L, await ScalarAsync("SELECT COUNT(*) FROM t"));
        Assert.True(_database.Committed >= 199);
    }

    [Fact]
    public async Task A_lost_server_is_unavailable_with_a_clear_message_and_writes_resume_when_it_is_back()
    {
        await ExecuteAsync("CREATE TABLE t (v BIGINT)");
        await ExecuteAsync("INSERT INTO t VALUES (1)");
        await postgres.Peer.StopServerAsync();
        try
        {
            var lost = await Assert.ThrowsAsync<StorageUnavailableException>(() => ExecuteAsync("INSERT INTO t VALUES (2)"));
            Assert.Contains($"127.0.0.1:{postgres.Peer.Port}", lost.Message, StringComparison.Ordinal);
            Assert.Contains("nothing of this write was kept", lost.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, lost.ToString(), StringComparison.Ordinal);
            Assert.NotNull(_database.Health.Unavailable);
            Assert.True(StorageUnavailableException.Is(lost));
            await Assert.ThrowsAsync<StorageUnavailableException>(() => _database.OpenReaderAsync(CancellationToken.None));
            Assert.True(_database.Health.UnavailableEvents >= 2);
        }
        finally
        {
            await postgres.Peer.StartServerAsync();
        }

        // the pool's broken connections are dropped: the next write works and clears the state
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await ExecuteAsync("INSERT INTO t VALUES (3)");
                break;
            }
            catch (StorageUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }

        Assert.Null(_database.Health.Unavailable);
        Assert.Equal(2L, await ScalarAsync("SELECT COUNT(*) FROM t"));
    }

    [Fact]
    public async Task A_full_disk_reported_by_postgres_is_storage_full_and_clears_on_the_next_write()
    {
        await ExecuteAsync("CREATE TABLE t (v BIGINT)");
        await ExecuteAsync(
            "CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.v = 0 THEN " +
            "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END IF; RETURN NEW; END $$; " +
            "CREATE TRIGGER full_disk BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION full_disk()");

        var full = await Assert.ThrowsAsync<StorageFullException>(() => ExecuteAsync("INSERT INTO t VALUES (0)"));
        Assert.True(DiskFull.Is(full));
        Assert.True(_database.Health.IsFull);
        Assert.Contains("No space left on device", _database.Health.Reason, StringComparison.Ordinal);

        await ExecuteAsync("INSERT INTO t VALUES (1)");
        Assert.False(_database.Health.IsFull);
    }

    [Fact]
    public void The_connection_string_is_never_shown()
    {
        var options = new StorageOptions { Provider = DatabaseProvider.Postgres, DataDirectory = _directory, ConnectionString = "Host=db;Password=" + Password + ";Bogus Key=1" };
        var invalid = Assert.Throws<InvalidOperationException>(() => new Database(options));
        Assert.Contains("Monitoring:Storage:ConnectionString", invalid.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, invalid.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, options.ToString(), StringComparison.Ordinal);
        var missing = Assert.Throws<InvalidOperationException>(() => new Database(new StorageOptions { Provider = DatabaseProvider.Postgres, DataDirectory = _directory }));
        Assert.Contains("required", missing.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, _database.Target, StringComparison.Ordinal);
        Assert.StartsWith("PostgreSQL 127.0.0.1:", _database.Target, StringComparison.Ordinal);
    }

    /// <summary>
    /// The PostgreSQL forms of the kb (0009: FTS5 becomes a pg_trgm-indexed table) and notices (0010: the rowid key becomes
    /// an identity) migrations. Their SQLite scripts come from other branches: before that merge the overrides are
    /// pending and this test runs them itself after the shipped migrations; after it, the migration has made them.
    /// </summary>
    [Fact]
    public async Task The_kb_and_notices_postgres_forms_search_by_substring_and_number_notices()
    {
        var pending = Migrator.PendingPostgresOverrides();
        foreach (var (_, _, sql) in pending)
        {
            await ExecuteAsync(sql);
        }

        await ExecuteAsync(
            "INSERT INTO kb_articles (slug, version, status, title_zh, title_en, body_zh, body_en, tags, rules, models, categories, created_at, created_by, updated_at, updated_by) " +
            "VALUES ('ups', 1, 'published', '不间断电源旁路', 'UPS on Bypass', '检查整流器', 'Check the rectifier', 'ups', '', '', '', 1, 'admin', 1, 'admin'); " +
            "INSERT INTO kb_fts (rowid, title_zh, title_en, body_zh, body_en, tags) SELECT id, title_zh, title_en, body_zh, body_en, tags FROM kb_articles; " +
            "INSERT INTO kb_versions (article_id, version, at, \"by\", changes, doc) SELECT id, 1, 1, 'admin', 'created', '{}' FROM kb_articles");
        const string Doc = "coalesce(title_zh, '') || ' ' || coalesce(title_en, '') || ' ' || coalesce(body_zh, '') || ' ' || coalesce(body_en, '') || ' ' || coalesce(tags, '')";
        foreach (var (term, found) in new[] { ("间断电", 1L), ("BYPASS", 1L), ("rectif", 1L), ("旁路电", 0L) })
        {
            Assert.Equal(found, await ScalarAsync($"SELECT count(*) FROM kb_fts WHERE ({Doc}) ILIKE '%{term}%' AND rowid IN (SELECT id FROM kb_articles)"));
        }

        // the search expression is the indexed one: with sequential scans off, the plan uses the trigram index
        var plan = await _database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            await using (var off = connection.CreateCommand())
            {
                off.Transaction = transaction;
                off.CommandText = "SET LOCAL enable_seqscan = off";
                await off.ExecuteNonQueryAsync();
            }

            command.CommandText = $"EXPLAIN SELECT rowid FROM kb_fts WHERE ({Doc}) ILIKE '%bypass%'";
            var lines = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }

            return string.Join('\n', lines);
        }, CancellationToken.None);
        Assert.Contains("kb_fts_trgm", plan, StringComparison.Ordinal);

        await ExecuteAsync(
            "INSERT INTO notices (ticket_id, step, role, channel, address, language, subject, body, state, attempts, created_at, next_at, updated_at) " +
            "VALUES (7, 'Arrived', 'Customer', 'Email', 'a@example.com', 'zh', 's', 'b', 'pending', 0, 1, 1, 1), " +
            "(7, 'Resolved', 'Customer', 'Sms', '+8613800000000', 'zh', NULL, 'b', 'pending', 0, 2, 2, 2); " +
            "INSERT INTO notice_attempts (notice_id, attempt, at, ok, error) SELECT id, 1, 3, 1, NULL FROM notices");
        Assert.Equal("1,2", await ScalarAsync("SELECT string_agg(id::text, ',' ORDER BY id) FROM notices"));
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM notice_attempts"));
    }

    private Task ExecuteAsync(string sql) =>
        _database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }, CancellationToken.None);

    private async Task<object?> ScalarAsync(string sql)
    {
        await using DbConnection reader = await _database.OpenReaderAsync(CancellationToken.None);
        await using var command = reader.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
