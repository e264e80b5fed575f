using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Monitoring.Storage;

/// <summary>
/// Whether the data directory can still take writes: a write refused for lack of space (SQLite's SQLITE_FULL, an
/// ENOSPC from a file) marks it full until a later write succeeds; free space below
/// <see cref="StorageOptions.MinFreeBytes"/> marks it full as well. /healthz shows it as the "storage" component, and
/// the API answers 507 "storage full" for writes it cannot keep.
/// </summary>
public sealed class StorageHealth(string dataDirectory, long minFreeBytes, TimeProvider time)
{
    private readonly Lock _gate = new();
    private string? _failure;
    private DateTimeOffset? _failedAt;
    private long _fullEvents;
    private string? _unavailable;
    private DateTimeOffset? _unavailableSince;
    private long _unavailableEvents;

    public string DataDirectory { get; } = dataDirectory;

    public long MinFreeBytes { get; } = minFreeBytes;

    /// <summary>Writes refused for lack of space since start.</summary>
    public long FullEvents => Interlocked.Read(ref _fullEvents);

    /// <summary>True while the last write failed for lack of space, or free space is under the minimum.</summary>
    public bool IsFull => Reason is not null;

    /// <summary>Why storage is full (null while it is not).</summary>
    public string? Reason
    {
        get
        {
            lock (_gate)
            {
                if (_failure is not null)
                {
                    return _failure;
                }
            }

            var free = FreeBytes;
            return free >= 0 && free < MinFreeBytes
                ? $"only {free} bytes free in {DataDirectory} (the minimum is {MinFreeBytes}, Monitoring:Storage:MinFreeBytes)"
                : null;
        }
    }

    /// <summary>When the current lack of space was first seen (null when there is none).</summary>
    public DateTimeOffset? FailedAt
    {
        get
        {
            lock (_gate)
            {
                return _failedAt;
            }
        }
    }

    /// <summary>Free bytes on the data directory's file system, -1 when unknown (one statvfs call, asked afresh each time).</summary>
    public long FreeBytes
    {
        get
        {
            try
            {
                return new DriveInfo(DataDirectory).AvailableFreeSpace;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                return -1;
            }
        }
    }

    /// <summary>Why the database cannot be reached (PostgreSQL down or the network to it lost); null while it can.</summary>
    public string? Unavailable
    {
        get
        {
            lock (_gate)
            {
                return _unavailable;
            }
        }
    }

    /// <summary>Since when the database cannot be reached (null while it can).</summary>
    public DateTimeOffset? UnavailableSince
    {
        get
        {
            lock (_gate)
            {
                return _unavailableSince;
            }
        }
    }

    /// <summary>Reads and writes refused since start because the database could not be reached.</summary>
    public long UnavailableEvents => Interlocked.Read(ref _unavailableEvents);

    /// <summary>A read or write failed because the database could not be reached (the message names no secret).</summary>
    public void ReportUnavailable(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Interlocked.Increment(ref _unavailableEvents);
        lock (_gate)
        {
            _unavailable = reason;
            _unavailableSince ??= time.GetUtcNow();
        }
    }

    /// <summary>A connection to the database was made: whatever cut it off has been cleared.</summary>
    public void ReportReachable()
    {
        if (Volatile.Read(ref _unavailable) is null)
        {
            return;
        }

        lock (_gate)
        {
            _unavailable = null;
            _unavailableSince = null;
        }
    }

    /// <summary>A write failed for lack of space.</summary>
    public void ReportFull(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Interlocked.Increment(ref _fullEvents);
        lock (_gate)
        {
            _failure = "storage full: " + DiskFull.Describe(exception);
            _failedAt ??= time.GetUtcNow();
        }
    }

    /// <summary>A write was kept: whatever filled the disk has been cleared (free space is still checked separately).</summary>
    public void ReportWritten()
    {
        if (Volatile.Read(ref _failure) is null && Volatile.Read(ref _unavailable) is null)
        {
            return;
        }

        lock (_gate)
        {
            _failure = null;
            _failedAt = null;
            _unavailable = null;
            _unavailableSince = null;
        }
    }
}

/// <summary>Recognises "the disk is full" in whatever form a layer reports it.</summary>
public static class DiskFull
{
    private const int SqliteFull = 13;
    private const string PostgresDiskFull = "53100";
    private const int LinuxEnospc = 28;
    private const int WindowsDiskFull = 0x70;
    private const int WindowsHandleDiskFull = 0x27;

    /// <summary>True when <paramref name="exception"/> or one of its inner exceptions says the disk (or database) is full.</summary>
    public static bool Is(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException sqlite when sqlite.SqliteErrorCode == SqliteFull:
                    return true;
                case PostgresException postgres when postgres.SqlState == PostgresDiskFull:
                    return true;
                case IOException io when IsNoSpace(io.HResult):
                    return true;
                case DbException or IOException when e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
                    || e.Message.Contains("disk is full", StringComparison.OrdinalIgnoreCase):
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(Is):
                    return true;
            }
        }

        return false;
    }

    /// <summary>The innermost message that names the lack of space.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException postgres)
            {
                return $"PostgreSQL: {postgres.MessageText}";
            }

            if (e is SqliteException or IOException)
            {
                return e.Message;
            }
        }

        return exception.Message;
    }

    private static bool IsNoSpace(int hresult)
    {
        if (OperatingSystem.IsWindows())
        {
            var code = hresult & 0xFFFF;
            return code is WindowsDiskFull or WindowsHandleDiskFull;
        }

        return hresult == LinuxEnospc;
    }
}
