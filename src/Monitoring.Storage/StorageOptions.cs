namespace Monitoring.Storage;

/// <summary>Where the relational state (users, tokens, audit, alarms, tickets, incidents, inventory) is kept.</summary>
public enum DatabaseProvider
{
    /// <summary>One file (monitoring.db) in the data directory: the single-node default.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database named by <see cref="StorageOptions.ConnectionString"/> (several nodes may share it).</summary>
    Postgres,
}

/// <summary>Where and how the server keeps its state. Bound from the "Monitoring:Storage" configuration section.</summary>
public sealed class StorageOptions
{
    /// <summary>
    /// The data directory: the SQLite file (with the SQLite provider), the embedded history (history.db, always per
    /// node), the ingest journal and the write buffers live here.
    /// </summary>
    public string DataDirectory { get; set; } = "data";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// For SQLite: overrides the default (data source = DataDirectory/monitoring.db). For PostgreSQL: required, an
    /// Npgsql connection string (Host=...;Port=...;Database=...;Username=...;Password=...). It may hold a password: it
    /// is never logged nor shown, and errors name only host, port, database and user.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Below this many free bytes in the data directory, storage counts as full: /healthz says "degraded" and writes
    /// that would need the space are refused with 507 before they are taken (16 MiB by default).
    /// </summary>
    public long MinFreeBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>PostgreSQL only: the most connections this node keeps open to the database (Npgsql's pool).</summary>
    public int MaxPoolSize { get; set; } = 32;

    /// <summary>Never the connection string: it may hold a password.</summary>
    public override string ToString() => $"{Provider} (data directory {DataDirectory})";
}
