using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Storage.Security;

namespace Monitoring.Server.Security;

/// <summary>
/// Sign-in, roles, tokens, audit and the safe defaults (issue #9): services, middleware, and the hosted service
/// that loads users and creates the first administrator.
/// </summary>
public static partial class SecurityModule
{
    public const string AntiforgeryHeader = "X-XSRF-TOKEN";

    public static void AddSecurity(WebApplicationBuilder builder, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // the keys that sign session cookies and anti-forgery tokens live with the server's data: sessions survive a
        // restart, and two servers on one machine (or a test next to production) never share them
        // a training session's host (issue 21) shares the live host's users, tokens, sign-outs and key ring (SharedSecurity)
        var shared = builder.Services.LastOrDefault(d => d.ServiceType == typeof(SharedSecurity))?.ImplementationInstance as SharedSecurity;
        builder.Services.AddDataProtection()
            .SetApplicationName("monitoring")
            .PersistKeysToFileSystem(new DirectoryInfo(shared?.KeysDirectory ?? Path.Combine(Path.GetFullPath(dataDirectory), "keys")));
        var section = builder.Configuration.GetSection(AuthOptions.Section);
        var options = section.Get<AuthOptions>() ?? new AuthOptions();
        var services = builder.Services;
        services.Configure<AuthOptions>(section);
        services.AddSingleton<SecurityStore>();
        // PBKDF2 as ASP.NET Core Identity does it; a test may register its own first (TryAdd) to count the hash work
        Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddSingleton<
            Microsoft.AspNetCore.Identity.IPasswordHasher<UserRow>, Microsoft.AspNetCore.Identity.PasswordHasher<UserRow>>(services);
        if (shared is null)
        {
            // failures for unknown names: in Redis on a cluster (they add up across nodes like a real account's), else in memory
            services.AddSingleton(sp => sp.GetService<Cluster.RedisConnection>() is { } redis
                ? new UnknownNameFailures(redis.Database, sp.GetRequiredService<Cluster.ClusterOptions>().Prefix)
                : new UnknownNameFailures());
            services.AddSingleton<UserDirectory>();
            services.AddSingleton<TokenDirectory>();
            services.AddSingleton(sp => new SessionRevocations(dataDirectory, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>()));
            services.AddHostedService<SecurityStartupService>();
        }
        else
        {
            services.AddSingleton(shared.Users);
            services.AddSingleton(shared.Tokens);
            services.AddSingleton(shared.Revocations);
        }

        services.AddSingleton<AuditLog>();
        services.AddSingleton<ConfigurationAudit>();
        services.AddSingleton<SignInLimits>();
        services.AddSingleton<SessionValidator>();
        services.AddSingleton<AuditFilter>();
        services.AddSingleton<IAuthorizationHandler, CapabilityHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, JsonAuthorizationResultHandler>();

        services.AddAuthentication(AuthSchemes.Default)
            .AddPolicyScheme(AuthSchemes.Default, "cookie or API token", policy =>
                policy.ForwardDefaultSelector = context => context.Request.Headers.Authorization.Count > 0 ? AuthSchemes.Token : AuthSchemes.Cookie)
            .AddCookie(AuthSchemes.Cookie, cookie =>
            {
                cookie.Cookie.Name = AuthSchemes.CookieName;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = TimeSpan.FromMinutes(Math.Max(1, options.SessionMinutes));
                cookie.SlidingExpiration = true;
                cookie.EventsType = typeof(SessionValidator);
            })
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(AuthSchemes.Token, null);

        services.AddAuthorization(authorization =>
        {
            foreach (var permission in Enum.GetValues<Capability>())
            {
                authorization.AddPolicy(Permissions.PolicyName(permission), policy => policy
                    .AddAuthenticationSchemes(AuthSchemes.Default)
                    .RequireAuthenticatedUser()
                    .AddRequirements(new CapabilityRequirement(permission)));
            }
        });

        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.HeaderName = AntiforgeryHeader;
            antiforgery.Cookie.Name = "monitoring.antiforgery";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });

        var https = builder.Configuration.GetSection(HttpsOptions.Section).Get<HttpsOptions>() ?? new HttpsOptions();
        services.AddSingleton(https);
        if (https.Enabled)
        {
            var certificate = LoadCertificate(https);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(defaults => defaults.ServerCertificate = certificate));
            services.AddHsts(hsts =>
            {
                hsts.MaxAge = TimeSpan.FromDays(365);
                hsts.ExcludedHosts.Clear();
            });
        }

    }

    /// <summary>Headers on every response, then authentication, the page gate, rate limits, authorization and anti-forgery.</summary>
    public static void UseSecurityHeaders(WebApplication app, string webRoot)
    {
        ArgumentNullException.ThrowIfNull(app);
        var policy = ContentSecurityPolicy(webRoot);
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            return next(context);
        });
        if (app.Services.GetRequiredService<HttpsOptions>().Enabled)
        {
            app.UseHsts();
        }

        app.UseAuthentication();

        // the console's pages need a session: without one, the browser goes to the sign-in page
        app.Use((context, next) =>
        {
            var path = context.Request.Path.Value ?? "/";
            if ((path == "/" || (path.EndsWith(".html", StringComparison.OrdinalIgnoreCase) && !path.Equals("/signin.html", StringComparison.OrdinalIgnoreCase)))
                && context.User.Identity?.IsAuthenticated != true)
            {
                // a path on this server only ("//host" or "/\host" would leave it); the browser keeps a deep link's #fragment
                var local = path.StartsWith("//", StringComparison.Ordinal) || path.StartsWith("/\\", StringComparison.Ordinal) ? "/" : path + context.Request.QueryString;
                context.Response.Redirect("/signin.html?returnUrl=" + Uri.EscapeDataString(local));
                return Task.CompletedTask;
            }

            return next(context);
        });
    }

    public static void UseSecurityChecks(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // the per-address sign-in limit: a limiter owned by SignInLimits (a singleton, disposed with this host), not
        // ASP.NET Core's rate-limiting middleware, whose partitioned limiter is never disposed and whose timer would
        // keep an ended training session's host alive; here, as the middleware was, before binding and authorization
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<SignInAddressLimit>() is null)
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            using var lease = context.RequestServices.GetRequiredService<SignInLimits>().AcquirePerAddress(context.Connection.RemoteIpAddress);
            if (!lease.IsAcquired)
            {
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                if (lease.TryGetMetadata(MetadataName.RetryAfter, out var retry))
                {
                    context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await context.Response.WriteAsJsonAsync(new { error = "too many sign-in attempts from this address: wait and try again" }, context.RequestAborted)
                    .ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
        app.UseAuthorization();
        app.Use(async (context, next) =>
        {
            var method = context.Request.Method;
            var unsafeMethod = !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method));
            if (context.Request.Path.StartsWithSegments("/hubs"))
            {
                // a WebSocket is not bound by the same-origin policy: a page of another site must not open the hub with our cookie
                if (context.Request.Headers.Origin.Count > 1 || context.Request.Headers.Origin.Any(o => o?.Contains(',', StringComparison.Ordinal) == true))
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    await context.Response.WriteAsJsonAsync(new { error = "more than one Origin header: hub connection refused" }).ConfigureAwait(false);
                    return;
                }

                if (context.Request.Headers.Origin is [{ } origin] && !SameOrigin(origin, context.Request))
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    await context.Response.WriteAsJsonAsync(new { error = "cross-origin hub connection refused" }).ConfigureAwait(false);
                    return;
                }
            }
            else if (unsafeMethod && context.Request.Headers.Authorization.Count == 0 && context.GetEndpoint() is not null)
            {
                // a browser sends the session cookie with any request: a change needs the token only our page can read
                var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
                if (!await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false))
                {
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                    await context.Response.WriteAsJsonAsync(new { error = "antiforgery token missing or invalid (send the X-XSRF-TOKEN header from /api/auth/session)" })
                        .ConfigureAwait(false);
                    return;
                }
            }

            await next(context).ConfigureAwait(false);
        });
    }

    /// <summary>The CSP: no inline script except the pages' import maps, allowed by their SHA-256.</summary>
    public static string ContentSecurityPolicy(string webRoot)
    {
        var hashes = new SortedSet<string>(StringComparer.Ordinal);
        if (Directory.Exists(webRoot))
        {
            foreach (var file in Directory.EnumerateFiles(webRoot, "*.html", SearchOption.TopDirectoryOnly))
            {
                foreach (Match match in InlineScript().Matches(File.ReadAllText(file)))
                {
                    hashes.Add("'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(match.Groups["body"].Value))) + "'");
                }
            }
        }

        return "default-src 'self'; script-src 'self'" + string.Concat(hashes.Select(h => " " + h)) +
            "; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; " +
            "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
    }

    private static bool SameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase);

    private static X509Certificate2 LoadCertificate(HttpsOptions options)
    {
        var path = Path.GetFullPath(options.CertificatePath!);
        try
        {
            if (!string.IsNullOrWhiteSpace(options.CertificateKeyPath))
            {
                return X509Certificate2.CreateFromPemFile(path, Path.GetFullPath(options.CertificateKeyPath));
            }

            return X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{HttpsOptions.Section}:CertificatePath: cannot load the certificate '{path}': {ex.Message}", ex);
        }
    }

    [GeneratedRegex(@"<script(?![^>]*\bsrc\s*=)[^>]*>(?<body>[\s\S]*?)</script>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}

/// <summary>
/// What a training session's host takes from the live host instead of its own (registered by the session manager
/// before <see cref="SecurityModule.AddSecurity"/>): the users, API tokens and signed-out sessions, and the folder of the
/// data-protection key ring, so that a cookie and an anti-forgery token of the live host are good on the session's too.
/// </summary>
public sealed class SharedSecurity(UserDirectory users, TokenDirectory tokens, SessionRevocations revocations, string keysDirectory)
{
    public UserDirectory Users { get; } = users;

    public TokenDirectory Tokens { get; } = tokens;

    public SessionRevocations Revocations { get; } = revocations;

    public string KeysDirectory { get; } = keysDirectory;
}

/// <summary>After the migrations: loads users and tokens, and on first start creates the administrator.</summary>
internal sealed partial class SecurityStartupService(
    UserDirectory users, TokenDirectory tokens, Microsoft.Extensions.Options.IOptions<AuthOptions> options, AuditLog audit, ConfigurationAudit configuration,
    Microsoft.Extensions.Options.IOptions<Monitoring.Server.Hosting.MonitoringOptions> monitoring,
    Microsoft.Extensions.Options.IOptions<Monitoring.Server.Alarms.AlarmOptions> alarms, ILogger<SecurityStartupService> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await users.LoadAsync(cancellationToken).ConfigureAwait(false);
        await tokens.LoadAsync(cancellationToken).ConfigureAwait(false);
        var profiles = Monitoring.Server.Hosting.PathResolver.ProfilesDirectory(monitoring.Value);
        string[] folders = string.IsNullOrWhiteSpace(alarms.Value.RulesDirectory) ? [profiles] : [profiles, alarms.Value.RulesDirectory];
        var changed = await configuration.RecordChangesAsync(folders, cancellationToken).ConfigureAwait(false);
        if (changed > 0)
        {
            LogConfigurationChanged(logger, changed);
        }

        var (created, generated) = await users.EnsureFirstAdministratorAsync(cancellationToken).ConfigureAwait(false);
        if (!created)
        {
            return;
        }

        var name = options.Value.AdminName;
        await audit.RecordAsync("system", null, null, "CreateFirstAdministrator", name, generated is null ? "password from configuration" : "password generated", AuditLog.Ok, cancellationToken)
            .ConfigureAwait(false);
        if (generated is null)
        {
            LogAdminConfigured(logger, name);
            return;
        }

        // printed once, to the console only (never to the log): whoever starts the server for the first time signs in with it
        var banner = new StringBuilder()
            .AppendLine()
            .AppendLine("================================================================================")
            .AppendLine(" First start: an administrator was created. Sign in at the console with")
            .Append("   name:     ").AppendLine(name)
            .Append("   password: ").AppendLine(generated)
            .AppendLine(" This password is shown only now; you will be asked to change it at first sign-in.")
            .AppendLine("================================================================================");
        await Console.Out.WriteLineAsync(banner, cancellationToken).ConfigureAwait(false);
        await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        LogAdminGenerated(logger, name);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "First start: administrator {Name} created with a generated password, printed once to the console; it must be changed at first sign-in")]
    private static partial void LogAdminGenerated(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} configuration file(s) added, changed or removed since the last start: see the audit log")]
    private static partial void LogConfigurationChanged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: administrator {Name} created with the configured password; it must be changed at first sign-in")]
    private static partial void LogAdminConfigured(ILogger logger, string name);
}
