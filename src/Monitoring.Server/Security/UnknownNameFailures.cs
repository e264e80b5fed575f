using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Monitoring.Server.Security;

/// <summary>
/// Failed sign-ins for names that do not exist: they lock out just like real accounts, so a lock-out does not tell who
/// exists. In memory on a single node. On a cluster (Monitoring:Cluster:Redis) in Redis, so they add up across the nodes
/// as a real account's failures do in its stored row: else a name locked after LockoutFailures failures in all could be
/// told from one locked after that many on each node. Keys: "&lt;prefix&gt;:signin-unknown:&lt;SHA-256 of the lower-case
/// name&gt;" (the count, kept a day from its first failure) and "...:locked" (the lock-out end, expiring with it). When
/// Redis cannot be reached the node counts in memory, as a single node does.
/// </summary>
public sealed class UnknownNameFailures
{
    private const int MemoryBound = 10_000;
    private static readonly TimeSpan CountKept = TimeSpan.FromDays(1);
    private readonly ConcurrentDictionary<string, (int Count, DateTimeOffset? LockedUntil)> _memory = new(StringComparer.OrdinalIgnoreCase);
    private readonly Func<IDatabase>? _redis;
    private readonly string _prefix;

    /// <summary>Counts in memory (a single node).</summary>
    public UnknownNameFailures()
        : this(null, "monitoring")
    {
    }

    /// <summary>Counts in the Redis <paramref name="redis"/> gives (null: in memory), its keys under <paramref name="prefix"/>.</summary>
    public UnknownNameFailures(Func<IDatabase>? redis, string prefix)
    {
        _redis = redis;
        _prefix = prefix;
    }

    /// <summary>The end of the name's lock-out when it is locked at <paramref name="now"/>, else null.</summary>
    public async Task<DateTimeOffset?> LockedUntilAsync(string name, DateTimeOffset now)
    {
        if (_redis is not null)
        {
            try
            {
                var value = await _redis().StringGetAsync(Key(name, ":locked")).ConfigureAwait(false);
                return value.HasValue && long.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
                    && DateTimeOffset.FromUnixTimeMilliseconds(ms) is var until && until > now ? until : null;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // counted in memory below, as on a single node
            }
        }

        return _memory.GetValueOrDefault(name).LockedUntil is { } locked && locked > now ? locked : null;
    }

    /// <summary>
    /// Counts one failure; at <paramref name="lockoutFailures"/> the count starts over and the name is locked until
    /// <paramref name="lockUntil"/>, which is returned (null: not locked by this failure).
    /// </summary>
    public async Task<DateTimeOffset?> CountAsync(string name, int lockoutFailures, DateTimeOffset now, DateTimeOffset lockUntil)
    {
        if (_redis is not null)
        {
            try
            {
                var database = _redis();
                var countKey = Key(name, string.Empty);
                var count = await database.StringIncrementAsync(countKey).ConfigureAwait(false);
                if (count == 1)
                {
                    await database.KeyExpireAsync(countKey, CountKept).ConfigureAwait(false);
                }

                if (count < lockoutFailures)
                {
                    return null;
                }

                await database.StringSetAsync(
                    Key(name, ":locked"), lockUntil.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), lockUntil - now).ConfigureAwait(false);
                await database.KeyDeleteAsync(countKey).ConfigureAwait(false);
                return lockUntil;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // counted in memory below, as on a single node
            }
        }

        var entry = _memory.GetValueOrDefault(name);
        var failures = entry.Count + 1;
        var locked = failures >= lockoutFailures;
        if (_memory.Count > MemoryBound)
        {
            _memory.Clear();
        }

        _memory[name] = locked ? (0, lockUntil) : (failures, entry.LockedUntil);
        return locked ? lockUntil : null;
    }

    private RedisKey Key(string name, string suffix) =>
        new($"{_prefix}:signin-unknown:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name.ToLowerInvariant())))}{suffix}");
}
