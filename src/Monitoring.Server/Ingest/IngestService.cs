using Monitoring.Core.LineProtocol;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Storage.Journal;

namespace Monitoring.Server.Ingest;

/// <summary>
/// Line protocol in, samples into the pipeline: shared by the HTTP write endpoints and the demo simulator.
/// The request's body is journaled (fsync'd, group commit) before the call returns, so a caller that answers 2xx after
/// it has made the samples survive kill -9 (see <see cref="IngestJournal"/>). While a stage of the pipeline that must
/// not drop is full (the history catching up) the call refuses with <see cref="IngestBusyException"/> (HTTP 503 with
/// Retry-After) before it parses, journals or acknowledges anything.
/// </summary>
public sealed class IngestService(LineProtocolIngestor ingestor, SamplePipeline pipeline, IngestJournal journal, TimeProvider time) : ILineProtocolWriter
{
    private long _refused;

    /// <summary>Requests refused with 503 because a stage was full (shown in /healthz).</summary>
    public long RefusedBusy => Interlocked.Read(ref _refused);

    /// <param name="waitWhenBusy">Wait for room instead of refusing (the demo simulator, which has nobody to retry for it).</param>
    /// <param name="source">Who wrote the lines (/metrics counts samples by source).</param>
    public async ValueTask<IngestResult> IngestAsync(
        ReadOnlyMemory<byte> body, TimestampPrecision precision, CancellationToken cancellationToken, bool waitWhenBusy = false,
        SampleSource source = SampleSource.LineProtocol)
    {
        var received = time.GetTimestamp();
        if (pipeline.FullStage is { } full)
        {
            if (!waitWhenBusy)
            {
                Interlocked.Increment(ref _refused);
                throw new IngestBusyException(full.Name);
            }

            await pipeline.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        }

        var batch = SampleBatch.Rent(1024);
        batch.Source = source;
        batch.ReceivedTimestamp = received;
        IngestResult result;
        long nowNs;
        try
        {
            nowNs = (time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
            result = ingestor.Ingest(body.Span, precision, nowNs, batch);
        }
        catch
        {
            batch.Dispose();
            throw;
        }

        if (batch.Count == 0)
        {
            batch.Dispose();
            return result;
        }

        // the single journal writer fsyncs the body, then hands the batch to the pipeline in LSN order
        await journal.AppendAsync(body.Span, precision, nowNs, batch).WaitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }
}

/// <summary>A stage that must not drop is full: the request is refused whole (503, Retry-After) and nothing of it is kept.</summary>
public sealed class IngestBusyException(string stage)
    : Exception($"the {stage} is catching up; nothing of this request was written, retry later")
{
    public string Stage { get; } = stage;

    /// <summary>What Retry-After says, in seconds.</summary>
    public int RetryAfterSeconds { get; } = 1;
}
