using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Monitoring.Storage.Security;

namespace Monitoring.Server.Security;

public sealed record SignInRequest(string? Name, string? Password);

public sealed record PasswordChangeRequest(string? Current, string? New);

public sealed record CreateUserRequest(string? Name, string? DisplayName, string? Role, string? Team, string? Password);

public sealed record UpdateUserRequest(string? DisplayName, string? Role, string? Team, bool? Disabled);

/// <param name="Zone">The zone a token with the "collector" scope is bound to (required with it, refused without it).</param>
public sealed record CreateTokenRequest(string? Name, IReadOnlyList<string>? Scopes, int? ExpiresInDays, string? Zone = null);

public sealed record UserDto(
    string Name, string DisplayName, string Role, string? Team, bool Disabled, bool MustChangePassword, DateTimeOffset? LastSignInAt, DateTimeOffset? LockedUntil)
{
    public static UserDto Of(UserRow user) =>
        new(user.Name, user.DisplayName, user.Role, user.Team, user.Disabled, user.MustChangePassword, user.LastSignInAt, user.LockedUntil);
}

public sealed record TokenDto(
    long Id, string Name, IReadOnlyList<string> Scopes, string Prefix, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, string? Zone = null)
{
    public static TokenDto Of(TokenRow token) => new(
        token.Id, token.Name, token.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), token.Prefix, token.CreatedBy, token.CreatedAt, token.ExpiresAt,
        token.LastUsedAt, token.RevokedAt, token.Zone);
}

/// <summary>/api/auth (session, sign-in, sign-out, password), /api/users, /api/tokens, /api/audit.</summary>
internal static partial class SecurityEndpoints
{
    public static void Map(IEndpointRouteBuilder app, RouteGroupBuilder secured)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Sign-in");
        auth.MapGet("/session", Session).AllowAnonymous().WithName("Session")
            .WithSummary("Who is signed in (if anyone) and the anti-forgery token for the next state-changing call.");
        auth.MapPost("/signin", SignInAsync).AllowAnonymous().WithMetadata(SignInAddressLimit.Instance).SkipAudit().WithName("SignIn")
            .WithSummary("{ name, password } → the session cookie; 401 wrong name or password, 423 locked, 429 too many attempts.");

        var session = secured.MapGroup("/api/auth").WithTags("Sign-in").RequireAuthorization(Permissions.PolicyName(Capability.Session));
        session.MapPost("/signout", SignOutAsync).SkipAudit().WithName("SignOut");
        session.MapPost("/password", ChangePasswordAsync).SkipAudit().WithName("ChangePassword").WithSummary("{ current, new }: ends the user's other sessions.");

        var admin = Permissions.PolicyName(Capability.Administer);
        var users = secured.MapGroup("/api/users").WithTags("Administration").RequireAuthorization(admin);
        users.MapGet(string.Empty, (UserDirectory directory) => directory.All.Select(UserDto.Of).ToArray()).WithName("ListUsers");
        users.MapPost(string.Empty, CreateUserAsync).WithName("CreateUser").WithSummary("A generated password (when none is given) is returned once.");
        users.MapPut("/{name}", UpdateUserAsync).WithName("UpdateUser");
        users.MapPost("/{name}/reset", ResetAsync).WithName("ResetPassword").WithSummary("A new random password, returned once; to be changed at next sign-in.");
        users.MapPost("/{name}/unlock", UnlockAsync).WithName("UnlockUser");

        var tokens = secured.MapGroup("/api/tokens").WithTags("Administration").RequireAuthorization(admin);
        tokens.MapGet(string.Empty, (TokenDirectory directory) => directory.All.Select(TokenDto.Of).ToArray()).WithName("ListTokens");
        tokens.MapPost(string.Empty, CreateTokenAsync).WithName("CreateToken").WithSummary("{ name, scopes: [samples:write, read, tickets, collector], expiresInDays?, zone? (with collector) }: the secret is returned once.");
        tokens.MapDelete("/{id:long}", RevokeTokenAsync).WithName("RevokeToken");

        secured.MapGet("/api/audit", AuditAsync).WithTags("Administration").RequireAuthorization(admin).WithName("AuditLog")
            .WithSummary("from, to, user, action, limit; format=csv for a download. Newest first.");
    }

    private static IResult Session(HttpContext context, IAntiforgery antiforgery, UserDirectory users)
    {
        var name = context.User.Identity?.IsAuthenticated == true && !Principals.IsToken(context.User) ? Principals.Name(context.User) : null;
        var user = users.Find(name);
        var token = antiforgery.GetAndStoreTokens(context).RequestToken;
        // the team a technician acts for: their own, or the one service.yaml lists them in (as the session's claim says)
        return Results.Ok(new
        {
            signedIn = user is not null,
            user = user is null ? null : UserDto.Of(user) with { Team = Principals.Team(context.User) },
            capabilities = user is null ? [] : CapabilityNames(context.User),
            antiforgery = token,
        });
    }

    /// <summary>
    /// What the signed-in user may do (camelCase <see cref="Capability"/> names), from the role table: the console hides
    /// what is not in it, the endpoints enforce it. Empty while a password change is due; "session" is always there.
    /// </summary>
    internal static string[] CapabilityNames(ClaimsPrincipal principal) =>
        [.. Enum.GetValues<Capability>().Where(c => c == Capability.Session || HubGuard.Allows(principal, c)).Select(c => JsonNamingPolicy.CamelCase.ConvertName(c.ToString()))];

    private static async Task<IResult> SignInAsync(
        SignInRequest body, HttpContext context, UserDirectory users, AuditLog audit, SignInLimits limits, IAntiforgery antiforgery, CancellationToken ct)
    {
        var name = body.Name?.Trim();
        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(body.Password))
        {
            return Error(StatusCodes.Status400BadRequest, "name and password are required", string.IsNullOrEmpty(name) ? "name" : "password");
        }

        using var lease = limits.AcquirePerUser(name);
        if (!lease.IsAcquired)
        {
            await audit.RecordAsync(context, "SignIn", name, "too many attempts for this name", AuditLog.Refused, user: name).ConfigureAwait(false);
            return RetryLater(context, lease);
        }

        var result = await users.SignInAsync(name, body.Password, ct).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case SignInOutcome.Locked:
                await audit.RecordAsync(context, "SignIn", name, "locked out", AuditLog.Refused, user: name).ConfigureAwait(false);
                return Results.Json(new { error = "too many failed sign-ins: the account is locked", lockedUntil = result.LockedUntil }, statusCode: StatusCodes.Status423Locked);
            case SignInOutcome.Invalid:
                await audit.RecordAsync(context, "SignIn", name, "wrong name or password", AuditLog.Refused, user: name).ConfigureAwait(false);
                return Error(StatusCodes.Status401Unauthorized, "wrong name or password");
        }

        var user = result.User!;
        var principal = AuthSchemes.PrincipalOf(user, TeamOf(context, user.Name), SessionRevocations.NewId());
        await context.SignInAsync(AuthSchemes.Cookie, principal).ConfigureAwait(false);
        context.User = principal;
        await audit.RecordAsync(context, "SignIn", user.Name, user.MustChangePassword ? "password change required" : null, AuditLog.Ok).ConfigureAwait(false);
        return Results.Ok(new { user = UserDto.Of(user) with { Team = Principals.Team(principal) }, capabilities = CapabilityNames(principal), antiforgery = antiforgery.GetAndStoreTokens(context).RequestToken });
    }

    private static async Task<IResult> SignOutAsync(
        HttpContext context, AuditLog audit, UserDirectory users, SessionRevocations revocations, Live.HubConnectionRegistry hubs, CancellationToken ct)
    {
        await audit.RecordAsync(context, "SignOut", Principals.Name(context.User), null, AuditLog.Ok).ConfigureAwait(false);
        if (!Principals.IsToken(context.User))
        {
            // ends the session on the server too: the cookie, replayed, is refused from now on (this session only)
            if (context.User.FindFirst(Permissions.ClaimSession)?.Value is { Length: > 0 } session)
            {
                await revocations.RevokeAsync(session, ct).ConfigureAwait(false);
            }
            else if (users.Find(Principals.Name(context.User)) is { } user)
            {
                // a cookie from before sessions had ids: only a new stamp can end it (and the user's other sessions)
                await users.EndSessionsAsync(user.Name, ct).ConfigureAwait(false);
            }
        }

        await context.SignOutAsync(AuthSchemes.Cookie).ConfigureAwait(false);
        hubs.Disconnect(Principals.IsToken(context.User) ? string.Empty : Principals.Name(context.User));
        return Results.NoContent();
    }

    private static async Task<IResult> ChangePasswordAsync(
        PasswordChangeRequest body, HttpContext context, UserDirectory users, AuditLog audit, IAntiforgery antiforgery, Live.HubConnectionRegistry hubs, CancellationToken ct)
    {
        if (Principals.IsToken(context.User))
        {
            return Error(StatusCodes.Status403Forbidden, "an API token has no password");
        }

        try
        {
            var user = await users.ChangePasswordAsync(Principals.Name(context.User), body.Current ?? string.Empty, body.New ?? string.Empty, ct).ConfigureAwait(false);
            hubs.Disconnect(user.Name);
            var principal = AuthSchemes.PrincipalOf(user, TeamOf(context, user.Name), SessionRevocations.NewId());
            await context.SignInAsync(AuthSchemes.Cookie, principal).ConfigureAwait(false);
            context.User = principal;
            await audit.RecordAsync(context, "ChangePassword", user.Name, null, AuditLog.Ok).ConfigureAwait(false);
            return Results.Ok(new { user = UserDto.Of(user) with { Team = Principals.Team(principal) }, capabilities = CapabilityNames(principal), antiforgery = antiforgery.GetAndStoreTokens(context).RequestToken });
        }
        catch (UserCommandException ex)
        {
            await audit.RecordAsync(context, "ChangePassword", Principals.Name(context.User), ex.Message, AuditLog.Refused).ConfigureAwait(false);
            return Error(ex);
        }
    }

    private static async Task<IResult> CreateUserAsync(CreateUserRequest body, UserDirectory users, CancellationToken ct)
    {
        if (!Permissions.TryParseRole(body.Role, out var role))
        {
            return Error(StatusCodes.Status400BadRequest, $"unknown role '{body.Role}' ({string.Join(", ", Enum.GetValues<Role>().Select(Permissions.RoleName))})", "role");
        }

        try
        {
            var created = await users.CreateAsync(body.Name ?? string.Empty, role, body.Password, body.Team, mustChangePassword: true, ct, body.DisplayName)
                .ConfigureAwait(false);
            return Results.Created("/api/users/" + Uri.EscapeDataString(created.User.Name), new { user = UserDto.Of(created.User), password = created.GeneratedPassword });
        }
        catch (UserCommandException ex)
        {
            return Error(ex);
        }
    }

    private static async Task<IResult> UpdateUserAsync(string name, UpdateUserRequest body, UserDirectory users, Live.HubConnectionRegistry hubs, CancellationToken ct)
    {
        Role? role = null;
        if (body.Role is not null)
        {
            if (!Permissions.TryParseRole(body.Role, out var parsed))
            {
                return Error(StatusCodes.Status400BadRequest, $"unknown role '{body.Role}'", "role");
            }

            role = parsed;
        }

        var result = await Guard(async () => Results.Ok(UserDto.Of(await users.UpdateAsync(name, body.DisplayName, role, body.Team, body.Disabled, ct).ConfigureAwait(false))))
            .ConfigureAwait(false);
        hubs.DisconnectStale(name); // role, team or access changed: that user's hub connections close now
        return result;
    }

    private static Task<IResult> ResetAsync(string name, UserDirectory users, Live.HubConnectionRegistry hubs, CancellationToken ct) =>
        Guard(async () =>
        {
            var (user, password) = await users.ResetPasswordAsync(name, ct).ConfigureAwait(false);
            hubs.Disconnect(user.Name);
            return Results.Ok(new { user = UserDto.Of(user), password });
        });

    private static Task<IResult> UnlockAsync(string name, UserDirectory users, CancellationToken ct) =>
        Guard(async () => Results.Ok(UserDto.Of(await users.UnlockAsync(name, ct).ConfigureAwait(false))));

    private static Task<IResult> CreateTokenAsync(CreateTokenRequest body, HttpContext context, TokenDirectory tokens, CancellationToken ct) =>
        Guard(async () =>
        {
            var created = await tokens.CreateAsync(body.Name ?? string.Empty, body.Scopes ?? [], body.ExpiresInDays, Principals.Name(context.User), ct, body.Zone).ConfigureAwait(false);
            return Results.Created($"/api/tokens/{created.Token.Id}", new { token = TokenDto.Of(created.Token), secret = created.Secret });
        });

    private static Task<IResult> RevokeTokenAsync(long id, TokenDirectory tokens, Live.HubConnectionRegistry hubs, CancellationToken ct) =>
        Guard(async () =>
        {
            await tokens.RevokeAsync(id, ct).ConfigureAwait(false);
            hubs.DisconnectToken(id);
            return Results.NoContent();
        });

    private static async Task<IResult> AuditAsync(
        DateTimeOffset? from, DateTimeOffset? to, string? user, string? action, int? limit, string? format, AuditLog audit, CancellationToken ct)
    {
        var rows = await audit.QueryAsync(new AuditQuery(from, to, Blank(user), Blank(action), limit ?? 500), ct).ConfigureAwait(false);
        if (string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase))
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv");
            return Results.File(System.Text.Encoding.UTF8.GetPreamble().Concat(System.Text.Encoding.UTF8.GetBytes(AuditLog.ToCsv(rows))).ToArray(),
                "text/csv; charset=utf-8", name);
        }

        return Results.Ok(rows);
    }

    private static async Task<IResult> Guard(Func<Task<IResult>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (UserCommandException ex)
        {
            return Error(ex);
        }
    }

    private static IResult RetryLater(HttpContext context, RateLimitLease lease)
    {
        if (lease.TryGetMetadata(MetadataName.RetryAfter, out var retry))
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return Results.Json(new { error = "too many sign-in attempts for this name: wait and try again" }, statusCode: StatusCodes.Status429TooManyRequests);
    }

    /// <summary>The field team that lists this user among its members (service.yaml), for a user without a team of their own.</summary>
    private static string? TeamOf(HttpContext context, string name) =>
        context.RequestServices.GetService<Monitoring.Server.Tickets.TicketService>()?.Config.Teams
            .FirstOrDefault(t => t.Members.Any(m => string.Equals(m.Id, name, StringComparison.OrdinalIgnoreCase)))?.Id;

    private static IResult Error(UserCommandException ex) => Error(ex.Status, ex.Message, ex.Field);

    private static IResult Error(int status, string error, string? field = null) => Results.Json(new { error, field }, statusCode: status);

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}

/// <summary>
/// Sign-in attempts per account name and per client address: the built-in fixed-window limiter, owned here so that it
/// is disposed with the host (a singleton); ASP.NET Core's rate-limiting middleware never disposes its limiter, whose
/// timer kept an ended training session's host reachable.
/// </summary>
public sealed class SignInLimits(IOptions<AuthOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _perUser = PartitionedRateLimiter.Create<string, string>(name =>
        RateLimitPartition.GetFixedWindowLimiter(name.ToUpperInvariant(), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, options.Value.SignInPerUserPerMinute),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    private readonly PartitionedRateLimiter<string> _perAddress = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, options.Value.SignInPerAddressPerMinute),
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    public RateLimitLease AcquirePerUser(string name) => _perUser.AttemptAcquire(name);

    /// <summary>One attempt from this client address ("unknown" when the connection has none).</summary>
    public RateLimitLease AcquirePerAddress(System.Net.IPAddress? address) => _perAddress.AttemptAcquire(address?.ToString() ?? "unknown");

    public void Dispose()
    {
        _perUser.Dispose();
        _perAddress.Dispose();
    }
}

/// <summary>Endpoint metadata: the endpoint counts against the per-address sign-in limit (<see cref="SignInLimits"/>).</summary>
public sealed class SignInAddressLimit
{
    public static SignInAddressLimit Instance { get; } = new();

    private SignInAddressLimit()
    {
    }
}
