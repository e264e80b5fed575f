using System.Collections.Concurrent;

namespace Monitoring.Collectors.Hosting;

public enum ComponentState
{
    Starting,
    Ok,
    Degraded,
    Failed,
    Disabled,
}

/// <summary>One component's last reported state, shown in /healthz and the console.</summary>
public sealed record ComponentReport(ComponentState State, string? Detail, DateTimeOffset At, IReadOnlyDictionary<string, object?>? Data = null);

/// <summary>Where background components report how they are doing; /healthz reads it.</summary>
public sealed class ComponentHealth(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ComponentReport> _reports = new(StringComparer.Ordinal);

    public void Report(string component, ComponentState state, string? detail = null, IReadOnlyDictionary<string, object?>? data = null) =>
        _reports[component] = new ComponentReport(state, detail, time.GetUtcNow(), data);

    public IReadOnlyDictionary<string, ComponentReport> Snapshot() =>
        _reports.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
}
