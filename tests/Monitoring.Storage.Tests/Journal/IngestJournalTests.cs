using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Storage.Journal;

namespace Monitoring.Storage.Tests.Journal;

public sealed class IngestJournalTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ingest-journal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Records_come_back_after_a_restart_in_LSN_order_and_batches_reach_the_sink_stamped_in_order()
    {
        var sink = new RecordingSink();
        using (var journal = new IngestJournal(_directory, NullLogger.Instance))
        {
            journal.Open(0);
            using var stop = new CancellationTokenSource();
            var writer = journal.RunAsync(sink, stop.Token);
            var appends = Enumerable.Range(1, 50).Select(i => journal.AppendAsync(Encoding.UTF8.GetBytes($"m v={i} {i}"), TimestampPrecision.Seconds, 1000 + i, Batch(i))).ToArray();
            var lsns = await Task.WhenAll(appends).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), lsns);
            Assert.Equal(lsns, sink.Lsns);
            Assert.True(journal.GroupCommits <= 50);
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer);
        }

        using var reopened = new IngestJournal(_directory, NullLogger.Instance);
        reopened.Open(0);
        var records = reopened.ReadAfter(47).ToList();
        Assert.Equal(new long[] { 48, 49, 50 }, records.Select(r => r.Lsn));
        Assert.Equal("m v=48 48", Encoding.UTF8.GetString(records[0].Body));
        Assert.Equal(TimestampPrecision.Seconds, records[0].Precision);
        Assert.Equal(1048, records[0].ReceivedNs);
        Assert.Equal(50, reopened.LastDurableLsn);
    }

    [Fact]
    public async Task A_torn_tail_is_cut_and_LSNs_go_on_above_the_floor_even_when_every_segment_was_deleted()
    {
        using (var journal = new IngestJournal(_directory, NullLogger.Instance))
        {
            journal.Open(0);
            using var stop = new CancellationTokenSource();
            var writer = journal.RunAsync(new RecordingSink(), stop.Token);
            await journal.AppendAsync("m v=1 1"u8, TimestampPrecision.Seconds, 0, Batch(1));
            await journal.AppendAsync("m v=2 2"u8, TimestampPrecision.Seconds, 0, Batch(2));
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer);
        }

        // a crash in the middle of the second record's append
        var segment = Directory.GetFiles(_directory, "*.wal").Single(f => new FileInfo(f).Length > 0);
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(file.Length - 4);
        }

        using (var reopened = new IngestJournal(_directory, NullLogger.Instance))
        {
            reopened.Open(0);
            Assert.Equal(new long[] { 1 }, reopened.ReadAfter(0).Select(r => r.Lsn));
            Assert.Equal(1, reopened.Checkpoint(1)); // the history has it: the segment goes
            Assert.Empty(reopened.ReadAfter(0));
        }

        // every segment gone, but a durable stage has seen LSN 40: new records start above it
        using var again = new IngestJournal(_directory, NullLogger.Instance);
        again.Open(40);
        using var stopAgain = new CancellationTokenSource();
        var running = again.RunAsync(new RecordingSink(), stopAgain.Token);
        Assert.Equal(41, await again.AppendAsync("m v=3 3"u8, TimestampPrecision.Seconds, 0, Batch(3)));
        await stopAgain.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    private static SampleBatch Batch(int value)
    {
        var batch = SampleBatch.Rent(1);
        batch.Add(0, value, value);
        return batch;
    }

    private sealed class RecordingSink : ISampleSink
    {
        public List<long> Lsns { get; } = [];

        public ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
        {
            Lsns.Add(batch.Lsn);
            batch.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
