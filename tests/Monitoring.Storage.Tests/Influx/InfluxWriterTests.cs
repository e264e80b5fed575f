using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Core.Series;
using Monitoring.Storage.Influx;

namespace Monitoring.Storage.Tests.Influx;

public sealed class InfluxWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("influx-writer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Batches_are_cut_by_size_and_every_sample_arrives_once_in_order()
    {
        using var server = new FakeInfluxServer();
        var registry = new SeriesRegistry();
        var id = registry.GetOrAddFreeForm("probe,host=a", "probe.value");
        var options = Options(server.Url, batchSize: 100, flushMs: 60_000);
        using var writer = new InfluxWriter(options, registry, null, _directory, TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(stop.Token);

        for (var i = 0; i < 10; i++)
        {
            writer.OnSamples(Samples(id, i * 50, 50));
        }

        await InfluxTargetWriterTests.WaitAsync(() => writer.Targets[0].Status().PointsWritten == 500);
        Assert.Equal(5, server.Received.Count);
        var values = server.Received.SelectMany(w => w.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"probe,host=a value={i} {1_000_000_000L + i}"), values);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task A_partial_batch_is_sent_when_the_flush_interval_passes()
    {
        using var server = new FakeInfluxServer();
        var registry = new SeriesRegistry();
        var id = registry.GetOrAddFreeForm("probe,host=a", "probe.value");
        using var writer = new InfluxWriter(Options(server.Url, batchSize: 1000, flushMs: 100), registry, null, _directory, TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(stop.Token);

        writer.OnSamples(Samples(id, 0, 3));

        await server.WaitForRequestsAsync(1);
        Assert.Equal(3, server.Received.Single().Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Samples_taken_during_an_outage_survive_a_restart_and_are_replayed_in_order()
    {
        var registry = new SeriesRegistry();
        var id = registry.GetOrAddFreeForm("ups,device=u1", "ups.load");
        var deadUrl = $"http://127.0.0.1:{FakeInfluxServer.FreePort()}";
        using (var writer = new InfluxWriter(Options(deadUrl, batchSize: 10, flushMs: 50), registry, null, _directory, TimeProvider.System, NullLoggerFactory.Instance))
        {
            using var stop = new CancellationTokenSource();
            var run = writer.RunAsync(stop.Token);
            writer.OnSamples(Samples(id, 0, 95));
            await InfluxTargetWriterTests.WaitAsync(() => writer.Targets[0].Status() is { Connected: false, LastError: not null });
            writer.OnSamples(Samples(id, 95, 10));
            await stop.CancelAsync();
            await run;
            Assert.Equal(105, writer.Targets[0].Status().PointsBuffered);
            Assert.True(writer.Targets[0].Status().Buffering);
        }

        using var server = new FakeInfluxServer();
        using (var writer = new InfluxWriter(Options(server.Url, batchSize: 10, flushMs: 50), registry, null, _directory, TimeProvider.System, NullLoggerFactory.Instance))
        {
            using var stop = new CancellationTokenSource();
            var run = writer.RunAsync(stop.Token);
            await InfluxTargetWriterTests.WaitAsync(() => writer.Targets[0].Status().PointsWritten == 105);
            var values = server.Received.SelectMany(w => w.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
            Assert.Equal(Enumerable.Range(0, 105).Select(i => $"ups,device=u1 load={i} {1_000_000_000L + i}"), values);
            Assert.Equal(0, writer.Targets[0].Status().BytesBuffered);
            await stop.CancelAsync();
            await run;
        }
    }

    [Fact]
    public void A_full_queue_counts_what_it_could_not_take_and_never_blocks()
    {
        var registry = new SeriesRegistry();
        var id = registry.GetOrAddFreeForm("probe,host=a", "probe.value");
        var options = Options("http://127.0.0.1:9", batchSize: 10, flushMs: 50);
        options.QueueCapacity = 1024;
        using var writer = new InfluxWriter(options, registry, null, _directory, TimeProvider.System, NullLoggerFactory.Instance);

        writer.OnSamples(Samples(id, 0, 1000));
        writer.OnSamples(Samples(id, 1000, 100));

        Assert.Equal(100, writer.SamplesDropped);
        Assert.Equal(1000, writer.QueuedSamples);
        writer.FlushNow();
        Assert.Equal(1000, writer.Targets[0].Status().PointsBuffered);
    }

    internal static InfluxOptions Options(string url, int batchSize, int flushMs) => new()
    {
        Targets = [new InfluxTargetOptions { Name = "main", Url = url, Version = 2, Bucket = "b", BatchSize = batchSize, FlushIntervalMs = flushMs, TimeoutMs = 2000 }],
    };

    private static Sample[] Samples(int id, int from, int count) =>
        Enumerable.Range(from, count).Select(i => new Sample(id, 1_000_000_000L + i, i)).ToArray();
}
