namespace Monitoring.Collectors.Snmp.Collector;

/// <summary>
/// The last raw reading of one counter series and the agent's sysUpTime when it was read, to turn the next reading
/// into a rate. Rates are over the agent's own clock (sysUpTime, hundredths of a second), not ours, so a late
/// response does not make a spike.
/// </summary>
public struct CounterState
{
    private ulong _last;
    private uint _lastUptime;
    private bool _valid;

    public readonly bool HasValue => _valid;

    /// <summary>
    /// Records <paramref name="raw"/> at <paramref name="uptimeTicks"/> and gives the per-second rate since the
    /// previous reading. No rate (false) for the first reading, when sysUpTime went back (the agent restarted, or its
    /// uptime wrapped after 497 days: counters may have restarted from zero, so a difference would be meaningless),
    /// or when no time passed. A counter lower than before while sysUpTime went on is a wrap at 2^32 (Counter32)
    /// or 2^64 (Counter64), RFC 2578 §7.1.6 and §7.1.10.
    /// </summary>
    public bool Next(ulong raw, uint uptimeTicks, bool is64Bit, out double perSecond)
    {
        var had = _valid;
        var last = _last;
        var lastUptime = _lastUptime;
        _last = raw;
        _lastUptime = uptimeTicks;
        _valid = true;
        perSecond = 0;
        if (!had || uptimeTicks <= lastUptime)
        {
            return false;
        }

        var delta = is64Bit ? unchecked(raw - last) : unchecked((uint)raw - (uint)last);
        perSecond = delta / ((uptimeTicks - lastUptime) / 100.0);
        return true;
    }

    /// <summary>Forgets the last reading (the row disappeared, the series restarts with its next reading).</summary>
    public void Reset() => _valid = false;
}
