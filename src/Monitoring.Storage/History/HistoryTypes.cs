using System.Runtime.InteropServices;

namespace Monitoring.Storage.History;

/// <summary>Where a history query reads from.</summary>
public enum HistoryTier
{
    /// <summary>Samples at the resolution they were collected.</summary>
    Raw,

    /// <summary>1-minute rollups.</summary>
    Minute,

    /// <summary>1-hour rollups.</summary>
    Hour,
}

/// <summary>One point of a history answer: a bucket's minimum, maximum, average and last value and how many samples made it.</summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct HistoryPoint(long TimestampNs, double Min, double Max, double Avg, double Last, long Count);

/// <summary>The answer to a history query: the tier read, the bucket width of the points (0 = raw) and the points in time order.</summary>
public sealed record HistoryResult(HistoryTier Tier, TimeSpan Step, IReadOnlyList<HistoryPoint> Points);
