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

    /// <summary>The incidents the engine groups alarms into (none when the engine has no grouping).</summary>
    public IIncidentService Incidents { get; init; } = service as IIncidentService ?? NoIncidents.Instance;

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

/// <summary>An engine without incidents: an empty list, nothing to find.</summary>
internal sealed class NoIncidents : IIncidentService
{
    public static readonly NoIncidents Instance = new();

    public IReadOnlyList<IncidentSnapshot> Incidents(bool? open, int limit = 500) => [];

    public IncidentSnapshot? FindIncident(long id) => null;

    public IncidentSnapshot? SetIncidentTicket(long incidentId, string ticketId) => null;

    public IDisposable SubscribeIncidents(IIncidentSink sink) => new Nothing();

    private sealed class Nothing : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
