namespace Monitoring.Core.LineProtocol;

/// <summary>What one write did: lines kept, samples produced, and the lines rejected with why.</summary>
/// <param name="LinesWritten">Valid lines (points), including those whose fields were all strings.</param>
/// <param name="SamplesWritten">Samples added to the batch: one per numeric or boolean field.</param>
/// <param name="LinesRejected">Every malformed line, even past the <see cref="LineProtocolIngestor.MaxReportedErrors"/> kept in <paramref name="Errors"/>.</param>
/// <param name="Errors">The first rejected lines, in body order; an empty shared array when there were none.</param>
public readonly record struct IngestResult(int LinesWritten, int SamplesWritten, int LinesRejected, IReadOnlyList<LineProtocolError> Errors)
{
    /// <summary>Written lines kept as free-form series (no <c>device</c> tag, or one the inventory does not have).</summary>
    public int FreeFormLines { get; init; }

    /// <summary>Of <see cref="FreeFormLines"/>, those whose <c>device</c> tag names a device the inventory does not have.</summary>
    public int UnknownDeviceLines { get; init; }

    /// <summary>The first such unknown device id, or null.</summary>
    public string? FirstUnknownDevice { get; init; }

    /// <summary>Lines refused because they are dated too far ahead of the server's clock.</summary>
    public int LinesInFuture { get; init; }

    /// <summary>Lines refused for a size bound (<see cref="LineProtocolLimits"/>) or the new-series bound of a request.</summary>
    public int LinesOverLimits { get; init; }

    /// <summary>Lines refused by the series cardinality caps.</summary>
    public int LinesOverCardinality { get; init; }

    /// <summary>Series this write created.</summary>
    public int NewSeries { get; init; }
}

/// <summary>The bounds a <see cref="LineProtocolIngestor"/> keeps on every write.</summary>
/// <param name="Line">Size bounds of a line.</param>
/// <param name="MaxFutureNs">How far ahead of the server's clock a timestamp may be, in nanoseconds.</param>
/// <param name="MaxNewSeriesPerRequest">How many series one write may create.</param>
public readonly record struct IngestLimits(LineProtocolLimits Line, long MaxFutureNs, int MaxNewSeriesPerRequest)
{
    /// <summary><see cref="LineProtocolLimits.Default"/>, 10 minutes ahead, 50,000 new series per request.</summary>
    public static IngestLimits Default { get; } = new(LineProtocolLimits.Default, 600L * 1_000_000_000, 50_000);
}
