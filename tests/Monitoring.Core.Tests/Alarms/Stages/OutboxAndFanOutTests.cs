using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Core.Alarms;

namespace Monitoring.Core.Tests.Alarms.Stages;

/// <summary>The round's outbox, the grouping seam and the fan-out, each on its own.</summary>
public sealed class OutboxAndFanOutTests
{
    private const string Rules = """
        rules:
          - id: cpu-high
            name: CPU high
            severity: major
            scope: { kind: server }
            threshold: { metric: cpu.usage, above: 90, clear: 80 }
            message: "{deviceName} CPU {value}"
        """;

    [Fact]
    public void The_outbox_keeps_the_order_of_decisions_and_refreshes_a_raise_of_the_same_round()
    {
        using var rig = new StageRig(Rules);
        var a = rig.Raise("cpu-high", "srv-b01-u04");
        var b = rig.Raise("cpu-high", "srv-b01-u07");
        var version = rig.Outbox.Version;
        a.Message = "changed in the same round";
        rig.Outbox.EmitOrRefresh(a);

        Assert.True(rig.Outbox.Version > version);
        var events = rig.Drain();
        Assert.Equal([a.Id, b.Id], events.Select(e => e.Alarm.Id));
        Assert.All(events, e => Assert.Equal(AlarmEventKind.Raised, e.Kind));
        Assert.Equal("changed in the same round", events[0].Alarm.Message);
        Assert.All(events, e => Assert.Equal(rig.Time.GetUtcNow(), e.At));
        Assert.Equal(0, rig.Outbox.Count);

        // next round: the raise has left, so a change is an update of its own
        a.Message = "next round";
        rig.Outbox.EmitOrRefresh(a);
        var next = Assert.Single(rig.Drain());
        Assert.Equal(AlarmEventKind.Updated, next.Kind);
        Assert.Equal("next round", next.Alarm.Message);
    }

    [Fact]
    public void The_fan_out_gives_every_event_to_every_sink_in_order_and_a_failing_sink_stops_nobody()
    {
        var fanOut = new AlarmFanOut(NullLogger.Instance);
        var first = new RecordingSink();
        var second = new RecordingSink();
        fanOut.Subscribe(new ThrowingSink());
        fanOut.Subscribe(first);
        fanOut.Subscribe(second);
        var events = Enumerable.Range(1, 5).Select(Event).ToList();
        foreach (var e in events)
        {
            PassThroughGrouping.Instance.OnAlarmEvent(e, fanOut);
        }

        Assert.Equal(events, first.Events);
        Assert.Equal(events, second.Events);
        Assert.Equal(5, fanOut.Published);

        fanOut.Unsubscribe(first);
        fanOut.Publish(Event(6));
        Assert.Equal(5, first.Events.Count);
        Assert.Equal(6, second.Events.Count);
        Assert.Equal(2, fanOut.Subscribers);
    }

    [Fact]
    public void The_engine_sends_each_change_through_the_grouping_stage_after_the_store_kept_it()
    {
        var store = new Monitoring.Testing.InMemoryAlarmStore();
        var grouping = new CountingGrouping(store);
        using var h = new GroupedEngine(Rules, store, grouping);
        h.Feed("srv-b01-u04", 95);
        h.Feed("srv-b01-u04", 50);

        Assert.Equal([AlarmEventKind.Raised, AlarmEventKind.Cleared], grouping.Seen.Select(e => e.Kind));
        Assert.Equal([1, 2], grouping.StoredWhenSeen);
        Assert.Equal(grouping.Seen, h.Sink.Events);
        Assert.Equal(2, h.Engine.EventsPublished);
    }

    private static AlarmEvent Event(int id) => new(
        AlarmEventKind.Raised,
        new AlarmSnapshot
        {
            Id = id,
            RuleId = "r",
            RuleName = "r",
            Severity = AlarmSeverity.Major,
            Target = new AlarmTarget("d", null, "room", null),
            Message = "m",
            State = AlarmState.Raised,
            RaisedAt = DateTimeOffset.UnixEpoch,
            ChangedAt = DateTimeOffset.UnixEpoch,
        },
        DateTimeOffset.UnixEpoch);

    private sealed class RecordingSink : IAlarmEventSink
    {
        public List<AlarmEvent> Events { get; } = [];

        public void OnAlarmEvent(AlarmEvent alarmEvent) => Events.Add(alarmEvent);
    }

    private sealed class ThrowingSink : IAlarmEventSink
    {
        public void OnAlarmEvent(AlarmEvent alarmEvent) => throw new InvalidOperationException("a sink that fails");
    }

    /// <summary>A grouping stage that records what it saw and how many events the store held at that moment.</summary>
    private sealed class CountingGrouping(Monitoring.Testing.InMemoryAlarmStore store) : IAlarmGrouping
    {
        public List<AlarmEvent> Seen { get; } = [];

        public List<int> StoredWhenSeen { get; } = [];

        public void OnAlarmEvent(AlarmEvent alarmEvent, AlarmFanOut next)
        {
            Seen.Add(alarmEvent);
            StoredWhenSeen.Add(store.EventCount);
            next.Publish(alarmEvent);
        }
    }

    private sealed class GroupedEngine : IDisposable
    {
        private readonly StageRig _rig;

        public GroupedEngine(string rules, IAlarmStore store, IAlarmGrouping grouping)
        {
            _rig = new StageRig(rules);
            Engine = new AlarmEngine(_rig.Rules, _rig.Inventory, _rig.Registry, store, _rig.Options, _rig.Time, NullLogger<AlarmEngine>.Instance, grouping);
            Engine.Subscribe(Sink);
            Engine.Start();
        }

        public AlarmEngine Engine { get; }

        public RecordingSink Sink { get; } = new();

        public void Feed(string deviceId, double value)
        {
            var device = _rig.Inventory.FindDevice(deviceId)!;
            var id = _rig.Registry.GetOrAdd(device.Index, "cpu.usage", -1);
            Engine.OnSamples([new Monitoring.Core.Series.Sample(id, 0, value)]);
        }

        public void Dispose()
        {
            Engine.Dispose();
            _rig.Dispose();
        }
    }
}
