using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Monitoring.Server.Api;

/// <summary>A status code as a type, so a handler's return type (<c>Results&lt;Ok&lt;T&gt;, Problem&lt;Status404&gt;&gt;</c>) names it.</summary>
public interface IStatus
{
    static abstract int Code { get; }
}

public sealed class Status400 : IStatus
{
    public static int Code => StatusCodes.Status400BadRequest;
}

public sealed class Status403 : IStatus
{
    public static int Code => StatusCodes.Status403Forbidden;
}

public sealed class Status404 : IStatus
{
    public static int Code => StatusCodes.Status404NotFound;
}

public sealed class Status409 : IStatus
{
    public static int Code => StatusCodes.Status409Conflict;
}

public sealed class Status413 : IStatus
{
    public static int Code => StatusCodes.Status413PayloadTooLarge;
}

public sealed class Status415 : IStatus
{
    public static int Code => StatusCodes.Status415UnsupportedMediaType;
}

public sealed class Status503 : IStatus
{
    public static int Code => StatusCodes.Status503ServiceUnavailable;
}

/// <summary>
/// A problem+json answer with a status known from the type: written by the framework's own problem result (so the
/// problem-details service, content type and body are those of <c>Results.Problem</c>), and documented in OpenAPI
/// as that status with a <see cref="ProblemDetails"/> body, which <see cref="ProblemHttpResult"/> alone cannot do.
/// </summary>
public sealed class Problem<TStatus> : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ProblemDetails>
    where TStatus : IStatus
{
    private readonly ProblemHttpResult _inner;

    /// <summary>As <c>Results.Problem(statusCode: TStatus, title, detail, extensions)</c>.</summary>
    public Problem(string? title, string? detail = null, IDictionary<string, object?>? extensions = null)
    {
        _inner = TypedResults.Problem(statusCode: TStatus.Code, title: title, detail: detail, extensions: extensions);
    }

    public ProblemDetails Value => _inner.ProblemDetails;

    object? IValueHttpResult.Value => _inner.ProblemDetails;

    public int? StatusCode => TStatus.Code;

    public Task ExecuteAsync(HttpContext httpContext) => _inner.ExecuteAsync(httpContext);

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(TStatus.Code, typeof(ProblemDetails), ["application/problem+json"]));
    }
}

/// <summary>
/// A JSON body of type <typeparamref name="TValue"/> with a status known from the type (for bodies that are not
/// problem details, such as InfluxDB's write errors): written as <c>Results.Json(value, statusCode: TStatus)</c>
/// and documented in OpenAPI as that status with that schema.
/// </summary>
public sealed class Json<TValue, TStatus> : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<TValue>
    where TStatus : IStatus
{
    private readonly JsonHttpResult<TValue> _inner;

    public Json(TValue value)
    {
        _inner = TypedResults.Json(value, statusCode: TStatus.Code);
    }

    public TValue? Value => _inner.Value;

    object? IValueHttpResult.Value => _inner.Value;

    public int? StatusCode => TStatus.Code;

    public Task ExecuteAsync(HttpContext httpContext) => _inner.ExecuteAsync(httpContext);

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(TStatus.Code, typeof(TValue), ["application/json"]));
    }
}

/// <summary>A plain <c>{"error": "..."}</c> body (the shape of some 403 answers that predate problem details).</summary>
public sealed record ErrorBody(string Error);
