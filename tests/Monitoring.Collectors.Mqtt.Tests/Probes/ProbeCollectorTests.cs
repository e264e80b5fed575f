using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Collectors.Mqtt.Probes;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Mqtt.Tests.Probes;

public sealed class ProbeCollectorTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
    private readonly SeriesRegistry _registry = new(ProbeTestData.Inventory);
    private readonly RecordingSink _sink = new();
    private readonly PollHealth _health = new();
    private readonly ProbeCollector _collector;

    public ProbeCollectorTests()
    {
        _collector = new ProbeCollector(ProbeTestData.Inventory, _registry, ProbeTestData.Profiles, _sink, _time, NullLogger.Instance, _health);
    }

    private static Device Leak => ProbeTestData.Inventory.FindDevice("leak-1")!;

    private static Device Door => ProbeTestData.Inventory.FindDevice("door-1")!;

    public void Dispose() => _collector.Dispose();

    [Fact]
    public void The_demo_room_probes_are_served_without_problems_and_subscribed_with_wildcards()
    {
        Assert.Empty(_collector.Problems);
        Assert.Equal(["door-1", "leak-1", "smoke-1", "temp-1", "temp-2"], _collector.DeviceIds.Order(StringComparer.Ordinal));
        Assert.Equal(
            ["site/+/probe/+/influx", "site/+/probe/+/state", "site/+/probe/+/status", "site/+/probe/+/temperature"],
            _collector.SubscriptionFilters.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_leak_message_becomes_a_probe_leak_sample_with_the_payloads_timestamp_and_the_probe_goes_online()
    {
        Assert.Equal(ProbeMessageOutcome.Accepted, _collector.Accept("site/demo/probe/leak-1/state", """{"leak":"wet","ts":1795000000123}"""u8));
        await _collector.FlushAsync(CancellationToken.None);

        var leak = Assert.Single(_sink.Of(_registry, Leak, "probe.leak"));
        Assert.Equal(1, leak.Value);
        Assert.Equal(1_795_000_000_123_000_000, leak.TimestampNs);
        var online = Assert.Single(_sink.Of(_registry, Leak, ProbeCollector.OnlineMetric));
        Assert.Equal(1, online.Value);
        Assert.Equal(ProbeLiveness.Online, _collector.Probe("leak-1")!.State);
        Assert.Equal(PollOutcome.Ok, _health.Get("leak-1")!.LastOutcome);

        // a second message adds the value but not another online sample: only changes are written
        _collector.Accept("site/demo/probe/leak-1/state", """{"leak":"dry"}"""u8);
        await _collector.FlushAsync(CancellationToken.None);
        Assert.Equal([1.0, 0.0], _sink.Of(_registry, Leak, "probe.leak").Select(s => s.Value));
        Assert.Single(_sink.Of(_registry, Leak, ProbeCollector.OnlineMetric));
    }

    [Fact]
    public async Task A_value_another_kind_of_probe_sends_is_not_written_on_a_probe_whose_model_lacks_it()
    {
        Assert.Equal(ProbeMessageOutcome.Accepted, _collector.Accept("site/demo/probe/door-1/state", """{"door":"open","leak":"wet"}"""u8));
        await _collector.FlushAsync(CancellationToken.None);
        Assert.Equal([1.0], _sink.Of(_registry, Door, "probe.door").Select(s => s.Value));
        Assert.Empty(_sink.Of(_registry, Door, "probe.leak"));
    }

    [Fact]
    public async Task Unknown_topics_devices_rooms_and_bad_payloads_are_counted_and_write_nothing()
    {
        Assert.Equal(ProbeMessageOutcome.UnknownTopic, _collector.Accept("site/demo/camera/cam-1/state", "{}"u8));
        Assert.Equal(ProbeMessageOutcome.UnknownDevice, _collector.Accept("site/demo/probe/no-such-probe/state", """{"leak":"wet"}"""u8));
        Assert.Equal(ProbeMessageOutcome.UnknownDevice, _collector.Accept("site/other-room/probe/leak-1/state", """{"leak":"wet"}"""u8));
        Assert.Equal(ProbeMessageOutcome.UnknownDevice, _collector.Accept("site/demo/probe/asw-a01/state", """{"leak":"wet"}"""u8)); // a switch, not an MQTT probe
        Assert.Equal(ProbeMessageOutcome.BadPayload, _collector.Accept("site/demo/probe/leak-1/state", """{"leak":"soaked"}"""u8));
        Assert.Equal(ProbeMessageOutcome.BadPayload, _collector.Accept("site/demo/probe/leak-1/status", "maybe"u8));
        await _collector.FlushAsync(CancellationToken.None);

        Assert.Empty(_sink.Samples);
        var stats = _collector.Stats();
        Assert.Equal((6L, 0L, 1L, 3L, 2L), (stats.Messages, stats.Accepted, stats.UnknownTopics, stats.UnknownDevices, stats.BadPayloads));
    }

    [Fact]
    public async Task A_probe_silent_past_its_staleness_limit_goes_offline_and_comes_back_with_its_next_message()
    {
        _collector.Accept("site/demo/probe/leak-1/state", """{"leak":"dry"}"""u8);
        _time.Advance(TimeSpan.FromSeconds(30));
        _collector.CheckStaleness();
        Assert.Equal(ProbeLiveness.Online, _collector.Probe("leak-1")!.State); // at the limit, not past it

        _time.Advance(TimeSpan.FromSeconds(1));
        _collector.CheckStaleness();
        var status = _collector.Probe("leak-1")!;
        Assert.Equal(ProbeLiveness.Offline, status.State);
        Assert.Contains("silent for 31 s (limit 30 s)", status.Reason, StringComparison.Ordinal);
        var health = _health.Get("leak-1")!;
        Assert.Equal((PollOutcome.Unreachable, ProbeCollector.CollectorName), (health.LastOutcome, health.Collector));

        _collector.Accept("site/demo/probe/leak-1/state", """{"leak":"dry"}"""u8);
        await _collector.FlushAsync(CancellationToken.None);
        Assert.Equal([1.0, 0.0, 1.0], _sink.Of(_registry, Leak, ProbeCollector.OnlineMetric).Select(s => s.Value));
        var offlineAt = _sink.Of(_registry, Leak, ProbeCollector.OnlineMetric)[1].TimestampNs;
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 8, 0, 31, TimeSpan.Zero), DateTimeOffset.UnixEpoch.AddTicks(offlineAt / 100));
        Assert.Equal(PollOutcome.Ok, _health.Get("leak-1")!.LastOutcome);
    }

    [Fact]
    public void A_probe_never_heard_from_is_offline_once_the_limit_has_passed_since_the_start()
    {
        _time.Advance(TimeSpan.FromSeconds(29));
        _collector.CheckStaleness();
        Assert.Equal(ProbeLiveness.Unknown, _collector.Probe("smoke-1")!.State);
        _time.Advance(TimeSpan.FromSeconds(2));
        _collector.CheckStaleness();
        Assert.Equal(ProbeLiveness.Offline, _collector.Probe("smoke-1")!.State);
        Assert.Equal(_collector.DeviceIds.Count, _collector.Stats().Offline); // every demo probe: none has spoken
    }

    [Fact]
    public async Task The_last_will_marks_the_probe_offline_at_once_and_its_online_status_brings_it_back()
    {
        Assert.Equal(ProbeMessageOutcome.Online, _collector.Accept("site/demo/probe/door-1/status", "online"u8));
        Assert.Equal(ProbeMessageOutcome.Offline, _collector.Accept("site/demo/probe/door-1/status", "offline"u8));
        var status = _collector.Probe("door-1")!;
        Assert.Equal(ProbeLiveness.Offline, status.State);
        Assert.Contains("last will", status.Reason, StringComparison.Ordinal);
        Assert.Equal(1, _collector.Stats().Wills);

        Assert.Equal(ProbeMessageOutcome.Online, _collector.Accept("site/demo/probe/door-1/status", "online"u8));
        await _collector.FlushAsync(CancellationToken.None);
        Assert.Equal([1.0, 0.0, 1.0], _sink.Of(_registry, Door, ProbeCollector.OnlineMetric).Select(s => s.Value));
    }

    [Fact]
    public async Task RunAsync_flushes_and_checks_staleness_on_the_injected_clock()
    {
        using var cts = new CancellationTokenSource();
        var run = _collector.RunAsync(cts.Token);
        _collector.Accept("site/demo/probe/leak-1/state", """{"leak":"wet"}"""u8);
        _time.Advance(ProbeCollector.FlushInterval);
        await WaitUntil(() => _sink.Of(_registry, Leak, "probe.leak").Count == 1);

        for (var i = 0; i < 320 && _collector.Probe("leak-1")!.State != ProbeLiveness.Offline; i++)
        {
            _time.Advance(ProbeCollector.FlushInterval);
            await Task.Yield();
        }

        await WaitUntil(() => _sink.Of(_registry, Leak, ProbeCollector.OnlineMetric).Count == 2);
        Assert.Equal(ProbeLiveness.Offline, _collector.Probe("leak-1")!.State);
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Random_topics_and_payloads_never_throw_and_are_all_counted()
    {
        var random = new Random(5);
        string[] topics = ["site/demo/probe/leak-1/state", "site/demo/probe/door-1/temperature", "site/demo/probe/smoke-1/influx", "site/demo/probe/door-1/status", "site/demo/probe//state", "a", ""];
        var payload = new byte[64];
        for (var i = 0; i < 20_000; i++)
        {
            var topic = topics[random.Next(topics.Length)];
            var bytes = random.Next(4) == 0 ? RandomBytes(random, 40) : Encoding.UTF8.GetBytes(topic);
            var length = random.Next(payload.Length);
            random.NextBytes(payload.AsSpan(0, length));
            if (random.Next(3) == 0)
            {
                "{\"leak\":\"wet\",\"door\":"u8.CopyTo(payload);
            }

            _collector.Accept(bytes, payload.AsSpan(0, length));
        }

        await _collector.FlushAsync(CancellationToken.None);
        var stats = _collector.Stats();
        Assert.Equal(20_000, stats.Messages);
        Assert.True(stats.Accepted > 0 && stats.BadPayloads > 0 && stats.UnknownTopics > 0, stats.ToString());

        // every message either named no probe, or is counted on the probe it named
        Assert.Equal(stats.Messages, stats.UnknownTopics + stats.UnknownDevices + _collector.Probes().Sum(p => p.Messages));
    }

    [Fact]
    public async Task Accepting_a_known_probes_message_allocates_nothing_per_message_once_warm()
    {
        var topic = "site/demo/probe/leak-1/state"u8.ToArray();
        var payload = """{"leak":"wet","ts":1795000000123}"""u8.ToArray();
        var number = "23.5"u8.ToArray();
        var numberTopic = "site/demo/probe/leak-1/temperature"u8.ToArray();
        for (var round = 0; round < 3; round++)
        {
            // warm up the series, the pooled batch arrays and the JIT; the batch goes back to the pool on flush
            for (var i = 0; i < 1_000; i++)
            {
                _collector.Accept(topic, payload);
                _collector.Accept(numberTopic, number);
            }

            await _collector.FlushAsync(CancellationToken.None);
        }

        _collector.Accept(topic, payload); // the batch itself (one per flush, not per message)

        var perMessage = Measure(topic, payload);
        Assert.True(perMessage < 1, $"{perMessage:0.#} bytes allocated per message");
    }

    /// <summary>Bytes this thread allocates per message over 1,000 messages (no await inside, so one thread throughout).</summary>
    private double Measure(byte[] topic, byte[] payload)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            _collector.Accept(topic, payload);
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / 1_000.0;
    }

    private static byte[] RandomBytes(Random random, int max)
    {
        var bytes = new byte[random.Next(max)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "condition not reached in 5 s");
    }
}
