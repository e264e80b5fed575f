using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Monitoring.Storage.Security;

namespace Monitoring.Server.Security;

/// <summary>Scheme names and the principal a session carries.</summary>
public static class AuthSchemes
{
    /// <summary>Picks <see cref="Token"/> when an Authorization header is present, else <see cref="Cookie"/>.</summary>
    public const string Default = "Monitoring";
    public const string Cookie = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string Token = "Token";
    public const string CookieName = "monitoring.session";

    /// <summary>The session's claims; <paramref name="fallbackTeam"/> is the team listing the user as a member when none is set on the user.</summary>
    public static ClaimsPrincipal PrincipalOf(UserRow user, string? fallbackTeam = null, string? sessionId = null)
    {
        ArgumentNullException.ThrowIfNull(user);
        var claims = new List<Claim>
        {
            new(Permissions.ClaimName, user.Name),
            new(Permissions.ClaimDisplayName, user.DisplayName),
            new(Permissions.ClaimRole, user.Role),
            new(Permissions.ClaimStamp, user.Stamp),
        };
        if ((user.Team ?? fallbackTeam) is { } team)
        {
            claims.Add(new Claim(Permissions.ClaimTeam, team));
        }

        if (user.MustChangePassword)
        {
            claims.Add(new Claim(Permissions.ClaimMustChange, "true"));
        }

        if (sessionId is not null)
        {
            claims.Add(new Claim(Permissions.ClaimSession, sessionId));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, Cookie, Permissions.ClaimName, Permissions.ClaimRole));
    }
}

/// <summary>
/// `Authorization: Token mon_...` (as InfluxDB clients send it) or `Bearer mon_...`: an API token, checked against the
/// stored hashes. The principal names the token and carries its scopes; it has no role.
/// </summary>
internal sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenDirectory tokens, Cluster.ClusterNodeCredentials? nodes = null)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? header : header[..space];
        if (nodes is not null && scheme.Equals(Cluster.ClusterNodeCredentials.Scheme, StringComparison.Ordinal))
        {
            // another node of the cluster (a standby handing the leader what its MQTT and trap listeners received)
            if (nodes.Validate(space < 0 ? string.Empty : header[(space + 1)..].Trim()) is not { } node)
            {
                return AuthenticateResult.Fail("not a valid node credential of this cluster (or expired)");
            }

            var identity = new ClaimsIdentity(
                [new Claim(Permissions.ClaimName, "node:" + node), new Claim(Permissions.ClaimTokenId, "0"), new Claim(Permissions.ClaimScope, Permissions.ScopeWriteSamples)],
                AuthSchemes.Token, Permissions.ClaimName, Permissions.ClaimRole);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), AuthSchemes.Token));
        }

        var basic = scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);
        if (!basic && !scheme.Equals("Token", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("unsupported authorization scheme (use 'Token <api token>')");
        }

        var secret = space < 0 ? string.Empty : header[(space + 1)..].Trim();
        if (basic)
        {
            // InfluxDB 1.x clients (Telegraf's outputs.influxdb username/password): any user name, the API token as password
            secret = BasicPassword(secret) ?? string.Empty;
        }

        if (await tokens.ValidateAsync(secret, Context.RequestAborted).ConfigureAwait(false) is not { } token)
        {
            return AuthenticateResult.Fail("unknown, revoked or expired API token");
        }

        var claims = new List<Claim>
        {
            new(Permissions.ClaimName, "token:" + token.Name),
            new(Permissions.ClaimTokenId, token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        claims.AddRange(token.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => new Claim(Permissions.ClaimScope, s)));
        if (token.Zone is { } zone)
        {
            claims.Add(new Claim(Permissions.ClaimZone, zone));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, AuthSchemes.Token, Permissions.ClaimName, Permissions.ClaimRole));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, AuthSchemes.Token));
    }

    private static string? BasicPassword(string encoded)
    {
        var bytes = new byte[(encoded.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(encoded, bytes, out var written))
        {
            return null;
        }

        var text = System.Text.Encoding.UTF8.GetString(bytes, 0, written);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? null : text[(colon + 1)..];
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Token";
        return Task.CompletedTask;
    }
}

/// <summary>An endpoint or hub method needs <see cref="Capability"/>.</summary>
public sealed class CapabilityRequirement(Capability permission) : IAuthorizationRequirement
{
    public Capability Capability { get; } = permission;
}

/// <summary>Role × permission for users, scope × permission for tokens; a password still to change blocks all but the session.</summary>
internal sealed class CapabilityHandler : AuthorizationHandler<CapabilityRequirement>
{
    public const string PasswordChangeRequired = "password change required";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, CapabilityRequirement requirement)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return Task.CompletedTask;
        }

        if (Principals.IsToken(user))
        {
            if (user.FindAll(Permissions.ClaimScope).Any(s => Permissions.ScopeAllows(s.Value, requirement.Capability)))
            {
                context.Succeed(requirement);
            }
            else
            {
                context.Fail(new AuthorizationFailureReason(this, $"the API token's scopes do not allow {requirement.Capability}"));
            }

            return Task.CompletedTask;
        }

        if (requirement.Capability != Capability.Session && user.FindFirst(Permissions.ClaimMustChange) is not null)
        {
            context.Fail(new AuthorizationFailureReason(this, PasswordChangeRequired));
            return Task.CompletedTask;
        }

        if (Principals.RoleOf(user) is { } role && Permissions.Allows(user, role, requirement.Capability))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, user.FindFirst(Permissions.ClaimTrainingRole)?.Value == "none"
                ? "not invited to this training session (its instructor invites trainees)"
                : $"the role '{user.FindFirst(Permissions.ClaimRole)?.Value}' may not do this ({requirement.Capability})"));
        }

        return Task.CompletedTask;
    }
}

/// <summary>401 and 403 as JSON bodies that say why; refusals of changes go to the audit log.</summary>
internal sealed class JsonAuthorizationResultHandler(AuditLog audit) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (authorizeResult.Challenged)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            if (context.Request.Headers.Authorization.Count > 0)
            {
                context.Response.Headers.WWWAuthenticate = "Token";
            }

            if (context.GetEndpoint()?.Metadata.GetMetadata<Monitoring.Server.Ingest.InfluxErrorShape>() is { } shape)
            {
                await shape.WriteAsync(context, StatusCodes.Status401Unauthorized, "unauthorized access: send 'Authorization: Token <api token>' (or Basic auth with the token as password)").ConfigureAwait(false);
                return;
            }

            await context.Response.WriteAsJsonAsync(new { error = "sign in first (or send 'Authorization: Token <api token>')" }).ConfigureAwait(false);
            return;
        }

        if (authorizeResult.Forbidden)
        {
            var reason = authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault()?.Message ?? "not allowed";
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && reason != CapabilityHandler.PasswordChangeRequired)
            {
                var action = context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? context.Request.Path.Value ?? string.Empty;
                await audit.RecordAsync(context, action, context.Request.Path.Value, reason, AuditLog.Refused).ConfigureAwait(false);
            }

            if (context.GetEndpoint()?.Metadata.GetMetadata<Monitoring.Server.Ingest.InfluxErrorShape>() is { } shape)
            {
                await shape.WriteAsync(context, StatusCodes.Status403Forbidden, reason).ConfigureAwait(false);
                return;
            }

            await context.Response.WriteAsJsonAsync(new { error = reason }).ConfigureAwait(false);
            return;
        }

        await _default.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
    }
}

/// <summary>Ends a cookie session whose user was disabled, deleted, or had password/role/team changed since, or that was signed out.</summary>
internal sealed class SessionValidator(UserDirectory users, SessionRevocations revocations) : CookieAuthenticationEvents
{
    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var principal = context.Principal;
        if (principal is null || !users.IsCurrent(principal.FindFirst(Permissions.ClaimName)?.Value, principal.FindFirst(Permissions.ClaimStamp)?.Value)
            || revocations.IsRevoked(principal.FindFirst(Permissions.ClaimSession)?.Value))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(AuthSchemes.Cookie).ConfigureAwait(false);
        }
    }

    public override Task RedirectToLogin(RedirectContext<CookieAuthenticationOptions> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }

    public override Task RedirectToAccessDenied(RedirectContext<CookieAuthenticationOptions> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }
}

/// <summary>A hub method refused for the caller's role: the message names why (SignalR sends it to the client).</summary>
internal static class HubGuard
{
    public static void Require(HubCallerContext context, Capability permission)
    {
        if (!Allows(context.User ?? new ClaimsPrincipal(), permission))
        {
            throw new HubException($"403 forbidden: not allowed for this role ({permission})");
        }
    }

    /// <summary>Whether the user's role (or the token's scopes) has the capability; a password still to change allows nothing.</summary>
    public static bool Allows(ClaimsPrincipal user, Capability permission) => Principals.IsToken(user)
        ? user.FindAll(Permissions.ClaimScope).Any(s => Permissions.ScopeAllows(s.Value, permission))
        : user.FindFirst(Permissions.ClaimMustChange) is null && Principals.RoleOf(user) is { } role && Permissions.Allows(user, role, permission);
}
