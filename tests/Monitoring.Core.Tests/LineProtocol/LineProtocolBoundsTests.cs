using System.Text;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Series;

namespace Monitoring.Core.Tests.LineProtocol;

/// <summary>What influxd refuses, the size bounds, lines from the future and the series cardinality caps.</summary>
public sealed class LineProtocolBoundsTests : IDisposable
{
    private const long Now = 1_700_000_000_000_000_000;
    private const long Minute = 60_000_000_000;

    private readonly Inventory.Inventory _inventory = TestInventory.Create();
    private readonly SeriesRegistry _registry;
    private readonly LineProtocolIngestor _ingestor;
    private readonly SampleBatch _batch = SampleBatch.Rent(64);

    public LineProtocolBoundsTests()
    {
        _registry = new SeriesRegistry(_inventory);
        _ingestor = new LineProtocolIngestor(_inventory, _registry);
    }

    public void Dispose() => _batch.Dispose();

    private IngestResult Ingest(string body) => _ingestor.Ingest(Encoding.UTF8.GetBytes(body), TimestampPrecision.Nanoseconds, Now, _batch);

    [Theory]
    [InlineData("cpu v=1 9223372036854775807")]
    [InlineData("cpu v=1 -9223372036854775807")]
    [InlineData("cpu v=1 -9223372036854775808")]
    public void Timestamps_outside_influxds_range_are_refused_as_influxd_refuses_them(string line)
    {
        var error = ParsedBody.ErrorOf(line);

        Assert.StartsWith("timestamp out of range", error, StringComparison.Ordinal);
        Assert.Contains("-9223372036854775806 to 9223372036854775806", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cpu v=1 9223372036854775806", 9223372036854775806)]
    [InlineData("cpu v=1 -9223372036854775806", -9223372036854775806)]
    public void The_ends_of_influxds_range_are_kept(string line, long expected)
    {
        var parsed = ParsedBody.Single(line);

        Assert.Null(parsed.Error);
        Assert.Equal(expected, parsed.TimestampNs);
    }

    [Theory]
    [InlineData("cpu time=1", "invalid field key 'time'")]
    [InlineData("cpu v=1,time=2", "invalid field key 'time'")]
    [InlineData("cpu,time=x v=1", "invalid tag key 'time'")]
    public void A_field_or_tag_named_time_is_refused(string line, string expected)
    {
        var lines = ParsedBody.Parse("ok v=1\n" + line + "\n");

        Assert.Null(lines[0].Error);
        Assert.Equal(2, lines[1].Line);
        Assert.StartsWith(expected, lines[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_time_field_key_only_needs_to_be_exact()
    {
        Assert.Null(ParsedBody.Single("cpu times=1,Time=2,uptime=3").Error);
    }

    [Theory]
    [InlineData("MaxLineBytes")]
    [InlineData("MaxNameBytes")]
    [InlineData("MaxTagValueBytes")]
    [InlineData("MaxSeriesKeyBytes")]
    [InlineData("MaxStringFieldBytes")]
    public void Every_size_bound_refuses_the_line_that_passes_it_and_names_itself(string bound)
    {
        var limits = new LineProtocolLimits(100, 10, 20, 40, 30);
        var (good, bad) = bound switch
        {
            "MaxLineBytes" => ("m s=\"" + new string('a', 30) + "\",v=1", "m s=\"" + new string('a', 30) + "\",t=\"" + new string('b', 30) + "\",u=\"" + new string('c', 30) + "\",w=\"" + new string('d', 30) + "\",x=\"" + new string('e', 30) + "\""),
            "MaxNameBytes" => ("abcdefghij,k=v f=1", "abcdefghijk,k=v f=1"),
            "MaxTagValueBytes" => ("m,k=" + new string('v', 20) + " f=1", "m,k=" + new string('v', 21) + " f=1"),
            "MaxSeriesKeyBytes" => ("m,a=" + new string('v', 15) + ",b=" + new string('w', 15) + " f=1", "m,a=" + new string('v', 18) + ",b=" + new string('w', 18) + " f=1"),
            _ => ("m s=\"" + new string('a', 30) + "\"", "m s=\"" + new string('a', 31) + "\""),
        };
        var body = Encoding.UTF8.GetBytes(good + "\n" + bad + "\n" + good + "\n");
        var reader = new LineProtocolReader(body, TimestampPrecision.Nanoseconds, Now, limits);
        var seen = new List<(int Line, string? Error, LineProtocolErrorKind Kind)>();
        while (reader.Read())
        {
            seen.Add((reader.LineNumber, reader.Error, reader.ErrorKind));
        }

        Assert.Equal(3, seen.Count);
        Assert.Null(seen[0].Error);
        Assert.Null(seen[2].Error);
        Assert.Equal(2, seen[1].Line);
        Assert.Equal(LineProtocolErrorKind.Limit, seen[1].Kind);
        Assert.Contains(bound, seen[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_bounds_refuse_a_20_MB_tag_value_without_reading_it_into_a_series()
    {
        var result = Ingest("security,host=" + new string('x', 20 * 1024 * 1024) + " threats=1i\nsecurity,host=a threats=1i\n");

        Assert.Equal(1, result.LinesWritten);
        Assert.Equal(1, result.LinesOverLimits);
        Assert.Contains("MaxLineBytes", result.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(1, _registry.Count);
    }

    [Fact]
    public void A_line_dated_further_ahead_than_allowed_is_refused_with_the_reason_and_adds_nothing()
    {
        var year2200 = new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000;
        var result = Ingest($"cpu,device=sw-a1 usage=99 {year2200}\ncpu,device=sw-a1 usage=10 {Now + (9 * Minute)}\ncpu,device=sw-a1 usage=11 {Now + (11 * Minute)}\n");

        Assert.Equal(1, result.LinesWritten);
        Assert.Equal(2, result.LinesInFuture);
        Assert.Equal([1, 3], result.Errors.Select(e => e.Line));
        Assert.StartsWith("timestamp 2200-01-01T00:00:00Z is ", result.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("days ahead of the server's clock", result.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("MaxFutureSeconds", result.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("11 minutes ahead", result.Errors[1].Message, StringComparison.Ordinal);
        Assert.Equal([10.0], _batch.Samples.ToArray().Select(s => s.Value));
    }

    [Fact]
    public void The_future_bound_is_configurable()
    {
        _ingestor.Limits = IngestLimits.Default with { MaxFutureNs = 2 * Minute };

        var result = Ingest($"cpu v=1 {Now + (3 * Minute)}\ncpu v=2 {Now + Minute}\n");

        Assert.Equal(1, result.LinesInFuture);
        Assert.Contains("120 s allowed", result.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cardinality_cap_per_measurement_refuses_new_series_and_keeps_known_ones()
    {
        _registry.MaxSeriesPerMeasurement = 3;

        var first = Ingest("disk,path=/a used=1\ndisk,path=/b used=1\ndisk,path=/c used=1\ndisk,path=/d used=1\nmem,host=x used=1\n");
        var again = Ingest("disk,path=/a used=2\ndisk,path=/e used=2\n");

        Assert.Equal(4, first.LinesWritten);
        Assert.Equal(1, first.LinesOverCardinality);
        Assert.Equal(4, first.Errors[0].Line);
        Assert.Contains("series cardinality limit reached for measurement 'disk'", first.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("MaxSeriesPerMeasurement", first.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(1, again.LinesWritten);
        Assert.Equal(1, again.LinesOverCardinality);
        Assert.Equal(3, _registry.CountOf("disk"));
        Assert.Equal(2, _registry.SeriesRefused);
    }

    [Fact]
    public void The_total_cardinality_cap_refuses_a_whole_line_before_any_of_its_samples()
    {
        _registry.MaxSeries = 3;

        var result = Ingest("a v=1\nb v=1,w=2,x=3\nc v=1\n");

        Assert.Equal(1, result.LinesWritten);
        Assert.Equal(2, result.LinesOverCardinality);
        Assert.Contains("(MaxSeries) is 3", result.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(1, _batch.Count);
        Assert.Equal(3, _registry.Count);
    }

    [Fact]
    public void One_request_may_create_only_so_many_series()
    {
        _ingestor.Limits = IngestLimits.Default with { MaxNewSeriesPerRequest = 2 };

        var result = Ingest("a v=1\nb v=1\nc v=1\na v=2\n");

        Assert.Equal(3, result.LinesWritten);
        Assert.Equal(1, result.LinesOverLimits);
        Assert.Equal(3, result.Errors[0].Line);
        Assert.Contains("MaxNewSeriesPerRequest", result.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(2, result.NewSeries);
    }

    [Fact]
    public void Lines_kept_as_free_form_series_are_counted_and_an_unknown_device_is_named()
    {
        var result = Ingest("cpu,device=sw-a1 usage=1\ncpu,device=no-such-switch usage=2\ncpu,host=x usage=3\ncpu,device=another usage=4\n");

        Assert.Equal(4, result.LinesWritten);
        Assert.Equal(3, result.FreeFormLines);
        Assert.Equal(2, result.UnknownDeviceLines);
        Assert.Equal("no-such-switch", result.FirstUnknownDevice);
    }
}
