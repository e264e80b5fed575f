namespace Monitoring.Server.Security;

/// <summary>
/// Monitoring:Auth: the first administrator, sessions, sign-in limits. Every secret here may come from an
/// environment variable instead (Monitoring__Auth__AdminPassword).
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Monitoring:Auth";

    /// <summary>The administrator created on first start (when there are no users yet).</summary>
    public string AdminName { get; set; } = "admin";

    /// <summary>Its password; when empty a random one is generated and printed once to the console. Changed at first sign-in either way.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>A session ends after this long without a request (sliding).</summary>
    public int SessionMinutes { get; set; } = 12 * 60;

    /// <summary>Failed sign-ins in a row that lock an account.</summary>
    public int LockoutFailures { get; set; } = 5;

    public int LockoutMinutes { get; set; } = 15;

    /// <summary>Sign-in attempts per client address per minute (the built-in rate limiter).</summary>
    public int SignInPerAddressPerMinute { get; set; } = 20;

    /// <summary>Sign-in attempts per account name per minute.</summary>
    public int SignInPerUserPerMinute { get; set; } = 10;

    public int MinPasswordLength { get; set; } = 10;
}

/// <summary>Monitoring:Https: with a certificate the console is served over TLS only, with HSTS.</summary>
public sealed class HttpsOptions
{
    public const string Section = "Monitoring:Https";

    /// <summary>A PKCS#12 (.pfx) file, or a PEM certificate with <see cref="CertificateKeyPath"/>.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The .pfx password (Monitoring__Https__CertificatePassword in the environment).</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>The PEM private key when <see cref="CertificatePath"/> is a PEM certificate.</summary>
    public string? CertificateKeyPath { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);
}
