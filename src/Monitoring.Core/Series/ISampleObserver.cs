namespace Monitoring.Core.Series;

/// <summary>
/// A stage that sees every sample after the live state has taken it: the alarm engine, the history store,
/// the InfluxDB writer. Called on the pipeline's single consumer thread; must not block.
/// </summary>
public interface ISampleObserver
{
    void OnSamples(ReadOnlySpan<Sample> samples);
}
