using System.Buffers;
using System.Text;
using Monitoring.Core.Inventory;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Series;
using Monitoring.Simulator;

namespace Monitoring.Simulator.Tests;

public sealed class DemoFeedTests
{
    private static readonly Inventory Demo = InventoryLoader.Load(FindProfiles());
    private static readonly DateTimeOffset Noon = new(2026, 11, 22, 12, 0, 10, TimeSpan.Zero);

    [Fact]
    public void Every_line_is_valid_line_protocol_that_lands_on_an_inventory_device()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var lines = new DemoFeed(Demo, seed: 7).WriteTick(buffer, Noon);

        var registry = new SeriesRegistry(Demo);
        using var batch = SampleBatch.Rent();
        var result = new LineProtocolIngestor(Demo, registry).Ingest(buffer.WrittenSpan, TimestampPrecision.Nanoseconds, (Noon - DateTimeOffset.UnixEpoch).Ticks * 100, batch); // the clock at the tick: lines dated ahead of it are refused

        Assert.Empty(result.Errors);
        Assert.Equal(lines, result.LinesWritten);
        Assert.True(lines > Demo.Devices.Count, $"{lines} lines for {Demo.Devices.Count} devices");
        Assert.All(Enumerable.Range(0, registry.Count), id => Assert.False(registry[id].IsFreeForm, registry[id].Metric));
        var expectedNs = (Noon - DateTimeOffset.UnixEpoch).Ticks * 100;
        Assert.All(batch.Samples.ToArray(), s => Assert.Equal(expectedNs, s.TimestampNs));
    }

    [Fact]
    public void Every_metric_of_every_monitored_device_gets_a_value()
    {
        var registry = Ingest(new DemoFeed(Demo, seed: 7), Noon);

        foreach (var device in Demo.Devices.Where(d => !d.Training))
        {
            foreach (var metric in device.Model.Metrics.Where(m => m.Scope == MetricScope.Device))
            {
                // the MQTT probes publish for themselves (Mqtt/MqttDemoProbes): the feed writes nothing for them
                Assert.True(registry.TryGet(device.Index, metric.Name, -1, out _) != DemoFeed.IsMqttProbe(device), $"{device.Id}: {metric.Name}");
            }
        }
    }

    [Fact]
    public void The_training_room_is_not_fed()
    {
        var training = Demo.Devices.Where(d => d.Training).ToList();
        Assert.NotEmpty(training);
        var output = new ArrayBufferWriter<byte>();
        new DemoFeed(Demo, seed: 7).WriteTick(output, Noon);
        var text = Encoding.UTF8.GetString(output.WrittenSpan);

        Assert.All(training, d => Assert.DoesNotContain($"device={d.Id}", text, StringComparison.Ordinal));
        Assert.Contains("device=asw-a02", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_seed_and_time_give_the_same_readings_and_time_moves_them()
    {
        var a = Text(new DemoFeed(Demo, seed: 7), Noon);
        var b = Text(new DemoFeed(Demo, seed: 7), Noon);
        var later = Text(new DemoFeed(Demo, seed: 7), Noon.AddSeconds(30));

        Assert.Equal(a, b);
        Assert.NotEqual(StripTimestamps(a), StripTimestamps(later));
    }

    [Fact]
    public void A_scripted_port_failure_reports_that_port_down_and_only_for_its_minute()
    {
        var feed = new DemoFeed(Demo, seed: 7);
        var slotStart = Noon.ToUnixTimeSeconds() / 180 * 180;
        var events = feed.CurrentEvents(slotStart + 10);
        Assert.NotNull(events.DownDevice);

        var during = Text(feed, DateTimeOffset.FromUnixTimeSeconds(slotStart + 10));
        var after = Text(feed, DateTimeOffset.FromUnixTimeSeconds(slotStart + 70));

        var line = $"interface,device={events.DownDevice},port={events.DownPort} ";
        Assert.Contains(during.Split('\n'), l => l.StartsWith(line, StringComparison.Ordinal) && l.Contains("oper_status=2", StringComparison.Ordinal));
        Assert.Contains(after.Split('\n'), l => l.StartsWith(line, StringComparison.Ordinal) && l.Contains("oper_status=1", StringComparison.Ordinal));
        Assert.Null(feed.CurrentEvents(slotStart + 70).DownDevice);
    }

    [Fact]
    public void Names_with_spaces_commas_and_equals_signs_are_escaped()
    {
        var model = new DeviceModel { Id = "m", Name = "m", Kind = DeviceKind.Sensor, Metrics = [new MetricDefinition { Name = "environment.temperature" }] };
        var device = new Device { Id = "th 1,a=b", Name = "x", Model = model, RoomId = "r", Placement = PlacementKind.Point, Index = 0 };
        var inventory = new Inventory([model], [new Room { Id = "r", Name = "r", Size = new RoomSize(1, 1, 1), Devices = [device] }]);

        var text = Text(new DemoFeed(inventory, 1), Noon);

        Assert.StartsWith("environment,device=th\\ 1\\,a\\=b temperature=", text, StringComparison.Ordinal);
        var registry = Ingest(new DemoFeed(inventory, 1), Noon, inventory);
        Assert.True(registry.TryGet(0, "environment.temperature", -1, out _));
    }

    [Fact]
    public void The_security_indicators_are_healthy_most_of_the_day_and_breach_each_threshold_now_and_then()
    {
        var feed = new DemoFeed(Demo, seed: 7);
        var midnight = new DateTimeOffset(Noon.Date, TimeSpan.Zero);
        var day = Enumerable.Range(0, 24 * 30).Select(m => midnight.AddMinutes(2 * m)).Select(at => Security(Text(feed, at))).ToList(); // every 2 minutes

        // the thresholds of device-profiles/rules/security.yaml: coverage below 95 %, any weak password, any illegal outbound connection
        Assert.All(day, v => Assert.InRange(v["av_coverage"], 90, 100));
        foreach (var (field, breached) in new (string, Func<double, bool>)[] { ("av_coverage", v => v < 95), ("weak_passwords", v => v > 0), ("illegal_outbound", v => v > 0) })
        {
            var samples = day.Count(v => breached(v[field]));
            Assert.InRange(samples, 1, day.Count / 10); // now and then, never most of the day
        }
    }

    /// <summary>The security-posture device's fields in one tick's text.</summary>
    private static Dictionary<string, double> Security(string text)
    {
        var line = text.Split('\n').Single(l => l.StartsWith("security,device=sec-posture ", StringComparison.Ordinal));
        return line.Split(' ')[1].Split(',').Select(f => f.Split('='))
            .ToDictionary(f => f[0], f => double.Parse(f[1].TrimEnd('i'), System.Globalization.CultureInfo.InvariantCulture));
    }

    private static SeriesRegistry Ingest(DemoFeed feed, DateTimeOffset at, Inventory? inventory = null)
    {
        inventory ??= Demo;
        var buffer = new ArrayBufferWriter<byte>();
        feed.WriteTick(buffer, at);
        var registry = new SeriesRegistry(inventory);
        using var batch = SampleBatch.Rent();
        var result = new LineProtocolIngestor(inventory, registry).Ingest(buffer.WrittenSpan, TimestampPrecision.Nanoseconds, (at - DateTimeOffset.UnixEpoch).Ticks * 100, batch);
        Assert.Empty(result.Errors);
        return registry;
    }

    private static string Text(DemoFeed feed, DateTimeOffset at)
    {
        var buffer = new ArrayBufferWriter<byte>();
        feed.WriteTick(buffer, at);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string StripTimestamps(string text) =>
        string.Join('\n', text.Split('\n').Select(l => l.LastIndexOf(' ') is var i and > 0 ? l[..i] : l));

    private static string FindProfiles()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
            {
                return Path.Combine(dir.FullName, "device-profiles");
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
