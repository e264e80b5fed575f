using Monitoring.Core.Alarms;
using Monitoring.Core.Series;

namespace Monitoring.Server.Alarms;

/// <summary>
/// The alarm engine as the server drives it: the service the API and hub use, the pipeline observer, and its start and
/// per-second tick. Built once in <see cref="AlarmComposition"/>, the only place that knows the engine's concrete type.
/// </summary>
internal sealed class AlarmRuntime(
    IAlarmService service, ISampleObserver observer, Action start, Action tick, int rulesLoaded, string rulesDirectory, params IDisposable?[] owned) : IDisposable
{
    public IAlarmService Service { get; } = service;

    public ISampleObserver Observer { get; } = observer;

    public int RulesLoaded { get; } = rulesLoaded;

    public string RulesDirectory { get; } = rulesDirectory;

    /// <summary>The SQL alarm store, when the engine has one: its queue and retries are shown in /healthz.</summary>
    public Monitoring.Storage.Alarms.SqliteAlarmStore? Store { get; init; }

    public void Start() => start();

    public void Tick() => tick();

    public void Dispose()
    {
        foreach (var item in owned)
        {
            item?.Dispose();
        }
    }
}
