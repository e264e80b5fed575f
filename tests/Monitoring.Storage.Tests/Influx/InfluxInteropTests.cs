using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Core.Series;
using Monitoring.Storage.Influx;
using Monitoring.Testing;

namespace Monitoring.Storage.Tests.Influx;

/// <summary>The writer against real databases nobody here wrote: InfluxDB 1.6 (v1 API) and VictoriaMetrics (v2 API).</summary>
public sealed class InfluxInteropTests : IDisposable
{
    private const long BaseNs = 1_763_000_000_000_000_000;
    private readonly string _directory = Directory.CreateTempSubdirectory("influx-interop-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Influxd_v1_reads_back_measurement_escaped_Chinese_tags_fields_and_nanosecond_timestamps()
    {
        using var influx = await PeerProcess.StartInfluxdAsync(Directory.CreateDirectory(Path.Combine(_directory, "influxd")).FullName);
        await QueryAsync(influx, "CREATE DATABASE noc", post: true);
        var inventory = TestRoom.Create();
        var registry = new SeriesRegistry(inventory);
        var inOctets = registry.GetOrAdd(0, "interface.in_octets", 1);
        var temperature = registry.GetOrAdd(1, "environment.temperature", -1);
        var options = new InfluxOptions
        {
            Targets = [new InfluxTargetOptions { Name = "v1", Url = influx.Url, Version = 1, Database = "noc", BatchSize = 7, FlushIntervalMs = 50 }],
        };
        using var writer = new InfluxWriter(options, registry, inventory, Path.Combine(_directory, "buffer"), TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(stop.Token);

        for (var i = 0; i < 20; i++)
        {
            writer.OnSamples([new Sample(inOctets, BaseNs + i, 1000.25 + i), new Sample(temperature, BaseNs + i, 21.5)]);
        }

        await InfluxTargetWriterTests.WaitAsync(() => writer.Targets[0].Status().PointsWritten == 40, 20_000);
        var result = await QueryAsync(influx, "SELECT * FROM \"interface\" ORDER BY time");
        var series = result.GetProperty("results")[0].GetProperty("series")[0];
        Assert.Equal("interface", series.GetProperty("name").GetString());
        var columns = series.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToList();
        var rows = series.GetProperty("values").EnumerateArray().ToList();
        Assert.Equal(20, rows.Count);
        for (var i = 0; i < 20; i++)
        {
            var row = rows[i];
            Assert.Equal(BaseNs + i, row[columns.IndexOf("time")].GetInt64());
            Assert.Equal(1000.25 + i, row[columns.IndexOf("in_octets")].GetDouble());
            Assert.Equal(TestRoom.DeviceId, row[columns.IndexOf("device")].GetString());
            Assert.Equal(TestRoom.DeviceName, row[columns.IndexOf("name")].GetString());
            Assert.Equal(TestRoom.PortName, row[columns.IndexOf("port")].GetString());
            Assert.Equal(TestRoom.RackId, row[columns.IndexOf("rack")].GetString());
            Assert.Equal(TestRoom.RoomId, row[columns.IndexOf("room")].GetString());
            Assert.Equal(TestRoom.ModelId, row[columns.IndexOf("model")].GetString());
        }

        var environment = await QueryAsync(influx, "SELECT count(temperature) FROM environment WHERE \"name\" = '温湿度 1'");
        Assert.Equal(20, environment.GetProperty("results")[0].GetProperty("series")[0].GetProperty("values")[0][1].GetInt32());
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Influxd_v1_field_type_conflict_mid_batch_writes_every_good_point_names_the_bad_line_and_the_batches_behind_go_on()
    {
        using var influx = await PeerProcess.StartInfluxdAsync(Directory.CreateDirectory(Path.Combine(_directory, "influxd")).FullName);
        await QueryAsync(influx, "CREATE DATABASE noc", post: true);
        using (var seed = await _http.PostAsync(new Uri(influx.Url + "/write?db=noc"), new StringContent($"cpu,device=a usage=\"text\" {BaseNs - 1}\n")))
        {
            Assert.Equal(204, (int)seed.StatusCode);
        }

        var registry = new SeriesRegistry();
        var conflicting = registry.GetOrAddFreeForm("cpu,device=a", "cpu.usage");
        var fine = registry.GetOrAddFreeForm("memory,device=a", "memory.used");
        var options = new InfluxOptions
        {
            Targets = [new InfluxTargetOptions { Name = "v1", Url = influx.Url, Version = 1, Database = "noc", BatchSize = 41, FlushIntervalMs = 2000 }],
        };
        var log = new ListLogger();
        using var writer = new InfluxWriter(options, registry, null, Path.Combine(_directory, "buffer"), TimeProvider.System, new ListLoggerFactory(log));
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(stop.Token);

        // one batch of 41: 20 good points, the conflicting one in the middle, 20 good points; then a batch behind it
        writer.OnSamples([.. Enumerable.Range(0, 20).Select(i => new Sample(fine, BaseNs + i, i))]);
        writer.OnSamples([new Sample(conflicting, BaseNs + 20, 1.5)]);
        writer.OnSamples([.. Enumerable.Range(21, 20).Select(i => new Sample(fine, BaseNs + i, i))]);
        writer.OnSamples([.. Enumerable.Range(41, 10).Select(i => new Sample(fine, BaseNs + i, i))]);

        await InfluxTargetWriterTests.WaitAsync(() => writer.Targets[0].Status().PointsWritten == 50, 20_000, () => writer.Targets[0].Status().ToString());
        var status = writer.Targets[0].Status();
        Assert.Equal(1, status.PointsRejected);
        Assert.Equal(0, status.PointsBuffered);
        var badLine = $"cpu,device=a usage=1.5 {BaseNs + 20}";
        Assert.Contains("field type conflict", status.LastError, StringComparison.Ordinal);
        Assert.Contains("line 21: ", status.LastError, StringComparison.Ordinal);
        Assert.Contains(badLine, status.LastError, StringComparison.Ordinal);
        Assert.Contains(log.Lines, l => l.Contains(badLine, StringComparison.Ordinal) && l.Contains("field type conflict", StringComparison.Ordinal));

        // every good point is there, once per timestamp, with its value
        var memory = await QueryAsync(influx, "SELECT count(used), sum(used) FROM memory");
        var row = memory.GetProperty("results")[0].GetProperty("series")[0].GetProperty("values")[0];
        Assert.Equal(50, row[1].GetInt32());
        Assert.Equal(Enumerable.Range(0, 51).Where(i => i != 20).Sum(), row[2].GetDouble());
        var cpu = await QueryAsync(influx, "SELECT count(usage) FROM cpu");
        Assert.Equal(1, cpu.GetProperty("results")[0].GetProperty("series")[0].GetProperty("values")[0][1].GetInt32());
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task VictoriaMetrics_v2_reads_back_names_escaped_Chinese_labels_values_and_timestamps()
    {
        using var vm = await PeerProcess.StartVictoriaMetricsAsync(_directory);
        var inventory = TestRoom.Create();
        var registry = new SeriesRegistry(inventory);
        var inOctets = registry.GetOrAdd(0, "interface.in_octets", 1);
        var options = new InfluxOptions
        {
            Targets = [new InfluxTargetOptions { Name = "vm", Url = vm.Url, Version = 2, Org = "noc", Bucket = "room", Token = "t0ken", BatchSize = 4, FlushIntervalMs = 50 }],
        };
        using var writer = new InfluxWriter(options, registry, inventory, Path.Combine(_directory, "buffer"), TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(stop.Token);
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;

        for (var i = 0; i < 10; i++)
        {
            writer.OnSamples([new Sample(inOctets, (nowMs + (i * 1000)) * 1_000_000, 500.5 + i)]);
        }

        await InfluxTargetWriterTests.WaitAsync(() => writer.Targets[0].Status().PointsWritten == 10, 20_000, () => writer.Targets[0].Status().ToString());
        using (await _http.GetAsync(new Uri(vm.Url + "/internal/force_flush")))
        {
        }

        var query = Uri.EscapeDataString("{__name__=\"interface_in_octets\"}");
        var export = await _http.GetStringAsync(new Uri($"{vm.Url}/api/v1/export?match[]={query}&start={(nowMs / 1000) - 10}"));
        var line = export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single();
        using var json = JsonDocument.Parse(line);
        var metric = json.RootElement.GetProperty("metric");
        Assert.Equal("interface_in_octets", metric.GetProperty("__name__").GetString());
        Assert.Equal(TestRoom.DeviceId, metric.GetProperty("device").GetString());
        Assert.Equal(TestRoom.DeviceName, metric.GetProperty("name").GetString());
        Assert.Equal(TestRoom.PortName, metric.GetProperty("port").GetString());
        Assert.Equal(TestRoom.RackId, metric.GetProperty("rack").GetString());
        Assert.Equal(TestRoom.RoomId, metric.GetProperty("room").GetString());
        Assert.Equal(TestRoom.ModelId, metric.GetProperty("model").GetString());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => 500.5 + i), json.RootElement.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => nowMs + (i * 1000)), json.RootElement.GetProperty("timestamps").EnumerateArray().Select(v => v.GetInt64()));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Influxd_outage_with_a_writer_restart_in_the_middle_loses_nothing_and_counts_exactly()
    {
        var influxDir = Directory.CreateDirectory(Path.Combine(_directory, "influxd")).FullName;
        var port = FakeInfluxServer.FreePort();
        var influx = await PeerProcess.StartInfluxdAsync(influxDir, port);
        await QueryAsync(influx, "CREATE DATABASE noc", post: true);
        var registry = new SeriesRegistry();
        var id = registry.GetOrAddFreeForm("ups,device=ups\\ 1", "ups.load");
        var options = new InfluxOptions
        {
            Targets = [new InfluxTargetOptions { Name = "v1", Url = influx.Url, Version = 1, Database = "noc", BatchSize = 10, FlushIntervalMs = 30, TimeoutMs = 2000 }],
        };
        var retry = new RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(400) };
        var buffer = Path.Combine(_directory, "buffer");
        var produced = 0;
        var writtenBefore = 0L;

        async Task ProduceAsync(InfluxWriter writer, int count)
        {
            for (var i = 0; i < count; i++, produced++)
            {
                writer.OnSamples([new Sample(id, BaseNs + (produced * 1000L), produced)]);
                await Task.Delay(5);
            }
        }

        try
        {
            using (var first = new InfluxWriter(options, registry, null, buffer, TimeProvider.System, NullLoggerFactory.Instance, retry: retry))
            {
                using var stop = new CancellationTokenSource();
                var run = first.RunAsync(stop.Token);
                await ProduceAsync(first, 50);
                await InfluxTargetWriterTests.WaitAsync(() => first.Targets[0].Status().PointsWritten == 50, 20_000);

                influx.Dispose(); // the database goes away under a steady stream
                await ProduceAsync(first, 60);
                await InfluxTargetWriterTests.WaitAsync(() => !first.Targets[0].Status().Connected, 20_000);
                await stop.CancelAsync(); // the server restarts during the outage
                await run;
                writtenBefore = first.Targets[0].Status().PointsWritten;
                Assert.True(first.Targets[0].Status().PointsBuffered >= 60);
            }

            using var second = new InfluxWriter(options, registry, null, buffer, TimeProvider.System, NullLoggerFactory.Instance, retry: retry);
            using (var stop = new CancellationTokenSource())
            {
                var run = second.RunAsync(stop.Token);
                await ProduceAsync(second, 40);
                influx = await PeerProcess.StartInfluxdAsync(influxDir, port); // the database comes back
                await ProduceAsync(second, 30);
                await InfluxTargetWriterTests.WaitAsync(() => writtenBefore + second.Targets[0].Status().PointsWritten >= produced, 30_000, () => second.Targets[0].Status().ToString());
                await stop.CancelAsync();
                await run;
                Assert.True(second.Targets[0].Status() is { PointsDropped: 0, PointsRejected: 0 }, second.Targets[0].Status().ToString());
            }

            var count = await QueryAsync(influx, "SELECT count(load), sum(load) FROM ups");
            var row = count.GetProperty("results")[0].GetProperty("series")[0].GetProperty("values")[0];
            Assert.Equal(180, produced);
            Assert.Equal(produced, row[1].GetInt32());
            Assert.Equal(Enumerable.Range(0, produced).Sum(), row[2].GetDouble());
        }
        finally
        {
            influx.Dispose();
        }
    }

    private async Task<JsonElement> QueryAsync(PeerProcess influx, string q, bool post = false)
    {
        var uri = new Uri($"{influx.Url}/query?db=noc&epoch=ns&q={Uri.EscapeDataString(q)}");
        using var response = post ? await _http.PostAsync(uri, null) : await _http.GetAsync(uri);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

}
