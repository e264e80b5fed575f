namespace Monitoring.Core.LineProtocol;

/// <summary>Line protocol in, samples into the pipeline, durable before it returns: the server's ingest path, used by the HTTP write endpoints and the demo feed.</summary>
public interface ILineProtocolWriter
{
    /// <param name="waitWhenBusy">Wait for room instead of refusing (a feed that has nobody to retry for it).</param>
    /// <param name="source">Who wrote the lines (/metrics counts samples by source).</param>
    ValueTask<IngestResult> IngestAsync(
        ReadOnlyMemory<byte> body, TimestampPrecision precision, CancellationToken cancellationToken, bool waitWhenBusy = false,
        Pipeline.SampleSource source = Pipeline.SampleSource.LineProtocol);
}
