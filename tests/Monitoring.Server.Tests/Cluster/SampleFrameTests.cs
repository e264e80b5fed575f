using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Server.Cluster;
using Monitoring.Server.Hosting;

namespace Monitoring.Server.Tests.Cluster;

/// <summary>The node-to-node sample frame and the node credential, without processes.</summary>
public sealed class SampleFrameTests
{
    private static readonly Inventory Rooms = InventoryLoader.Load(PathResolver.ProfilesDirectory(new MonitoringOptions()));

    [Fact]
    public void A_frame_carries_inventory_and_free_form_series_and_events_into_another_registry_by_name()
    {
        // the sending node interned its series in one order ...
        var sender = new SeriesRegistry(Rooms);
        var device = Rooms.Devices.First(d => d.Model.Ports.Count > 2);
        sender.GetOrAdd(0, "noise.x", -1);
        var port = sender.GetOrAdd(device.Index, "interface.in_octets", device.Model.Ports[2].Index);
        var own = sender.GetOrAdd(device.Index, "cpu.usage", -1);
        var free = sender.GetOrAddFreeForm("weather,site=east", "weather.temperature");
        ReadOnlySpan<Sample> samples = [new(port, 1_000, 1.5), new(own, 2_000, 42), new(free, 3_000, -7.25), new(own, 4_000, 43)];
        var deviceEvent = new DeviceEvent(device.Id, device.Model.Ports[2].Index, "linkDown", DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123), "ifIndex 3");
        var frame = SampleFrame.Encode(SampleSource.Mqtt, samples, [deviceEvent], sender, Rooms, new());

        // ... the receiving node has other ids for the same series
        var receiver = new SeriesRegistry(Rooms);
        receiver.GetOrAdd(1, "other.metric", -1);
        using var batch = SampleFrame.Decode(frame, receiver, Rooms, out var source, out var skipped);

        Assert.Equal(SampleSource.Mqtt, source);
        Assert.Equal(0, skipped);
        var got = batch.Samples.ToArray().Select(s => (receiver[s.SeriesId], s.TimestampNs, s.Value)).ToList();
        Assert.Equal(4, got.Count);
        Assert.Equal((device.Index, "interface.in_octets", device.Model.Ports[2].Index, 1_000L, 1.5), (got[0].Item1.DeviceIndex, got[0].Item1.Metric, got[0].Item1.PortIndex, got[0].TimestampNs, got[0].Value));
        Assert.Equal((device.Index, "cpu.usage", -1, 2_000L, 42.0), (got[1].Item1.DeviceIndex, got[1].Item1.Metric, got[1].Item1.PortIndex, got[1].TimestampNs, got[1].Value));
        Assert.Equal(("weather,site=east", "weather.temperature", 3_000L, -7.25), (got[2].Item1.FreeFormKey, got[2].Item1.Metric, got[2].TimestampNs, got[2].Value));
        Assert.Equal(got[1].Item1.Id, got[3].Item1.Id);
        Assert.Equal(deviceEvent, Assert.Single(batch.Events!));
    }

    [Fact]
    public async Task A_series_of_a_device_the_receiver_lacks_is_left_out_and_counted()
    {
        // the sender's rooms have the zone test room (th-east-1); the receiver's do not (its room files differ)
        var room = RemoteCollectors.ZoneRoom.Create("127.0.0.1:1");
        try
        {
            var rooms = InventoryLoader.Load(room.ProfilesDirectory);
            var sender = new SeriesRegistry(rooms);
            var lacking = sender.GetOrAdd(rooms.FindDevice("th-east-1")!.Index, "environment.temperature", -1);
            var known = sender.GetOrAdd(rooms.FindDevice(Rooms.Devices[0].Id)!.Index, "cpu.usage", -1);
            var frame = SampleFrame.Encode(SampleSource.Snmp, [new Sample(lacking, 1, 1), new Sample(known, 2, 2), new Sample(lacking, 3, 3)], null, sender, rooms, new());

            var receiver = new SeriesRegistry(Rooms);
            using var batch = SampleFrame.Decode(frame, receiver, Rooms, out _, out var skipped);
            Assert.Equal(2, skipped);
            var only = Assert.Single(batch.Samples.ToArray());
            Assert.Equal((Rooms.Devices[0].Index, "cpu.usage", 2L), (receiver[only.SeriesId].DeviceIndex, receiver[only.SeriesId].Metric, only.TimestampNs));
        }
        finally
        {
            await room.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("truncated", "truncated")]
    [InlineData("version", "version 9")]
    [InlineData("index", "outside the table")]
    [InlineData("count", "at most 100000")]
    [InlineData("trailing", "bytes after the events")]
    public void A_malformed_frame_is_refused_naming_what_is_wrong(string damage, string expected)
    {
        var registry = new SeriesRegistry(Rooms);
        var id = registry.GetOrAdd(Rooms.Devices[0].Index, "cpu.usage", -1);
        var frame = SampleFrame.Encode(SampleSource.Snmp, [new Sample(id, 1, 1)], null, registry, Rooms, new());
        var seriesTable = 4;
        switch (damage)
        {
            case "truncated":
                frame = frame[..^5];
                break;
            case "version":
                frame[0] = 9;
                break;
            case "index":
                // the sample's series index: after the header, the table and the sample count
                var index = frame.Length - 4 /* events */ - 20 /* the sample */;
                BitConverter.TryWriteBytes(frame.AsSpan(index), 5);
                break;
            case "count":
                BitConverter.TryWriteBytes(frame.AsSpan(seriesTable), 100_001);
                break;
            case "trailing":
                frame = [.. frame, 0];
                break;
        }

        var error = Assert.Throws<FormatException>(() => SampleFrame.Decode(frame, new SeriesRegistry(Rooms), Rooms, out _, out _).Dispose());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_credential_names_its_node_expires_and_is_worthless_to_another_key_ring()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var keys = Directory.CreateTempSubdirectory("node-keys-");
        try
        {
            var ring = DataProtectionProvider.Create(keys);
            using var redis = new RedisConnection(new ClusterOptions { Redis = "127.0.0.1:1", NodeName = "node-a" });
            var a = new ClusterNodeCredentials(ring, redis, time);
            var header = a.Header();
            Assert.StartsWith("Node ", header, StringComparison.Ordinal);
            var credential = header["Node ".Length..];

            // a node with the same key ring reads the name; one with another ring reads nothing
            Assert.Equal("node-a", new ClusterNodeCredentials(ring, redis, time).Validate(credential));
            var otherKeys = Directory.CreateTempSubdirectory("node-keys-other-");
            try
            {
                Assert.Null(new ClusterNodeCredentials(DataProtectionProvider.Create(otherKeys), redis, time).Validate(credential));
            }
            finally
            {
                otherKeys.Delete(recursive: true);
            }

            Assert.Null(a.Validate("garbage"));

            // the same header until a minute before it expires, then a new one; an expired one is refused
            time.Advance(TimeSpan.FromMinutes(3));
            Assert.Equal(header, a.Header());
            time.Advance(TimeSpan.FromMinutes(1.5));
            Assert.NotEqual(header, a.Header());
            time.Advance(TimeSpan.FromMinutes(1));
            Assert.Null(a.Validate(credential));
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }
}
