using System.Buffers;
using System.Text;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Series;
using Monitoring.Storage.Influx;

namespace Monitoring.Storage.Tests.Influx;

public sealed class LineProtocolEncoderTests
{
    [Fact]
    public void Tags_with_spaces_commas_equals_and_Chinese_read_back_unchanged_through_the_repo_reader()
    {
        var inventory = TestRoom.Create();
        var registry = new SeriesRegistry(inventory);
        var id = registry.GetOrAdd(0, "interface.in_octets", 1);
        var cache = new SeriesPrefixCache(registry, inventory);
        var writer = new ArrayBufferWriter<byte>();

        Assert.True(LineProtocolEncoder.WritePoint(writer, cache.Get(id), 12345.5, 1_700_000_000_123_456_789));

        var reader = new LineProtocolReader(writer.WrittenSpan, TimestampPrecision.Nanoseconds, 0);
        Assert.True(reader.Read());
        Assert.True(reader.IsValid, reader.Error);
        Assert.Equal("interface", Encoding.UTF8.GetString(reader.Measurement));
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < reader.TagCount; i++)
        {
            var tag = reader.GetTag(i);
            tags[tag.KeyText] = tag.ValueText;
        }

        Assert.Equal(TestRoom.DeviceId, tags["device"]);
        Assert.Equal(TestRoom.DeviceName, tags["name"]);
        Assert.Equal(TestRoom.ModelId, tags["model"]);
        Assert.Equal(TestRoom.PortName, tags["port"]);
        Assert.Equal(TestRoom.RackId, tags["rack"]);
        Assert.Equal(TestRoom.RoomId, tags["room"]);
        Assert.Equal(["device", "model", "name", "port", "rack", "room"], tags.Keys.ToArray());
        Assert.Equal(1, reader.FieldCount);
        Assert.Equal("in_octets", reader.GetField(0).KeyText);
        Assert.Equal(12345.5, reader.GetField(0).FloatValue);
        Assert.Equal(1_700_000_000_123_456_789, reader.TimestampNs);
        Assert.False(reader.Read());
    }

    [Fact]
    public void Escapes_follow_the_reference_per_element()
    {
        var writer = new ArrayBufferWriter<byte>();
        LineProtocolEncoder.WriteMeasurement(writer, "a b,c=d");
        writer.Write("|"u8);
        LineProtocolEncoder.WriteKey(writer, "a b,c=d");

        // measurement: comma and space escaped, equals sign not; keys and tag values: all three
        Assert.Equal(@"a\ b\,c=d|a\ b\,c\=d", Encoding.UTF8.GetString(writer.WrittenSpan));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(-3.5)]
    [InlineData(1e20)]
    [InlineData(1.5e-7)]
    [InlineData(123456789.123456)]
    [InlineData(0)]
    [InlineData(double.MaxValue)]
    public void Values_round_trip_exactly(double value)
    {
        var registry = new SeriesRegistry();
        var id = registry.GetOrAddFreeForm("probe,host=a", "probe.temperature");
        var cache = new SeriesPrefixCache(registry, null);
        var writer = new ArrayBufferWriter<byte>();

        LineProtocolEncoder.WritePoint(writer, cache.Get(id), value, 42);

        var reader = new LineProtocolReader(writer.WrittenSpan, TimestampPrecision.Nanoseconds, 0);
        Assert.True(reader.Read());
        Assert.True(reader.IsValid, reader.Error);
        Assert.Equal("probe,host=a", Encoding.UTF8.GetString(reader.SeriesKey));
        Assert.Equal("temperature", reader.GetField(0).KeyText);
        Assert.Equal(value, reader.GetField(0).ToDouble());
        Assert.Equal(42, reader.TimestampNs);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Values_line_protocol_cannot_carry_are_not_written(double value)
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.False(LineProtocolEncoder.WritePoint(writer, "m f="u8, value, 1));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Encoding_points_of_known_series_allocates_nothing()
    {
        var inventory = TestRoom.Create();
        var registry = new SeriesRegistry(inventory);
        var ids = new[] { registry.GetOrAdd(0, "interface.in_octets", 1), registry.GetOrAdd(0, "cpu.usage", -1), registry.GetOrAdd(1, "environment.temperature", -1) };
        var cache = new SeriesPrefixCache(registry, inventory);
        var writer = new ArrayBufferWriter<byte>(4 << 20);
        for (var i = 0; i < 100; i++)
        {
            LineProtocolEncoder.WritePoint(writer, cache.Get(ids[i % 3]), i * 0.37, 1_700_000_000_000_000_000 + i);
        }

        // The least of three passes: a one-off runtime allocation on this thread (a tier-up while other tests load the
        // box) shows in one pass; an encoder that allocates per point shows in every pass (10,000 points each).
        var allocated = long.MaxValue;
        for (var pass = 0; pass < 3 && allocated != 0; pass++)
        {
            writer.ResetWrittenCount();
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++)
            {
                LineProtocolEncoder.WritePoint(writer, cache.Get(ids[i % 3]), i * 0.37, 1_700_000_000_000_000_000 + i);
            }

            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, allocated);

        var reader = new LineProtocolReader(writer.WrittenSpan, TimestampPrecision.Nanoseconds, 0);
        var lines = 0;
        while (reader.Read())
        {
            Assert.True(reader.IsValid, reader.Error);
            lines++;
        }

        Assert.Equal(10_000, lines);
    }
}
