using Monitoring.Core.Inventory;
using Monitoring.Core.Series;

namespace Monitoring.Benchmarks;

/// <summary>Every series of a room's inventory (each device metric, each port metric on each port), interned in order.</summary>
internal static class DemoSeries
{
    public static List<int> Intern(Inventory inventory, SeriesRegistry registry)
    {
        var ids = new List<int>();
        foreach (var device in inventory.Devices)
        {
            foreach (var metric in device.Model.Metrics)
            {
                if (metric.Scope == MetricScope.Port)
                {
                    ids.AddRange(device.Model.Ports.Select(p => registry.GetOrAdd(device.Index, metric.Name, p.Index)));
                }
                else
                {
                    ids.Add(registry.GetOrAdd(device.Index, metric.Name, -1));
                }
            }
        }

        return ids;
    }
}
