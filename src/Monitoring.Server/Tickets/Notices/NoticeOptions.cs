namespace Monitoring.Server.Tickets.Notices;

/// <summary>
/// "Monitoring:Notices": how customer progress notices are delivered (what is sent when is device-profiles/notices).
/// A channel without its address (Email:Host, Sms:Url) is off: no notices are planned for it.
/// </summary>
public sealed class NoticeOptions
{
    public const string Section = "Monitoring:Notices";

    /// <summary>Attempts per notice before it is given up (counted, logged, in /healthz "notices").</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The first retry's delay; each further retry doubles it, up to <see cref="RetryMaxSeconds"/>.</summary>
    public double RetryBaseSeconds { get; set; } = 30;

    public double RetryMaxSeconds { get; set; } = 1800;

    /// <summary>One attempt's time limit (SMTP conversation or webhook request).</summary>
    public double SendTimeoutSeconds { get; set; } = 15;

    /// <summary>Notices of one channel attempted at once (a slow gateway holds at most this many).</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Longest idle wait before the sender looks at the outbox again (new notices wake it at once).</summary>
    public double IdlePollSeconds { get; set; } = 30;

    public EmailNoticeOptions Email { get; set; } = new();

    public SmsNoticeOptions Sms { get; set; } = new();

    internal static IEnumerable<string> Validate(NoticeOptions o)
    {
        if (o.MaxAttempts is < 1 or > 50)
        {
            yield return $"{Section}:MaxAttempts must be 1..50 (found {o.MaxAttempts})";
        }

        if (o.RetryBaseSeconds is <= 0 or > 86_400 || o.RetryMaxSeconds < o.RetryBaseSeconds || o.RetryMaxSeconds > 86_400)
        {
            yield return $"{Section}:RetryBaseSeconds must be in (0, 86400] and RetryMaxSeconds in [RetryBaseSeconds, 86400]";
        }

        if (o.SendTimeoutSeconds is <= 0 or > 600)
        {
            yield return $"{Section}:SendTimeoutSeconds must be in (0, 600]";
        }

        if (o.BatchSize is < 1 or > 256)
        {
            yield return $"{Section}:BatchSize must be 1..256";
        }

        if (o.IdlePollSeconds is <= 0 or > 3600)
        {
            yield return $"{Section}:IdlePollSeconds must be in (0, 3600]";
        }

        if (!string.IsNullOrWhiteSpace(o.Email.Host))
        {
            if (o.Email.Port is < 1 or > 65535)
            {
                yield return $"{Section}:Email:Port must be 1..65535";
            }

            if (!System.Net.Mail.MailAddress.TryCreate(o.Email.From, out _))
            {
                yield return $"{Section}:Email:From must be an email address (the sender of the notices)";
            }
        }

        if (!string.IsNullOrWhiteSpace(o.Sms.Url))
        {
            if (!Uri.TryCreate(o.Sms.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                yield return $"{Section}:Sms:Url must be an absolute http(s) URL";
            }

            if (string.IsNullOrEmpty(o.Sms.Secret) || o.Sms.Secret.Length < 16)
            {
                yield return $"{Section}:Sms:Secret must be set, at least 16 characters (the HMAC-SHA256 key the gateway shares)";
            }
        }
    }
}

/// <summary>The SMTP server notices are sent through.</summary>
public sealed class EmailNoticeOptions
{
    /// <summary>Empty: email notices are off.</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 25;

    /// <summary>STARTTLS / TLS to the server.</summary>
    public bool EnableSsl { get; set; }

    public string? From { get; set; }

    public string? FromName { get; set; }

    public string? UserName { get; set; }

    /// <summary>Never logged.</summary>
    public string? Password { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>The SMS/IM gateway: a webhook signed with HMAC-SHA256 over "timestamp.body" with a shared secret.</summary>
public sealed class SmsNoticeOptions
{
    /// <summary>Empty: SMS notices are off.</summary>
    public string? Url { get; set; }

    /// <summary>The shared secret; never logged.</summary>
    public string? Secret { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Url);
}
