namespace Monitoring.Core.Pipeline;

/// <summary>
/// When the input being processed on this thread entered the server (a <see cref="TimeProvider"/> timestamp), or 0
/// outside <see cref="SamplePipeline"/>'s processing of a batch. The pipeline sets it around the observers' calls, so a
/// stage called synchronously from there (the alarm engine, and the sinks it hands events to) can tell how long the
/// input took to reach it; work on other threads (timers, commands) sees 0.
/// </summary>
public static class InputArrival
{
    [ThreadStatic]
    private static long t_timestamp;

    public static long Current => t_timestamp;

    internal static void Set(long timestamp) => t_timestamp = timestamp;
}
