using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Monitoring.Storage.Tests;

/// <summary>The one writer with its queue, the readers on their own connections, on a real SQLite file.</summary>
public sealed class DatabaseTests : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("monitoring-database-").FullName;
    private readonly Database _database;

    public DatabaseTests()
    {
        _database = new Database(new StorageOptions { DataDirectory = _directory });
    }

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_file_is_in_WAL_mode_and_readers_cannot_write()
    {
        await ExecuteAsync("CREATE TABLE t (v INTEGER)");
        await using var reader = await _database.OpenReaderAsync(CancellationToken.None);
        Assert.Equal("wal", await ScalarAsync(reader, "PRAGMA journal_mode"));
        Assert.Equal(1L, await ScalarAsync(reader, "PRAGMA query_only"));
        var refused = await Assert.ThrowsAsync<SqliteException>(() => ScalarAsync(reader, "INSERT INTO t VALUES (1)"));
        Assert.Equal(8, refused.SqliteErrorCode); // SQLITE_READONLY
    }

    [Fact]
    public async Task Pieces_queued_together_commit_in_order_and_a_failing_piece_fails_alone()
    {
        await ExecuteAsync("CREATE TABLE t (seq INTEGER PRIMARY KEY, v TEXT NOT NULL)");
        var pieces = Enumerable.Range(1, 200).Select(i => _database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = i == 50 ? "INSERT INTO t (seq, v) VALUES (@i, NULL)" : "INSERT INTO t (seq, v) VALUES (@i, 'x')";
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@i";
            parameter.Value = i;
            command.Parameters.Add(parameter);
            await command.ExecuteNonQueryAsync();
        }, CancellationToken.None)).ToList();

        var failed = await Assert.ThrowsAsync<SqliteException>(() => pieces[49]);
        Assert.Equal(19, failed.SqliteErrorCode); // SQLITE_CONSTRAINT: NOT NULL
        await Task.WhenAll(pieces.Where((_, i) => i != 49));
        await using var reader = await _database.OpenReaderAsync(CancellationToken.None);
        Assert.Equal(199L, await ScalarAsync(reader, "SELECT COUNT(*) FROM t"));
        Assert.Equal(0L, await ScalarAsync(reader, "SELECT COUNT(*) FROM t WHERE seq = 50"));
        Assert.True(_database.Committed >= 199);
    }

    [Fact]
    public async Task A_write_waits_for_a_lock_held_by_another_connection_instead_of_failing()
    {
        await ExecuteAsync("CREATE TABLE t (v INTEGER)");
        await using var other = new SqliteConnection($"Data Source={Path.Combine(_directory, "monitoring.db")};Pooling=False");
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE; INSERT INTO t VALUES (1);";
            await begin.ExecuteNonQueryAsync();
        }

        var write = _database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO t VALUES (2)";
            await command.ExecuteNonQueryAsync();
        }, CancellationToken.None);
        while (_database.Queued > 0)
        {
            await Task.Delay(10); // the writer has taken the piece and waits on the lock
        }

        Assert.False(write.IsCompleted, "the write must wait for the other connection's lock");
        await using (var commit = other.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            await commit.ExecuteNonQueryAsync();
        }

        await write;
        await using var reader = await _database.OpenReaderAsync(CancellationToken.None);
        Assert.Equal(2L, await ScalarAsync(reader, "SELECT COUNT(*) FROM t"));
    }

    [Fact]
    public async Task A_bookkeeping_write_that_fails_is_retried_and_kept()
    {
        await ExecuteAsync("CREATE TABLE t (v INTEGER)");
        await ExecuteAsync("CREATE TRIGGER refuse BEFORE INSERT ON t BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        _database.Post("test row", async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO t VALUES (7)";
            await command.ExecuteNonQueryAsync();
        });
        await EventuallyAsync(() => _database.Retrying == 1, "the failed bookkeeping write waits for its retry");
        await ExecuteAsync("DROP TRIGGER refuse");
        await using var reader = await _database.OpenReaderAsync(CancellationToken.None);
        await EventuallyAsync(() => _database.Retrying == 0, "the retry runs");
        // Retrying drops as the retry is handed back to the writer, a moment before it commits: wait for the row itself
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Equals(await ScalarAsync(reader, "SELECT COUNT(*) FROM t WHERE v = 7"), 1L) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(1L, await ScalarAsync(reader, "SELECT COUNT(*) FROM t WHERE v = 7"));
        Assert.Equal(0, _database.BookkeepingLost);
        Assert.True(_database.Failed >= 1);
    }

    [Fact]
    public void Disk_full_is_recognised_from_SQLite_and_from_file_errors()
    {
        Assert.True(DiskFull.Is(new SqliteException("database or disk is full", 13)));
        Assert.True(DiskFull.Is(new InvalidOperationException("wrapped", new IOException("No space left on device : '/data/journal'", OperatingSystem.IsWindows() ? unchecked((int)0x80070070) : 28))));
        Assert.False(DiskFull.Is(new SqliteException("constraint failed", 19)));
        Assert.False(DiskFull.Is(new IOException("Permission denied", 13)));
    }

    private Task ExecuteAsync(string sql) =>
        _database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }, CancellationToken.None);

    private static async Task<object?> ScalarAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting: " + what);
            await Task.Delay(20);
        }
    }
}
