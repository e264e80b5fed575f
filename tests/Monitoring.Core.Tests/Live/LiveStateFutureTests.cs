using Monitoring.Core.Inventory;
using Monitoring.Core.Live;
using Monitoring.Core.Series;

namespace Monitoring.Core.Tests.Live;

/// <summary>A sample dated in the future never pins a live value or a status.</summary>
public sealed class LiveStateFutureTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static readonly DeviceModel Model = new()
    {
        Id = "sw4",
        Name = "4-port switch",
        Kind = DeviceKind.Switch,
        HeightU = 1,
        Ports = Enumerable.Range(1, 4).Select(i => new PortDefinition(i, $"GE1/0/{i}", PortKind.Copper, i / 5.0, 0.5, 0, i - 1)).ToArray(),
        Metrics =
        [
            new MetricDefinition
            {
                Name = "interface.oper_status", Scope = MetricScope.Port,
                States = new Dictionary<double, Status> { [1] = Status.Ok, [2] = Status.Down },
            },
        ],
    };

    private readonly ManualClock _time = new(Start);
    private readonly SeriesRegistry _registry;
    private readonly LiveState _live;
    private readonly int _oper;

    public LiveStateFutureTests()
    {
        var device = new Device { Id = "sw-1", Name = "sw-1", Model = Model, RoomId = "r", Placement = PlacementKind.Rack, RackId = "A01", U = 1, Index = 0 };
        var inventory = new Inventory.Inventory([Model], [new Room { Id = "r", Name = "r", Size = new RoomSize(5, 5, 3), Devices = [device] }]);
        _registry = new SeriesRegistry(inventory);
        _live = new LiveState(inventory, _registry, _time);
        _oper = _registry.GetOrAdd(0, "interface.oper_status", 2);
    }

    private static long Ns(DateTimeOffset at) => (at - DateTimeOffset.UnixEpoch).Ticks * 100;

    [Fact]
    public void A_sample_dated_2200_does_not_pin_the_port_down()
    {
        _live.Apply([new Sample(_oper, Ns(new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero)), 2)]);
        _live.Apply([new Sample(_oper, Ns(Start), 1)]);

        Assert.True(_live.TryGetLatest(_oper, out var at, out var value));
        Assert.Equal(1, value);
        Assert.Equal(Ns(Start), at);
        Assert.Equal(Status.Ok, _live.GetPortStatus(0, 2));
        Assert.Equal(Ns(Start), _live.LastSeen(0));
        Assert.Equal(1, _live.FutureSamplesIgnored);
    }

    [Fact]
    public void A_sample_a_little_ahead_of_the_clock_is_shown()
    {
        _live.Apply([new Sample(_oper, Ns(Start.AddMinutes(9)), 2)]);

        Assert.True(_live.TryGetLatest(_oper, out _, out var value));
        Assert.Equal(2, value);
        Assert.Equal(Status.Down, _live.GetPortStatus(0, 2));
        Assert.Equal(0, _live.FutureSamplesIgnored);
    }

    [Fact]
    public void A_value_whose_date_became_the_future_when_the_clock_went_back_gives_way_to_the_next_sample()
    {
        _live.Apply([new Sample(_oper, Ns(Start), 2)]);
        _time.Now = Start.AddHours(-1); // the clock was an hour fast and is corrected

        _live.Apply([new Sample(_oper, Ns(Start.AddHours(-1)), 1)]);

        Assert.True(_live.TryGetLatest(_oper, out var at, out var value));
        Assert.Equal(1, value);
        Assert.Equal(Ns(Start.AddHours(-1)), at);
        Assert.Equal(Status.Ok, _live.GetPortStatus(0, 2));
        Assert.Equal(Ns(Start.AddHours(-1)), _live.LastSeen(0));
    }

    [Fact]
    public void The_future_bound_is_configurable()
    {
        _live.MaxFuture = TimeSpan.FromMinutes(1);

        _live.Apply([new Sample(_oper, Ns(Start.AddMinutes(2)), 2)]);

        Assert.False(_live.TryGetLatest(_oper, out _, out _));
        Assert.Equal(1, _live.FutureSamplesIgnored);
    }

    /// <summary>A clock that can be set back, as an NTP correction does.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
