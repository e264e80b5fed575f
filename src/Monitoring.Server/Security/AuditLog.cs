using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Monitoring.Storage.Security;

namespace Monitoring.Server.Security;

/// <summary>
/// The audit log: every change (alarm handling, mute, maintenance, ticket steps, users, tokens, sign-in) with
/// who, when, from where, what, and the outcome. Written before the change is answered; secrets never enter it.
/// </summary>
public sealed partial class AuditLog(SecurityStore store, TimeProvider time, ILogger<AuditLog> logger)
{
    public const string Ok = "ok";
    public const string Refused = "refused";
    public const string Failed = "failed";

    public Task<long> RecordAsync(HttpContext context, string action, string? target, string? detail, string outcome, string? user = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var principal = context.User;
        var name = user ?? (principal.Identity?.IsAuthenticated == true ? Principals.Name(principal) : "anonymous");
        var role = principal.FindFirst(Permissions.ClaimRole)?.Value ?? (Principals.IsToken(principal) ? "token" : null);
        return RecordAsync(name, role, context.Connection.RemoteIpAddress?.ToString(), action, target, detail, outcome, context.RequestAborted);
    }

    public async Task<long> RecordAsync(
        string user, string? role, string? address, string action, string? target, string? detail, string outcome, CancellationToken cancellationToken)
    {
        var entry = new AuditRow(0, time.GetUtcNow(), user, role, address, action, target, Trim(detail), outcome);
        try
        {
            // an audit entry must not be lost because the caller hung up after the change was made
            return await store.AppendAuditAsync(entry, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.Data.Common.DbException or TimeoutException)
        {
            LogAuditFailed(logger, ex, action, user);
            return 0;
        }
    }

    public Task<IReadOnlyList<AuditRow>> QueryAsync(AuditQuery query, CancellationToken cancellationToken) => store.AuditAsync(query, cancellationToken);

    /// <summary>A request body as audit detail: JSON, with anything that looks like a secret or an actor field removed.</summary>
    public static string? Describe(object? body)
    {
        if (body is null)
        {
            return null;
        }

        var node = JsonSerializer.SerializeToNode(body, body.GetType(), AuditJson);
        if (node is JsonObject obj)
        {
            foreach (var key in obj.Select(p => p.Key).ToList())
            {
                if (IsSecretName(key) || key is "by" or "user" || obj[key] is null)
                {
                    obj.Remove(key);
                }
            }
        }

        var text = node?.ToJsonString(AuditJson);
        return text is null or "{}" ? null : text;
    }

    public static bool IsSecretName(string key) =>
        key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || key.Contains("token", StringComparison.OrdinalIgnoreCase) || key.Contains("community", StringComparison.OrdinalIgnoreCase)
        || key.Contains("key", StringComparison.OrdinalIgnoreCase);

    public static string ToCsv(IEnumerable<AuditRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var csv = new StringBuilder("id,at,user,role,address,action,target,detail,outcome\r\n");
        foreach (var row in rows)
        {
            csv.Append(row.Id.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(row.At.ToString("O", CultureInfo.InvariantCulture)).Append(',')
                .Append(Cell(row.User)).Append(',').Append(Cell(row.Role)).Append(',').Append(Cell(row.Address)).Append(',')
                .Append(Cell(row.Action)).Append(',').Append(Cell(row.Target)).Append(',').Append(Cell(row.Detail)).Append(',')
                .Append(Cell(row.Outcome)).Append("\r\n");
        }

        return csv.ToString();
    }

    private static readonly JsonSerializerOptions AuditJson = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        ServerHost.Configure(json);
        return json;
    }

    // RFC 4180 quoting; a leading = + - @ is prefixed so a spreadsheet does not run it as a formula
    private static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string? Trim(string? detail) => detail is { Length: > 4000 } ? detail[..4000] + "…" : detail;

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write the audit entry for {Action} by {User}")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception, string action, string user);
}

/// <summary>Records every successful state change made through the API (POST, PUT, PATCH, DELETE) in the audit log.</summary>
internal sealed class AuditFilter(AuditLog audit) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context).ConfigureAwait(false);
        var http = context.HttpContext;
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method)
            || http.GetEndpoint()?.Metadata.GetMetadata<SkipAudit>() is not null)
        {
            return result;
        }

        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;
        if (status is >= 200 and < 300)
        {
            // the request body: by convention the one argument whose type is a *Request record (services and ids are not)
            var body = context.Arguments.FirstOrDefault(a => a is not null && a.GetType().Name.EndsWith("Request", StringComparison.Ordinal)
                && a.GetType().Namespace?.StartsWith("Monitoring.", StringComparison.Ordinal) == true);
            var action = http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? http.Request.Method + " " + http.Request.Path;
            await audit.RecordAsync(http, action, http.Request.Path.Value, AuditLog.Describe(body), AuditLog.Ok).ConfigureAwait(false);
        }

        return result;
    }
}

/// <summary>
/// Marks an endpoint the filter leaves alone: sign-in and password change write their own entries (without the
/// secrets), and line-protocol ingest is measurement data, not a change anyone makes.
/// </summary>
internal sealed class SkipAudit
{
    public static readonly SkipAudit Instance = new();
}

internal static class AuditExtensions
{
    public static TBuilder SkipAudit<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(Security.SkipAudit.Instance);
}
