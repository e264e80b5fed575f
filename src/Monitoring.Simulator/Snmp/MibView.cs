using Monitoring.Collectors.Snmp;

namespace Monitoring.Simulator.Snmp;

/// <summary>An agent's objects at one moment, sorted by OID, with GET and GETNEXT look-ups by binary search.</summary>
public sealed class MibView
{
    private readonly VarBind[] _sorted;

    /// <param name="bindings">The objects; sorted here, duplicates keep the last.</param>
    public MibView(IEnumerable<VarBind> bindings)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        var list = bindings.ToList();
        list.Sort((a, b) => a.Oid.CompareTo(b.Oid));
        var unique = new List<VarBind>(list.Count);
        foreach (var vb in list)
        {
            if (unique.Count > 0 && unique[^1].Oid == vb.Oid)
            {
                unique[^1] = vb;
            }
            else
            {
                unique.Add(vb);
            }
        }

        _sorted = [.. unique];
    }

    public int Count => _sorted.Length;

    public IReadOnlyList<VarBind> All => _sorted;

    public bool TryGet(Oid oid, out SnmpValue value)
    {
        var i = Find(oid);
        if (i >= 0)
        {
            value = _sorted[i].Value;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The first object after <paramref name="oid"/> (strictly greater), if any.</summary>
    public bool TryGetNext(Oid oid, out VarBind next)
    {
        var i = Find(oid);
        var after = i >= 0 ? i + 1 : ~i;
        if (after < _sorted.Length)
        {
            next = _sorted[after];
            return true;
        }

        next = default;
        return false;
    }

    private int Find(Oid oid)
    {
        int lo = 0, hi = _sorted.Length - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var c = _sorted[mid].Oid.CompareTo(oid);
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }
}
