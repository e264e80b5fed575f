using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Monitoring.Storage;

/// <summary>
/// Opens connections to the configured database. Everything above this class speaks plain ADO.NET
/// (<see cref="DbConnection"/>, parameters named @x), so a second provider is a new dialect here plus its
/// migration scripts, not a change to every store.
/// </summary>
public sealed class Database
{
    private readonly string _connectionString;

    public Database(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Provider = options.Provider;
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);
        DataDirectory = dataDirectory;
        _connectionString = options.ConnectionString ?? new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDirectory, "monitoring.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Shared,
            Pooling = true,
        }.ToString();
    }

    public DatabaseProvider Provider { get; }

    public string DataDirectory { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            // WAL lets the console read while the pipeline writes; a busy timeout rides over short write locks.
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
