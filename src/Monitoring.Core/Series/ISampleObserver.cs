namespace Monitoring.Core.Series;

/// <summary>
/// A stage that sees every sample after the live state has taken it: the alarm engine, the history store,
/// the InfluxDB writer. Called on the pipeline's single consumer thread; must not block.
/// </summary>
public interface ISampleObserver
{
    void OnSamples(ReadOnlySpan<Sample> samples);
}

/// <summary>
/// An observer that keeps samples durably and so needs to know which journal record they came from: the pipeline
/// calls <see cref="OnSamples(ReadOnlySpan{Sample}, long)"/> instead, with the batch's journal LSN (0 for samples that
/// were not journaled, e.g. from collectors). Journaled batches arrive in increasing LSN order.
/// </summary>
public interface IJournaledSampleObserver : ISampleObserver
{
    void OnSamples(ReadOnlySpan<Sample> samples, long lsn);
}

/// <summary>
/// An observer that can fall behind (the history store while a flush runs): while <see cref="IsFull"/> the pipeline
/// makes its producers wait (<see cref="WaitForRoomAsync"/>) and the ingest answers 503 with Retry-After, so the
/// observer never has to drop a sample.
/// </summary>
public interface ISampleBackpressure
{
    /// <summary>The component's name, as /healthz shows it.</summary>
    string Name { get; }

    bool IsFull { get; }

    /// <summary>Completes once <see cref="IsFull"/> is false (or at once if it already is).</summary>
    Task WaitForRoomAsync(CancellationToken cancellationToken);
}
