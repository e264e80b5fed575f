using Microsoft.AspNetCore.Diagnostics;
using Monitoring.Core.Alarms;
using Monitoring.Storage;

namespace Monitoring.Server.Hosting;

/// <summary>
/// The one server-wide mapping of storage failures to answers, for every endpoint: a full disk (SQLite's SQLITE_FULL,
/// an IOException with ENOSPC from any file the server writes: the ingest journal, the InfluxDB buffer, DuckDB)
/// answers 507 "storage full" as problem+json with the reason and marks storage degraded in /healthz; alarm state
/// that could not be stored for another reason answers 503 with Retry-After, and so does a database that cannot be
/// reached (PostgreSQL down or the network to it lost: the message names host, port and database, never the
/// password). None is a 2xx: nothing is promised.
/// </summary>
internal sealed partial class StorageExceptionHandler(StorageHealth health, ILogger<StorageExceptionHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(exception);
        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        if (DiskFull.Is(exception))
        {
            health.ReportFull(exception);
            LogStorageFull(logger, httpContext.Request.Method, httpContext.Request.Path.Value ?? string.Empty, DiskFull.Describe(exception));
            await StorageFullAsync(httpContext, health.Reason ?? "storage full: " + DiskFull.Describe(exception)).ConfigureAwait(false);
            return true;
        }

        if (exception is AlarmStoreUnavailableException || StorageUnavailableException.Is(exception))
        {
            LogStoreUnavailable(logger, exception, httpContext.Request.Method, httpContext.Request.Path.Value ?? string.Empty);
            var detail = exception is AlarmStoreUnavailableException ? exception.Message : Unavailable(exception).Message;
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Results.Problem(
                title: "storage unavailable",
                detail: detail,
                statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(httpContext).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    private static StorageUnavailableException Unavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is StorageUnavailableException known)
            {
                return known;
            }
        }

        return new StorageUnavailableException("the database cannot be reached: " + exception.Message + "; nothing of this request was kept", exception);
    }

    public static Task StorageFullAsync(HttpContext httpContext, string reason) =>
        Results.Problem(
            title: "storage full",
            detail: reason + " — nothing of this request was kept; free space in the data directory",
            statusCode: StatusCodes.Status507InsufficientStorage,
            type: "https://www.rfc-editor.org/rfc/rfc4918#section-11.5").ExecuteAsync(httpContext);

    [LoggerMessage(EventId = 6200, Level = LogLevel.Warning, Message = "{Method} {Path} answered 507: {Reason}")]
    private static partial void LogStorageFull(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: alarm state not stored yet, or the database cannot be reached")]
    private static partial void LogStoreUnavailable(ILogger logger, Exception exception, string method, string path);
}

/// <summary>
/// While storage is full, line-protocol writes are refused with 507 before they are taken: the samples would sit in
/// memory with nowhere to go, and a 204 would promise what the server cannot keep.
/// </summary>
internal static class StorageGate
{
    public static void UseStorageGate(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (HttpMethods.IsPost(context.Request.Method)
                && (context.Request.Path.Equals("/api/v2/write", StringComparison.OrdinalIgnoreCase) || context.Request.Path.Equals("/write", StringComparison.OrdinalIgnoreCase))
                && context.RequestServices.GetRequiredService<StorageHealth>().Reason is { } reason)
            {
                await StorageExceptionHandler.StorageFullAsync(context, reason).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
    }
}
