using System.Threading.Channels;
using Monitoring.Core.Alarms;
using Monitoring.Core.Diagnostics;
using Monitoring.Core.Pipeline;
using Monitoring.Server.Live;

namespace Monitoring.Server.Alarms;

/// <summary>What the hub sends as "mute": the console mute now (Muted false when none).</summary>
public sealed record MuteMessage(bool Muted, string? By, string? Reason, DateTimeOffset? At, DateTimeOffset? Until)
{
    public static MuteMessage From(MuteRecord? mute) =>
        mute is null ? new MuteMessage(false, null, null, null, null) : new MuteMessage(true, mute.By, mute.Reason, mute.At, mute.Until);
}

/// <summary>What a console gets on connect (hub method GetAlarms): every active alarm, worst first, and the mute.</summary>
public sealed record AlarmsSnapshotMessage(IReadOnlyList<AlarmSnapshot> Alarms, MuteMessage Mute);

/// <summary>
/// Forwards every alarm event as an "alarm" message to its room's group (the connections whose user may see the room
/// and read alarms), and mute changes as "mute" to every connection that may read alarms. The engine calls
/// <see cref="OnAlarmEvent"/> on its own thread: it only queues (never blocks); a background task drains the queue
/// in order into the connections' bounded queues (<see cref="HubConnectionRegistry"/>), never waiting for a client.
/// </summary>
internal sealed partial class AlarmHubRelay(HubConnectionRegistry hub, TimeProvider time, ILogger<AlarmHubRelay> logger) : BackgroundService, IAlarmEventSink
{
    public const string AlarmMethod = "alarm";
    public const string MuteMethod = "mute";

    /// <summary>Arrived: when the input that caused the event entered the server (<see cref="InputArrival"/>), 0 for timer and command events.</summary>
    private readonly Channel<(string Method, string? Room, object Message, long Arrived)> _queue = Channel.CreateUnbounded<(string, string?, object, long)>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private long _sent;

    public long Sent => Interlocked.Read(ref _sent);

    public void OnAlarmEvent(AlarmEvent alarmEvent) => _queue.Writer.TryWrite((AlarmMethod, alarmEvent.Alarm.Target.RoomId, alarmEvent, InputArrival.Current));

    public void OnMuteChanged(MuteRecord? mute) => _queue.Writer.TryWrite((MuteMethod, null, MuteMessage.From(mute), 0));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (method, room, message, arrived) in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    // the mute is console-wide: every connection that reads alarms (a trainee's does not) gets it
                    if (method == MuteMethod)
                    {
                        hub.PublishEverywhere(HubAudience.Alarms, method, message);
                    }
                    else
                    {
                        hub.Publish(room, HubAudience.Alarms, method, message);
                    }

                    // metrics hook: alarm latency, input in to change handed to the consoles' queues
                    if (arrived != 0 && message is AlarmEvent alarmEvent)
                    {
                        MonitoringInstruments.AlarmChangeDelivered(time.GetElapsedTime(arrived), alarmEvent.Kind);
                    }

                    Interlocked.Increment(ref _sent);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogSendFailed(logger, ex, method);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send the {Method} message to consoles")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string method);
}
