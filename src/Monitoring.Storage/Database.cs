using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Monitoring.Storage;

/// <summary>
/// The server's SQL database, used for what SQLite is good at: WAL, no shared cache, ONE writer connection fed by a
/// queue, readers on connections of their own.
/// <para>
/// Every write of every store goes through <see cref="WriteAsync{T}"/> (the caller waits until its change is
/// committed, with synchronous=FULL) or <see cref="Post"/> (bookkeeping: queued, the caller does not wait; retried,
/// and a write that still fails is counted and logged). The writer takes what is queued, in order, and commits it as
/// one transaction (group commit), each piece inside its own savepoint so one failing piece fails alone.
/// Readers (<see cref="OpenReaderAsync"/>) never write (query_only) and never wait for the writer (WAL).
/// </para>
/// Everything above this class speaks plain ADO.NET (<see cref="DbConnection"/>, parameters named @x) in SQL both
/// providers run, so the second provider is this class plus <see cref="PostgresDialect"/>, not a copy of every store.
/// <para>
/// With <see cref="DatabaseProvider.Postgres"/>: no writer queue. <see cref="WriteAsync{T}"/> takes a connection from
/// Npgsql's pool, runs the piece in its own transaction and returns once PostgreSQL acknowledged the commit (its own
/// synchronous_commit decides what that means on its disk; the default waits for its WAL flush). Bookkeeping still goes
/// through the queue, one piece per transaction. Readers come from a second pool whose sessions are read-only. A lost
/// or refused connection throws <see cref="StorageUnavailableException"/> (503, shown in /healthz) naming host, port and
/// database, never the password. The embedded history stays in history.db in the data directory either way.
/// </para>
/// </summary>
public sealed partial class Database : IAsyncDisposable, IDisposable
{
    /// <summary>How long a connection waits for a lock held by another connection before SQLite gives up.</summary>
    public const int BusyTimeoutMs = 5000;

    private const int QueueCapacity = 10_000;
    private const int MaxBatch = 256;
    private const int BookkeepingAttempts = 6;

    private readonly string _readConnectionString;
    private readonly string _writeConnectionString;
    private readonly string _historyConnectionString;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<WriteItem> _queue = Channel.CreateBounded<WriteItem>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _startGate = new();
    private Task? _writer;
    private SqliteConnection? _writeConnection;
    private long _committed;
    private long _failed;
    private long _bookkeepingLost;
    private long _retrying;
    private int _disposed;
    private int _historySchemaReady;
    private readonly NpgsqlDataSource? _postgres;
    private readonly NpgsqlDataSource? _postgresRead;

    public Database(StorageOptions options, ILogger<Database>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Provider = options.Provider;
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);
        DataDirectory = dataDirectory;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        Health = new StorageHealth(dataDirectory, options.MinFreeBytes, _time);
        _historyConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDirectory, "history.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        }.ToString();
        if (Provider == DatabaseProvider.Postgres)
        {
            (_postgres, _postgresRead, Target) = PostgresSources(options);
            _readConnectionString = _writeConnectionString = string.Empty;
            return;
        }

        var builder = options.ConnectionString is { } configured
            ? new SqliteConnectionStringBuilder(configured)
            : new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDirectory, "monitoring.db") };
        builder.Mode = SqliteOpenMode.ReadWriteCreate;
        // a shared cache turns waits into immediate SQLITE_LOCKED errors that busy_timeout does not cover
        builder.Cache = SqliteCacheMode.Private;
        builder.Pooling = true;
        _readConnectionString = builder.ToString();
        builder.Pooling = false;
        _writeConnectionString = builder.ToString();
        Target = "SQLite " + builder.DataSource;
    }

    public DatabaseProvider Provider { get; }

    /// <summary>Where the database is, for messages and /healthz: a file, or PostgreSQL's host:port/database (never a password).</summary>
    public string Target { get; }

    public string DataDirectory { get; }

    /// <summary>Whether the data directory can take writes (shown in /healthz).</summary>
    public StorageHealth Health { get; }

    /// <summary>Write pieces committed since start.</summary>
    public long Committed => Interlocked.Read(ref _committed);

    /// <summary>Write pieces that failed (each attempt counts) since start.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Bookkeeping writes given up on after every retry failed (each one logged).</summary>
    public long BookkeepingLost => Interlocked.Read(ref _bookkeepingLost);

    /// <summary>Bookkeeping writes waiting to be tried again.</summary>
    public long Retrying => Interlocked.Read(ref _retrying);

    /// <summary>Writes waiting for the writer.</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>A connection for reading: its own (pooled) connection, never the writer's; it cannot write.</summary>
    public async Task<DbConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        if (_postgresRead is { } postgres)
        {
            return await OpenPostgresAsync(postgres, cancellationToken).ConfigureAwait(false);
        }

        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA busy_timeout={BusyTimeoutMs}; PRAGMA query_only=ON;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// PostgreSQL only (SQLite is a local file): asks the database for "SELECT 1" so /healthz shows a lost connection
    /// even while nothing is written; false (and <see cref="StorageHealth.Unavailable"/> set) when it does not answer.
    /// </summary>
    public async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        if (_postgresRead is not { } postgres)
        {
            return true;
        }

        try
        {
            await using var connection = await OpenPostgresAsync(postgres, cancellationToken).ConfigureAwait(false);
            await using var command = connection.Command("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (StorageUnavailableException.Is(ex))
        {
            _ = Unavailable(ex);
            return false;
        }
    }

    /// <summary>A reading connection for code that is not async (the alarm store's queries); the caller disposes it.</summary>
    public DbConnection OpenReader()
    {
        if (_postgresRead is { } postgres)
        {
            try
            {
                var pooled = postgres.OpenConnection();
                Health.ReportReachable();
                return pooled;
            }
            catch (Exception ex) when (StorageUnavailableException.Is(ex))
            {
                throw Unavailable(ex);
            }
        }

        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA busy_timeout={BusyTimeoutMs}; PRAGMA query_only=ON;";
            pragma.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A connection to the embedded history's own file (history.db, next to monitoring.db) that may write: the history
    /// store batches its own writes in long transactions, and in a file of its own they never hold up the writer of
    /// alarms, tickets and users. Every other store writes through <see cref="WriteAsync{T}"/> or <see cref="Post"/>.
    /// </summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_historyConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA busy_timeout={BusyTimeoutMs}; PRAGMA synchronous=NORMAL;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (Volatile.Read(ref _historySchemaReady) == 0)
            {
                await using var schema = connection.CreateCommand();
                schema.CommandText = HistorySchema();
                await schema.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _historySchemaReady, 1);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Queues <paramref name="work"/> for the writer and completes once it is committed (synchronous=FULL: it survives
    /// a kill and a power cut). <paramref name="work"/> runs on the writer connection inside the given transaction; it
    /// must not commit or roll back. Throws what <paramref name="work"/> or the commit threw (nothing of it is kept).
    /// <paramref name="cancellationToken"/> only cancels the wait for a place in the queue and for the writer to start
    /// the piece; once started, it runs to its end.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (_postgres is { } postgres)
        {
            return await WritePostgresAsync(postgres, work, cancellationToken).ConfigureAwait(false);
        }

        var item = new WriteItem<T>(work, cancellationToken);
        await EnqueueAsync(item, cancellationToken).ConfigureAwait(false);
        return await item.Completion.ConfigureAwait(false);
    }

    /// <inheritdoc cref="WriteAsync{T}"/>
    public Task WriteAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return WriteAsync<bool>(async (connection, transaction) =>
        {
            await work(connection, transaction).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Queues a bookkeeping write (a token's last use, an audit line) and returns at once: nobody waits for it. A
    /// failed attempt is tried again with backoff; one that still fails is counted in <see cref="BookkeepingLost"/>
    /// and logged with <paramref name="what"/>, never dropped silently.
    /// </summary>
    public void Post(string what, Func<DbConnection, DbTransaction, Task> work)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(what);
        ArgumentNullException.ThrowIfNull(work);
        Submit(new BookkeepingItem(this, what, work, 1));
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Lets the writer finish everything queued, then closes its connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        Task? writer;
        lock (_startGate)
        {
            writer = _writer;
        }

        if (writer is not null)
        {
            await writer.ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_writeConnection is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync().ConfigureAwait(false);
        }

        if (_postgresRead is not null)
        {
            await _postgresRead.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    /// <summary>The history tables (the migration that once put them in monitoring.db), made idempotent for history.db.</summary>
    private static string HistorySchema()
    {
        var assembly = typeof(Database).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".sqlite.0002_history.sql", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", StringComparison.Ordinal);
    }

    private async Task EnqueueAsync(WriteItem item, CancellationToken cancellationToken)
    {
        EnsureWriter();
        try
        {
            await _queue.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException("the database is closed", ex);
        }
    }

    private void Submit(BookkeepingItem item)
    {
        EnsureWriter();
        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Increment(ref _bookkeepingLost);
            LogBookkeepingLost(_logger, item.What, Volatile.Read(ref _disposed) != 0 ? "the database is closed" : $"the write queue is full ({QueueCapacity})");
        }
    }

    private void EnsureWriter()
    {
        if (Volatile.Read(ref _writer) is not null)
        {
            return;
        }

        lock (_startGate)
        {
            _writer ??= Task.Run(WriteLoopAsync);
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<WriteItem>(MaxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                if (item.TryStart())
                {
                    batch.Add(item);
                }
            }

            if (batch.Count > 0)
            {
                await CommitAsync(batch).ConfigureAwait(false);
            }
        }
    }

    private async Task CommitAsync(List<WriteItem> batch)
    {
        if (_postgres is { } postgres)
        {
            // only bookkeeping comes through the queue here: each piece in a transaction of its own, in order
            foreach (var item in batch)
            {
                try
                {
                    await WritePostgresAsync<bool>(postgres, async (connection, transaction) =>
                    {
                        await item.RunAsync(connection, transaction).ConfigureAwait(false);
                        return true;
                    }, CancellationToken.None).ConfigureAwait(false);
                    item.Complete();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    item.Fail(ex);
                }
            }

            return;
        }

        var failures = new Exception?[batch.Count];
        try
        {
            var connection = await WriterAsync().ConfigureAwait(false);
            await using var transaction = connection.BeginTransaction(deferred: false);
            for (var i = 0; i < batch.Count; i++)
            {
                var savepoint = batch.Count > 1;
                if (savepoint)
                {
                    transaction.Save("piece");
                }

                try
                {
                    await batch[i].RunAsync(connection, transaction).ConfigureAwait(false);
                    if (savepoint)
                    {
                        transaction.Release("piece");
                    }
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    failures[i] = ex;
                    if (!savepoint)
                    {
                        throw;
                    }

                    transaction.Rollback("piece");
                    transaction.Release("piece");
                }
            }

            await transaction.CommitAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // nothing of the batch is kept: every piece fails with what broke the transaction (or its own error)
            await ResetWriterAsync().ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                failures[i] ??= ex;
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (failures[i] is { } failure)
            {
                Interlocked.Increment(ref _failed);
                if (DiskFull.Is(failure))
                {
                    Health.ReportFull(failure);
                }

                batch[i].Fail(failure);
            }
            else
            {
                Interlocked.Increment(ref _committed);
                batch[i].Complete();
            }
        }

        if (Array.TrueForAll(failures, f => f is null))
        {
            Health.ReportWritten();
        }
    }

    private async Task<T> WritePostgresAsync<T>(NpgsqlDataSource postgres, Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await using var connection = await OpenPostgresAsync(postgres, cancellationToken).ConfigureAwait(false);
        try
        {
            T result;
            await using (var transaction = await connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false))
            {
                result = await work(connection, transaction).ConfigureAwait(false);
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            Interlocked.Increment(ref _committed);
            Health.ReportWritten();
            return result;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _failed);
            if (DiskFull.Is(ex))
            {
                Health.ReportFull(ex);
                throw new StorageFullException($"{Target}: {DiskFull.Describe(ex)}", ex);
            }

            if (StorageUnavailableException.Is(ex))
            {
                throw Unavailable(ex);
            }

            throw;
        }
    }

    private async Task<DbConnection> OpenPostgresAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            Health.ReportReachable();
            return connection;
        }
        catch (Exception ex) when (StorageUnavailableException.Is(ex))
        {
            throw Unavailable(ex);
        }
    }

    private StorageUnavailableException Unavailable(Exception cause)
    {
        if (cause is StorageUnavailableException known)
        {
            return known;
        }

        // the idle connections of both pools were opened before the loss: a restarted PostgreSQL has closed them, and each
        // would fail its next request once more after the database is back; drop them so that new ones are opened
        _postgres?.Clear();
        _postgresRead?.Clear();
        var reason = cause is PostgresException postgres ? $"{postgres.SqlState} {postgres.MessageText}" : cause.Message;
        var message = $"the database ({Target}) cannot be reached: {reason}; nothing of this write was kept";
        Health.ReportUnavailable(message);
        LogUnavailable(_logger, Target, reason);
        return new StorageUnavailableException(message, cause);
    }

    private static (NpgsqlDataSource Write, NpgsqlDataSource Read, string Target) PostgresSources(StorageOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new InvalidOperationException("Monitoring:Storage:ConnectionString is required when Monitoring:Storage:Provider is Postgres");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            // the parser's message may quote the value, and the value may hold a password: say which setting, nothing more
#pragma warning disable CA2201 // the inner exception is left out on purpose
            throw new InvalidOperationException("Monitoring:Storage:ConnectionString is not a valid PostgreSQL connection string (its value is not shown: it may hold a password)");
#pragma warning restore CA2201
        }

        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "monitoring";
        }

        builder.MaxPoolSize = Math.Max(2, options.MaxPoolSize);
        builder.IncludeErrorDetail = false;
        var target = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database} as {builder.Username}";
        var write = NpgsqlDataSource.Create(builder.ConnectionString);
        // readers' sessions refuse writes, as SQLite's query_only readers do
        builder.Options = string.IsNullOrEmpty(builder.Options) ? "-c default_transaction_read_only=on" : builder.Options + " -c default_transaction_read_only=on";
        builder.MaxPoolSize = Math.Max(2, options.MaxPoolSize / 2);
        var read = NpgsqlDataSource.Create(builder.ConnectionString);
        return (write, read, target);
    }

    private async Task<SqliteConnection> WriterAsync()
    {
        if (_writeConnection is { } open)
        {
            return open;
        }

        var connection = new SqliteConnection(_writeConnectionString);
        try
        {
            await connection.OpenAsync().ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            // WAL: readers never wait for the writer; FULL: a commit is on disk before anyone is told it is
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA busy_timeout={BusyTimeoutMs}; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;";
            await pragma.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _writeConnection = connection;
        return connection;
    }

    private async Task ResetWriterAsync()
    {
        // a failed commit can leave the connection in a transaction or broken: start the next batch on a fresh one
        if (_writeConnection is { } connection)
        {
            _writeConnection = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void RetryLater(BookkeepingItem item, Exception failure)
    {
        if (item.Attempt >= BookkeepingAttempts || Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Increment(ref _bookkeepingLost);
            LogBookkeepingFailed(_logger, failure, item.What, item.Attempt);
            return;
        }

        var delay = TimeSpan.FromSeconds(Math.Pow(2, item.Attempt - 1));
        LogBookkeepingRetry(_logger, item.What, item.Attempt, delay.TotalSeconds, failure.Message);
        Interlocked.Increment(ref _retrying);
        _ = RetryAfterAsync(item, delay);
    }

    private async Task RetryAfterAsync(BookkeepingItem item, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // closing: fall through and try to queue it once more; Submit counts and logs it if the queue is closed
        }
        catch (ObjectDisposedException)
        {
            // the token source was disposed after the writer closed: same as above
        }
        finally
        {
            Interlocked.Decrement(ref _retrying);
        }

        Submit(item.Next());
    }

    private abstract class WriteItem
    {
        /// <summary>False when the caller gave up before the writer reached it (then it is not run).</summary>
        public abstract bool TryStart();

        public abstract Task RunAsync(DbConnection connection, DbTransaction transaction);

        public abstract void Complete();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteItem<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) : WriteItem
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;

        public Task<T> Completion => _completion.Task;

        public override bool TryStart() => !cancellationToken.IsCancellationRequested || !_completion.TrySetCanceled(cancellationToken);

        public override async Task RunAsync(DbConnection connection, DbTransaction transaction) =>
            _result = await work(connection, transaction).ConfigureAwait(false);

        public override void Complete() => _completion.TrySetResult(_result);

        public override void Fail(Exception exception) => _completion.TrySetException(exception);
    }

    private sealed class BookkeepingItem(Database owner, string what, Func<DbConnection, DbTransaction, Task> work, int attempt) : WriteItem
    {
        public string What => what;

        public int Attempt => attempt;

        public BookkeepingItem Next() => new(owner, what, work, attempt + 1);

        public override bool TryStart() => true;

        public override Task RunAsync(DbConnection connection, DbTransaction transaction) => work(connection, transaction);

        public override void Complete()
        {
        }

        public override void Fail(Exception exception) => owner.RetryLater(this, exception);
    }

    [LoggerMessage(EventId = 6103, Level = LogLevel.Error, Message = "The database ({Target}) cannot be reached: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string target, string reason);

    [LoggerMessage(EventId = 6100, Level = LogLevel.Warning, Message = "Bookkeeping write '{What}' failed (attempt {Attempt}); trying again in {Seconds} s: {Reason}")]
    private static partial void LogBookkeepingRetry(ILogger logger, string what, int attempt, double seconds, string reason);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Error, Message = "Bookkeeping write '{What}' failed {Attempts} times; it is not kept (counted in /healthz storage.bookkeepingLost)")]
    private static partial void LogBookkeepingFailed(ILogger logger, Exception exception, string what, int attempts);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Error, Message = "Bookkeeping write '{What}' could not be queued ({Reason}); it is not kept (counted in /healthz storage.bookkeepingLost)")]
    private static partial void LogBookkeepingLost(ILogger logger, string what, string reason);
}
