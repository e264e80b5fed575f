namespace Monitoring.Core.Inventory.Loading;

/// <summary>"Did you mean" hints for every YAML loader (keys of profiles and rooms, rule metrics and placeholders): one copy.</summary>
public static class Spelling
{
    /// <summary>The known name closest to <paramref name="name"/>, when it is close enough to be a typo (at most max(2, a third of its length) edits).</summary>
    public static string? Closest(IEnumerable<string> known, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var closest = known.MinBy(k => Distance(k, name));
        return closest is not null && Distance(closest, name) <= Math.Max(2, name.Length / 3) ? closest : null;
    }

    /// <summary>Case-insensitive Levenshtein distance.</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
