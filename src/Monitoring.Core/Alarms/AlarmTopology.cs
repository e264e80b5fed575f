using System.Globalization;
using Monitoring.Core.Inventory;

namespace Monitoring.Core.Alarms;

/// <summary>One thing a device depends on: another device, or one port of it (<see cref="Port"/> -1 for the whole device).</summary>
public readonly record struct AlarmParent(int DeviceIndex, int Port);

/// <summary>
/// Who depends on whom, for root cause: a device's parents are its <see cref="Device.DependsOn"/> (a device or a
/// port of one) and, for rack-mounted devices, the PDUs of its rack (their power feed). Computed once from the inventory.
/// </summary>
public sealed class AlarmTopology
{
    private readonly AlarmParent[][] _parents;
    private readonly int[][] _descendants;
    private readonly int[] _depth;

    public AlarmTopology(Inventory.Inventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var devices = inventory.Devices;
        _parents = new AlarmParent[devices.Count][];
        var children = new List<int>[devices.Count];
        var pdusByRack = devices.Where(d => d.Kind == DeviceKind.Pdu && d.RackId is not null)
            .GroupBy(d => (d.RoomId, d.RackId!))
            .ToDictionary(g => g.Key, g => g.Select(d => d.Index).ToArray());
        for (var i = 0; i < devices.Count; i++)
        {
            children[i] = [];
        }

        foreach (var device in devices)
        {
            var parents = new List<AlarmParent>();
            if (Parse(inventory, device.DependsOn) is { } dependsOn && dependsOn.DeviceIndex != device.Index)
            {
                parents.Add(dependsOn);
            }

            if (device.Kind != DeviceKind.Pdu && device.RackId is not null && pdusByRack.TryGetValue((device.RoomId, device.RackId), out var pdus))
            {
                foreach (var pdu in pdus)
                {
                    if (!parents.Exists(p => p.DeviceIndex == pdu))
                    {
                        parents.Add(new AlarmParent(pdu, -1));
                    }
                }
            }

            _parents[device.Index] = [.. parents];
            foreach (var parent in parents)
            {
                children[parent.DeviceIndex].Add(device.Index);
            }
        }

        _depth = new int[devices.Count];
        var state = new byte[devices.Count];
        for (var i = 0; i < devices.Count; i++)
        {
            Depth(i, state);
        }

        _descendants = new int[devices.Count][];
        for (var i = 0; i < devices.Count; i++)
        {
            var seen = new HashSet<int> { i };
            var order = new List<int>();
            var queue = new Queue<int>(children[i]);
            while (queue.TryDequeue(out var next))
            {
                if (seen.Add(next))
                {
                    order.Add(next);
                    foreach (var child in children[next])
                    {
                        queue.Enqueue(child);
                    }
                }
            }

            _descendants[i] = [.. order.OrderBy(d => _depth[d])];
        }
    }

    public int Count => _parents.Length;

    public ReadOnlySpan<AlarmParent> Parents(int deviceIndex) => _parents[deviceIndex];

    /// <summary>Every device below this one (children, their children...), parents before children.</summary>
    public ReadOnlySpan<int> Descendants(int deviceIndex) => _descendants[deviceIndex];

    /// <summary>0 for a device with no parents, 1 + the deepest parent's depth otherwise.</summary>
    public int DepthOf(int deviceIndex) => _depth[deviceIndex];

    /// <summary>"device" or "device:port" as written in room files.</summary>
    public static AlarmParent? Parse(Inventory.Inventory inventory, string? text)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var colon = text.LastIndexOf(':');
        var port = -1;
        var id = text;
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var p))
        {
            port = p;
            id = text[..colon];
        }

        return inventory.FindDevice(id) is { } device ? new AlarmParent(device.Index, port) : null;
    }

    private int Depth(int device, byte[] state)
    {
        if (state[device] == 2)
        {
            return _depth[device];
        }

        if (state[device] == 1)
        {
            return 0; // a dependency cycle: the room loader should refuse it; do not loop here
        }

        state[device] = 1;
        var depth = 0;
        foreach (var parent in _parents[device])
        {
            depth = Math.Max(depth, Depth(parent.DeviceIndex, state) + 1);
        }

        _depth[device] = depth;
        state[device] = 2;
        return depth;
    }
}
