using Monitoring.Core.Series;
using Monitoring.Core.Tests.LineProtocol;

namespace Monitoring.Core.Tests.Series;

public class SeriesRegistryTests
{
    private readonly SeriesRegistry _registry = new(TestInventory.Create());

    [Fact]
    public void Ids_are_dense_in_the_order_series_are_first_seen()
    {
        var a = _registry.GetOrAdd(0, "cpu.usage", -1);
        var b = _registry.GetOrAdd(0, "interface.oper_status", 3);
        var c = _registry.GetOrAddFreeForm("cpu,host=a", "cpu.usage");
        var d = _registry.GetOrAdd(2, "ups.load", -1);

        Assert.Equal([0, 1, 2, 3], new[] { a, b, c, d });
        Assert.Equal(4, _registry.Count);
    }

    [Fact]
    public void The_same_key_always_gets_the_same_id_and_any_part_that_differs_makes_a_new_one()
    {
        var id = _registry.GetOrAdd(0, "interface.in_octets", 12);

        Assert.Equal(id, _registry.GetOrAdd(0, "interface.in_octets".AsSpan(), 12));
        Assert.NotEqual(id, _registry.GetOrAdd(0, "interface.in_octets", 13));
        Assert.NotEqual(id, _registry.GetOrAdd(0, "interface.in_octets", -1));
        Assert.NotEqual(id, _registry.GetOrAdd(1, "interface.in_octets", 12));
        Assert.NotEqual(id, _registry.GetOrAdd(0, "interface.out_octets", 12));
        Assert.Equal(5, _registry.Count);
    }

    [Fact]
    public void TryGet_finds_only_interned_series()
    {
        Assert.False(_registry.TryGet(0, "cpu.usage", -1, out _));
        var id = _registry.GetOrAdd(0, "cpu.usage", -1);

        Assert.True(_registry.TryGet(0, "cpu.usage", -1, out var found));
        Assert.Equal(id, found);
        Assert.False(_registry.TryGet(0, "cpu.usage", 1, out _));
        Assert.False(_registry.TryGetFreeForm("cpu", "cpu.usage", out _));
    }

    [Fact]
    public void SeriesInfo_describes_the_series_and_carries_the_models_definition()
    {
        var port = _registry[_registry.GetOrAdd(0, "interface.oper_status", 7)];
        var free = _registry[_registry.GetOrAddFreeForm("cpu,host=a", "cpu.usage")];

        Assert.Equal(new SeriesInfo(0, 0, "interface.oper_status", 7, null, TestInventory.Switch.Metrics[1]), port);
        Assert.Equal(new SeriesInfo(1, -1, "cpu.usage", -1, "cpu,host=a", null), free);
        Assert.False(port.IsFreeForm);
        Assert.True(free.IsFreeForm);
    }

    [Fact]
    public void A_metric_name_is_one_string_however_many_devices_use_it()
    {
        var first = _registry[_registry.GetOrAdd(0, new string("cpu.usage".AsSpan()), -1)];
        var second = _registry[_registry.GetOrAdd(1, new string("cpu.usage".AsSpan()), -1)];
        var third = _registry[_registry.GetOrAddFreeForm("cpu,host=x", new string("cpu.usage".AsSpan()))];

        Assert.Same(first.Metric, second.Metric);
        Assert.Same(first.Metric, third.Metric);
    }

    [Fact]
    public void A_devices_series_can_be_listed()
    {
        var a = _registry.GetOrAdd(1, "cpu.usage", -1);
        _registry.GetOrAdd(0, "cpu.usage", -1);
        var b = _registry.GetOrAdd(1, "interface.oper_status", 0);
        _registry.GetOrAddFreeForm("cpu,host=a", "cpu.usage");

        Assert.Equal([a, b], _registry.GetDeviceSeries(1).ToArray());
        Assert.Equal(1, _registry.GetDeviceSeries(0).Length);
        Assert.True(_registry.GetDeviceSeries(2).IsEmpty);
        Assert.True(_registry.GetDeviceSeries(999).IsEmpty);
    }

    [Fact]
    public void Unknown_ids_and_devices_are_refused()
    {
        _registry.GetOrAdd(0, "cpu.usage", -1);

        Assert.Throws<ArgumentOutOfRangeException>(() => _registry[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => _registry[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => _registry.GetOrAdd(4, "cpu.usage", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _registry.GetOrAdd(-1, "cpu.usage", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _registry.GetOrAdd(0, "cpu.usage", -2));
        Assert.Throws<ArgumentException>(() => _registry.GetOrAdd(0, "", -1));
    }

    [Fact]
    public void Growing_past_the_initial_capacity_keeps_every_series()
    {
        var registry = new SeriesRegistry();
        for (var i = 0; i < 5000; i++)
        {
            Assert.Equal(i, registry.GetOrAdd(i % 100, $"m.f{i / 100}", -1));
        }

        Assert.Equal(5000, registry.Count);
        Assert.Equal((4999 % 100, "m.f49"), (registry[4999].DeviceIndex, registry[4999].Metric));
        Assert.Equal(50, registry.GetDeviceSeries(99).Length);
        Assert.Equal(Enumerable.Range(0, 50).Select(k => (k * 100) + 7), registry.GetDeviceSeries(7).ToArray());
    }

    [Fact]
    public void Parallel_interning_gives_one_id_per_key()
    {
        var registry = new SeriesRegistry();
        const int Devices = 40;
        const int Metrics = 25;
        var seen = new int[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            var ids = new int[Devices * Metrics * 2];
            for (var round = 0; round < 3; round++)
            {
                // each worker walks the keys in its own order so that first sightings race
                for (var k = 0; k < Devices * Metrics; k++)
                {
                    var step = worker % 2 == 0 ? k : (Devices * Metrics) - 1 - k;
                    var key = (step + (worker * 97) + round) % (Devices * Metrics);
                    ids[key] = registry.GetOrAdd(key / Metrics, $"m.f{key % Metrics}", key % 3 - 1);
                    ids[(Devices * Metrics) + key] = registry.GetOrAddFreeForm($"m,host=h{key / Metrics}", $"m.f{key % Metrics}");
                }
            }

            seen[worker] = ids;
        });

        Assert.Equal(2 * Devices * Metrics, registry.Count);
        Assert.All(seen, ids => Assert.Equal(seen[0], ids));
        Assert.Equal(Enumerable.Range(0, registry.Count), seen[0].Order());
        for (var id = 0; id < registry.Count; id++)
        {
            Assert.Equal(id, registry[id].Id);
        }

        for (var device = 0; device < Devices; device++)
        {
            Assert.Equal(Metrics, registry.GetDeviceSeries(device).Length);
        }
    }

    [Fact]
    public void Looking_up_a_known_series_allocates_nothing()
    {
        var id = _registry.GetOrAdd(0, "interface.in_octets", 12);
        var free = _registry.GetOrAddFreeForm("cpu,host=a", "cpu.usage");
        Span<char> metric = stackalloc char[19];
        "interface.in_octets".AsSpan().CopyTo(metric);
        _registry.GetOrAdd(0, metric, 12);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var again = _registry.GetOrAdd(0, metric, 12);
        var freeAgain = _registry.GetOrAddFreeForm("cpu,host=a".AsSpan(), "cpu.usage".AsSpan());
        var found = _registry.TryGet(0, metric, 12, out var tried);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal((id, free, true, id), (again, freeAgain, found, tried));
        Assert.Equal(0, allocated);
    }
}
