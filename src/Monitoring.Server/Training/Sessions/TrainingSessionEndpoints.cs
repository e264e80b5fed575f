using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Core.Inventory;
using Monitoring.Server.Api;
using Monitoring.Server.Security;

namespace Monitoring.Server.Training.Sessions;

/// <summary>POST /api/training/sessions: a new session. <c>kind</c>: "drill" (default) or "replay" (with replayFrom/replayTo).</summary>
public sealed record CreateTrainingSessionRequest(
    string? Name, string? RoomId, string? DrillId, string? Kind, IReadOnlyList<string>? Trainees, bool MirrorLive, DateTimeOffset? ReplayFrom, DateTimeOffset? ReplayTo);

/// <summary>POST /api/training/sessions/{id}/trainees: more trainees to invite (user names).</summary>
public sealed record InviteTraineesRequest(IReadOnlyList<string>? Trainees);

/// <summary>
/// The live host's training sessions (issue 21): create, list, invite, reset, end. Creating and running needs
/// RunDrills; a trainee (Train) lists only the sessions they are invited to. On a session host they answer 409.
/// </summary>
internal static class TrainingSessionEndpoints
{
    private const string OnlyLive = "only on the live host (this is a training session's host)";

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("", CreateAsync).WithName("CreateTrainingSession").Requires(Capability.RunDrills)
            .WithSummary("Creates a training session on a room: a host of its own on its own port, isolated from the live room; 201 with its url.");
        group.MapGet("", Results<Ok<IReadOnlyList<TrainingSessionView>>, Problem<Status409>> (HttpContext http, ClaimsPrincipal caller, TrainingContext context, TrainingSessionManager manager) =>
                context.IsSession ? new Problem<Status409>(OnlyLive)
                : TypedResults.Ok<IReadOnlyList<TrainingSessionView>>([.. manager.List(HostName(http)).Where(s => MaySee(caller, s))]))
            .WithName("ListTrainingSessions").Requires(Capability.Train)
            .WithSummary("The training sessions: all of them for who runs drills, the ones a trainee is invited to otherwise.");
        group.MapGet("/{id}", Results<Ok<TrainingSessionView>, Problem<Status404>, Problem<Status409>> (string id, HttpContext http, ClaimsPrincipal caller, TrainingContext context, TrainingSessionManager manager) =>
                context.IsSession ? new Problem<Status409>(OnlyLive)
                : manager.Find(id, HostName(http)) is { } s && MaySee(caller, s) ? TypedResults.Ok(s) : new Problem<Status404>($"no training session '{id}'"))
            .WithName("GetTrainingSession").Requires(Capability.Train).WithSummary("One training session: its room, trainees, url and state.");
        group.MapPost("/{id}/trainees", InviteAsync).WithName("InviteTrainees").Requires(Capability.RunDrills)
            .WithSummary("Invites more trainees (user names) into a session.");
        group.MapPost("/{id}/reset", ResetAsync).WithName("ResetTrainingSession").Requires(Capability.RunDrills)
            .WithSummary("Resets a session: its host stops, its data is wiped, a fresh host starts on the same address.");
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteTrainingSession").Requires(Capability.RunDrills)
            .WithSummary("Ends a session: its host stops and its data folder (alarms, tickets, history of the session) is deleted.");
    }

    private static async Task<Results<Created<TrainingSessionView>, Problem<Status400>, Problem<Status409>, Problem<Status503>>> CreateAsync(
        CreateTrainingSessionRequest body, HttpContext http, ClaimsPrincipal caller, TrainingContext context, TrainingSessionManager manager,
        Inventory inventory, DrillCatalog drills, UserDirectory users, CancellationToken ct)
    {
        if (context.IsSession)
        {
            return new Problem<Status409>(OnlyLive);
        }

        var options = manager.Options;
        var name = body.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > options.MaxNameLength)
        {
            return new Problem<Status400>($"name: required, at most {options.MaxNameLength} characters");
        }

        if (body.RoomId is not { Length: > 0 } roomId || inventory.FindRoom(roomId) is null)
        {
            return new Problem<Status400>($"roomId: no room '{body.RoomId}'");
        }

        if (body.DrillId is { Length: > 0 } drillId && (drills.Find(drillId) is not { } drill || drill.RoomId != roomId))
        {
            return new Problem<Status400>($"drillId: no drill '{drillId}' for room '{roomId}'");
        }

        TrainingSessionKind kind;
        switch (body.Kind ?? "drill")
        {
            case "drill":
                kind = TrainingSessionKind.Drill;
                break;
            case "replay" when body.ReplayFrom is { } from && body.ReplayTo is { } to && from < to:
                kind = TrainingSessionKind.Replay;
                break;
            case "replay":
                return new Problem<Status400>("replayFrom, replayTo: a replay needs both, replayFrom before replayTo");
            default:
                return new Problem<Status400>($"kind: 'drill' or 'replay', not '{body.Kind}'");
        }

        if (Trainees(body.Trainees, options, users) is { } error)
        {
            return new Problem<Status400>(error);
        }

        var record = new TrainingSessionRecord
        {
            Name = name,
            RoomId = roomId,
            Kind = kind,
            DrillId = string.IsNullOrEmpty(body.DrillId) ? null : body.DrillId,
            Instructor = Principals.Name(caller),
            Trainees = [.. (body.Trainees ?? []).Distinct(StringComparer.Ordinal)],
            MirrorLive = body.MirrorLive,
            ReplayFrom = kind == TrainingSessionKind.Replay ? body.ReplayFrom : null,
            ReplayTo = kind == TrainingSessionKind.Replay ? body.ReplayTo : null,
        };
        try
        {
            var view = await manager.CreateAsync(record, HostName(http), ct).ConfigureAwait(false);
            return TypedResults.Created($"/api/training/sessions/{view.Id}", view);
        }
        catch (TrainingSessionException ex) when (ex.Status == StatusCodes.Status409Conflict)
        {
            return new Problem<Status409>(ex.Message);
        }
        catch (TrainingSessionException ex)
        {
            return new Problem<Status503>(ex.Message);
        }
    }

    private static async Task<Results<Ok<TrainingSessionView>, Problem<Status400>, Problem<Status404>, Problem<Status409>>> InviteAsync(
        string id, InviteTraineesRequest body, HttpContext http, TrainingContext context, TrainingSessionManager manager, UserDirectory users, CancellationToken ct)
    {
        if (context.IsSession)
        {
            return new Problem<Status409>(OnlyLive);
        }

        if (body.Trainees is not { Count: > 0 } || Trainees(body.Trainees, manager.Options, users) is { } error)
        {
            return new Problem<Status400>(body.Trainees is not { Count: > 0 } ? "trainees: name at least one user" : Trainees(body.Trainees, manager.Options, users));
        }

        try
        {
            return await manager.InviteAsync(id, body.Trainees, HostName(http), ct).ConfigureAwait(false) is { } view
                ? TypedResults.Ok(view) : new Problem<Status404>($"no training session '{id}'");
        }
        catch (TrainingSessionException ex)
        {
            return new Problem<Status400>(ex.Message);
        }
    }

    private static async Task<Results<Accepted, Problem<Status404>, Problem<Status409>>> ResetAsync(
        string id, ClaimsPrincipal caller, TrainingContext context, TrainingSessionManager manager, CancellationToken ct)
    {
        if (context.IsSession)
        {
            return new Problem<Status409>(OnlyLive);
        }

        return await manager.ResetAsync(id, Principals.Name(caller), ct).ConfigureAwait(false)
            ? TypedResults.Accepted($"/api/training/sessions/{id}") : new Problem<Status404>($"no training session '{id}'");
    }

    private static async Task<Results<NoContent, Problem<Status404>, Problem<Status409>>> DeleteAsync(
        string id, TrainingContext context, TrainingSessionManager manager, CancellationToken ct)
    {
        if (context.IsSession)
        {
            return new Problem<Status409>(OnlyLive);
        }

        return await manager.DeleteAsync(id, ct).ConfigureAwait(false) ? TypedResults.NoContent() : new Problem<Status404>($"no training session '{id}'");
    }

    /// <summary>The trainees named: known users, within the bound; the reason when not.</summary>
    private static string? Trainees(IReadOnlyList<string>? trainees, TrainingSessionsOptions options, UserDirectory users)
    {
        if (trainees is null)
        {
            return null;
        }

        if (trainees.Count > options.MaxTrainees)
        {
            return $"trainees: at most {options.MaxTrainees} per session ({TrainingSessionsOptions.Section}:MaxTrainees)";
        }

        var unknown = trainees.Where(t => users.Find(t) is null).ToList();
        return unknown.Count > 0 ? $"trainees: no user '{string.Join("', '", unknown.Take(5))}'" : null;
    }

    /// <summary>Who runs drills sees every session; a trainee those they are invited to.</summary>
    private static bool MaySee(ClaimsPrincipal caller, TrainingSessionView session) =>
        HubGuard.Allows(caller, Capability.RunDrills) || session.Trainees.Contains(Principals.Name(caller), StringComparer.Ordinal);

    /// <summary>The host name the browser used (the session's url keeps it, with the session's port: same cookies).</summary>
    private static string? HostName(HttpContext http) => http.Request.Host.HasValue ? http.Request.Host.Host : null;
}
