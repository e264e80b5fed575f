using System.Collections;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Monitoring.Server.Api;

/// <summary>
/// <c>Monitoring:Json</c>: the bounds every JSON request body meets before an endpoint sees it. A body over
/// <see cref="MaxBodyBytes"/> answers 413, a string or list over its bound 400, each as problem+json naming the field
/// (its JSON path) and the limit.
/// </summary>
public sealed class JsonLimits
{
    public const string Section = "Monitoring:Json";

    /// <summary>A JSON request body, in bytes (ingest's line protocol has its own, Monitoring:Ingest:MaxBodyBytes).</summary>
    public const int DefaultMaxBodyBytes = 1024 * 1024;

    /// <summary>Names, titles, ids, phone numbers, any string not listed below.</summary>
    public const int DefaultMaxTextLength = 200;

    /// <summary>Free text: notes, descriptions, comments, reasons (fields named in <see cref="LongTextFields"/>).</summary>
    public const int DefaultMaxLongTextLength = 10_000;

    /// <summary>Addresses (fields named "url").</summary>
    public const int DefaultMaxUrlLength = 2048;

    /// <summary>Passwords ("password", "current", "new"): as the password rule allows.</summary>
    public const int DefaultMaxPasswordLength = 256;

    /// <summary>Items of any list (photos, scopes...), and properties of any object.</summary>
    public const int DefaultMaxListItems = 100;

    /// <summary>Nesting of objects and lists.</summary>
    public const int DefaultMaxDepth = 16;

    /// <summary>The JSON property names (any case) whose strings are free text.</summary>
    public static readonly IReadOnlySet<string> LongTextFields =
        new HashSet<string>(["note", "text", "description", "comment", "reason", "detail", "details", "bodyZh", "bodyEn"], StringComparer.OrdinalIgnoreCase);

    public static readonly IReadOnlySet<string> PasswordFields = new HashSet<string>(["password", "current", "new"], StringComparer.OrdinalIgnoreCase);

    public int MaxBodyBytes { get; set; } = DefaultMaxBodyBytes;

    public int MaxTextLength { get; set; } = DefaultMaxTextLength;

    public int MaxLongTextLength { get; set; } = DefaultMaxLongTextLength;

    public int MaxListItems { get; set; } = DefaultMaxListItems;

    /// <summary>The bound on a string under the property <paramref name="name"/>.</summary>
    public int TextLimit(string? name) =>
        name is null ? MaxTextLength
        : LongTextFields.Contains(name) ? MaxLongTextLength
        : PasswordFields.Contains(name) ? DefaultMaxPasswordLength
        : string.Equals(name, "url", StringComparison.OrdinalIgnoreCase) ? DefaultMaxUrlLength
        : MaxTextLength;
}

/// <summary>
/// Middleware for every JSON request body, after authorization and before the endpoint: the size cap, the JSON
/// itself, the text and list bounds (<see cref="JsonLimits"/>); then a body the endpoint cannot bind (a wrong type,
/// an unknown enum value) answers 400 problem+json naming the field's JSON path and the type expected, not an empty 400.
/// </summary>
public static class JsonBodies
{
    public const string ProblemContentType = "application/problem+json";

    public static void Add(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<JsonLimits>(builder.Configuration.GetSection(JsonLimits.Section));

        // a body that does not bind throws (instead of an empty 400) so that the middleware can say what was wrong
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
    }

    public static void Use(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            if (TakesJson(context))
            {
                var limits = context.RequestServices.GetRequiredService<IOptions<JsonLimits>>().Value;
                if (!await CheckAsync(context, limits).ConfigureAwait(false))
                {
                    return;
                }
            }

            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
            {
                await WriteBindingProblemAsync(context, ex).ConfigureAwait(false);
            }
        });
    }

    /// <summary>A JSON body to an endpoint that does not declare another content type (ingest takes line protocol).</summary>
    private static bool TakesJson(HttpContext context)
    {
        if (!context.Request.HasJsonContentType() || context.GetEndpoint() is not { } endpoint)
        {
            return false;
        }

        var accepts = endpoint.Metadata.GetMetadata<IAcceptsMetadata>();
        return accepts is null || accepts.ContentTypes.Count == 0
            || accepts.ContentTypes.Any(t => t.Contains("json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Reads the body (at most the cap), checks it, and puts it back for the endpoint; false when it answered.</summary>
    private static async Task<bool> CheckAsync(HttpContext context, JsonLimits limits)
    {
        var request = context.Request;
        var max = Math.Max(1, limits.MaxBodyBytes);
        if (request.ContentLength > max)
        {
            await TooLargeAsync(context, max).ConfigureAwait(false);
            return false;
        }

        var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
            {
                await TooLargeAsync(context, max).ConfigureAwait(false);
                return false;
            }

            buffer.Write(chunk, 0, read);
        }

        buffer.Position = 0;
        request.Body = buffer;
        context.Response.RegisterForDispose(buffer);
        if (buffer.Length == 0)
        {
            return true; // no body: the endpoint says whether it needs one
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = JsonLimits.DefaultMaxDepth });
        }
        catch (JsonException ex)
        {
            await ProblemAsync(context, StatusCodes.Status400BadRequest, "the body is not valid JSON", ex.Message, new Dictionary<string, object?>
            {
                ["path"] = ex.Path,
                ["line"] = ex.LineNumber,
                ["position"] = ex.BytePositionInLine,
            }).ConfigureAwait(false);
            return false;
        }

        using (document)
        {
            if (FindViolation(document.RootElement, "$", null, limits) is { } violation)
            {
                var field = violation.Path.StartsWith("$.", StringComparison.Ordinal) ? violation.Path[2..] : violation.Path;
                await ProblemAsync(context, StatusCodes.Status400BadRequest, violation.Title, $"{field}: {violation.Detail}", new Dictionary<string, object?>
                {
                    ["field"] = field,
                    ["path"] = violation.Path,
                    ["limit"] = violation.Limit,
                }).ConfigureAwait(false);
                return false;
            }
        }

        return true;
    }

    private sealed record Violation(string Path, string Title, string Detail, int Limit);

    /// <summary>The first string, list or object over its bound, depth first.</summary>
    private static Violation? FindViolation(JsonElement element, string path, string? name, JsonLimits limits)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                {
                    var limit = limits.TextLimit(name);
                    var length = element.GetString()!.Length;
                    return length > limit
                        ? new Violation(path, "a text is too long", string.Create(CultureInfo.InvariantCulture, $"at most {limit} characters (got {length})"), limit)
                        : null;
                }

            case JsonValueKind.Array:
                {
                    var count = element.GetArrayLength();
                    if (count > limits.MaxListItems)
                    {
                        return new Violation(path, "a list is too long", string.Create(CultureInfo.InvariantCulture, $"at most {limits.MaxListItems} items (got {count})"), limits.MaxListItems);
                    }

                    var i = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        if (FindViolation(item, string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]"), name, limits) is { } found)
                        {
                            return found;
                        }
                    }

                    return null;
                }

            case JsonValueKind.Object:
                {
                    var count = 0;
                    foreach (var property in element.EnumerateObject())
                    {
                        if (++count > limits.MaxListItems)
                        {
                            return new Violation(path, "an object has too many fields", string.Create(CultureInfo.InvariantCulture, $"at most {limits.MaxListItems} fields"), limits.MaxListItems);
                        }

                        if (property.Name.Length > limits.MaxTextLength)
                        {
                            return new Violation(path, "a field name is too long", string.Create(CultureInfo.InvariantCulture, $"field names have at most {limits.MaxTextLength} characters"), limits.MaxTextLength);
                        }

                        if (FindViolation(property.Value, path + "." + property.Name, property.Name, limits) is { } found)
                        {
                            return found;
                        }
                    }

                    return null;
                }

            default:
                return null;
        }
    }

    private static Task TooLargeAsync(HttpContext context, int max) =>
        ProblemAsync(context, StatusCodes.Status413PayloadTooLarge, "the body is too large",
            string.Create(CultureInfo.InvariantCulture, $"a JSON body has at most {max} bytes ({JsonLimits.Section}:MaxBodyBytes)"),
            new Dictionary<string, object?> { ["limit"] = max });

    /// <summary>A body that did not bind: the field (JSON path) and the type it needs, from the endpoint's request type.</summary>
    private static Task WriteBindingProblemAsync(HttpContext context, BadHttpRequestException ex)
    {
        if (ex.InnerException is JsonException json)
        {
            var path = json.Path ?? "$";
            var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
            var requestType = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
            var expected = requestType is null ? null : TypeAt(requestType, path) is { } type ? Describe(type) : null;
            var detail = expected is null ? $"{field}: {FirstSentence(json.Message)}" : $"{field}: expected {expected}";
            return ProblemAsync(context, StatusCodes.Status400BadRequest, "a field has the wrong type", detail, new Dictionary<string, object?>
            {
                ["field"] = field,
                ["path"] = path,
                ["expected"] = expected,
            });
        }

        return ProblemAsync(context, ex.StatusCode, ex.StatusCode == StatusCodes.Status415UnsupportedMediaType ? "unsupported content type" : "bad request", ex.Message, []);
    }

    private static async Task ProblemAsync(HttpContext context, int status, string title, string detail, Dictionary<string, object?> extensions)
    {
        var body = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["type"] = "https://tools.ietf.org/html/rfc9110#section-15.5." + (status switch { 413 => "14", 415 => "16", _ => "1" }),
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["error"] = detail, // the { error } every other refusal of this API carries
        };
        foreach (var (key, value) in extensions)
        {
            body[key] = value;
        }

        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(body, (JsonSerializerOptions?)null, ProblemContentType, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The .NET type at a JSON path ("$.caller.name", "$.photos[0].size") of <paramref name="root"/>, or null.</summary>
    internal static Type? TypeAt(Type root, string path)
    {
        var type = root;
        var rest = path.StartsWith('$') ? path[1..] : path;
        while (rest.Length > 0)
        {
            if (rest[0] == '[')
            {
                var close = rest.IndexOf(']', StringComparison.Ordinal);
                if (close < 0 || ElementType(type) is not { } element)
                {
                    return null;
                }

                type = element;
                rest = rest[(close + 1)..];
            }
            else if (rest[0] == '.')
            {
                var end = rest.IndexOfAny(['.', '['], 1);
                var name = end < 0 ? rest[1..] : rest[1..end];
                var property = Nullable.GetUnderlyingType(type) is { } inner ? inner.GetProperty(name, Flags) : type.GetProperty(name, Flags);
                if (property is null)
                {
                    return null;
                }

                type = property.PropertyType;
                rest = end < 0 ? string.Empty : rest[end..];
            }
            else
            {
                return null;
            }
        }

        return type;
    }

    private const System.Reflection.BindingFlags Flags =
        System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase;

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type != typeof(string) && type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)) is { } enumerable
            ? enumerable.GetGenericArguments()[0]
            : null;

    /// <summary>What a JSON value of <paramref name="type"/> looks like, in words.</summary>
    internal static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
        {
            return "one of " + string.Join(", ", Enum.GetNames(type).Select(n => "\"" + JsonNamingPolicy.CamelCase.ConvertName(n) + "\""));
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.String or TypeCode.Char => "a string",
            TypeCode.Boolean => "true or false",
            TypeCode.Byte or TypeCode.SByte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64 => "an integer",
            TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "a number",
            TypeCode.DateTime => "an ISO-8601 date-time string",
            _ when type == typeof(DateTimeOffset) => "an ISO-8601 date-time string",
            _ when type == typeof(TimeSpan) => "a duration string (hh:mm:ss)",
            _ when typeof(IEnumerable).IsAssignableFrom(type) => "a list",
            _ => "an object",
        };
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut < 0 ? message : message[..cut];
    }
}
