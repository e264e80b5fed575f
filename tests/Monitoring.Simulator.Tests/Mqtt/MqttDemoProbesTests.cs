using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Core.Inventory;
using Monitoring.Mqtt.Broker;
using Monitoring.Simulator.Mqtt;

namespace Monitoring.Simulator.Tests.Mqtt;

/// <summary>The demo probes against the embedded broker on a free loopback port, over real TCP.</summary>
#pragma warning disable CA1001 // disposed in IAsyncLifetime.DisposeAsync, as xunit calls it
public sealed class MqttDemoProbesTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Topic, string Payload)> _received = new();
    private MqttBroker _broker = null!;
    private IDisposable _subscription = null!;
    private MqttDemoProbes _probes = null!;

    public async Task InitializeAsync()
    {
        // the broker refuses anonymous clients by default: the probes sign in, as the server's simulator does
        _broker = new MqttBroker(new MqttBrokerOptions { Port = 0, BindAddress = "127.0.0.1", Users = [new MqttBrokerUser { Username = "simulator", Password = "sim-pw-1", Publish = ["site/+/probe/#"] }] }, NullLogger<MqttBroker>.Instance);
        await _broker.StartAsync();
        _subscription = _broker.SubscribeLocal("site/#", m => _received.Enqueue((m.Topic, Encoding.UTF8.GetString(m.Payload.Span))));
        _probes = new MqttDemoProbes(DemoInventory(), interval: TimeSpan.FromSeconds(30));
        await _probes.StartAsync("127.0.0.1", _broker.LocalEndPoint!.Port, "simulator", "sim-pw-1", CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _probes.DisposeAsync();
        _subscription.Dispose();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task Every_demo_probe_connects_says_online_and_publishes_its_state_as_json()
    {
        Assert.Equal(["door-1", "leak-1", "smoke-1", "temp-1", "temp-2"], _probes.ServedDeviceIds.Order(StringComparer.Ordinal));
        await Until(() => Has("site/demo/probe/leak-1/status", "online") && Has("site/demo/probe/smoke-1/status", "online") && Has("site/demo/probe/door-1/status", "online"));
        // each probe publishes on its own loop: wait for all three first states, then look at them
        await Until(() => new[] { "leak-1", "door-1", "smoke-1" }.All(p => _received.Any(m => m.Topic == $"site/demo/probe/{p}/state")));
        Assert.Contains(_received, m => m.Topic == "site/demo/probe/leak-1/state" && m.Payload.Contains("\"leak\":\"dry\"", StringComparison.Ordinal));
        Assert.Contains(_received, m => m.Topic == "site/demo/probe/door-1/state" && m.Payload.Contains("\"door\":\"closed\"", StringComparison.Ordinal) && m.Payload.Contains("\"ts\":", StringComparison.Ordinal));
        Assert.Contains(_received, m => m.Topic == "site/demo/probe/smoke-1/state" && m.Payload.Contains("\"smoke\":\"clear\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_temperature_points_publish_a_bare_cold_aisle_reading_and_a_hot_spot_when_made_active()
    {
        await Until(() => Has("site/demo/probe/temp-1/status", "online") && Reading("temp-1") is not null);
        var normal = Reading("temp-1")!.Value;
        Assert.InRange(normal, 20.0, 26.0); // below the model's 27 °C warning: a healthy room stays green
        Assert.DoesNotContain(_received, m => m.Topic == "site/demo/probe/temp-1/state");

        var hot = _probes.Probes.Single(p => p.DeviceId == "temp-2");
        Assert.Equal("environment.temperature", hot.Metric);
        hot.SetActive(true);
        await Until(() => Reading("temp-2") is >= 32.0);
        Assert.True(Reading("temp-2") >= 32.0, $"temp-2 read {Reading("temp-2")}");
    }

    private double? Reading(string probe) => _received.LastOrDefault(m => m.Topic == $"site/demo/probe/{probe}/temperature") is { Payload: { } p } && p.Length > 0
        ? double.Parse(p, System.Globalization.CultureInfo.InvariantCulture)
        : null;

    [Fact]
    public async Task A_leak_and_an_open_door_are_published_at_once_not_at_the_next_interval()
    {
        await Until(() => Has("site/demo/probe/leak-1/status", "online"));
        _probes.Leak();
        _probes.OpenDoor();
        await Until(() => _received.Any(m => m.Topic == "site/demo/probe/leak-1/state" && m.Payload.Contains("\"wet\"", StringComparison.Ordinal))
            && _received.Any(m => m.Topic == "site/demo/probe/door-1/state" && m.Payload.Contains("\"open\"", StringComparison.Ordinal)));
        Assert.True(_probes.Leaking);
        Assert.True(_probes.DoorOpen);
    }

    [Fact]
    public async Task A_probe_that_dies_leaves_its_will_with_the_broker_and_says_online_again_when_revived()
    {
        await Until(() => Has("site/demo/probe/leak-1/status", "online"));
        Assert.Equal("leak-1", _probes.KillProbe());
        await Until(() => Has("site/demo/probe/leak-1/status", "offline"));
        Assert.Equal(["leak-1"], _probes.DeadProbes);
        Assert.Equal(1, _broker.GetStats().WillsPublished);

        var onlineBefore = _received.Count(m => m.Topic == "site/demo/probe/leak-1/status" && m.Payload == "online");
        Assert.Equal("leak-1", _probes.ReviveProbe());
        await Until(() => _received.Count(m => m.Topic == "site/demo/probe/leak-1/status" && m.Payload == "online") > onlineBefore);
        Assert.Empty(_probes.DeadProbes);
    }

    private bool Has(string topic, string payload) => _received.Any(m => m.Topic == topic && m.Payload == payload);

    private static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "not within 10 s");
    }

    private static Inventory DemoInventory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "device-profiles");
            if (Directory.Exists(Path.Combine(candidate, "rooms")))
            {
                return InventoryLoader.Load(candidate);
            }
        }

        throw new InvalidOperationException("device-profiles/ not found");
    }
}
