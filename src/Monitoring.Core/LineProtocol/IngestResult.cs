namespace Monitoring.Core.LineProtocol;

/// <summary>What one write did: lines kept, samples produced, and the lines rejected with why.</summary>
/// <param name="LinesWritten">Valid lines (points), including those whose fields were all strings.</param>
/// <param name="SamplesWritten">Samples added to the batch: one per numeric or boolean field.</param>
/// <param name="LinesRejected">Every malformed line, even past the <see cref="LineProtocolIngestor.MaxReportedErrors"/> kept in <paramref name="Errors"/>.</param>
/// <param name="Errors">The first rejected lines, in body order; an empty shared array when there were none.</param>
public readonly record struct IngestResult(int LinesWritten, int SamplesWritten, int LinesRejected, IReadOnlyList<LineProtocolError> Errors);
