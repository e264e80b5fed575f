using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Monitoring.Storage;
using Monitoring.Storage.Security;

namespace Monitoring.Server.Security;

/// <summary>A refused user command: which field, why, and the HTTP status it maps to.</summary>
public sealed class UserCommandException(int status, string? field, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string? Field { get; } = field;
}

public enum SignInOutcome
{
    Ok,

    /// <summary>Wrong name or password, or a disabled account: the caller is told the same for all three.</summary>
    Invalid,
    Locked,
}

public sealed record SignInResult(SignInOutcome Outcome, UserRow? User, DateTimeOffset? LockedUntil);

public sealed record UserCreated(UserRow User, string? GeneratedPassword);

/// <summary>
/// The users: kept in memory (a session check per request is a dictionary lookup) and written through to the
/// database. Passwords are hashed with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2,
/// HMAC-SHA512, 100,000 iterations, per-user salt), never stored or logged in clear.
/// </summary>
public sealed class UserDirectory(
    SecurityStore store, TimeProvider time, Microsoft.Extensions.Options.IOptions<AuthOptions> options, IPasswordHasher<UserRow> hasher,
    UnknownNameFailures? unknownNames = null) : IDisposable
{
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    private readonly IPasswordHasher<UserRow> _hasher = hasher;
    private readonly ConcurrentDictionary<string, UserRow> _users = new(StringComparer.OrdinalIgnoreCase);

    // failures for names that do not exist lock out just like real accounts, so a lock-out does not reveal who exists
    private readonly UnknownNameFailures _unknown = unknownNames ?? new UnknownNameFailures();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lazy<string> _dummyHash = new(() => hasher.HashPassword(null!, Guid.NewGuid().ToString("N")));

    private AuthOptions Options => options.Value;

    public void Dispose() => _gate.Dispose();

    public IReadOnlyCollection<UserRow> All => [.. _users.Values.OrderBy(u => u.Name, StringComparer.OrdinalIgnoreCase)];

    public UserRow? Find(string? name) => name is not null && _users.TryGetValue(name, out var user) ? user : null;

    /// <summary>True while the session's user exists, is enabled, and nothing has ended its sessions since (password, role, team change).</summary>
    public bool IsCurrent(string? name, string? stamp) =>
        Find(name) is { Disabled: false } user && string.Equals(user.Stamp, stamp, StringComparison.Ordinal);

    /// <summary>Raised after a user was created or changed on this node (cluster mode tells the other nodes, which reload).</summary>
    public event Action? Changed;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        foreach (var user in await store.UsersAsync(cancellationToken).ConfigureAwait(false))
        {
            _users[user.Name] = user;
        }
    }

    /// <summary>
    /// First start: with no users at all, creates the administrator with the configured password or a random one.
    /// Returns the password when it was generated (the caller prints it once), null otherwise.
    /// </summary>
    public async Task<(bool Created, string? GeneratedPassword)> EnsureFirstAdministratorAsync(CancellationToken cancellationToken)
    {
        if (!_users.IsEmpty)
        {
            return (false, null);
        }

        var configured = string.IsNullOrEmpty(Options.AdminPassword) ? null : Options.AdminPassword;
        var created = await CreateAsync(Options.AdminName, Role.Administrator, configured, null, mustChangePassword: true, cancellationToken, displayName: "Administrator")
            .ConfigureAwait(false);
        return (true, created.GeneratedPassword);
    }

    /// <summary>Creates a user; a null password is generated and returned once.</summary>
    public async Task<UserCreated> CreateAsync(
        string name, Role role, string? password, string? team, bool mustChangePassword, CancellationToken cancellationToken, string? displayName = null)
    {
        ValidateName(name);
        var generated = password is null ? GeneratePassword() : null;
        var secret = password ?? generated!;
        if (password is not null)
        {
            ValidatePassword(name, password, "password");
        }

        var now = time.GetUtcNow();
        var user = new UserRow(
            name.Trim(), string.IsNullOrWhiteSpace(displayName) ? name.Trim() : displayName.Trim(), Permissions.RoleName(role), Blank(team),
            string.Empty, mustChangePassword || generated is not null, false, 0, null, null, NewStamp(), now);
        user = user with { PasswordHash = _hasher.HashPassword(user, secret) };
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_users.ContainsKey(user.Name) || !await store.InsertUserAsync(user, cancellationToken).ConfigureAwait(false))
            {
                throw new UserCommandException(StatusCodes.Status409Conflict, "name", $"a user '{user.Name}' exists already");
            }

            _users[user.Name] = user;
        }
        finally
        {
            _gate.Release();
        }

        Changed?.Invoke();
        return new UserCreated(user, generated);
    }

    /// <summary>
    /// Checks a name and password; counts failures and locks the account after <see cref="AuthOptions.LockoutFailures"/>
    /// in a row. The count and the lock-out are the stored row's, so on a cluster they are the same on every node.
    /// </summary>
    public async Task<SignInResult> SignInAsync(string name, string password, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (Find(name) is not { } user)
        {
            // the same work as for a real account, so timing does not tell who exists
            _hasher.VerifyHashedPassword(null!, _dummyHash.Value, password);
            if (await _unknown.LockedUntilAsync(name, now).ConfigureAwait(false) is { } until)
            {
                return new SignInResult(SignInOutcome.Locked, null, until);
            }

            var lockedUntil = await _unknown.CountAsync(name, Options.LockoutFailures, now, now.AddMinutes(Options.LockoutMinutes)).ConfigureAwait(false);
            return lockedUntil is null ? new SignInResult(SignInOutcome.Invalid, null, null) : new SignInResult(SignInOutcome.Locked, null, lockedUntil);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            user = _users[user.Name];

            // verified before the lock is looked at: a locked account costs the same hash work as any other answer,
            // so the time taken does not tell a locked account from an unknown name
            var verified = _hasher.VerifyHashedPassword(user, user.PasswordHash, password);
            user = await WithStoredLockAsync(user, cancellationToken).ConfigureAwait(false);
            if (user.LockedUntil > now)
            {
                return new SignInResult(SignInOutcome.Locked, user, user.LockedUntil);
            }

            if (verified == PasswordVerificationResult.Failed || user.Disabled)
            {
                user = await RecordFailureAsync(user, now, cancellationToken).ConfigureAwait(false);
                return user.LockedUntil > now ? new SignInResult(SignInOutcome.Locked, user, user.LockedUntil) : new SignInResult(SignInOutcome.Invalid, user, null);
            }

            user = user with { FailedCount = 0, LockedUntil = null, LastSignInAt = now };
            if (verified == PasswordVerificationResult.SuccessRehashNeeded)
            {
                user = user with { PasswordHash = _hasher.HashPassword(user, password) };
                await SaveAsync(user, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                RecordSignIn(user);
            }

            return new SignInResult(SignInOutcome.Ok, user, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The user changes their own password (the current one proves it is them); every other session of theirs ends.</summary>
    public Task<UserRow> ChangePasswordAsync(string name, string current, string next, CancellationToken cancellationToken) =>
        MutateAsync(name, user =>
        {
            if (_hasher.VerifyHashedPassword(user, user.PasswordHash, current ?? string.Empty) == PasswordVerificationResult.Failed)
            {
                throw new UserCommandException(StatusCodes.Status403Forbidden, "current", "the current password is wrong");
            }

            ValidatePassword(user.Name, next, "new");
            if (string.Equals(current, next, StringComparison.Ordinal))
            {
                throw new UserCommandException(StatusCodes.Status400BadRequest, "new", "the new password must differ from the current one");
            }

            return user with { PasswordHash = _hasher.HashPassword(user, next), MustChangePassword = false, Stamp = NewStamp() };
        }, cancellationToken);

    /// <summary>
    /// Sign-out: a new stamp, stored, so every session cookie issued to the user before now is refused from here on,
    /// replayed or not, across restarts (the session check compares the cookie's stamp with the stored one).
    /// </summary>
    public Task<UserRow> EndSessionsAsync(string name, CancellationToken cancellationToken) =>
        MutateAsync(name, u => u with { Stamp = NewStamp() }, cancellationToken);

    /// <summary>An administrator changes role, team, display name or disables; sessions end when role, team or access changes.</summary>
    public Task<UserRow> UpdateAsync(string name, string? displayName, Role? role, string? team, bool? disabled, CancellationToken cancellationToken) =>
        MutateAsync(name, user =>
        {
            var next = user with
            {
                DisplayName = string.IsNullOrWhiteSpace(displayName) ? user.DisplayName : displayName.Trim(),
                Role = role is { } r ? Permissions.RoleName(r) : user.Role,
                Team = team is null ? user.Team : Blank(team),
                Disabled = disabled ?? user.Disabled,
            };
            if (next.Role != user.Role || next.Team != user.Team || next.Disabled != user.Disabled)
            {
                next = next with { Stamp = NewStamp() };
            }

            var administrator = Permissions.RoleName(Role.Administrator);
            if (user.Role == administrator && !user.Disabled && (next.Role != administrator || next.Disabled)
                && !_users.Values.Any(u => u.Name != user.Name && u.Role == administrator && !u.Disabled))
            {
                throw new UserCommandException(StatusCodes.Status409Conflict, "role", "the last enabled administrator cannot be demoted or disabled");
            }

            return next;
        }, cancellationToken);

    /// <summary>An administrator resets a password: a new random one, shown once, to be changed at next sign-in.</summary>
    public async Task<(UserRow User, string Password)> ResetPasswordAsync(string name, CancellationToken cancellationToken)
    {
        var password = GeneratePassword();
        var user = await MutateAsync(name, u => u with
        {
            PasswordHash = _hasher.HashPassword(u, password),
            MustChangePassword = true,
            FailedCount = 0,
            LockedUntil = null,
            Stamp = NewStamp(),
        }, cancellationToken).ConfigureAwait(false);
        return (user, password);
    }

    public Task<UserRow> UnlockAsync(string name, CancellationToken cancellationToken) =>
        MutateAsync(name, u => u with { FailedCount = 0, LockedUntil = null }, cancellationToken);

    public static string GeneratePassword() => RandomNumberGenerator.GetString(Alphabet, 20);

    private async Task<UserRow> MutateAsync(string name, Func<UserRow, UserRow> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Find(name) is not { } user)
            {
                throw new UserCommandException(StatusCodes.Status404NotFound, "name", $"no user '{name}'");
            }

            var next = change(user);
            await SaveAsync(next, cancellationToken).ConfigureAwait(false);
            return next;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sign-in bookkeeping: in memory at once, on disk through the write queue (a full disk does not stop a sign-in).</summary>
    private void RecordSignIn(UserRow user)
    {
        store.PostSignIn(user);
        _users[user.Name] = user;
    }

    /// <summary>
    /// The user with the lock-out the store holds when it is later than this node's (every node of a cluster counts
    /// into the same row, so another node may have locked the account); this node's own when the store cannot be read.
    /// </summary>
    private async Task<UserRow> WithStoredLockAsync(UserRow user, CancellationToken cancellationToken)
    {
        SignInState? stored;
        try
        {
            stored = await store.SignInStateAsync(user.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageUnavailableException.Is(ex))
        {
            return user;
        }

        if (stored is { LockedUntil: { } until } && !(user.LockedUntil >= until))
        {
            user = user with { LockedUntil = until, FailedCount = stored.Value.FailedCount };
            _users[user.Name] = user;
        }

        return user;
    }

    /// <summary>
    /// A failed attempt is counted in the stored row, atomically and committed before the answer (a lock-out survives a
    /// restart, and failures on the nodes of a cluster add up to one count); the row as it is then is kept in memory.
    /// On a full disk it is counted in memory from this node's count and its write is queued to be retried. Returns the
    /// user with the count and lock-out now in force.
    /// </summary>
    private async Task<UserRow> RecordFailureAsync(UserRow user, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lockUntil = now.AddMinutes(Options.LockoutMinutes);
        try
        {
            if (await store.CountFailedSignInAsync(user.Name, Options.LockoutFailures, now, lockUntil, cancellationToken).ConfigureAwait(false) is { } stored)
            {
                user = user with { FailedCount = stored.FailedCount, LockedUntil = stored.LockedUntil };
                _users[user.Name] = user;
                if (user.LockedUntil > now)
                {
                    Changed?.Invoke(); // locked now (the caller saw it unlocked): the other nodes reload the users and list it
                }

                return user;
            }
        }
        catch (Exception ex) when (DiskFull.Is(ex))
        {
        }

        var failures = user.FailedCount + 1;
        var locked = failures >= Options.LockoutFailures;
        user = user with { FailedCount = locked ? 0 : failures, LockedUntil = locked ? lockUntil : user.LockedUntil };
        _users[user.Name] = user;
        store.PostSignIn(user);
        return user;
    }

    private async Task SaveAsync(UserRow user, CancellationToken cancellationToken)
    {
        await store.UpdateUserAsync(user, cancellationToken).ConfigureAwait(false);
        _users[user.Name] = user;
        Changed?.Invoke();
    }

    private void ValidatePassword(string name, string? password, string field)
    {
        if (string.IsNullOrEmpty(password) || password.Length < Options.MinPasswordLength)
        {
            throw new UserCommandException(StatusCodes.Status400BadRequest, field, $"a password needs at least {Options.MinPasswordLength} characters");
        }

        if (password.Length > 256)
        {
            throw new UserCommandException(StatusCodes.Status400BadRequest, field, "a password has at most 256 characters");
        }

        if (string.Equals(password, name, StringComparison.OrdinalIgnoreCase))
        {
            throw new UserCommandException(StatusCodes.Status400BadRequest, field, "the password must not be the user name");
        }
    }

    private static void ValidateName(string? name)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > 64
            || !trimmed.All(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or '@'))
        {
            throw new UserCommandException(StatusCodes.Status400BadRequest, "name",
                "a user name is 1 to 64 letters, digits, '.', '-', '_' or '@'");
        }
    }

    private static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
