using Monitoring.Core.LineProtocol;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Server.Ingest;

/// <summary>Line protocol in, samples into the pipeline: shared by the HTTP write endpoints and the demo simulator.</summary>
public sealed class IngestService(LineProtocolIngestor ingestor, SamplePipeline pipeline, TimeProvider time)
{
    public async ValueTask<IngestResult> IngestAsync(ReadOnlyMemory<byte> body, TimestampPrecision precision, CancellationToken cancellationToken)
    {
        var batch = SampleBatch.Rent(1024);
        IngestResult result;
        try
        {
            var nowNs = (time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
            result = ingestor.Ingest(body.Span, precision, nowNs, batch);
        }
        catch
        {
            batch.Dispose();
            throw;
        }

        await pipeline.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        return result;
    }
}
