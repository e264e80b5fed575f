using Monitoring.Testing;

namespace Monitoring.Storage.Tests;

/// <summary>
/// The provider a store test runs on: every store test class is abstract with a nested Sqlite and Postgres class, so
/// the same test bodies run on both (test names end in +Sqlite / +Postgres).
/// </summary>
public abstract class StoreProvider
{
    public static readonly StoreProvider Sqlite = new SqliteProvider();

    public abstract DatabaseProvider Kind { get; }

    /// <summary>Options for a fresh, empty database (SQLite: a file in <paramref name="directory"/>; PostgreSQL: a new database).</summary>
    public abstract Task<StorageOptions> NewOptionsAsync(string directory);

    /// <summary>SQL that makes every insert into <paramref name="table"/> fail with "injected failure" (a real error from the database).</summary>
    public abstract string RefuseInserts(string table);

    /// <summary>Undoes <see cref="RefuseInserts"/>.</summary>
    public abstract string AllowInserts(string table);

    private sealed class SqliteProvider : StoreProvider
    {
        public override DatabaseProvider Kind => DatabaseProvider.Sqlite;

        public override Task<StorageOptions> NewOptionsAsync(string directory) => Task.FromResult(new StorageOptions { DataDirectory = directory });

        public override string RefuseInserts(string table) =>
            $"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'injected failure'); END";

        public override string AllowInserts(string table) => $"DROP TRIGGER refuse_{table}";
    }
}

/// <summary>One real PostgreSQL per test class (initdb + pg_ctl as the postgres user); a new database per test.</summary>
public sealed class PostgresFixture : StoreProvider, IAsyncLifetime
{
    private PostgresPeer? _peer;

    internal PostgresPeer Peer => _peer ?? throw new InvalidOperationException("PostgreSQL is not started");

    public override DatabaseProvider Kind => DatabaseProvider.Postgres;

    public async Task InitializeAsync() => _peer = await PostgresPeer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_peer is not null)
        {
            await _peer.DisposeAsync();
        }
    }

    public override async Task<StorageOptions> NewOptionsAsync(string directory) => new()
    {
        DataDirectory = directory,
        Provider = DatabaseProvider.Postgres,
        ConnectionString = await Peer.CreateDatabaseAsync(),
    };

    public override string RefuseInserts(string table) =>
        $"CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; " +
        $"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_{table}()";

    public override string AllowInserts(string table) => $"DROP TRIGGER refuse_{table} ON {table}; DROP FUNCTION refuse_{table}()";
}

/// <summary>
/// A store test's database: a fresh one on <paramref name="provider"/>, migrated, with <typeparamref name="TStore"/>
/// over it; removed after the test.
/// </summary>
public abstract class MigratedStoreTests<TStore>(StoreProvider provider, string prefix, Func<Database, TStore> create) : IAsyncLifetime, IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory(prefix).FullName;

    protected StoreProvider Provider { get; } = provider;

    protected Database Db { get; private set; } = null!;

    protected TStore Store { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Db = new Database(await Provider.NewOptionsAsync(_directory));
        await new Migrator(Db).MigrateAsync(CancellationToken.None);
        Store = create(Db);
    }

    ValueTask IAsyncDisposable.DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return Db.DisposeAsync();
    }

    public async Task DisposeAsync()
    {
        await Db.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
