using Microsoft.Extensions.Logging;

namespace Monitoring.Core.Alarms;

/// <summary>
/// The grouping stage: where related alarm events gather into incidents (<see cref="IncidentGrouper"/>, the engine's
/// own; <see cref="PassThroughGrouping"/> hands every event on unchanged).
/// </summary>
internal interface IAlarmGrouping
{
    /// <summary>Before the store: places the event's alarm in its incident and returns the event to keep and pass on.</summary>
    AlarmEvent Group(AlarmEvent alarmEvent) => alarmEvent;

    /// <summary>Takes one alarm event (already kept by the store) and passes what listeners should see to <paramref name="next"/>.</summary>
    void OnAlarmEvent(AlarmEvent alarmEvent, AlarmFanOut next);

    /// <summary>Time-driven work (the engine's tick, under its lock).</summary>
    void Tick(DateTimeOffset now, AlarmFanOut next)
    {
    }
}

/// <summary>No grouping: every event goes on as it is, in order.</summary>
internal sealed class PassThroughGrouping : IAlarmGrouping
{
    public static readonly PassThroughGrouping Instance = new();

    public void OnAlarmEvent(AlarmEvent alarmEvent, AlarmFanOut next) => next.Publish(alarmEvent);
}

/// <summary>
/// The last stage: the one place where alarm changes leave the engine for its listeners (the hub, the lamp, webhooks,
/// tickets). Each event goes to every subscribed sink in order, on the engine's thread under its lock, so a sink must
/// only queue and return: the server's listeners each sit behind a bounded relay with a stated drop policy. A sink
/// that throws is logged and the others still get the event. Alarm state changes are kept by the store before they
/// get here (ordered and retried), so a listener that drops an event never loses an alarm.
/// </summary>
internal sealed partial class AlarmFanOut(ILogger logger)
{
    private readonly Lock _subscribe = new();
    private IAlarmEventSink[] _sinks = [];
    private long _published;

    /// <summary>Events handed to the listeners since start.</summary>
    public long Published => Interlocked.Read(ref _published);

    public int Subscribers => Volatile.Read(ref _sinks).Length;

    public void Publish(AlarmEvent alarmEvent)
    {
        var sinks = Volatile.Read(ref _sinks);
        foreach (var sink in sinks)
        {
            try
            {
                sink.OnAlarmEvent(alarmEvent);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogSinkFailed(logger, ex, sink.GetType().Name, alarmEvent.Kind);
            }
        }

        Interlocked.Increment(ref _published);
    }

    public void Subscribe(IAlarmEventSink sink)
    {
        lock (_subscribe)
        {
            Volatile.Write(ref _sinks, [.. _sinks, sink]);
        }
    }

    public void Unsubscribe(IAlarmEventSink sink)
    {
        lock (_subscribe)
        {
            Volatile.Write(ref _sinks, [.. _sinks.Where(s => !ReferenceEquals(s, sink))]);
        }
    }

    public void Clear()
    {
        lock (_subscribe)
        {
            Volatile.Write(ref _sinks, []);
        }
    }

    [LoggerMessage(EventId = 7002, Level = LogLevel.Error, Message = "Alarm event sink {Sink} failed on a {Kind} event")]
    private static partial void LogSinkFailed(ILogger logger, Exception exception, string sink, AlarmEventKind kind);
}
