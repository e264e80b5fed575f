using Monitoring.Core.Live;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Series;
using Monitoring.Server.Hosting;

namespace Monitoring.Server.Ingest;

/// <summary>What the write endpoints kept and refused since start, by cause: the "ingest" component of /healthz.</summary>
public sealed class IngestCounters(SeriesRegistry registry, LiveState live, TimeProvider time)
{
    private readonly Lock _gate = new();
    private long _requests;
    private long _requestsRefused;
    private long _linesWritten;
    private long _samplesWritten;
    private long _linesRejected;
    private long _linesInFuture;
    private long _linesOverLimits;
    private long _linesOverCardinality;
    private long _freeFormLines;
    private long _unknownDeviceLines;
    private string? _lastRefusal;
    private DateTimeOffset? _lastRefusalAt;

    public long LinesOverCardinality => Interlocked.Read(ref _linesOverCardinality);

    public long LinesInFuture => Interlocked.Read(ref _linesInFuture);

    public long LinesOverLimits => Interlocked.Read(ref _linesOverLimits);

    public long RequestsRefused => Interlocked.Read(ref _requestsRefused);

    /// <summary>A write that reached the ingestor.</summary>
    public void Record(in IngestResult result)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _linesWritten, result.LinesWritten);
        Interlocked.Add(ref _samplesWritten, result.SamplesWritten);
        Interlocked.Add(ref _linesRejected, result.LinesRejected);
        Interlocked.Add(ref _linesInFuture, result.LinesInFuture);
        Interlocked.Add(ref _linesOverLimits, result.LinesOverLimits);
        Interlocked.Add(ref _linesOverCardinality, result.LinesOverCardinality);
        Interlocked.Add(ref _freeFormLines, result.FreeFormLines);
        Interlocked.Add(ref _unknownDeviceLines, result.UnknownDeviceLines);
        if (result.Errors.Count > 0)
        {
            Remember(result.Errors[0].ToString());
        }
    }

    /// <summary>A write refused whole before any line was read (precision, encoding, size, gzip).</summary>
    public void Refused(string message)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _requestsRefused);
        Remember(message);
    }

    public object Describe()
    {
        string? last;
        DateTimeOffset? at;
        lock (_gate)
        {
            last = _lastRefusal;
            at = _lastRefusalAt;
        }

        var capReached = registry.Count >= registry.MaxSeries;
        return new
        {
            state = capReached ? ComponentState.Degraded : ComponentState.Ok,
            detail = capReached ? $"series cardinality cap reached ({registry.Count} of {registry.MaxSeries}): writes creating new series are refused" : null,
            requests = Interlocked.Read(ref _requests),
            requestsRefused = Interlocked.Read(ref _requestsRefused),
            linesWritten = Interlocked.Read(ref _linesWritten),
            samplesWritten = Interlocked.Read(ref _samplesWritten),
            linesRejected = Interlocked.Read(ref _linesRejected),
            linesInFuture = Interlocked.Read(ref _linesInFuture),
            linesOverLimits = Interlocked.Read(ref _linesOverLimits),
            linesOverCardinality = Interlocked.Read(ref _linesOverCardinality),
            freeFormLines = Interlocked.Read(ref _freeFormLines),
            unknownDeviceLines = Interlocked.Read(ref _unknownDeviceLines),
            series = registry.Count,
            maxSeries = registry.MaxSeries,
            maxSeriesPerMeasurement = registry.MaxSeriesPerMeasurement,
            seriesRefused = registry.SeriesRefused,
            futureSamplesNotShownLive = live.FutureSamplesIgnored,
            lastRefusal = last,
            lastRefusalAt = at,
        };
    }

    private void Remember(string message)
    {
        lock (_gate)
        {
            _lastRefusal = message.Length > 300 ? message[..300] + "..." : message;
            _lastRefusalAt = time.GetUtcNow();
        }
    }
}
