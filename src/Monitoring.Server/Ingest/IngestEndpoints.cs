using System.Buffers;
using System.IO.Compression;
using Microsoft.Extensions.Options;
using Monitoring.Core.LineProtocol;
using Monitoring.Server.Hosting;
using Monitoring.Server.Security;

namespace Monitoring.Server.Ingest;

/// <summary>
/// InfluxDB-compatible write endpoints, so Telegraf, scripts and agents can push samples:
/// v2 <c>POST /api/v2/write?bucket=&amp;precision=ns|us|ms|s</c> and v1 <c>POST /write?db=&amp;precision=n|u|ms|s|m|h</c>.
/// 204 when every line was written (journaled and fsync'd: kept across kill -9); 400 naming each bad line when some were
/// not (the good lines are kept); 503 with Retry-After, nothing kept, while the history is catching up.
/// </summary>
internal static class IngestEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v2/write", (HttpContext context, string? bucket, string? org, string? precision) =>
                WriteAsync(context, precision, v1: false))
            .WithName("WriteV2").Requires(Capability.WriteSamples).SkipAudit().WithTags("Ingest").Accepts<string>("text/plain")
            .Produces(StatusCodes.Status204NoContent).Produces<WriteError>(StatusCodes.Status400BadRequest)
            .Produces<WriteError>(StatusCodes.Status413PayloadTooLarge).Produces<WriteError>(StatusCodes.Status503ServiceUnavailable);
        routes.MapPost("/write", (HttpContext context, string? db, string? rp, string? precision) =>
                WriteAsync(context, precision, v1: true))
            .WithName("WriteV1").Requires(Capability.WriteSamples).SkipAudit().WithTags("Ingest").Accepts<string>("text/plain")
            .Produces(StatusCodes.Status204NoContent).Produces<WriteError>(StatusCodes.Status400BadRequest)
            .Produces<WriteError>(StatusCodes.Status413PayloadTooLarge).Produces<WriteError>(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> WriteAsync(HttpContext context, string? precisionText, bool v1)
    {
        if (!(v1 ? TimestampPrecisions.TryParseV1(precisionText, out var precision) : TimestampPrecisions.TryParseV2(precisionText, out precision)))
        {
            return Results.BadRequest(new WriteError("invalid", $"precision '{precisionText}' is not one of {(v1 ? "n, ns, u, us, ms, s, m, h" : "ns, us, ms, s")}", 0, 0, []));
        }

        var limit = context.RequestServices.GetRequiredService<IOptions<MonitoringOptions>>().Value.Ingest.MaxBodyBytes;
        var cancellationToken = context.RequestAborted;
        var body = await ReadBodyAsync(context.Request, limit, cancellationToken).ConfigureAwait(false);
        if (body.Error is not null)
        {
            return body.Error;
        }

        try
        {
            var ingest = context.RequestServices.GetRequiredService<IngestService>();
            IngestResult result;
            try
            {
                result = await ingest.IngestAsync(body.Memory, precision, cancellationToken).ConfigureAwait(false);
            }
            catch (IngestBusyException busy)
            {
                // the history is catching up: refuse whole before anything is kept, as InfluxDB does, rather than drop later
                context.Response.Headers.RetryAfter = busy.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Json(new WriteError("unavailable", busy.Message, 0, 0, []), statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            if (result.Errors.Count == 0 && result.LinesWritten == 0)
            {
                return Results.BadRequest(new WriteError("invalid", "no line written: the body holds no line protocol", 0, 0, []));
            }

            if (result.Errors.Count == 0)
            {
                return Results.NoContent();
            }

            var errors = result.Errors.Select(e => new WriteLineError(e.Line, e.Message)).ToArray();
            var message = result.LinesWritten == 0
                ? $"no line written: {result.Errors[0]}"
                : $"partial write: {result.LinesWritten} line(s) written, {result.LinesRejected} rejected; first: {result.Errors[0]}";
            return Results.BadRequest(new WriteError("invalid", message, result.LinesWritten, result.SamplesWritten, errors));
        }
        finally
        {
            body.Return();
        }
    }

    /// <summary>Reads the body (gunzipping it when Content-Encoding says gzip) into a pooled buffer, refusing more than <paramref name="limit"/> bytes.</summary>
    private static async Task<PooledBody> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        var encoding = request.Headers.ContentEncoding.ToString();
        var gzip = encoding.Contains("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && !string.IsNullOrEmpty(encoding) && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return new PooledBody(Results.StatusCode(StatusCodes.Status415UnsupportedMediaType));
        }

        if (request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is > 0 and < 1 << 20 && !gzip ? (int)request.ContentLength : 64 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= limit)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return TooLarge(limit);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                int read;
                try
                {
                    read = await source.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidDataException ex)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new PooledBody(Results.BadRequest(new WriteError("invalid", $"the gzip body is corrupt: {ex.Message}", 0, 0, [])));
                }

                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return TooLarge(limit);
                }
            }

            return new PooledBody(buffer, length);
        }
        finally
        {
            if (gzip)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static PooledBody TooLarge(long limit) =>
        new(Results.Json(new WriteError("too large", $"the body exceeds the limit of {limit} bytes", 0, 0, []), statusCode: StatusCodes.Status413PayloadTooLarge));

    private readonly struct PooledBody
    {
        private readonly byte[]? _buffer;
        private readonly int _length;

        public PooledBody(byte[] buffer, int length)
        {
            _buffer = buffer;
            _length = length;
            Error = null;
        }

        public PooledBody(IResult error)
        {
            _buffer = null;
            _length = 0;
            Error = error;
        }

        public IResult? Error { get; }

        public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

        public void Return()
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }
        }
    }
}

/// <summary>The body of a refused or partial write, shaped like InfluxDB's error (code, message) plus what was kept.</summary>
public sealed record WriteError(string Code, string Message, int LinesWritten, int SamplesWritten, IReadOnlyList<WriteLineError> Errors);

public sealed record WriteLineError(int Line, string Message);
