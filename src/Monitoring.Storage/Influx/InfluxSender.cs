using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;

namespace Monitoring.Storage.Influx;

public enum SendOutcome
{
    /// <summary>Written (204, or any 2xx).</summary>
    Written,

    /// <summary>Worth trying again later: a network error, a time-out, 5xx, 429, 408.</summary>
    Retry,

    /// <summary>Will never succeed as sent (400, 401, 403, 404, 413, ...): drop it and report it.</summary>
    Rejected,
}

/// <summary>What one write request came to.</summary>
public readonly record struct SendResult(SendOutcome Outcome, int StatusCode, TimeSpan? RetryAfter, string? Message);

/// <summary>
/// Sends one line-protocol body to one target over HTTP: InfluxDB 1.x <c>POST /write?db=&amp;rp=&amp;precision=ns</c>
/// (user and password as HTTP basic) or 2.x/3.x <c>POST /api/v2/write?org=&amp;bucket=&amp;precision=ns</c>
/// (<c>Authorization: Token ...</c>), gzip-compressed when configured. Never logs or returns a secret.
/// </summary>
public sealed class InfluxSender
{
    private readonly HttpClient _http;
    private readonly InfluxTargetOptions _target;
    private readonly Uri _writeUri;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly TimeProvider _time;

    public InfluxSender(HttpClient http, InfluxTargetOptions target, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(target);
        _http = http;
        _time = time;
        _target = target;
        var baseUrl = target.Url.TrimEnd('/');
        if (target.Version == 1)
        {
            var query = "db=" + Uri.EscapeDataString(target.Database ?? throw new ArgumentException("a v1 target needs a Database"))
                + (string.IsNullOrEmpty(target.RetentionPolicy) ? "" : "&rp=" + Uri.EscapeDataString(target.RetentionPolicy)) + "&precision=ns";
            _writeUri = new Uri(baseUrl + "/write?" + query);
            if (!string.IsNullOrEmpty(target.Username))
            {
                _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(target.Username + ":" + target.Password)));
            }
        }
        else
        {
            var query = "org=" + Uri.EscapeDataString(target.Org ?? "") + "&bucket=" + Uri.EscapeDataString(target.Bucket ?? target.Database ?? "") + "&precision=ns";
            _writeUri = new Uri(baseUrl + "/api/v2/write?" + query);
            if (!string.IsNullOrEmpty(target.Token))
            {
                _authorization = new AuthenticationHeaderValue("Token", target.Token);
            }
        }
    }

    /// <summary>The address written to (it holds no secret: credentials go in a header).</summary>
    public Uri WriteUri => _writeUri;

    /// <summary>Gzips a line-protocol body the way <see cref="SendAsync"/> expects it when gzip is on.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> lines)
    {
        using var output = new MemoryStream(lines.Length / 4 + 64);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(lines);
        }

        return output.ToArray();
    }

    /// <summary>Sends a body (already gzipped when <see cref="InfluxTargetOptions.Gzip"/> is on).</summary>
    public async Task<SendResult> SendAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _writeUri);
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        if (_target.Gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        request.Content = content;
        request.Headers.Authorization = _authorization;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_target.TimeoutMs);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new SendResult(SendOutcome.Written, status, null, null);
            }

            var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (text.Length > 2000)
            {
                text = text[..2000];
            }

            var message = $"{status} {response.ReasonPhrase}: {text.Trim()}";
            if (status is 429 or 408 or >= 500)
            {
                return new SendResult(SendOutcome.Retry, status, RetryAfter(response), message);
            }

            return new SendResult(SendOutcome.Rejected, status, null, message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendResult(SendOutcome.Retry, 0, null, $"no answer within {_target.TimeoutMs} ms");
        }
        catch (HttpRequestException e)
        {
            return new SendResult(SendOutcome.Retry, 0, null, e.Message);
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}
