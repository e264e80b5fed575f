using System.Security.Cryptography;
using Monitoring.Storage.Security;

namespace Monitoring.Server.Security;

/// <summary>
/// Configuration lives in files (rooms, models, profiles, rules, service), edited outside the server. At every
/// start the files are hashed and compared with what the last start saw: each file added, changed or removed goes
/// to the audit log ("ConfigurationChanged", by "system"), so a change of thresholds or teams is on record even
/// though nobody made it through the API.
/// </summary>
public sealed class ConfigurationAudit(SecurityStore store, AuditLog audit, TimeProvider time)
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    /// <summary>Compares <paramref name="folders"/> with the last start and records the differences; returns how many were found.</summary>
    public async Task<int> RecordChangesAsync(IEnumerable<string> folders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folders);
        var current = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var folder in folders.Where(Directory.Exists).Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
        {
            var root = Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar));
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)))
            {
                var name = root + "/" + Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
                await using var stream = File.OpenRead(file);
                current[name] = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            }
        }

        var previous = await store.ConfigFilesAsync(cancellationToken).ConfigureAwait(false);
        var changes = 0;
        if (previous.Count == 0)
        {
            await audit.RecordAsync("system", null, null, "ConfigurationLoaded", null, $"{current.Count} files", AuditLog.Ok, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            foreach (var (name, hash) in current)
            {
                var kind = !previous.TryGetValue(name, out var before) ? "added" : before != hash ? "changed" : null;
                if (kind is not null)
                {
                    changes++;
                    await audit.RecordAsync("system", null, null, "ConfigurationChanged", name, $"{kind} (sha256 {hash[..12]})", AuditLog.Ok, cancellationToken)
                        .ConfigureAwait(false);
                }
            }

            foreach (var name in previous.Keys.Where(k => !current.ContainsKey(k)))
            {
                changes++;
                await audit.RecordAsync("system", null, null, "ConfigurationChanged", name, "removed", AuditLog.Ok, cancellationToken).ConfigureAwait(false);
            }
        }

        if (changes > 0 || previous.Count == 0)
        {
            await store.ReplaceConfigFilesAsync(current, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        return changes;
    }
}
