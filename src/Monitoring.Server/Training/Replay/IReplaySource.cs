using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Server.Live;

namespace Monitoring.Server.Training.Replay;

/// <summary>
/// The recorded past of the live rooms, read-only: a room as it stood at an instant, and what changed in it over a
/// window. Implemented over a host's own stores (<see cref="StoreReplaySource"/>: the embedded history, the alarm
/// event log, the ticket steps); a replay session's host is handed the live host's (<see cref="ReplaySessionContributor"/>).
/// </summary>
public interface IReplaySource
{
    /// <summary>The oldest instant that can be replayed (the raw history's retention) at this moment.</summary>
    DateTimeOffset OldestAvailable { get; }

    /// <summary>The newest instant that can be replayed: now.</summary>
    DateTimeOffset NewestAvailable { get; }

    /// <summary>The room as at <paramref name="at"/>, or null if the room is unknown. The caller checks the bounds.</summary>
    Task<ReplayRoomDto?> AtAsync(string roomId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The room at <paramref name="start"/> and every change up to <paramref name="until"/>, in time order; null if the room is unknown.</summary>
    Task<ReplayChangesDto?> ChangesAsync(string roomId, DateTimeOffset start, DateTimeOffset until, CancellationToken cancellationToken);
}

/// <summary>One recorded value as it stood at the instant asked, with the status it implied.</summary>
public sealed record ReplayValueDto(string Device, int? Port, string Metric, double Value, DateTimeOffset Timestamp, Status Status);

/// <summary>A ticket step of the room, with what the ticket was about.</summary>
public sealed record ReplayTicketStepDto(
    long TicketId, int Seq, string Step, DateTimeOffset At, string By, string? Note, string Title, string Category, string? DeviceId, int? Port);

/// <summary>
/// The room at an instant. <c>devices</c> and <c>ports</c> have the shape of the live hub's "changes" message (every
/// device and every port of the room), so the 3D scene paints them as it paints live changes; <c>alarms</c> are the
/// alarms active then as they stood (raised, acknowledged, cleared), <c>ticketSteps</c> the steps done in the hour
/// before (at most <see cref="StoreReplaySource.StepLimit"/>).
/// </summary>
public sealed record ReplayRoomDto(
    string Room, DateTimeOffset At, IReadOnlyList<DeviceChange> Devices, IReadOnlyList<PortChange> Ports, IReadOnlyList<ReplayValueDto> Values,
    IReadOnlyList<AlarmSnapshot> Alarms, IReadOnlyList<ReplayTicketStepDto> TicketSteps);

/// <summary>A device's (port null) or a port's status as it changed at <c>at</c>.</summary>
public sealed record ReplayStatusChangeDto(DateTimeOffset At, string Device, int? Port, Status Status, bool AdminDown = false);

/// <summary>An alarm event of the room: raised, updated, acknowledged, cleared, closed, ticketWanted, with the alarm as it left it.</summary>
public sealed record ReplayAlarmEventDto(DateTimeOffset At, AlarmEventKind Kind, AlarmSnapshot Alarm);

/// <summary>
/// What a player needs to step through a window without asking for each instant: the room at <c>from</c>
/// (<c>start</c>), then the status changes, the alarm events and the ticket steps of (from, to], each in time order.
/// <c>truncated</c>: a list reached its limit (<see cref="StoreReplaySource.ChangeLimit"/>), ask a shorter window.
/// </summary>
public sealed record ReplayChangesDto(
    string Room, DateTimeOffset From, DateTimeOffset To, ReplayRoomDto Start, IReadOnlyList<ReplayStatusChangeDto> Statuses,
    IReadOnlyList<ReplayAlarmEventDto> AlarmEvents, IReadOnlyList<ReplayTicketStepDto> TicketSteps, bool Truncated);

/// <summary>The replay's bounds. Section <c>Monitoring:Replay</c>.</summary>
public sealed class ReplayOptions
{
    public const string Section = "Monitoring:Replay";

    /// <summary>The longest window <c>changes</c> answers (hours, default 24).</summary>
    public double MaxWindowHours { get; set; } = 24;
}
