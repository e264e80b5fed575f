using Monitoring.Core.Alarms;
using Monitoring.Core.Diagnostics;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Queues;
using Monitoring.Server.Live;
using Monitoring.Server.Relays;

namespace Monitoring.Server.Alarms;

/// <summary>What the hub sends as "mute": the console mute now (Muted false when none).</summary>
public sealed record MuteMessage(bool Muted, string? By, string? Reason, DateTimeOffset? At, DateTimeOffset? Until)
{
    public static MuteMessage From(MuteRecord? mute) =>
        mute is null ? new MuteMessage(false, null, null, null, null) : new MuteMessage(true, mute.By, mute.Reason, mute.At, mute.Until);
}

/// <summary>Hears every change of the console mute (a training session's activity log records who muted).</summary>
public interface IMuteObserver
{
    void OnMuteChanged(MuteRecord? mute);
}

/// <summary>What a console gets on connect (hub method GetAlarms): every active alarm, worst first, and the mute.</summary>
public sealed record AlarmsSnapshotMessage(IReadOnlyList<AlarmSnapshot> Alarms, MuteMessage Mute);

/// <summary>
/// Forwards every alarm event as an "alarm" message to its room's group (the connections whose user may see the room
/// and read alarms), every incident change as "incident" likewise, and mute changes as "mute" to every connection that may read alarms. The engine calls
/// <see cref="OnAlarmEvent"/> on its own thread: it only queues (never blocks) into a <see cref="BoundedRelay{T}"/>
/// of <see cref="Capacity"/> items that drops the oldest when full (counted, logged, in /healthz "relays"; a console
/// re-reads the active alarms on reconnect). The relay drains in order into the connections' bounded queues
/// (<see cref="HubConnectionRegistry"/>), never waiting for a client.
/// </summary>
internal sealed class AlarmHubRelay : BackgroundService, IAlarmEventSink, IIncidentSink
{
    public const string AlarmMethod = "alarm";
    public const string IncidentMethod = "incident";
    public const string MuteMethod = "mute";
    public const string RelayName = "alarms->hub";
    public const int Capacity = 65_536;

    private readonly HubConnectionRegistry _hub;
    private readonly TimeProvider _time;
    private readonly IMuteObserver[] _muteObservers;

    /// <summary>Arrived: when the input that caused the event entered the server (<see cref="InputArrival"/>), 0 for timer and command events.</summary>
    private readonly BoundedRelay<(string Method, string? Room, object Message, long Arrived)> _relay;

    public AlarmHubRelay(HubConnectionRegistry hub, RelayHealth relays, TimeProvider time, ILogger<AlarmHubRelay> logger, IEnumerable<IMuteObserver>? muteObservers = null)
    {
        ArgumentNullException.ThrowIfNull(relays);
        _hub = hub;
        _time = time;
        _muteObservers = muteObservers?.ToArray() ?? [];
        _relay = new BoundedRelay<(string Method, string? Room, object Message, long Arrived)>(
            RelayName, Capacity, RelayDropPolicy.DropOldest, SendAsync, logger, static item => item.Message switch
            {
                AlarmEvent e => $"{e.Kind} of alarm {e.Alarm.Id}",
                IncidentSnapshot i => $"incident {i.Id}",
                _ => item.Method,
            });
        relays.Add(_relay);
    }

    public long Sent => _relay.Delivered;

    public void OnAlarmEvent(AlarmEvent alarmEvent) => _relay.TryEnqueue((AlarmMethod, alarmEvent.Alarm.Target.RoomId, alarmEvent, InputArrival.Current));

    /// <summary>An incident changed: "incident" with the incident as GET /api/incidents/{id} shows it, to its room's group.</summary>
    public void OnIncident(IncidentSnapshot incident) => _relay.TryEnqueue((IncidentMethod, incident.RoomId, incident, 0));

    public void OnMuteChanged(MuteRecord? mute)
    {
        _relay.TryEnqueue((MuteMethod, null, MuteMessage.From(mute), 0));
        foreach (var observer in _muteObservers)
        {
            observer.OnMuteChanged(mute);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _relay.RunAsync(stoppingToken);

    private ValueTask SendAsync((string Method, string? Room, object Message, long Arrived) item, CancellationToken cancellationToken)
    {
        // the mute is console-wide: every connection that reads alarms (a trainee's does not) gets it
        if (item.Method == MuteMethod)
        {
            _hub.PublishEverywhere(HubAudience.Alarms, item.Method, item.Message);
        }
        else
        {
            _hub.Publish(item.Room, HubAudience.Alarms, item.Method, item.Message);

            // metrics hook: alarm latency, input in to change handed to the consoles' queues
            if (item.Arrived != 0 && item.Message is AlarmEvent alarmEvent)
            {
                MonitoringInstruments.AlarmChangeDelivered(_time.GetElapsedTime(item.Arrived), alarmEvent.Kind);
            }
        }

        return ValueTask.CompletedTask;
    }
}
