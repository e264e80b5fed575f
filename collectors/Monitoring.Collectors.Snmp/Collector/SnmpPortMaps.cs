using System.Collections.Concurrent;

namespace Monitoring.Collectors.Snmp.Collector;

/// <summary>
/// The ifIndex → front-panel port maps that the pollers learn from their walks, by device id, shared with the trap
/// listener so a notification lands on the same port as the poll would put it. A device registers a view of its
/// poller's current map; the trap side reads it when a notification arrives.
/// </summary>
public sealed class SnmpPortMaps
{
    private readonly ConcurrentDictionary<string, Func<IReadOnlyDictionary<uint, int>>> _maps = new(StringComparer.Ordinal);

    /// <summary>Registers (or replaces) where a device's current map is read from, e.g. <c>() => poller.PortMap</c>.</summary>
    public void Register(string deviceId, Func<IReadOnlyDictionary<uint, int>> current)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        ArgumentNullException.ThrowIfNull(current);
        _maps[deviceId] = current;
    }

    /// <summary>The port a device's ifIndex was last mapped to; false when the device or the row is not known (yet).</summary>
    public bool TryGetPort(string deviceId, uint ifIndex, out int portIndex)
    {
        portIndex = 0;
        return _maps.TryGetValue(deviceId, out var current) && current().TryGetValue(ifIndex, out portIndex);
    }
}
