namespace Monitoring.Storage;

public enum DatabaseProvider
{
    Sqlite,
}

/// <summary>Where and how the server keeps its state. Bound from the "Monitoring:Storage" configuration section.</summary>
public sealed class StorageOptions
{
    /// <summary>The data directory; the SQLite file and (later) the history store and write buffers live here.</summary>
    public string DataDirectory { get; set; } = "data";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Overrides the default connection string (for SQLite: data source = DataDirectory/monitoring.db).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Below this many free bytes in the data directory, storage counts as full: /healthz says "degraded" and writes
    /// that would need the space are refused with 507 before they are taken (16 MiB by default).
    /// </summary>
    public long MinFreeBytes { get; set; } = 16L * 1024 * 1024;
}
