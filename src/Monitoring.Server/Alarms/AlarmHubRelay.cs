using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Monitoring.Core.Alarms;
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
/// Forwards every alarm event to every console as an "alarm" message, and mute changes as "mute". The engine calls
/// <see cref="OnAlarmEvent"/> on its own thread: it only queues (never blocks); a background task drains the queue
/// to SignalR in order.
/// </summary>
internal sealed partial class AlarmHubRelay(IHubContext<LiveHub> hub, ILogger<AlarmHubRelay> logger) : BackgroundService, IAlarmEventSink
{
    public const string AlarmMethod = "alarm";
    public const string MuteMethod = "mute";

    private readonly Channel<(string Method, object Message)> _queue = Channel.CreateUnbounded<(string, object)>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private long _sent;

    public long Sent => Interlocked.Read(ref _sent);

    public void OnAlarmEvent(AlarmEvent alarmEvent) => _queue.Writer.TryWrite((AlarmMethod, alarmEvent));

    public void OnMuteChanged(MuteRecord? mute) => _queue.Writer.TryWrite((MuteMethod, MuteMessage.From(mute)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (method, message) in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await hub.Clients.All.SendAsync(method, message, stoppingToken).ConfigureAwait(false);
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
