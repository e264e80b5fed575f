using System.Text;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Series;

namespace Monitoring.Core.Tests.LineProtocol;

public sealed class LineProtocolIngestorTests : IDisposable
{
    private const long Now = 1_700_000_000_000_000_000;

    private readonly Inventory.Inventory _inventory = TestInventory.Create();
    private readonly SeriesRegistry _registry;
    private readonly LineProtocolIngestor _ingestor;
    private readonly SampleBatch _batch = SampleBatch.Rent(64);

    public LineProtocolIngestorTests()
    {
        _registry = new SeriesRegistry(_inventory);
        _ingestor = new LineProtocolIngestor(_inventory, _registry);
    }

    public void Dispose() => _batch.Dispose();

    private IngestResult Ingest(string body, TimestampPrecision precision = TimestampPrecision.Nanoseconds) =>
        _ingestor.Ingest(Encoding.UTF8.GetBytes(body), precision, Now, _batch);

    private SeriesInfo Info(int sampleIndex) => _registry[_batch.Samples[sampleIndex].SeriesId];

    [Fact]
    public void Every_numeric_and_boolean_field_becomes_a_sample_on_the_inventory_device()
    {
        var result = Ingest("cpu,device=sw-a1 usage=42.5,cores=8i,up=true,down=F,total=18446744073709551615u,name=\"S5735\" 1000");

        Assert.Empty(result.Errors);
        Assert.Equal(1, result.LinesWritten);
        Assert.Equal(5, result.SamplesWritten);
        Assert.Equal(5, _batch.Count);
        Assert.Equal([42.5, 8, 1, 0, 18446744073709551615.0], _batch.Samples.ToArray().Select(s => s.Value));
        Assert.All(_batch.Samples.ToArray(), s => Assert.Equal(1000, s.TimestampNs));
        Assert.Equal(["cpu.usage", "cpu.cores", "cpu.up", "cpu.down", "cpu.total"], Enumerable.Range(0, 5).Select(i => Info(i).Metric));
        Assert.All(Enumerable.Range(0, 5), i => Assert.Equal((0, -1, null), (Info(i).DeviceIndex, Info(i).PortIndex, Info(i).FreeFormKey)));
    }

    [Fact]
    public void The_models_metric_definition_rides_on_the_series()
    {
        Ingest("cpu,device=sw-a1 usage=42.5,other=1");

        Assert.Same(TestInventory.Switch.Metrics[0], Info(0).Definition);
        Assert.Null(Info(1).Definition);
    }

    [Fact]
    public void A_port_tag_by_index_or_by_model_port_name_puts_the_sample_on_that_port()
    {
        var result = Ingest(
            "interface,device=sw-a1,port=12 oper_status=1i 1\n" +
            "interface,device=sw-a1,port=GE1/0/12 oper_status=2i 2\n" +
            "interface,port=ge1/0/12,device=sw-a1 oper_status=1i 3\n" +
            "interface,device=srv-01,port=eth1 oper_status=1i 4\n" +
            "interface,device=srv-01,port=0 oper_status=1i 5");

        Assert.Empty(result.Errors);
        Assert.Equal(5, result.SamplesWritten);
        var samples = _batch.Samples.ToArray();
        Assert.Equal(samples[0].SeriesId, samples[1].SeriesId);
        Assert.Equal(samples[0].SeriesId, samples[2].SeriesId);
        Assert.Equal((0, 12, "interface.oper_status"), (Info(0).DeviceIndex, Info(0).PortIndex, Info(0).Metric));
        Assert.Same(TestInventory.Switch.Metrics[1], Info(0).Definition);
        Assert.Equal((1, 1), (Info(3).DeviceIndex, Info(3).PortIndex));
        Assert.Equal((1, 0), (Info(4).DeviceIndex, Info(4).PortIndex));
        Assert.Equal((2.0, 2L), (samples[1].Value, samples[1].TimestampNs));
    }

    [Fact]
    public void A_port_the_model_does_not_have_rejects_the_line_and_keeps_the_others()
    {
        var result = Ingest(
            "interface,device=sw-a1,port=1 oper_status=1i\n" +
            "# the model has 48 ports\n" +
            "interface,device=sw-a1,port=48 oper_status=1i\n" +
            "interface,device=sw-a1,port=49 oper_status=1i,in_octets=5i\n" +
            "interface,device=sw-a1,port=XGE1/0/1 oper_status=1i\n" +
            "ups,device=ups-1,port=1 load=30\n" +
            "interface,device=sw-a1,port=2 oper_status=2i");

        Assert.Equal(3, result.LinesWritten);
        Assert.Equal(3, result.SamplesWritten);
        Assert.Equal(3, result.LinesRejected);
        Assert.Equal(
            ["line 4: device 'sw-a1' (model s5735-48) has no port '49'",
             "line 5: device 'sw-a1' (model s5735-48) has no port 'XGE1/0/1'",
             "line 6: device 'ups-1' (model ups-10k) has no port '1'"],
            result.Errors.Select(e => e.ToString()));
        Assert.Equal([1, 48, 2], Enumerable.Range(0, 3).Select(i => Info(i).PortIndex));
    }

    [Fact]
    public void Lines_without_a_device_tag_or_with_an_unknown_device_are_free_form()
    {
        Ingest("cpu,host=a,region=east usage=1\ncpu,device=sw-zz,port=99 usage=2");

        Assert.Equal((-1, -1, "cpu,host=a,region=east", "cpu.usage"), (Info(0).DeviceIndex, Info(0).PortIndex, Info(0).FreeFormKey, Info(0).Metric));
        Assert.Equal("cpu,device=sw-zz,port=99", Info(1).FreeFormKey);
        Assert.True(Info(1).IsFreeForm);
        Assert.Null(Info(1).Definition);
    }

    [Fact]
    public void A_free_form_series_has_the_same_id_whatever_the_tag_order()
    {
        Ingest(
            "disk,path=/var,host=web\\ 1,dev=sda1 used=1,free=2\n" +
            "disk,dev=sda1,host=web\\ 1,path=/var free=3,used=4\n" +
            "disk,host=web\\ 1,dev=sda1,path=/var used=5\n" +
            "disk,host=web\\ 1,dev=sda2,path=/var used=6\n" +
            "disk used=7");

        var ids = _batch.Samples.ToArray().Select(s => s.SeriesId).ToArray();
        Assert.Equal(ids[0], ids[3]);
        Assert.Equal(ids[1], ids[2]);
        Assert.Equal(ids[0], ids[4]);
        Assert.NotEqual(ids[0], ids[1]);
        Assert.NotEqual(ids[4], ids[5]);
        Assert.Equal("disk,dev=sda1,host=web\\ 1,path=/var", Info(0).FreeFormKey);
        Assert.Equal("disk", Info(6).FreeFormKey);
        Assert.Equal(4, _registry.Count);
    }

    [Fact]
    public void Chinese_measurements_tags_and_device_ids_work()
    {
        var result = Ingest("环境,device=温湿度-01 温度=23.5,湿度=45i\n机房温度,机房=信息通信机房 温度=24");

        Assert.Empty(result.Errors);
        Assert.Equal((3, "环境.温度"), (Info(0).DeviceIndex, Info(0).Metric));
        Assert.Equal((3, "环境.湿度"), (Info(1).DeviceIndex, Info(1).Metric));
        Assert.Equal(("机房温度,机房=信息通信机房", "机房温度.温度"), (Info(2).FreeFormKey, Info(2).Metric));
    }

    [Fact]
    public void Escaped_measurements_and_field_keys_are_unescaped_in_the_metric_name()
    {
        Ingest("my\\ cpu,device=sw-a1 usage\\=pct=1");

        Assert.Equal("my cpu.usage=pct", Info(0).Metric);
    }

    [Fact]
    public void String_only_lines_are_written_but_make_no_sample()
    {
        var result = Ingest("log,device=sw-a1 msg=\"link up\"");

        Assert.Equal((1, 0, 0), (result.LinesWritten, result.SamplesWritten, _batch.Count));
    }

    [Fact]
    public void Timestamps_follow_the_precision_and_missing_ones_take_the_servers_time()
    {
        Ingest("cpu,device=sw-a1 usage=1 1700000001\ncpu,device=sw-a1 usage=2", TimestampPrecision.Seconds);

        Assert.Equal([1_700_000_001_000_000_000, Now], _batch.Samples.ToArray().Select(s => s.TimestampNs));
    }

    [Fact]
    public void A_partial_body_keeps_its_valid_lines_and_reports_the_invalid_ones()
    {
        var result = Ingest(
            "cpu,device=sw-a1 usage=10\n" +
            "cpu,device=sw-a1 usage=12x\n" +
            "cpu,device=sw-a1\n" +
            "\n" +
            "cpu,device=sw-a1,port usage=1\n" +
            "cpu,device=sw-a1 usage=11 1\r\n" +
            "cpu,device=sw-a1 count=9223372036854775808i\n" +
            "cpu,device=sw-a1 msg=\"unterminated\n" +
            "cpu,device=sw-a1 usage=12 notatime");

        Assert.Equal(2, result.LinesWritten);
        Assert.Equal(2, result.SamplesWritten);
        Assert.Equal([10.0, 11.0], _batch.Samples.ToArray().Select(s => s.Value));
        Assert.Equal(
            ["line 2: field 'usage' has invalid number '12x'",
             "line 3: missing field set",
             "line 5: tag 'port' has no value",
             "line 7: field 'count' has integer out of range '9223372036854775808i'",
             "line 8: field 'msg' has an unterminated string",
             "line 9: invalid timestamp 'notatime'"],
            result.Errors.Select(e => e.ToString()));
        Assert.Equal(6, result.LinesRejected);
        Assert.Equal(2, result.Errors[0].Line);
        Assert.Equal("missing field set", result.Errors[1].Message);
    }

    [Fact]
    public void An_all_valid_body_reports_an_empty_shared_error_list()
    {
        var first = Ingest("cpu,device=sw-a1 usage=1");
        var second = Ingest("cpu,device=sw-a1 usage=2");

        Assert.Empty(first.Errors);
        Assert.Same(first.Errors, second.Errors);
    }

    [Fact]
    public void An_empty_or_comment_only_body_writes_nothing()
    {
        var result = Ingest("# nothing\n\n   \r\n");

        Assert.Equal(new IngestResult(0, 0, 0, result.Errors), result);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Errors_past_the_cap_are_counted_but_not_kept()
    {
        var body = string.Concat(Enumerable.Repeat("bad\n", LineProtocolIngestor.MaxReportedErrors + 50)) + "cpu usage=1";

        var result = Ingest(body);

        Assert.Equal(LineProtocolIngestor.MaxReportedErrors, result.Errors.Count);
        Assert.Equal(LineProtocolIngestor.MaxReportedErrors + 50, result.LinesRejected);
        Assert.Equal(1, result.LinesWritten);
        Assert.Equal(LineProtocolIngestor.MaxReportedErrors, result.Errors[^1].Line);
    }

    [Fact]
    public void Ingesting_known_series_allocates_nothing_per_line()
    {
        var body = Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(1, 500).Select(i =>
            i % 4 == 0 ? $"interface,device=sw-a1,port={(i % 48) + 1} in_octets={i}i,out_octets={i * 2}i,oper_status=1i {i}" :
            i % 4 == 1 ? $"interface,device=sw-a1,port=GE1/0/{(i % 48) + 1} errors={i}u,up=t {i}" :
            i % 4 == 2 ? $"ups,device=ups-1 load={i}.5,battery=98.25,on_battery=false,model=\"x\"" :
            $"temp,host=probe-{i % 7},room=机房\\ A value={i}.125,ok=T")));
        using var batch = SampleBatch.Rent(4096);
        var warm = _ingestor.Ingest(body, TimestampPrecision.Nanoseconds, Now, batch);
        Assert.Empty(warm.Errors);
        var seriesAfterWarmUp = _registry.Count;
        batch.Clear();
        _ingestor.Ingest(body, TimestampPrecision.Nanoseconds, Now, batch);
        batch.Clear();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = _ingestor.Ingest(body, TimestampPrecision.Nanoseconds, Now, batch);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(500, result.LinesWritten);
        Assert.Equal(warm.SamplesWritten, result.SamplesWritten);
        Assert.Equal(seriesAfterWarmUp, _registry.Count);
        Assert.Equal(0, allocated);
    }
}
