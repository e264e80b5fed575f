using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Snmp.Tests.Collector;

/// <summary>Keeps every sample written, by series id, for assertions.</summary>
internal sealed class ListSink : ISampleSink
{
    public List<Sample> Samples { get; } = [];

    public ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
    {
        lock (Samples)
        {
            foreach (var s in batch.Samples)
            {
                Samples.Add(s);
            }
        }

        batch.Dispose();
        return ValueTask.CompletedTask;
    }

    public void Clear()
    {
        lock (Samples)
        {
            Samples.Clear();
        }
    }

    public double? Last(SeriesRegistry registry, int device, string metric, int port = -1)
    {
        if (!registry.TryGet(device, metric, port, out var id))
        {
            return null;
        }

        lock (Samples)
        {
            var i = Samples.FindLastIndex(s => s.SeriesId == id);
            return i >= 0 ? Samples[i].Value : null;
        }
    }
}

internal static class Repo
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Monitoring.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Profiles => Path.Combine(Root, "device-profiles");

    public static Inventory DemoInventory() => InventoryLoader.Load(Profiles);

    /// <summary>A one-device inventory: a host model with the given NIC names (ports 1..n) and the usual metrics.</summary>
    public static Inventory HostInventory(string profile, params string[] nicNames)
    {
        var ports = nicNames.Select((n, i) => new PortDefinition(i + 1, n, PortKind.Nic, 0.1 * (i + 1), 0.5, 0, i)).ToArray();
        var model = new DeviceModel
        {
            Id = "test-host",
            Name = "Test host",
            Kind = DeviceKind.Server,
            HeightU = 1,
            Ports = ports,
            Metrics =
            [
                new MetricDefinition { Name = "cpu.usage" },
                new MetricDefinition { Name = "memory.usage" },
                new MetricDefinition { Name = "interface.oper_status", Scope = MetricScope.Port },
                new MetricDefinition { Name = "interface.admin_status", Scope = MetricScope.Port },
                new MetricDefinition { Name = "interface.in_bps", Scope = MetricScope.Port },
                new MetricDefinition { Name = "interface.out_bps", Scope = MetricScope.Port },
                new MetricDefinition { Name = "interface.utilisation", Scope = MetricScope.Port },
                new MetricDefinition { Name = "interface.in_errors", Scope = MetricScope.Port },
            ],
        };
        var device = new Device { Id = "host-1", Name = "Host 1", Model = model, RoomId = "r", Address = "127.0.0.1", Profile = profile, Index = 0 };
        var room = new Room { Id = "r", Name = "Room", Size = new RoomSize(10, 10, 3), Devices = [device] };
        return new Inventory([model], [room]);
    }
}
