using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Monitoring.Core.LineProtocol;
using Monitoring.Server.Api;
using Monitoring.Server.Hosting;
using Monitoring.Server.Security;

namespace Monitoring.Server.Ingest;

/// <summary>
/// InfluxDB-compatible write endpoints, so Telegraf, scripts and agents can push samples:
/// v2 <c>POST /api/v2/write?bucket=&amp;precision=ns|us|ms|s</c> and v1 <c>POST /write?db=&amp;precision=n|u|ms|s|m|h</c>.
/// The body is line protocol whatever its Content-Type (as influxd reads it), gzip when Content-Encoding says so.
/// 204 when every line was written (journaled and fsync'd: kept across kill -9); 400 naming each bad line when some were
/// not (the good lines are kept); 503 with Retry-After, nothing kept, while the history is catching up; errors in
/// InfluxDB's shapes (v2 <c>{"code","message"}</c>, v1 <c>{"error"}</c>) so clients log them.
/// </summary>
internal static partial class IngestEndpoints
{
    /// <summary>On a write that kept lines as free-form series (no <c>device</c> tag, or an unknown one): how many.</summary>
    public const string FreeFormLinesHeader = "X-Monitoring-Freeform-Lines";

    /// <summary>Of those, how many named a device the inventory does not have.</summary>
    public const string UnknownDeviceLinesHeader = "X-Monitoring-Unknown-Device-Lines";

    /// <summary>The first unknown device id, percent-encoded.</summary>
    public const string UnknownDeviceHeader = "X-Monitoring-Unknown-Device";

    public static void Map(IEndpointRouteBuilder routes)
    {
        // no Accepts(...): it would make routing answer 415 to curl's form content type before authorization ran
        routes.MapPost("/api/v2/write", async (HttpContext context, string? bucket, string? org, string? precision) =>
                Shaped(await WriteAsync(context, precision, InfluxErrorShape.V2).ConfigureAwait(false), InfluxErrorShape.V2Body))
            .WithName("WriteV2").Requires(Capability.WriteSamples).SkipAudit().WithTags("Ingest").WithMetadata(InfluxErrorShape.V2);
        routes.MapPost("/write", async (HttpContext context, string? db, string? rp, string? precision) =>
                Shaped(await WriteAsync(context, precision, InfluxErrorShape.V1).ConfigureAwait(false), InfluxErrorShape.V1Body))
            .WithName("WriteV1").Requires(Capability.WriteSamples).SkipAudit().WithTags("Ingest").WithMetadata(InfluxErrorShape.V1);
    }

    /// <summary>Every answer of a write: 204 kept, or the error body (v1 or v2 shape) with 400, 403 (a collector token's other zone), 413, 415 or 503.</summary>
    private static Results<NoContent, Json<TBody, Status400>, Json<TBody, Status403>, Json<TBody, Status413>, Json<TBody, Status415>, Json<TBody, Status503>> Shaped<TBody>(
        WriteAnswer answer, Func<WriteAnswer, TBody> body) => answer.Status switch
        {
            StatusCodes.Status204NoContent => TypedResults.NoContent(),
            StatusCodes.Status403Forbidden => new Json<TBody, Status403>(body(answer)),
            StatusCodes.Status413PayloadTooLarge => new Json<TBody, Status413>(body(answer)),
            StatusCodes.Status415UnsupportedMediaType => new Json<TBody, Status415>(body(answer)),
            StatusCodes.Status503ServiceUnavailable => new Json<TBody, Status503>(body(answer)),
            _ => new Json<TBody, Status400>(body(answer)),
        };

    private static async Task<WriteAnswer> WriteAsync(HttpContext context, string? precisionText, InfluxErrorShape shape)
    {
        var services = context.RequestServices;
        var counters = services.GetRequiredService<IngestCounters>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IngestEndpoints).FullName!);
        if (!(shape.IsV1 ? TimestampPrecisions.TryParseV1(precisionText, out var precision) : TimestampPrecisions.TryParseV2(precisionText, out precision)))
        {
            return Refuse(counters, logger, StatusCodes.Status400BadRequest, "invalid",
                $"precision '{precisionText}' is not one of {(shape.IsV1 ? "n, ns, u, us, ms, s, m, h" : "ns, us, ms, s")}");
        }

        var options = services.GetRequiredService<IOptions<MonitoringOptions>>().Value.Ingest;
        var cancellationToken = context.RequestAborted;
        var body = await ReadBodyAsync(context.Request, options.MaxBodyBytes, "Monitoring:Ingest:MaxBodyBytes", cancellationToken).ConfigureAwait(false);
        if (body.Status != 0)
        {
            return Refuse(counters, logger, body.Status, body.Status switch
            {
                StatusCodes.Status413PayloadTooLarge => "request too large",
                StatusCodes.Status415UnsupportedMediaType => "unsupported media type",
                _ => "invalid",
            }, body.Message!);
        }

        try
        {
            var lines = CountLines(body.Memory.Span);
            if (lines > options.MaxLinesPerRequest)
            {
                return Refuse(counters, logger, StatusCodes.Status413PayloadTooLarge, "request too large",
                    $"the body holds {lines} lines, over the limit of {options.MaxLinesPerRequest} lines per request (Monitoring:Ingest:MaxLinesPerRequest): send it in smaller batches");
            }

            if (Principals.Zone(context.User) is { } zone
                && Monitoring.Server.RemoteCollectors.ZoneGuard.FirstOutside(body.Memory.Span, precision, zone, services.GetRequiredService<Monitoring.Core.Inventory.Inventory>()) is { } outside)
            {
                // a collector token writes its own zone's devices only: refused whole, nothing kept
                return Refuse(counters, logger, StatusCodes.Status403Forbidden, "forbidden", outside);
            }

            var ingest = services.GetRequiredService<IngestService>();
            IngestResult result;
            try
            {
                result = await ingest.IngestAsync(body.Memory, precision, cancellationToken).ConfigureAwait(false);
            }
            catch (IngestBusyException busy)
            {
                // the history is catching up: refuse whole before anything is kept, as InfluxDB does, rather than drop later
                context.Response.Headers.RetryAfter = busy.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Refuse(counters, logger, StatusCodes.Status503ServiceUnavailable, "unavailable", busy.Message);
            }

            counters.Record(result);
            AddFreeFormHeaders(context.Response, result);
            if (result.Errors.Count == 0 && result.LinesWritten == 0)
            {
                const string empty = "no line written: the body holds no line protocol";
                LogRefused(logger, StatusCodes.Status400BadRequest, empty); // counted by Record: not again as a refused request
                return WriteAnswer.Refused(StatusCodes.Status400BadRequest, "invalid", empty);
            }

            if (result.Errors.Count == 0)
            {
                return WriteAnswer.Kept;
            }

            var message = (result.LinesWritten == 0 ? "no line written: " : $"partial write: {result.LinesWritten} line(s) written, ")
                + $"{result.LinesRejected} rejected{Causes(result)}; first: {result.Errors[0]}";
            LogRefusedLines(logger, result.LinesRejected, result.LinesRejected + result.LinesWritten, result.Errors[0].ToString());
            return WriteAnswer.Partial(message, result);
        }
        finally
        {
            body.Return();
        }
    }

    private static WriteAnswer Refuse(IngestCounters counters, ILogger logger, int status, string code, string message)
    {
        counters.Refused(message);
        LogRefused(logger, status, message);
        return WriteAnswer.Refused(status, code, message);
    }

    private static string Causes(in IngestResult result)
    {
        var parts = new List<string>(3);
        if (result.LinesOverLimits > 0)
        {
            parts.Add($"{result.LinesOverLimits} over a size limit");
        }

        if (result.LinesInFuture > 0)
        {
            parts.Add($"{result.LinesInFuture} dated too far ahead");
        }

        if (result.LinesOverCardinality > 0)
        {
            parts.Add($"{result.LinesOverCardinality} over the series cardinality limit");
        }

        return parts.Count == 0 ? string.Empty : " (" + string.Join(", ", parts) + ")";
    }

    private static void AddFreeFormHeaders(HttpResponse response, in IngestResult result)
    {
        if (result.FreeFormLines == 0)
        {
            return;
        }

        var headers = response.Headers;
        headers[FreeFormLinesHeader] = result.FreeFormLines.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (result.UnknownDeviceLines > 0)
        {
            headers[UnknownDeviceLinesHeader] = result.UnknownDeviceLines.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (result.FirstUnknownDevice is { } device)
            {
                headers[UnknownDeviceHeader] = Uri.EscapeDataString(device.Length > 200 ? device[..200] : device);
            }
        }
    }

    /// <summary>Physical lines, as the reader numbers them (a last line without its newline counts).</summary>
    private static int CountLines(ReadOnlySpan<byte> body) =>
        body.Count((byte)'\n') + (body.IsEmpty || body[^1] == (byte)'\n' ? 0 : 1);

    /// <summary>
    /// Reads the body (gunzipping it when Content-Encoding says gzip) into a pooled buffer, refusing more than
    /// <paramref name="limit"/> bytes. A gzip body counts only when it decompresses completely: a stream cut short, or
    /// whose trailer (CRC-32 and length) does not match what came out, is refused whole. <paramref name="limitName"/> names
    /// the bound in the 413 message. The cluster's sample endpoint reads its frames here too.
    /// </summary>
    internal static async Task<PooledBody> ReadBodyAsync(HttpRequest request, long limit, string limitName, CancellationToken cancellationToken)
    {
        var encoding = request.Headers.ContentEncoding.ToString().Trim();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && !string.IsNullOrEmpty(encoding) && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return PooledBody.Refused(StatusCodes.Status415UnsupportedMediaType, $"Content-Encoding '{Printable(encoding)}' is not supported: send the body as is or with gzip");
        }

        if (request.ContentLength > limit)
        {
            return TooLarge(limit, limitName);
        }

        var compressed = gzip ? new TrailerCapture(request.Body) : null;
        var source = compressed is null ? request.Body : new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true);
        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is > 0 and < 1 << 20 && !gzip ? (int)request.ContentLength : 64 * 1024);
        var length = 0;
        var crc = 0u;
        var keep = false;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= limit)
                    {
                        return TooLarge(limit, limitName);
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
                    return PooledBody.Refused(StatusCodes.Status400BadRequest, $"the gzip body could not be decompressed: {ex.Message}");
                }

                if (read == 0)
                {
                    break;
                }

                if (compressed is not null)
                {
                    crc = GzipCrc32.Append(crc, buffer.AsSpan(length, read));
                }

                length += read;
                if (length > limit)
                {
                    return TooLarge(limit, limitName);
                }
            }

            if (compressed is not null)
            {
                await compressed.DrainAsync(limit, cancellationToken).ConfigureAwait(false);
                if (compressed.CheckTrailer(crc, length) is { } problem)
                {
                    return PooledBody.Refused(StatusCodes.Status400BadRequest, $"the gzip body could not be decompressed: {problem}; nothing was written");
                }
            }

            keep = true;
            return new PooledBody(buffer, length);
        }
        finally
        {
            if (!keep)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (compressed is not null)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static string Printable(string text) =>
        new(text.Take(40).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ',' or ' ' ? c : '?').ToArray());

    private static PooledBody TooLarge(long limit, string limitName) =>
        PooledBody.Refused(StatusCodes.Status413PayloadTooLarge, $"the body exceeds the limit of {limit} bytes ({limitName})");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Line-protocol write refused whole ({Status}): {Reason}")]
    private static partial void LogRefused(ILogger logger, int status, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Line-protocol write refused {Rejected} of {Lines} lines; first: {First}")]
    private static partial void LogRefusedLines(ILogger logger, int rejected, int lines, string first);

    internal readonly struct PooledBody
    {
        private readonly byte[]? _buffer;
        private readonly int _length;

        public PooledBody(byte[] buffer, int length)
        {
            _buffer = buffer;
            _length = length;
        }

        private PooledBody(int status, string message)
        {
            Status = status;
            Message = message;
        }

        /// <summary>0 when the body was read; otherwise the status that refuses the request.</summary>
        public int Status { get; }

        public string? Message { get; }

        public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

        public static PooledBody Refused(int status, string message) => new(status, message);

        public void Return()
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }
        }
    }

    /// <summary>Passes the compressed body through, counting it and keeping its last 8 bytes (gzip's CRC-32 and length).</summary>
    private sealed class TrailerCapture(Stream inner) : Stream
    {
        private readonly byte[] _tail = new byte[8];
        private long _total;
        private bool _overflow;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _total;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Seen(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Seen(buffer.Span[..read]);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        /// <summary>
        /// Reads what the decompressor left unread (at most <paramref name="limit"/> bytes in all), so the trailer seen
        /// is the body's real end; past the limit the trailer check fails and the body is refused.
        /// </summary>
        public async Task DrainAsync(long limit, CancellationToken cancellationToken)
        {
            var scratch = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                while (_total <= limit && await ReadAsync(scratch.AsMemory(), cancellationToken).ConfigureAwait(false) > 0)
                {
                }

                _overflow = _total > limit;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }

        /// <summary>Why the body is not one complete gzip member for <paramref name="length"/> bytes of CRC <paramref name="crc"/>, or null.</summary>
        public string? CheckTrailer(uint crc, int length)
        {
            if (_overflow)
            {
                return "more bytes follow the gzip stream than the body may hold";
            }

            if (_total < 18)
            {
                return _total == 0 ? "the body is empty" : $"the body is {_total} bytes, shorter than a gzip header and trailer";
            }

            var expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(_tail);
            var expectedLength = BinaryPrimitives.ReadUInt32LittleEndian(_tail.AsSpan(4));
            return expectedCrc == crc && expectedLength == (uint)length
                ? null
                : "the stream is truncated, or its trailer (CRC-32 and length) does not match the data (one gzip member per body is read)";
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Seen(ReadOnlySpan<byte> data)
        {
            if (data.Length >= 8)
            {
                data[^8..].CopyTo(_tail);
            }
            else if (data.Length > 0)
            {
                _tail.AsSpan(data.Length).CopyTo(_tail);
                data.CopyTo(_tail.AsSpan(8 - data.Length));
            }

            _total += data.Length;
            return data.Length;
        }
    }
}

/// <summary>Endpoint metadata: the write endpoint answers errors in InfluxDB's v1 (<c>{"error"}</c>) or v2 (<c>{"code","message"}</c>) shape.</summary>
public sealed class InfluxErrorShape
{
    public static readonly InfluxErrorShape V1 = new(isV1: true);
    public static readonly InfluxErrorShape V2 = new(isV1: false);

    private InfluxErrorShape(bool isV1)
    {
        IsV1 = isV1;
    }

    public bool IsV1 { get; }

    /// <summary>A refused or partial write in v2's shape <c>{"code":..., "message":...}</c> plus what was kept.</summary>
    internal static WriteError V2Body(WriteAnswer answer) =>
        new(answer.Code, answer.Message, answer.LinesWritten, answer.SamplesWritten, answer.Errors) { FreeFormLines = answer.FreeFormLines };

    /// <summary>A refused or partial write in v1's shape <c>{"error":...}</c> plus what was kept.</summary>
    internal static WriteErrorV1 V1Body(WriteAnswer answer) =>
        new(answer.Message, answer.LinesWritten, answer.SamplesWritten, answer.Errors) { FreeFormLines = answer.FreeFormLines };

    /// <summary>For the authorization layer: 401 and 403 on a write endpoint in the same shape.</summary>
    public Task WriteAsync(HttpContext context, int status, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        var code = status == StatusCodes.Status401Unauthorized ? "unauthorized" : "forbidden";
        return IsV1
            ? context.Response.WriteAsJsonAsync(new { error = message })
            : context.Response.WriteAsJsonAsync(new { code, message });
    }
}

/// <summary>The v2 body of a refused or partial write, shaped like InfluxDB's error (code, message) plus what was kept.</summary>
public sealed record WriteError(string Code, string Message, int LinesWritten, int SamplesWritten, IReadOnlyList<WriteLineError> Errors)
{
    /// <summary>Written lines kept as free-form series (no <c>device</c> tag, or one the inventory does not have).</summary>
    public int FreeFormLines { get; init; }
}

/// <summary>The v1 body of a refused or partial write, shaped like InfluxDB 1.x's error plus what was kept.</summary>
public sealed record WriteErrorV1(string Error, int LinesWritten, int SamplesWritten, IReadOnlyList<WriteLineError> Errors)
{
    /// <summary>Written lines kept as free-form series (no <c>device</c> tag, or one the inventory does not have).</summary>
    public int FreeFormLines { get; init; }
}

public sealed record WriteLineError(int Line, string Message);

/// <summary>What a write comes to before it is shaped as v1 or v2: 204 kept, a whole-request refusal, or a partial write (400).</summary>
internal readonly record struct WriteAnswer(int Status, string Code, string Message, int LinesWritten, int SamplesWritten, IReadOnlyList<WriteLineError> Errors, int FreeFormLines)
{
    public static WriteAnswer Kept => new(StatusCodes.Status204NoContent, string.Empty, string.Empty, 0, 0, [], 0);

    /// <summary>A whole-request error: nothing kept.</summary>
    public static WriteAnswer Refused(int status, string code, string message) => new(status, code, message, 0, 0, [], 0);

    /// <summary>Some lines refused (400): the message, what was kept, and the refused lines.</summary>
    public static WriteAnswer Partial(string message, in IngestResult result) =>
        new(StatusCodes.Status400BadRequest, "invalid", message, result.LinesWritten, result.SamplesWritten,
            result.Errors.Select(e => new WriteLineError(e.Line, e.Message)).ToArray(), result.FreeFormLines);
}
