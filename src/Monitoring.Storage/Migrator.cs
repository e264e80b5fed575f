using System.Data.Common;
using System.Globalization;
using System.Reflection;

namespace Monitoring.Storage;

/// <summary>
/// Applies the numbered SQL scripts embedded under Migrations/sqlite/ (the one source of truth) in order, each in its
/// own transaction, and records them in schema_migrations. On PostgreSQL each script is translated by
/// <see cref="PostgresDialect"/>, unless Migrations/postgres/ holds a script of the same number, which replaces it; the
/// migrators of several nodes on one database take turns (an advisory lock). A database newer than this build is
/// refused rather than guessed at. An override whose SQLite script is not in this build yet (numbered above every
/// one) waits: see <see cref="ForPostgres"/>.
/// </summary>
public sealed class Migrator(Database database)
{
    private readonly Lock _gate = new();
    private Task<int>? _once;

    /// <summary>
    /// The server's one migration run: the first caller starts <see cref="MigrateAsync"/>, every later caller (the
    /// storage's start, the alarm store's opening, whichever comes first) awaits that same run.
    /// </summary>
    public Task<int> EnsureMigratedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_once is null || _once.IsFaulted || _once.IsCanceled)
            {
                _once = MigrateAsync(cancellationToken);
            }

            return _once;
        }
    }

    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        var scripts = LoadScripts(database.Provider);
        var latest = scripts.Count == 0 ? 0 : scripts[^1].Version;
        // through the one writer, a script per transaction: a second server or a racing caller finds the work done
        var postgres = database.Provider == DatabaseProvider.Postgres;
        var current = await database.WriteAsync(async (connection, transaction) =>
        {
            if (postgres)
            {
                await using var prelude = connection.Command(PostgresDialect.MigrationLock + "; " + PostgresDialect.Prelude, transaction);
                await prelude.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }

            await using (var create = connection.Command(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)", transaction))
            {
                await create.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }

            return await CurrentVersionAsync(connection, transaction, CancellationToken.None).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        if (current > latest)
        {
            throw new InvalidOperationException(
                $"the database is at schema version {current}, newer than this server knows ({latest}); refusing to touch it");
        }

        var applied = 0;
        foreach (var script in scripts.Where(s => s.Version > current))
        {
            var ran = await database.WriteAsync(async (connection, transaction) =>
            {
                if (postgres)
                {
                    await using var wait = connection.Command(PostgresDialect.MigrationLock, transaction);
                    await wait.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                }

                if (await CurrentVersionAsync(connection, transaction, CancellationToken.None).ConfigureAwait(false) >= script.Version)
                {
                    return false;
                }

                if (!PostgresDialect.IsEmpty(script.Sql))
                {
                    await using var command = connection.Command(script.Sql, transaction);
                    await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                }

                await using var record = connection.Command(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)", transaction)
                    .With("@v", script.Version).With("@n", script.Name).With("@t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                await record.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
            applied += ran ? 1 : 0;
        }

        return applied;
    }

    public static Task<int> CurrentVersionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        CurrentVersionAsync(connection, null, cancellationToken);

    private static async Task<int> CurrentVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.Command("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", transaction);
        var result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToInt32(result, CultureInfo.InvariantCulture);
    }

    /// <summary>The scripts as <paramref name="provider"/> runs them, in order: SQLite's as written, PostgreSQL's translated or overridden.</summary>
    internal static List<(int Version, string Name, string Sql)> LoadScripts(DatabaseProvider provider)
    {
        var source = Embedded("sqlite");
        return provider == DatabaseProvider.Sqlite ? source : ForPostgres(source, Embedded("postgres"));
    }

    /// <summary>
    /// PostgreSQL's scripts: each SQLite script translated, or replaced by the override of the same number, whose name
    /// must be the same. An override numbered above every SQLite script is <em>pending</em>: its SQLite script comes
    /// from another branch (the numbers are assigned ahead), and it is not run until that script is in the build. An
    /// override below the newest SQLite script without a script of its own is an error: that number will never run.
    /// </summary>
    internal static List<(int Version, string Name, string Sql)> ForPostgres(
        IReadOnlyList<(int Version, string Name, string Sql)> source, IReadOnlyList<(int Version, string Name, string Sql)> overrides)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(overrides);
        var newest = source.Count == 0 ? 0 : source.Max(s => s.Version);
        foreach (var own in overrides)
        {
            var twin = source.FirstOrDefault(s => s.Version == own.Version);
            if (twin.Name is null && own.Version < newest)
            {
                throw new InvalidOperationException(
                    $"Migrations/postgres/{own.Version:D4}_{own.Name}.sql has no Migrations/sqlite/{own.Version:D4}_*.sql although later migrations exist: every migration starts in Migrations/sqlite (add it, or delete the postgres file)");
            }

            if (twin.Name is not null && !string.Equals(twin.Name, own.Name, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"Migrations/postgres/{own.Version:D4}_{own.Name}.sql overrides Migrations/sqlite/{twin.Version:D4}_{twin.Name}.sql: an override takes its script's number and name");
            }
        }

        var byVersion = overrides.ToDictionary(s => s.Version);
        return source.Select(s => byVersion.TryGetValue(s.Version, out var own)
            ? own
            : (s.Version, s.Name, PostgresDialect.Translate($"{s.Version:D4}_{s.Name}", s.Sql))).ToList();
    }

    /// <summary>The PostgreSQL overrides whose SQLite script is not in this build yet (see <see cref="ForPostgres"/>).</summary>
    internal static List<(int Version, string Name, string Sql)> PendingPostgresOverrides()
    {
        var source = Embedded("sqlite");
        return Embedded("postgres").Where(o => source.All(s => s.Version != o.Version)).ToList();
    }

    private static List<(int Version, string Name, string Sql)> Embedded(string folder)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = $"{assembly.GetName().Name}.Migrations.{folder}.";
        var scripts = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var fileName = resource[prefix.Length..];
            var underscore = fileName.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(fileName.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add((version, fileName[(underscore + 1)..^4], reader.ReadToEnd()));
        }

        scripts.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        for (var i = 1; i < scripts.Count; i++)
        {
            if (scripts[i].Item1 == scripts[i - 1].Item1)
            {
                throw new InvalidOperationException($"two migrations numbered {scripts[i].Item1} in Migrations/{folder}");
            }
        }

        return scripts;
    }
}
