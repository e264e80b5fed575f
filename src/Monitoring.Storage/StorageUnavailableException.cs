using System.Net.Sockets;
using Npgsql;

namespace Monitoring.Storage;

/// <summary>
/// The database cannot be reached (PostgreSQL down, the network to it lost, the server shutting down): nothing of the
/// write was kept. The API answers 503 with the message (which names host, port and database, never the connection
/// string's password), and /healthz shows storage as down until a write succeeds again.
/// </summary>
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
    {
    }

    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when <paramref name="exception"/> (or an inner one) says the connection to the database is lost or cannot be made.</summary>
    public static bool Is(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case StorageUnavailableException:
                    return true;
                case PostgresException postgres:
                    // 08: connection exception; 57P01..57P03: admin/crash shutdown, cannot connect now
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow;
                case NpgsqlException npgsql when npgsql.InnerException is SocketException or IOException or TimeoutException || npgsql.IsTransient:
                    return true;
                case SocketException:
                    return true;
            }
        }

        return false;
    }
}
