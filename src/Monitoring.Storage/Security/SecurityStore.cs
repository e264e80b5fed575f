using System.Data.Common;
using System.Globalization;

namespace Monitoring.Storage.Security;

/// <summary>A user as stored: the password only as its hash; <see cref="Stamp"/> changes whenever a session must end.</summary>
public sealed record UserRow(
    string Name,
    string DisplayName,
    string Role,
    string? Team,
    string PasswordHash,
    bool MustChangePassword,
    bool Disabled,
    int FailedCount,
    DateTimeOffset? LockedUntil,
    DateTimeOffset? LastSignInAt,
    string Stamp,
    DateTimeOffset CreatedAt);

/// <summary>A user's failed sign-ins in a row and the end of their lock-out, as stored.</summary>
public readonly record struct SignInState(int FailedCount, DateTimeOffset? LockedUntil);

/// <summary>An API token as stored: the SHA-256 of the secret and its first characters, never the secret.</summary>
public sealed record TokenRow(
    long Id,
    string Name,
    string Scopes,
    string Prefix,
    string Hash,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt,
    string? Zone = null);

/// <summary>One audit entry: who did what to what, when, from where, and whether it succeeded.</summary>
public sealed record AuditRow(
    long Id,
    DateTimeOffset At,
    string User,
    string? Role,
    string? Address,
    string Action,
    string? Target,
    string? Detail,
    string Outcome);

/// <summary>What to read from the audit log; every filter is optional.</summary>
public sealed record AuditQuery(DateTimeOffset? From = null, DateTimeOffset? To = null, string? User = null, string? Action = null, int Limit = 500);

/// <summary>
/// Users, API tokens and the audit log in the server's database. Every awaited write goes through the database's one
/// writer and is committed with synchronous=FULL before it returns: a user created, a token revoked or an audit entry
/// acknowledged survives a kill. Bookkeeping (a token's last use, sign-in counters) is queued and not waited for.
/// </summary>
public sealed class SecurityStore(Database database)
{
    private const string UserColumns = "name, display_name, role, team, password_hash, must_change, disabled, failed_count, locked_until, last_sign_in, stamp, created_at";
    private const string TokenColumns = "id, name, scopes, prefix, hash, created_by, created_at, expires_at, last_used_at, revoked_at, zone";

    public async Task<IReadOnlyList<UserRow>> UsersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command($"SELECT {UserColumns} FROM users ORDER BY name");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var users = new List<UserRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            users.Add(new UserRow(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4),
                reader.GetInt64(5) != 0, reader.GetInt64(6) != 0, (int)reader.GetInt64(7), Time(reader, 8), Time(reader, 9), reader.GetString(10),
                Time(reader, 11) ?? DateTimeOffset.UnixEpoch));
        }

        return users;
    }

    /// <summary>Inserts a user; false when the name (case-insensitive) is taken.</summary>
    public async Task<bool> InsertUserAsync(UserRow user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.Command(
                $"INSERT INTO users ({UserColumns}) VALUES (@n, @d, @r, @t, @h, @m, @x, @f, @l, @s, @st, @c) ON CONFLICT(name) DO NOTHING", transaction);
            Bind(command, user);
            return await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) == 1;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes every column of an existing user; false when there is no such user.</summary>
    public async Task<bool> UpdateUserAsync(UserRow user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return await database.WriteAsync((connection, transaction) => UpdateUserAsync(connection, transaction, user), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues a write of a user's sign-in bookkeeping (failure count, lock-out, last sign-in), nothing else of the row:
    /// the sign-in does not wait for it, so it still answers when the disk is full; a failed write is retried, then
    /// counted and logged.
    /// </summary>
    public void PostSignIn(UserRow user)
    {
        ArgumentNullException.ThrowIfNull(user);
        database.Post("sign-in of " + user.Name, (connection, transaction) => UpdateSignInAsync(connection, transaction, user));
    }

    /// <summary>Writes a user's sign-in bookkeeping (failure count, lock-out, last sign-in) and waits until it is committed.</summary>
    public Task SaveSignInAsync(UserRow user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        return database.WriteAsync((connection, transaction) => UpdateSignInAsync(connection, transaction, user), cancellationToken);
    }

    /// <summary>
    /// Counts one failed sign-in in the stored row in one statement (an atomic read-modify-write on SQLite and PostgreSQL
    /// alike), so failures on every node of a cluster add up: the count goes up by one, and at
    /// <paramref name="lockoutFailures"/> it starts over at 0 and the account is locked until <paramref name="lockUntil"/>;
    /// a row locked past <paramref name="now"/> is left as it is. Waits until committed; returns the row's count and
    /// lock-out as they are now, or null when there is no such user.
    /// </summary>
    public async Task<SignInState?> CountFailedSignInAsync(string name, int lockoutFailures, DateTimeOffset now, DateTimeOffset lockUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        return await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.Command(
                "UPDATE users SET " +
                "failed_count = CASE WHEN locked_until IS NOT NULL AND locked_until > @now THEN failed_count WHEN failed_count + 1 >= @max THEN 0 ELSE failed_count + 1 END, " +
                "locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until > @now THEN locked_until WHEN failed_count + 1 >= @max THEN @until ELSE locked_until END " +
                "WHERE name = @n RETURNING failed_count, locked_until", transaction)
                .With("@now", Ms(now)).With("@max", (long)Math.Max(1, lockoutFailures)).With("@until", Ms(lockUntil)).With("@n", name);
            await using var reader = await command.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
            return await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false) ? new SignInState((int)reader.GetInt64(0), Time(reader, 1)) : (SignInState?)null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A user's stored sign-in bookkeeping (what every node of a cluster counted), or null when there is no such user.</summary>
    public async Task<SignInState?> SignInStateAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT failed_count, locked_until FROM users WHERE name = @n").With("@n", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? new SignInState((int)reader.GetInt64(0), Time(reader, 1)) : null;
    }

    private static async Task UpdateSignInAsync(DbConnection connection, DbTransaction transaction, UserRow user)
    {
        await using var command = connection.Command("UPDATE users SET failed_count = @f, locked_until = @l, last_sign_in = @s WHERE name = @n", transaction)
            .With("@f", user.FailedCount).With("@l", Ms(user.LockedUntil)).With("@s", Ms(user.LastSignInAt)).With("@n", user.Name);
        await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task<bool> UpdateUserAsync(DbConnection connection, DbTransaction transaction, UserRow user)
    {
        await using var command = connection.Command(
            "UPDATE users SET display_name = @d, role = @r, team = @t, password_hash = @h, must_change = @m, disabled = @x, failed_count = @f, " +
            "locked_until = @l, last_sign_in = @s, stamp = @st, created_at = @c WHERE name = @n", transaction);
        Bind(command, user);
        return await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) == 1;
    }

    public async Task<IReadOnlyList<TokenRow>> TokensAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command($"SELECT {TokenColumns} FROM api_tokens ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var tokens = new List<TokenRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tokens.Add(new TokenRow(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                Time(reader, 6) ?? DateTimeOffset.UnixEpoch, Time(reader, 7), Time(reader, 8), Time(reader, 9), reader.IsDBNull(10) ? null : reader.GetString(10)));
        }

        return tokens;
    }

    /// <summary>Stores a new token and returns it with its id.</summary>
    public async Task<TokenRow> InsertTokenAsync(TokenRow token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        var id = await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.Command(
                "INSERT INTO api_tokens (name, scopes, prefix, hash, created_by, created_at, expires_at, last_used_at, revoked_at, zone) " +
                "VALUES (@n, @s, @p, @h, @b, @c, @e, NULL, NULL, @z) RETURNING id", transaction)
                .With("@n", token.Name).With("@s", token.Scopes).With("@p", token.Prefix).With("@h", token.Hash).With("@b", token.CreatedBy)
                .With("@c", Ms(token.CreatedAt)).With("@e", Ms(token.ExpiresAt)).With("@z", token.Zone);
            return Convert.ToInt64(await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }, cancellationToken).ConfigureAwait(false);
        return token with { Id = id };
    }

    /// <summary>Marks a token revoked; false when there is no such token or it was revoked already.</summary>
    public async Task<bool> RevokeTokenAsync(long id, DateTimeOffset at, CancellationToken cancellationToken)
    {
        return await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.Command("UPDATE api_tokens SET revoked_at = @t WHERE id = @i AND revoked_at IS NULL", transaction)
                .With("@t", Ms(at)).With("@i", id);
            return await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) == 1;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records when a token was last used (the caller throttles: this is not written per request). Bookkeeping: queued,
    /// never on the request path; a failed write is retried, then counted and logged.
    /// </summary>
    public void TouchToken(long id, DateTimeOffset at) =>
        database.Post("last use of token " + id.ToString(CultureInfo.InvariantCulture), async (connection, transaction) =>
        {
            await using var command = connection.Command("UPDATE api_tokens SET last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < @t THEN @t ELSE last_used_at END WHERE id = @i", transaction)
                .With("@t", Ms(at)).With("@i", id);
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        });

    public async Task<long> AppendAuditAsync(AuditRow entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return await database.WriteAsync((connection, transaction) => InsertAuditAsync(connection, transaction, entry), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues an audit entry without waiting for it (a path that must not wait on the disk); retried, then counted and logged.</summary>
    public void PostAudit(AuditRow entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        database.Post("audit " + entry.Action, (connection, transaction) => InsertAuditAsync(connection, transaction, entry));
    }

    private static async Task<long> InsertAuditAsync(DbConnection connection, DbTransaction transaction, AuditRow entry)
    {
        await using var command = connection.Command(
            "INSERT INTO audit_log (at, \"user\", role, address, action, target, detail, outcome) VALUES (@a, @u, @r, @ad, @ac, @t, @d, @o) RETURNING id", transaction)
            .With("@a", Ms(entry.At)).With("@u", entry.User).With("@r", entry.Role).With("@ad", entry.Address).With("@ac", entry.Action)
            .With("@t", entry.Target).With("@d", entry.Detail).With("@o", entry.Outcome);
        return Convert.ToInt64(await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>Audit entries matching the query, newest first.</summary>
    public async Task<IReadOnlyList<AuditRow>> AuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command(
            "SELECT id, at, \"user\", role, address, action, target, detail, outcome FROM audit_log " +
            // the casts give a parameter that is only ever NULL a type (PostgreSQL cannot infer one from "IS NULL")
            "WHERE (CAST(@f AS BIGINT) IS NULL OR at >= @f) AND (CAST(@t AS BIGINT) IS NULL OR at < @t) " +
            "AND (CAST(@u AS TEXT) IS NULL OR \"user\" = @u COLLATE NOCASE) AND (CAST(@a AS TEXT) IS NULL OR action = @a COLLATE NOCASE) " +
            "ORDER BY id DESC LIMIT @l")
            .With("@f", Ms(query.From)).With("@t", Ms(query.To)).With("@u", query.User).With("@a", query.Action).With("@l", Math.Clamp(query.Limit, 1, 100_000));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<AuditRow>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new AuditRow(
                reader.GetInt64(0), Time(reader, 1) ?? DateTimeOffset.UnixEpoch, reader.GetString(2), Text(reader, 3), Text(reader, 4), reader.GetString(5),
                Text(reader, 6), Text(reader, 7), reader.GetString(8)));
        }

        return rows;
    }

    /// <summary>The configuration files (relative path → SHA-256) as recorded at the last start.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ConfigFilesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT path, sha256 FROM config_files");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            files[reader.GetString(0)] = reader.GetString(1);
        }

        return files;
    }

    /// <summary>Replaces the recorded configuration files with <paramref name="files"/>, in one transaction.</summary>
    public async Task ReplaceConfigFilesAsync(IReadOnlyDictionary<string, string> files, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        await database.WriteAsync(async (connection, transaction) =>
        {
            await using (var clear = connection.Command("DELETE FROM config_files", transaction))
            {
                await clear.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }

            await using (var insert = connection.Command("INSERT INTO config_files (path, sha256, seen_at) VALUES (@p, @h, @t)", transaction))
            {
                var path = insert.Param("@p");
                var hash = insert.Param("@h");
                insert.With("@t", Ms(at));
                foreach (var (file, sha) in files)
                {
                    path.Value = file;
                    hash.Value = sha;
                    await insert.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private static void Bind(DbCommand command, UserRow user) =>
        command.With("@n", user.Name).With("@d", user.DisplayName).With("@r", user.Role).With("@t", user.Team).With("@h", user.PasswordHash)
            .With("@m", user.MustChangePassword ? 1 : 0).With("@x", user.Disabled ? 1 : 0).With("@f", user.FailedCount).With("@l", Ms(user.LockedUntil))
            .With("@s", Ms(user.LastSignInAt)).With("@st", user.Stamp).With("@c", Ms(user.CreatedAt));

    private static long? Ms(DateTimeOffset? at) => at?.ToUnixTimeMilliseconds();

    private static DateTimeOffset? Time(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
