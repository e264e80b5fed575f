using System.Data.Common;
using System.Globalization;
using System.Reflection;

namespace Monitoring.Storage;

/// <summary>
/// Applies the numbered SQL scripts embedded under Migrations/sqlite/ (the one source of truth) in order, each in its
/// own transaction, and records them in schema_migrations. On PostgreSQL each script is translated by
/// <see cref="PostgresDialect"/>, unless Migrations/postgres/ holds a script of the same number, which replaces it; the
/// migrators of several nodes on one database take turns (an advisory lock). A database newer than this build is
/// refused rather than guessed at.
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
        if (provider == DatabaseProvider.Sqlite)
        {
            return source;
        }

        var overrides = Embedded("postgres").ToDictionary(s => s.Version);
        foreach (var extra in overrides.Keys.Where(v => source.All(s => s.Version != v)))
        {
            throw new InvalidOperationException($"Migrations/postgres has a script {extra} that Migrations/sqlite does not: every migration starts in Migrations/sqlite");
        }

        return source.Select(s => overrides.TryGetValue(s.Version, out var own)
            ? own
            : (s.Version, s.Name, PostgresDialect.Translate($"{s.Version:D4}_{s.Name}", s.Sql))).ToList();
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
