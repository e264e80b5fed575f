using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Monitoring.Core.Tickets.Notices;
using Monitoring.Storage.Notices;

namespace Monitoring.Server.Tickets.Notices;

/// <summary>A delivery that did not go through; the message names why (never a secret).</summary>
public sealed class NoticeDeliveryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One way notices travel.</summary>
public interface INoticeChannel
{
    NoticeChannel Channel { get; }

    /// <summary>Delivers one notice; throws <see cref="NoticeDeliveryException"/> when it did not go through.</summary>
    Task SendAsync(StoredNotice notice, CancellationToken cancellationToken);
}

/// <summary>
/// Email over SMTP with System.Net.Mail (in the box: no package, plain SMTP with STARTTLS and login is all a notice
/// needs). A new client per message (SmtpClient sends one message at a time); UTF-8 subject and body, the notice's
/// language in Content-Language, a Message-Id made of the notice id so a receiver can drop a duplicate.
/// </summary>
internal sealed class EmailNoticeChannel(IOptions<NoticeOptions> options) : INoticeChannel
{
    public NoticeChannel Channel => NoticeChannel.Email;

    public async Task SendAsync(StoredNotice notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var o = options.Value.Email;
        if (!MailAddress.TryCreate(notice.Address, out var to))
        {
            throw new NoticeDeliveryException($"'{notice.Address}' is not an email address");
        }

        using var client = new SmtpClient(o.Host, o.Port)
        {
            EnableSsl = o.EnableSsl,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            Timeout = (int)Math.Min(int.MaxValue, options.Value.SendTimeoutSeconds * 1000),
        };
        if (!string.IsNullOrEmpty(o.UserName))
        {
            client.Credentials = new NetworkCredential(o.UserName, o.Password);
        }

        using var message = new MailMessage(new MailAddress(o.From!, o.FromName, Encoding.UTF8), to)
        {
            Subject = notice.Subject ?? string.Empty,
            Body = notice.Body,
            SubjectEncoding = Encoding.UTF8,
            BodyEncoding = Encoding.UTF8,
            HeadersEncoding = Encoding.UTF8,
            IsBodyHtml = false,
        };
        message.Headers.Add("Content-Language", notice.Language);
        message.Headers.Add("X-Notice-Id", notice.Id.ToString(CultureInfo.InvariantCulture));
        try
        {
            await client.SendMailAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpException ex)
        {
            throw new NoticeDeliveryException($"SMTP {(int)ex.StatusCode} {ex.StatusCode}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            throw new NoticeDeliveryException($"SMTP server {o.Host}:{o.Port} not reached: {ex.GetType().Name}", ex);
        }
    }
}

/// <summary>
/// The SMS/IM gateway: POST of a JSON body { id, ticket, step, role, to, language, text } with
/// <c>X-Notice-Timestamp</c> (unix seconds), <c>X-Notice-Signature: sha256=HEX</c> where HEX is
/// HMAC-SHA256(secret, timestamp + "." + body) in lower-case hex, and <c>X-Notice-Id</c> (the same notice may come
/// again after a restart: the id lets the gateway drop it). Any 2xx is delivered; anything else is a failed attempt.
/// </summary>
internal sealed class SmsWebhookNoticeChannel : INoticeChannel, IDisposable
{
    public const string TimestampHeader = "X-Notice-Timestamp";
    public const string SignatureHeader = "X-Notice-Signature";
    public const string IdHeader = "X-Notice-Id";

    private readonly IOptions<NoticeOptions> _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };

    public SmsWebhookNoticeChannel(IOptions<NoticeOptions> options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    public NoticeChannel Channel => NoticeChannel.Sms;

    public void Dispose() => _http.Dispose();

    /// <summary>The signature a receiver recomputes: HMAC-SHA256(secret, timestamp + "." + body), lower-case hex.</summary>
    public static string Sign(string secret, string timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body)));

    public async Task SendAsync(StoredNotice notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var o = _options.Value.Sms;
        var body = JsonSerializer.Serialize(new
        {
            id = notice.Id,
            ticket = "T" + notice.TicketId.ToString("D6", CultureInfo.InvariantCulture),
            step = JsonNamingPolicy.CamelCase.ConvertName(notice.Step.ToString()),
            role = JsonNamingPolicy.CamelCase.ConvertName(notice.Role.ToString()),
            to = notice.Address,
            language = notice.Language,
            text = notice.Body,
        });
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, o.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add(SignatureHeader, "sha256=" + Sign(o.Secret!, timestamp, body));
        request.Headers.Add(IdHeader, notice.Id.ToString(CultureInfo.InvariantCulture));
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new NoticeDeliveryException($"gateway answered {(int)response.StatusCode}");
            }
        }
        catch (HttpRequestException ex)
        {
            throw new NoticeDeliveryException($"gateway not reached: {ex.HttpRequestError}", ex);
        }
    }
}
