using System.Collections.Concurrent;

namespace Monitoring.Collectors;

/// <summary>The last poll of one device, as /healthz and the console show it.</summary>
public sealed record DevicePollState(
    string DeviceId,
    string Collector,
    DateTimeOffset LastStart,
    TimeSpan LastDuration,
    PollOutcome LastOutcome,
    string? LastMessage,
    DateTimeOffset? LastSuccess,
    int ConsecutiveFailures,
    long Polls,
    long Failures,
    TimeSpan LastSlip);

/// <summary>
/// Every device's last poll: duration, outcome and message, so a slow or failing device is named, not averaged away.
/// Thread-safe; one entry per device.
/// </summary>
public sealed class PollHealth
{
    private readonly ConcurrentDictionary<string, DevicePollState> _devices = new(StringComparer.Ordinal);

    /// <summary>Told of every poll (collector, outcome, duration, slip): the server's /metrics histograms. Set once at start.</summary>
    public Action<string, PollOutcome, TimeSpan, TimeSpan>? Observer { get; set; }

    public void Record(string collector, string deviceId, DateTimeOffset start, TimeSpan duration, TimeSpan slip, PollResult result)
    {
        Observer?.Invoke(collector, result.Outcome, duration, slip);
        _devices.AddOrUpdate(
            deviceId,
            static (id, args) => Next(null, id, args.collector, args.start, args.duration, args.slip, args.result),
            static (id, previous, args) => Next(previous, id, args.collector, args.start, args.duration, args.slip, args.result),
            (collector, start, duration, slip, result));
    }

    public DevicePollState? Get(string deviceId) => _devices.GetValueOrDefault(deviceId);

    public IReadOnlyList<DevicePollState> Snapshot() => [.. _devices.Values.OrderBy(d => d.DeviceId, StringComparer.Ordinal)];

    private static DevicePollState Next(
        DevicePollState? previous, string deviceId, string collector, DateTimeOffset start, TimeSpan duration, TimeSpan slip, PollResult result)
    {
        var ok = result.Outcome == PollOutcome.Ok;
        return new DevicePollState(
            deviceId,
            collector,
            start,
            duration,
            result.Outcome,
            result.Message,
            ok ? start + duration : previous?.LastSuccess,
            ok ? 0 : (previous?.ConsecutiveFailures ?? 0) + 1,
            (previous?.Polls ?? 0) + 1,
            (previous?.Failures ?? 0) + (ok ? 0 : 1),
            slip);
    }
}
