namespace Monitoring.Core.LineProtocol;

/// <summary>
/// The unit of the timestamps in a write request. InfluxDB v2 takes <c>ns</c>, <c>us</c>, <c>ms</c>, <c>s</c>;
/// v1 also takes <c>n</c>, <c>u</c>, <c>m</c> (minutes) and <c>h</c>.
/// </summary>
public enum TimestampPrecision
{
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
}

public static class TimestampPrecisions
{
    /// <summary>How many nanoseconds one unit of <paramref name="precision"/> is.</summary>
    public static long NanosecondsPerUnit(TimestampPrecision precision) => precision switch
    {
        TimestampPrecision.Nanoseconds => 1,
        TimestampPrecision.Microseconds => 1_000,
        TimestampPrecision.Milliseconds => 1_000_000,
        TimestampPrecision.Seconds => 1_000_000_000,
        TimestampPrecision.Minutes => 60_000_000_000,
        TimestampPrecision.Hours => 3_600_000_000_000,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "unknown precision"),
    };

    /// <summary>The <c>precision</c> query parameter of <c>/api/v2/write</c>: ns (the default when absent), us, ms, s.</summary>
    public static bool TryParseV2(string? text, out TimestampPrecision precision)
    {
        (var ok, precision) = text switch
        {
            null or "" or "ns" => (true, TimestampPrecision.Nanoseconds),
            "us" => (true, TimestampPrecision.Microseconds),
            "ms" => (true, TimestampPrecision.Milliseconds),
            "s" => (true, TimestampPrecision.Seconds),
            _ => (false, TimestampPrecision.Nanoseconds),
        };
        return ok;
    }

    /// <summary>The <c>precision</c> query parameter of v1 <c>/write</c>: n or ns (the default when absent), u or us, ms, s, m, h.</summary>
    public static bool TryParseV1(string? text, out TimestampPrecision precision)
    {
        (var ok, precision) = text switch
        {
            null or "" or "n" or "ns" => (true, TimestampPrecision.Nanoseconds),
            "u" or "us" => (true, TimestampPrecision.Microseconds),
            "ms" => (true, TimestampPrecision.Milliseconds),
            "s" => (true, TimestampPrecision.Seconds),
            "m" => (true, TimestampPrecision.Minutes),
            "h" => (true, TimestampPrecision.Hours),
            _ => (false, TimestampPrecision.Nanoseconds),
        };
        return ok;
    }
}
