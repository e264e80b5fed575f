using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Monitoring.Core.Inventory;
using Monitoring.Server.Api;
using Monitoring.Server.Security;

namespace Monitoring.Server.Training.Replay;

/// <summary>The speed asked of the replay clock (recorded seconds per real second, 1 to 60).</summary>
public sealed record ReplaySpeedBody(double? Speed);

/// <summary>The recorded instant to move the replay clock to.</summary>
public sealed record ReplaySeekBody(DateTimeOffset? T);

/// <summary>
/// GET /api/replay/rooms/{roomId}/at and /changes (every reader of the room, live host and sessions alike) and the
/// replay session's clock, /api/training/replay (409 outside a replay session).
/// </summary>
internal static class ReplayEndpoints
{
    public static void Map(RouteGroupBuilder secured)
    {
        var replay = secured.MapGroup("/api/replay").WithTags("Replay");
        replay.MapGet("/rooms/{roomId}/at", async Task<Results<Ok<ReplayRoomDto>, Problem<Status400>, Json<ErrorBody, Status403>, Problem<Status404>>> (
                string roomId, string? t, IReplaySource source, Inventory inventory, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            {
                if (Room(roomId, inventory, user) is { } refused)
                {
                    return refused.AsAt();
                }

                var at = Instant("t", t, source);
                if (at.Problem is { } problem)
                {
                    return problem;
                }

                return await source.AtAsync(roomId, at.Value, cancellationToken).ConfigureAwait(false) is { } room
                    ? TypedResults.Ok(room)
                    : new Problem<Status404>($"no room '{roomId}'");
            })
            .WithName("GetReplayAt").Requires(Capability.ReadRoom)
            .WithSummary("The room as it stood at t (ISO 8601, within the raw history's retention): the statuses of every device and port (the hub's \"changes\" shape), the values, the alarms active then and the ticket steps of the hour before.");

        replay.MapGet("/rooms/{roomId}/changes", async Task<Results<Ok<ReplayChangesDto>, Problem<Status400>, Json<ErrorBody, Status403>, Problem<Status404>>> (
                string roomId, string? from, string? to, IReplaySource source, Inventory inventory, IOptions<ReplayOptions> options, ClaimsPrincipal user,
                CancellationToken cancellationToken) =>
            {
                if (Room(roomId, inventory, user) is { } refused)
                {
                    return refused.AsChanges();
                }

                var start = Instant("from", from, source);
                var end = Instant("to", to, source);
                if ((start.Problem ?? end.Problem) is { } problem)
                {
                    return problem;
                }

                if (end.Value <= start.Value)
                {
                    return new Problem<Status400>("'to' must be after 'from'");
                }

                var maxHours = Math.Max(1.0 / 60, options.Value.MaxWindowHours);
                if (end.Value - start.Value > TimeSpan.FromHours(maxHours))
                {
                    return new Problem<Status400>(string.Create(CultureInfo.InvariantCulture,
                        $"the window from 'from' to 'to' is longer than {maxHours:0.##} h (Monitoring:Replay:MaxWindowHours)"));
                }

                return await source.ChangesAsync(roomId, start.Value, end.Value, cancellationToken).ConfigureAwait(false) is { } changes
                    ? TypedResults.Ok(changes)
                    : new Problem<Status404>($"no room '{roomId}'");
            })
            .WithName("GetReplayChanges").Requires(Capability.ReadRoom)
            .WithSummary("The room at 'from', then its status changes, alarm events and ticket steps up to 'to', each in time order (window at most Monitoring:Replay:MaxWindowHours, default 24 h, within the history's retention).");

        var clock = secured.MapGroup("/api/training/replay").WithTags("Training");
        clock.MapGet(string.Empty, Results<Ok<ReplayClockDto>, Problem<Status409>> (ReplayClockAccess access) =>
                access.Clock is { } c ? TypedResults.Ok(c.State) : new Problem<Status409>(access.Refusal))
            .WithName("GetReplayClock").Requires(Capability.ReadRoom)
            .WithSummary("The replay session's clock: window, position, speed, playing (409 on the live host: only in a training session).");

        clock.MapPost("/play", Results<Ok<ReplayClockDto>, Problem<Status409>> (ReplayClockAccess access) =>
                access.Clock is { } c ? TypedResults.Ok(c.Play()) : new Problem<Status409>(access.Refusal))
            .WithName("PlayReplay").Requires(Capability.RunDrills).WithSummary("Plays the replay on from its position (from the start once it has ended).");

        clock.MapPost("/pause", Results<Ok<ReplayClockDto>, Problem<Status409>> (ReplayClockAccess access) =>
                access.Clock is { } c ? TypedResults.Ok(c.Pause()) : new Problem<Status409>(access.Refusal))
            .WithName("PauseReplay").Requires(Capability.RunDrills).WithSummary("Pauses the replay where it stands.");

        clock.MapPost("/speed", Results<Ok<ReplayClockDto>, Problem<Status400>, Problem<Status409>> (ReplaySpeedBody body, ReplayClockAccess access) =>
                access.Clock is not { } c ? new Problem<Status409>(access.Refusal)
                : body.Speed is not { } speed || !double.IsFinite(speed) || speed < ReplayClock.MinSpeed || speed > ReplayClock.MaxSpeed
                    ? new Problem<Status400>($"'speed' must be {ReplayClock.MinSpeed} to {ReplayClock.MaxSpeed} (recorded seconds per second)")
                : TypedResults.Ok(c.SetSpeed(speed)))
            .WithName("SetReplaySpeed").Requires(Capability.RunDrills).WithSummary("Sets the replay's speed, 1x to 60x.");

        clock.MapPost("/seek", Results<Ok<ReplayClockDto>, Problem<Status400>, Problem<Status409>> (ReplaySeekBody body, ReplayClockAccess access) =>
                access.Clock is not { } c ? new Problem<Status409>(access.Refusal)
                : body.T is not { } t || t < c.From || t > c.To
                    ? new Problem<Status400>($"'t' must lie in the replay window {c.From:O} .. {c.To:O}")
                : TypedResults.Ok(c.Seek(t)))
            .WithName("SeekReplay").Requires(Capability.RunDrills).WithSummary("Moves the replay to the instant t of its window.");
    }

    private static RoomRefusal? Room(string roomId, Inventory inventory, ClaimsPrincipal user) =>
        inventory.FindRoom(roomId) is not { } room ? new RoomRefusal(null, new Problem<Status404>($"no room '{roomId}'"))
        : Principals.MaySee(user, room) ? null
        : new RoomRefusal(new Json<ErrorBody, Status403>(new ErrorBody($"room '{room.Id}' is not a training room: a trainee may open training rooms only")), null);

    /// <summary>An ISO 8601 instant within what the history holds, or the 400 that names the parameter and the bound.</summary>
    private static (DateTimeOffset Value, Problem<Status400>? Problem) Instant(string name, string? text, IReplaySource source)
    {
        if (string.IsNullOrWhiteSpace(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return (default, new Problem<Status400>($"'{name}' must be an ISO 8601 instant, e.g. 2026-12-07T03:12:00Z"));
        }

        var oldest = source.OldestAvailable;
        if (value < oldest)
        {
            return (default, new Problem<Status400>(
                $"'{name}' {value:O} is before the oldest recorded instant {oldest:O} (the raw history's retention, Monitoring:History:RawRetention)"));
        }

        if (value > source.NewestAvailable)
        {
            return (default, new Problem<Status400>($"'{name}' {value:O} is in the future: only the past can be replayed"));
        }

        return (value, null);
    }

    private sealed record RoomRefusal(Json<ErrorBody, Status403>? Forbidden, Problem<Status404>? Missing)
    {
        public Results<Ok<ReplayRoomDto>, Problem<Status400>, Json<ErrorBody, Status403>, Problem<Status404>> AsAt() =>
            Forbidden is not null ? Forbidden : Missing!;

        public Results<Ok<ReplayChangesDto>, Problem<Status400>, Json<ErrorBody, Status403>, Problem<Status404>> AsChanges() =>
            Forbidden is not null ? Forbidden : Missing!;
    }
}
