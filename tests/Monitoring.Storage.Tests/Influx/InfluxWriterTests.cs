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
    public async Task A_full_queue_keeps_every_sample_and_holds_producers_back_until_it_drains()
    {
        // issues 14/15: nothing acknowledged may be dropped on the way to a target; past its capacity the writer says it
        // is full (the pipeline then makes producers wait and the ingest answers 503) and keeps what it was given
        var registry = new SeriesRegistry();
        var id = registry.GetOrAddFreeForm("probe,host=a", "probe.value");
        var options = Options("http://127.0.0.1:9", batchSize: 10, flushMs: 50);
        options.QueueCapacity = 1024;
        using var writer = new InfluxWriter(options, registry, null, _directory, TimeProvider.System, NullLoggerFactory.Instance);

        writer.OnSamples(Samples(id, 0, 1000));
        Assert.False(writer.IsFull);
        writer.OnSamples(Samples(id, 1000, 100));

        Assert.True(writer.IsFull);
        Assert.Equal(0, writer.SamplesDropped);
        Assert.Equal(1100, writer.QueuedSamples);
        var room = writer.WaitForRoomAsync(CancellationToken.None);
        Assert.False(room.IsCompleted);
        writer.FlushNow();
        await room.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1100, writer.Targets[0].Status().PointsBuffered);
    }

    [Fact]
    public void A_journaled_write_is_buffered_whole_with_its_LSN_and_a_replay_of_it_is_skipped()
    {
        var registry = new SeriesRegistry();
        var id = registry.GetOrAddFreeForm("probe,host=a", "probe.value");
        using (var writer = new InfluxWriter(Options("http://127.0.0.1:9", batchSize: 10, flushMs: 50), registry, null, _directory, TimeProvider.System, NullLoggerFactory.Instance))
        {
            writer.OnSamples(Samples(id, 0, 25), 7); // one request of 25 samples: not cut at the batch size of 10
            writer.FlushNow();
            Assert.Equal(1, writer.Targets[0].Buffer.RecordsBuffered);
            Assert.Equal(7, writer.AppendedLsn);
            Assert.Equal(7, writer.SyncBuffers());
        }

        using var reopened = new InfluxWriter(Options("http://127.0.0.1:9", batchSize: 10, flushMs: 50), registry, null, _directory, TimeProvider.System, NullLoggerFactory.Instance);
        Assert.Equal(7, reopened.AppendedLsn);
        reopened.Replay(Samples(id, 0, 25), 7); // already buffered before the restart: skipped
        Assert.Equal(25, reopened.Targets[0].Status().PointsBuffered);
        reopened.Replay(Samples(id, 25, 5), 8); // not yet: buffered
        Assert.Equal(30, reopened.Targets[0].Status().PointsBuffered);
        Assert.Equal(8, reopened.AppendedLsn);
    }

    internal static InfluxOptions Options(string url, int batchSize, int flushMs) => new()
    {
        Targets = [new InfluxTargetOptions { Name = "main", Url = url, Version = 2, Bucket = "b", BatchSize = batchSize, FlushIntervalMs = flushMs, TimeoutMs = 2000 }],
    };

    private static Sample[] Samples(int id, int from, int count) =>
        Enumerable.Range(from, count).Select(i => new Sample(id, 1_000_000_000L + i, i)).ToArray();
}
