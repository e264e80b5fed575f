namespace Monitoring.Storage;

/// <summary>
/// A write failed because the disk (or the file system's quota) is full. Thrown instead of the bare I/O error so the
/// API can answer "storage full" (507) rather than 500, and nothing of the failed write is acknowledged.
/// </summary>
public sealed class StorageFullException : IOException
{
    private const int Enospc = 28;
    private const int Edquot = 122;

    public StorageFullException()
    {
    }

    public StorageFullException(string message)
        : base(message)
    {
    }

    public StorageFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True if <paramref name="exception"/> (or an inner one) says the disk is full (ENOSPC, EDQUOT).</summary>
    public static bool IsDiskFull(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is StorageFullException)
            {
                return true;
            }

            if (e is IOException io && (io.HResult is Enospc or Edquot
                || io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }
}
