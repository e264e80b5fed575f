using Monitoring.Core.Inventory;
using Monitoring.Core.Live;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Core.Tests.Live;

public sealed class LiveStateTests
{
    private static readonly DeviceModel SwitchModel = new()
    {
        Id = "sw48",
        Name = "48-port switch",
        Kind = DeviceKind.Switch,
        HeightU = 1,
        Ports = Enumerable.Range(1, 4).Select(i => new PortDefinition(i, $"GE1/0/{i}", PortKind.Copper, i / 5.0, 0.5, 0, i - 1)).ToArray(),
        Metrics =
        [
            new MetricDefinition { Name = "cpu.usage", Unit = "%", Warning = 80, Alarm = 90 },
            new MetricDefinition { Name = "ups.battery", Unit = "%", Warning = 50, Alarm = 20, LowIsBad = true },
            new MetricDefinition
            {
                Name = "interface.oper_status", Scope = MetricScope.Port,
                States = new Dictionary<double, Status> { [1] = Status.Ok, [2] = Status.Down },
            },
            new MetricDefinition { Name = "interface.admin_status", Scope = MetricScope.Port, States = new Dictionary<double, Status> { [1] = Status.Ok, [2] = Status.Unknown } },
        ],
    };

    private readonly Inventory.Inventory _inventory;
    private readonly SeriesRegistry _registry;
    private readonly LiveState _live;

    public LiveStateTests()
    {
        var devices = new[] { "sw-1", "sw-2" }.Select((id, i) => new Device
        {
            Id = id,
            Name = id,
            Model = SwitchModel,
            RoomId = "r",
            Placement = PlacementKind.Rack,
            RackId = "A01",
            U = i + 1,
            Index = i,
        }).ToArray();
        _inventory = new Inventory.Inventory([SwitchModel], [new Room { Id = "r", Name = "r", Size = new RoomSize(5, 5, 3), Devices = devices }]);
        _registry = new SeriesRegistry(_inventory);
        _live = new LiveState(_inventory, _registry);
    }

    [Fact]
    public void A_device_without_samples_is_unknown()
    {
        Assert.Equal(Status.Unknown, _live.GetDeviceStatus(0));
        Assert.All(_live.GetPortStatuses(0).ToArray(), s => Assert.Equal(Status.Unknown, s));
        Assert.Equal(0, _live.LastSeen(0));
    }

    [Theory]
    [InlineData(50, Status.Ok)]
    [InlineData(80, Status.Warning)]
    [InlineData(89.9, Status.Warning)]
    [InlineData(90, Status.Alarm)]
    public void Thresholds_set_the_device_status(double cpu, Status expected)
    {
        Apply(0, "cpu.usage", -1, cpu, 1);

        Assert.Equal(expected, _live.GetDeviceStatus(0));
    }

    [Theory]
    [InlineData(80, Status.Ok)]
    [InlineData(50, Status.Warning)]
    [InlineData(20, Status.Alarm)]
    public void Low_is_bad_thresholds_are_crossed_downwards(double battery, Status expected)
    {
        Apply(0, "ups.battery", -1, battery, 1);

        Assert.Equal(expected, _live.GetDeviceStatus(0));
    }

    [Fact]
    public void A_down_port_is_down_and_makes_its_device_worth_a_look()
    {
        Apply(0, "cpu.usage", -1, 10, 1);
        Apply(0, "interface.oper_status", 3, 2, 1);

        Assert.Equal(Status.Down, _live.GetPortStatus(0, 3));
        Assert.Equal(Status.Warning, _live.GetDeviceStatus(0));
        Assert.Equal(Status.Unknown, _live.GetPortStatus(1, 3));
    }

    [Fact]
    public void An_administratively_down_port_is_not_a_fault_until_it_is_enabled_again()
    {
        Apply(0, "interface.oper_status", 2, 2, 1);
        Apply(0, "interface.admin_status", 2, 2, 2);
        Assert.Equal(Status.Unknown, _live.GetPortStatus(0, 2));

        Apply(0, "interface.admin_status", 2, 1, 3);
        Assert.Equal(Status.Down, _live.GetPortStatus(0, 2));
    }

    [Fact]
    public void An_older_sample_does_not_overwrite_a_newer_one()
    {
        var id = Apply(0, "cpu.usage", -1, 42, 2_000);
        Apply(0, "cpu.usage", -1, 95, 1_000);

        Assert.True(_live.TryGetLatest(id, out var timestamp, out var value));
        Assert.Equal(42, value);
        Assert.Equal(2_000, timestamp);
        Assert.Equal(Status.Ok, _live.GetDeviceStatus(0));
    }

    [Fact]
    public void Changes_are_handed_over_once_and_coalesced()
    {
        var cpu = Apply(0, "cpu.usage", -1, 10, 1);
        Apply(0, "cpu.usage", -1, 20, 2);
        Apply(0, "interface.oper_status", 1, 1, 3);

        var changes = _live.DrainChanges();

        Assert.Equal(2, changes.Series.Count);
        Assert.Contains(cpu, changes.Series);
        Assert.Equal([0], changes.Devices);
        Assert.Equal([(0, 0)], changes.Ports);
        Assert.True(_live.DrainChanges().IsEmpty);

        Apply(0, "cpu.usage", -1, 30, 4);
        var next = _live.DrainChanges();
        Assert.Equal([cpu], next.Series);
        Assert.Empty(next.Devices); // still Ok: no status change to report
    }

    [Fact]
    public async Task The_pipeline_applies_batches_and_feeds_every_observer_even_when_one_fails()
    {
        var pipeline = new SamplePipeline(_live, capacity: 4);
        var seen = new CountingObserver();
        pipeline.AddObserver(new FailingObserver());
        pipeline.AddObserver(seen);
        var id = _registry.GetOrAdd(1, "cpu.usage", -1);
        var batch = SampleBatch.Rent(2);
        batch.Add(id, 10, 91);
        batch.Add(id, 20, 92);

        await pipeline.WriteAsync(batch, CancellationToken.None);
        Assert.Equal(1, pipeline.QueuedBatches);
        Assert.Equal(1, pipeline.DrainNow());

        Assert.Equal(2, seen.Count);
        Assert.Equal(1, pipeline.ObserverFaults);
        Assert.Contains("FailingObserver", pipeline.LastObserverError, StringComparison.Ordinal);
        Assert.Equal(2, pipeline.SamplesProcessed);
        Assert.Equal(Status.Alarm, _live.GetDeviceStatus(1));
    }

    [Fact]
    public async Task A_mirrored_batch_reaches_the_live_state_only_and_no_observer_or_event_route()
    {
        var pipeline = new SamplePipeline(_live, capacity: 4);
        var seen = new CountingObserver();
        var events = new EventCounter();
        pipeline.AddObserver(seen);
        pipeline.AddEventObserver(events);
        var id = _registry.GetOrAdd(1, "cpu.usage", -1);

        // another node's engine and writers have had these: this node shows them, nothing more
        var mirrored = SampleBatch.Rent(2);
        mirrored.Add(id, 10, 95);
        mirrored.AddEvent(new DeviceEvent("x", null, "linkDown", DateTimeOffset.UnixEpoch));
        mirrored.Mirrored = true;
        mirrored.Source = SampleSource.Cluster;
        await pipeline.WriteAsync(mirrored, CancellationToken.None);
        Assert.Equal(1, pipeline.DrainNow());
        Assert.Equal(0, seen.Count);
        Assert.Equal(0, events.Count);
        Assert.Equal(Status.Alarm, _live.GetDeviceStatus(1));
        Assert.True(_live.TryGetLatest(id, out _, out var value));
        Assert.Equal(95, value);
        Assert.Equal(1, pipeline.SamplesFrom(SampleSource.Cluster));
        Assert.Equal(1, pipeline.SamplesProcessed);

        // the same batch not mirrored goes everywhere; a pooled batch comes back unmarked
        var own = SampleBatch.Rent(2);
        own.Add(id, 20, 96);
        own.AddEvent(new DeviceEvent("x", null, "linkDown", DateTimeOffset.UnixEpoch));
        await pipeline.WriteAsync(own, CancellationToken.None);
        Assert.Equal(1, pipeline.DrainNow());
        Assert.Equal(1, seen.Count);
        Assert.Equal(1, events.Count);
        Assert.False(mirrored.Mirrored); // cleared when the pipeline disposed it
    }

    private sealed class EventCounter : IDeviceEventObserver
    {
        public int Count { get; private set; }

        public void OnDeviceEvent(DeviceEvent deviceEvent) => Count++;
    }

    [Fact]
    public async Task The_pipeline_counts_samples_by_source_and_tells_observers_when_their_input_arrived()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var pipeline = new SamplePipeline(_live, capacity: 8, time: time);
        var arrivals = new ArrivalObserver();
        pipeline.AddObserver(arrivals);
        var id = _registry.GetOrAdd(0, "cpu.usage", -1);

        // a collector's sink marks its batches; the pipeline stamps their arrival on entry
        var polled = SampleBatch.Rent();
        polled.Add(id, 1, 1);
        polled.Add(id, 2, 2);
        await pipeline.From(SampleSource.Snmp).WriteAsync(polled, CancellationToken.None);
        var entered = time.GetTimestamp();

        // a producer that stamped the arrival itself (the HTTP ingest, before its journal fsync) keeps its stamp
        var pushed = SampleBatch.Rent();
        pushed.Add(id, 3, 3);
        pushed.Source = SampleSource.LineProtocol;
        pushed.ReceivedTimestamp = entered - 1234;
        await pipeline.WriteAsync(pushed, CancellationToken.None);

        Assert.Equal(2, pipeline.SamplesFrom(SampleSource.Snmp));
        Assert.Equal(1, pipeline.SamplesFrom(SampleSource.LineProtocol));
        Assert.Equal(0, pipeline.SamplesFrom(SampleSource.Modbus));
        Assert.Equal(3, pipeline.SamplesIn);

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, pipeline.DrainNow());
        Assert.Equal([entered, entered - 1234], arrivals.Seen);
        Assert.Equal(0, InputArrival.Current); // outside the pipeline's processing: no input
    }

    [Fact]
    public async Task A_full_pipeline_makes_producers_wait_instead_of_growing()
    {
        var pipeline = new SamplePipeline(_live, capacity: 1);
        var id = _registry.GetOrAdd(0, "cpu.usage", -1);
        var first = SampleBatch.Rent();
        first.Add(id, 1, 1);
        var second = SampleBatch.Rent();
        second.Add(id, 2, 2);

        await pipeline.WriteAsync(first, CancellationToken.None);
        var waiting = pipeline.WriteAsync(second, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        pipeline.DrainNow();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        pipeline.DrainNow();
        Assert.Equal(2, pipeline.SamplesProcessed);
    }

    [Fact]
    public async Task Device_events_take_the_pipeline_after_their_batch_samples_and_a_batch_of_events_only_is_not_dropped()
    {
        var pipeline = new SamplePipeline(_live, capacity: 4);
        var seen = new CountingObserver();
        var events = new RecordingEventObserver(_live);
        pipeline.AddObserver(seen);
        pipeline.AddEventObserver(new FailingEventObserver());
        pipeline.AddEventObserver(events);
        var port = _registry.GetOrAdd(0, "interface.oper_status", 3);
        var trap = SampleBatch.Rent(1);
        trap.Add(port, 10, 2);
        trap.AddEvent(new DeviceEvent("sw-1", 3, "linkDown", DateTimeOffset.UnixEpoch));
        var eventOnly = SampleBatch.Rent(1);
        eventOnly.AddEvent(new DeviceEvent("sw-2", null, "coldStart", DateTimeOffset.UnixEpoch));

        await pipeline.WriteAsync(trap, CancellationToken.None);
        await pipeline.WriteAsync(eventOnly, CancellationToken.None);
        Assert.Equal(2, pipeline.DrainNow());

        // the linkDown event saw its port already down (samples first); the event-only batch reached the observers too
        Assert.Equal(["linkDown sw-1 port 3 (port down)", "coldStart sw-2"], events.Seen);
        Assert.Equal(1, seen.Count);
        Assert.Equal(2, pipeline.ObserverFaults); // the failing event observer, once per event, did not stop the other
    }

    private int Apply(int device, string metric, int port, double value, long timestamp)
    {
        var id = _registry.GetOrAdd(device, metric, port);
        _live.Apply([new Sample(id, timestamp, value)]);
        return id;
    }

    private sealed class CountingObserver : ISampleObserver
    {
        public int Count { get; private set; }

        public void OnSamples(ReadOnlySpan<Sample> samples) => Count += samples.Length;
    }

    /// <summary>Notes <see cref="InputArrival.Current"/> as each batch reaches it.</summary>
    private sealed class ArrivalObserver : ISampleObserver
    {
        public List<long> Seen { get; } = [];

        public void OnSamples(ReadOnlySpan<Sample> samples) => Seen.Add(InputArrival.Current);
    }

    private sealed class FailingObserver : ISampleObserver
    {
        public void OnSamples(ReadOnlySpan<Sample> samples) => throw new InvalidOperationException("boom");
    }

    private sealed class RecordingEventObserver(LiveState live) : IDeviceEventObserver
    {
        public List<string> Seen { get; } = [];

        public void OnDeviceEvent(DeviceEvent deviceEvent)
        {
            if (deviceEvent.Port is { } port)
            {
                var down = live.GetPortStatuses(0)[port - 1] == Status.Down;
                Seen.Add($"{deviceEvent.Name} {deviceEvent.DeviceId} port {port}" + (down ? " (port down)" : string.Empty));
            }
            else
            {
                Seen.Add($"{deviceEvent.Name} {deviceEvent.DeviceId}");
            }
        }
    }

    private sealed class FailingEventObserver : IDeviceEventObserver
    {
        public void OnDeviceEvent(DeviceEvent deviceEvent) => throw new InvalidOperationException("boom");
    }
}
