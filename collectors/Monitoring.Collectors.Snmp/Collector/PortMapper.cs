using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Snmp.Collector;

/// <summary>Maps interface-table rows (ifIndex) to a model's front-panel port indexes.</summary>
public static class PortMapper
{
    /// <summary>
    /// Maps each row to a port: by ifIndex + offset, or by name: the row's name equals the port's name (ignoring case),
    /// or, failing that, the numbers at the end of both names match ("GigabitEthernet0/0/1" and "GE0/0/1" both end
    /// in 0/0/1; "eth1" and "NIC1" both in 1) and no other port ends the same way. Rows that match no port, or a port
    /// another row already took, are left out.
    /// </summary>
    public static Dictionary<uint, int> Map(IReadOnlyList<PortDefinition> ports, IEnumerable<(uint IfIndex, string Name)> rows, SnmpPortMatch match, int indexOffset)
    {
        ArgumentNullException.ThrowIfNull(ports);
        ArgumentNullException.ThrowIfNull(rows);
        var result = new Dictionary<uint, int>();
        var taken = new HashSet<int>();
        if (match == SnmpPortMatch.IfIndex)
        {
            var known = ports.Select(p => p.Index).ToHashSet();
            foreach (var (ifIndex, _) in rows)
            {
                var index = (int)ifIndex + indexOffset;
                if (known.Contains(index) && taken.Add(index))
                {
                    result[ifIndex] = index;
                }
            }

            return result;
        }

        var byName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var bySuffix = new Dictionary<string, int>(StringComparer.Ordinal);
        var ambiguous = new HashSet<string>(StringComparer.Ordinal);
        foreach (var port in ports)
        {
            byName.TryAdd(port.Name, port.Index);
            var suffix = NumericSuffix(port.Name);
            if (suffix.Length > 0 && !bySuffix.TryAdd(suffix, port.Index))
            {
                ambiguous.Add(suffix);
            }
        }

        var pending = new List<(uint IfIndex, string Name)>();
        foreach (var row in rows)
        {
            if (byName.TryGetValue(row.Name.Trim(), out var index) && taken.Add(index))
            {
                result[row.IfIndex] = index;
            }
            else
            {
                pending.Add(row);
            }
        }

        foreach (var (ifIndex, name) in pending)
        {
            var suffix = NumericSuffix(name.Trim());
            if (suffix.Length > 0 && !ambiguous.Contains(suffix) && bySuffix.TryGetValue(suffix, out var index) && taken.Add(index))
            {
                result[ifIndex] = index;
            }
        }

        return result;
    }

    /// <summary>The trailing run of digits and '/', '.', ':' separators: "GE1/0/12" → "1/0/12", "eth0" → "0".</summary>
    internal static string NumericSuffix(string name)
    {
        var end = name.Length;
        var start = end;
        while (start > 0 && (char.IsAsciiDigit(name[start - 1]) || name[start - 1] is '/' or '.' or ':'))
        {
            start--;
        }

        var suffix = name.AsSpan(start, end - start).TrimStart("/.:");
        return suffix.Length > 0 && char.IsAsciiDigit(suffix[^1]) ? suffix.ToString() : string.Empty;
    }
}
