using System.Net;

namespace Monitoring.Mqtt.Broker;

/// <summary>
/// Password guessing, as the web sign-in limits it: <see cref="MqttBrokerOptions.LockoutFailures"/> wrong passwords
/// in a row for one user name (known or not, so a lock-out does not tell who exists), or
/// <see cref="MqttBrokerOptions.AddressLockoutFailures"/> within <see cref="MqttBrokerOptions.LockoutDuration"/> from one
/// client address, refuse every CONNECT of that name or address for <see cref="MqttBrokerOptions.LockoutDuration"/>,
/// the right password included, without checking it. Time comes from the broker's <see cref="TimeProvider"/>.
/// Both tables are bounded (<see cref="MaxEntries"/> each): expired entries go first; a table still full is cleared.
/// </summary>
internal sealed class ConnectGuard(MqttBrokerOptions options, TimeProvider time)
{
    public const int MaxEntries = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, Entry> _addresses = [];

    /// <summary>When the name or the address is locked now, until when (the later of the two).</summary>
    public DateTimeOffset? LockedUntil(IPAddress? address, string? username)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            DateTimeOffset? until = null;
            if (username is not null && _names.TryGetValue(username, out var name) && name.LockedUntil > now)
            {
                until = name.LockedUntil;
            }

            if (address is not null && _addresses.TryGetValue(address, out var from) && from.LockedUntil > now && (until is null || from.LockedUntil > until))
            {
                until = from.LockedUntil;
            }

            return until;
        }
    }

    /// <summary>A wrong password (or unknown name): counts against both; true when this failure locked one of them.</summary>
    public bool Failed(IPAddress? address, string? username)
    {
        var now = time.GetUtcNow();
        var window = options.LockoutDuration;
        lock (_lock)
        {
            var locked = false;
            if (username is not null)
            {
                locked |= Count(_names, username, Math.Max(1, options.LockoutFailures), now, window, clearWhenFull: true);
            }

            if (address is not null)
            {
                locked |= Count(_addresses, address, Math.Max(1, options.AddressLockoutFailures), now, window, clearWhenFull: true);
            }

            return locked;
        }
    }

    /// <summary>The right password: the name's run of failures ends (the address keeps its count for the window).</summary>
    public void Succeeded(string? username)
    {
        if (username is null)
        {
            return;
        }

        lock (_lock)
        {
            _names.Remove(username);
        }
    }

    private static bool Count<TKey>(Dictionary<TKey, Entry> table, TKey key, int limit, DateTimeOffset now, TimeSpan window, bool clearWhenFull)
        where TKey : notnull
    {
        if (!table.TryGetValue(key, out var entry) || now - entry.WindowStart > window)
        {
            if (table.Count >= MaxEntries)
            {
                Prune(table, now, window, clearWhenFull);
            }

            entry = new Entry { WindowStart = now };
        }

        entry.Failures++;
        var locked = entry.Failures >= limit;
        if (locked)
        {
            entry = new Entry { WindowStart = now, LockedUntil = now + window };
        }

        table[key] = entry;
        return locked;
    }

    private static void Prune<TKey>(Dictionary<TKey, Entry> table, DateTimeOffset now, TimeSpan window, bool clearWhenFull)
        where TKey : notnull
    {
        foreach (var (key, entry) in table)
        {
            if (entry.LockedUntil <= now && now - entry.WindowStart > window)
            {
                table.Remove(key);
            }
        }

        if (clearWhenFull && table.Count >= MaxEntries)
        {
            table.Clear();
        }
    }

    private struct Entry
    {
        public int Failures;
        public DateTimeOffset WindowStart;
        public DateTimeOffset LockedUntil;
    }
}
