using System.Security.Claims;
using Microsoft.Extensions.Options;
using Monitoring.Core.Alarms;
using Monitoring.Server.Security;

namespace Monitoring.Server.Alarms;

/// <summary>The acting user is the signed-in one; <c>user</c> in a body is ignored (kept so older clients still bind).</summary>
public sealed record AckRequest(string? User, string? Comment);

public sealed record ShelveRequest(string? User, double? Minutes, string? Reason);

public sealed record UserRequest(string? User, string? Comment);

public sealed record MaintenanceRequest(string? Scope, DateTimeOffset? From, DateTimeOffset? Until, double? Minutes, string? User, string? Reason);

public sealed record MuteRequest(string? User, string? Reason, double? Minutes);

/// <summary>One alarm with every state change it went through, oldest first.</summary>
public sealed record AlarmDetail(AlarmSnapshot Alarm, IReadOnlyList<AlarmEvent> Timeline);

/// <summary>
/// /api/alarms, /api/maintenance: the alarm list and history, and the operator's commands (acknowledge, shelve,
/// unshelve, close, maintenance windows, the console mute). Until sign-in lands, who did it comes from the body's
/// <c>user</c>. Bad input answers 400 with a problem naming the field; an unknown alarm 404; a command the alarm's
/// state does not allow 409.
/// </summary>
internal static class AlarmEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var alarms = api.MapGroup("/alarms");
        alarms.MapGet(string.Empty, List).WithName("ListAlarms").Requires(Capability.Read)
            .WithSummary("Active alarms (not closed), worst first; filter by severity (a list, e.g. critical,major), room, state.")
            .Produces<IReadOnlyList<AlarmSnapshot>>().ProducesProblem(StatusCodes.Status400BadRequest);
        alarms.MapGet("/history", History).WithName("AlarmHistory").Requires(Capability.Read)
            .WithSummary("Alarms past and present, newest first: from, to (ISO 8601), room, device, severity (the lowest), state, limit (500).")
            .Produces<IReadOnlyList<AlarmSnapshot>>().ProducesProblem(StatusCodes.Status400BadRequest);
        alarms.MapGet("/{id:long}", Get).WithName("GetAlarm").Requires(Capability.Read).WithSummary("One alarm and its timeline.")
            .Produces<AlarmDetail>().ProducesProblem(StatusCodes.Status404NotFound);
        alarms.MapPost("/{id:long}/ack", Acknowledge).WithName("AcknowledgeAlarm").Requires(Capability.HandleAlarms).WithSummary("Acknowledge: { comment }; by the signed-in user.")
            .Produces<AlarmSnapshot>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        alarms.MapPost("/{id:long}/shelve", Shelve).WithName("ShelveAlarm").Requires(Capability.HandleAlarms).WithSummary("Shelve for a while: { minutes, reason }.")
            .Produces<AlarmSnapshot>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        alarms.MapPost("/{id:long}/unshelve", Unshelve).WithName("UnshelveAlarm").Requires(Capability.HandleAlarms).WithSummary("End a shelving.")
            .Produces<AlarmSnapshot>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        alarms.MapPost("/{id:long}/close", Close).WithName("CloseAlarm").Requires(Capability.HandleAlarms).WithSummary("Close by hand: { comment }.")
            .Produces<AlarmSnapshot>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        alarms.MapGet("/mute", (IAlarmService service) => Results.Ok(MuteMessage.From(service.CurrentMute))).WithName("GetMute").Requires(Capability.Read)
            .WithSummary("The console mute now.").Produces<MuteMessage>();
        alarms.MapPost("/mute", Mute).WithName("Mute").Requires(Capability.SilenceAlarms).WithSummary("Mute the consoles' sound and the lamp's buzzer: { reason, minutes } (at most Monitoring:Alarms:MaxMuteMinutes).")
            .Produces<MuteMessage>().ProducesProblem(StatusCodes.Status400BadRequest);
        alarms.MapDelete("/mute", Unmute).WithName("Unmute").Requires(Capability.SilenceAlarms).WithSummary("End the mute.")
            .Produces<MuteMessage>().ProducesProblem(StatusCodes.Status400BadRequest);

        var maintenance = api.MapGroup("/maintenance");
        maintenance.MapGet(string.Empty, (IAlarmService service) => Results.Ok(service.Maintenance)).WithName("ListMaintenance").Requires(Capability.Read)
            .WithSummary("Maintenance windows now and to come.").Produces<IReadOnlyList<MaintenanceWindow>>();
        maintenance.MapPost(string.Empty, AddMaintenance).WithName("AddMaintenance").Requires(Capability.SilenceAlarms)
            .WithSummary("A maintenance window for a device, rack or room: { scope, from (default now), until or minutes, reason }.")
            .Produces<MaintenanceWindow>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest);
        maintenance.MapDelete("/{id:long}", EndMaintenance).WithName("EndMaintenance").Requires(Capability.SilenceAlarms).WithSummary("End a maintenance window.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
    }

    internal static IResult List(string? severity, string? room, string? state, IAlarmService service, Monitoring.Core.Inventory.Inventory inventory, ClaimsPrincipal user)
    {
        HashSet<AlarmSeverity>? severities = null;
        if (!string.IsNullOrWhiteSpace(severity))
        {
            severities = [];
            foreach (var part in severity.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!TryParse<AlarmSeverity>(part, out var s))
                {
                    return Bad("severity", $"'{part}' is not one of critical, major, minor, warning");
                }

                severities.Add(s);
            }
        }

        AlarmState? wantedState = null;
        if (!string.IsNullOrWhiteSpace(state))
        {
            if (!TryParse<AlarmState>(state, out var s))
            {
                return Bad("state", $"'{state}' is not one of raised, acknowledged, cleared");
            }

            wantedState = s;
        }

        var list = service.Active.Where(a =>
            (severities is null || severities.Contains(a.Severity))
            && (string.IsNullOrWhiteSpace(room) || string.Equals(a.Target.RoomId, room, StringComparison.Ordinal))
            && (wantedState is null || a.State == wantedState)
            && Principals.MaySee(user, inventory, a.Target.RoomId)).ToList();
        return Results.Ok(list);
    }

    internal static IResult History(string? from, string? to, string? room, string? device, string? severity, string? state, int? limit, IAlarmService service)
    {
        DateTimeOffset? start = null;
        DateTimeOffset? end = null;
        if (!string.IsNullOrWhiteSpace(from))
        {
            if (!DateTimeOffset.TryParse(from, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var f))
            {
                return Bad("from", "is not an ISO 8601 time");
            }

            start = f;
        }

        if (!string.IsNullOrWhiteSpace(to))
        {
            if (!DateTimeOffset.TryParse(to, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t))
            {
                return Bad("to", "is not an ISO 8601 time");
            }

            end = t;
        }

        AlarmSeverity? minSeverity = null;
        if (!string.IsNullOrWhiteSpace(severity))
        {
            if (!TryParse<AlarmSeverity>(severity, out var s))
            {
                return Bad("severity", $"'{severity}' is not one of critical, major, minor, warning");
            }

            minSeverity = s;
        }

        AlarmState? wantedState = null;
        if (!string.IsNullOrWhiteSpace(state))
        {
            if (!TryParse<AlarmState>(state, out var s))
            {
                return Bad("state", $"'{state}' is not one of raised, acknowledged, cleared, closed");
            }

            wantedState = s;
        }

        if (limit is < 1 or > 10_000)
        {
            return Bad("limit", "must be between 1 and 10000");
        }

        var query = new AlarmQuery(
            string.IsNullOrWhiteSpace(room) ? null : room, string.IsNullOrWhiteSpace(device) ? null : device, minSeverity, wantedState, start, end, limit ?? 500);
        return Results.Ok(service.History(query));
    }

    internal static IResult Get(long id, IAlarmService service) =>
        service.Find(id) is { } alarm ? Results.Ok(new AlarmDetail(alarm, service.Timeline(id))) : UnknownAlarm(id);

    internal static IResult Acknowledge(long id, AckRequest? body, IAlarmService service, ClaimsPrincipal caller)
    {
        body ??= new AckRequest(null, null);
        if (body.Comment is { Length: > 1000 })
        {
            return Bad("comment", "is longer than 1000 characters");
        }

        return service.Find(id) is null ? UnknownAlarm(id) : Outcome(service.Acknowledge(id, Principals.Name(caller), Trimmed(body.Comment)));
    }

    internal static IResult Shelve(long id, ShelveRequest? body, IAlarmService service, IOptions<AlarmOptions> options, ClaimsPrincipal caller)
    {
        body ??= new ShelveRequest(null, null, null);
        var max = options.Value.MaxShelveMinutes;
        if (body.Minutes is not { } minutes || double.IsNaN(minutes) || minutes <= 0 || minutes > max)
        {
            return Bad("minutes", $"is required: more than 0 and at most {max}");
        }

        if (string.IsNullOrWhiteSpace(body.Reason))
        {
            return Bad("reason", "is required: say why the alarm is shelved");
        }

        return service.Find(id) is null ? UnknownAlarm(id) : Outcome(service.Shelve(id, Principals.Name(caller), TimeSpan.FromMinutes(minutes), body.Reason.Trim()));
    }

    internal static IResult Unshelve(long id, IAlarmService service, ClaimsPrincipal caller) =>
        service.Find(id) is null ? UnknownAlarm(id) : Outcome(service.Unshelve(id, Principals.Name(caller)));

    internal static IResult Close(long id, UserRequest? body, IAlarmService service, ClaimsPrincipal caller) =>
        service.Find(id) is null ? UnknownAlarm(id) : Outcome(service.Close(id, Principals.Name(caller), Trimmed(body?.Comment)));

    internal static IResult Mute(MuteRequest? body, IAlarmService service, IOptions<AlarmOptions> options, AlarmHubRelay relay, AlarmLampDriver lamp, ClaimsPrincipal caller)
    {
        body ??= new MuteRequest(null, null, null);
        if (string.IsNullOrWhiteSpace(body.Reason))
        {
            return Bad("reason", "is required: say why the sound is muted");
        }

        var max = options.Value.MaxMuteMinutes;
        if (body.Minutes is not { } minutes || double.IsNaN(minutes) || minutes <= 0 || minutes > max)
        {
            return Bad("minutes", $"is required: more than 0 and at most {max}");
        }

        var mute = service.Mute(Principals.Name(caller), body.Reason.Trim(), TimeSpan.FromMinutes(minutes));
        relay.OnMuteChanged(mute);
        lamp.Poke();
        return Results.Ok(MuteMessage.From(mute));
    }

    internal static IResult Unmute(IAlarmService service, AlarmHubRelay relay, AlarmLampDriver lamp, ClaimsPrincipal caller)
    {
        service.Unmute(Principals.Name(caller));
        relay.OnMuteChanged(service.CurrentMute);
        lamp.Poke();
        return Results.Ok(MuteMessage.From(service.CurrentMute));
    }

    internal static IResult AddMaintenance(
        MaintenanceRequest? body, IAlarmService service, TimeProvider time, Monitoring.Core.Inventory.Inventory inventory, IOptions<AlarmOptions> options, ClaimsPrincipal caller)
    {
        if (string.IsNullOrWhiteSpace(body?.Scope))
        {
            return Bad("scope", "is required: a device, rack or room id");
        }

        var scope = body.Scope.Trim();
        if (inventory.FindDevice(scope) is null && inventory.FindRoom(scope) is null && !inventory.Rooms.Any(r => r.Racks.Any(k => k.Id == scope)))
        {
            return Bad("scope", $"'{scope}' is no device, rack or room");
        }

        if (string.IsNullOrWhiteSpace(body.Reason))
        {
            return Bad("reason", "is required: say what the maintenance is");
        }

        // capped like mute and shelve: minutes=2147483647 would end in the year 6109
        var max = options.Value.MaxMaintenanceMinutes;
        if (body.Minutes is { } minutes && body.Until is null && (double.IsNaN(minutes) || minutes <= 0 || minutes > max))
        {
            return Bad("minutes", $"is required: more than 0 and at most {max}");
        }

        var now = time.GetUtcNow();
        var from = body.From ?? now;
        if (from > now.AddDays(MaxMaintenanceLeadDays))
        {
            return Bad("from", $"is at most {MaxMaintenanceLeadDays} days ahead");
        }

        DateTimeOffset until;
        if (body.Until is { } u)
        {
            until = u;
        }
        else if (body.Minutes is { } m && m > 0 && !double.IsNaN(m))
        {
            until = from.AddMinutes(m);
        }
        else
        {
            return Bad("until", "is required (or minutes > 0)");
        }

        if (until <= from)
        {
            return Bad("until", "must be after from");
        }

        if (until - from > TimeSpan.FromMinutes(max))
        {
            return Bad("until", $"a maintenance window lasts at most {max} minutes (Monitoring:Alarms:MaxMaintenanceMinutes)");
        }

        var window = service.AddMaintenance(scope, from, until, Principals.Name(caller), body.Reason.Trim());
        return Results.Created($"/api/maintenance/{window.Id}", window);
    }

    internal static IResult EndMaintenance(long id, IAlarmService service, ClaimsPrincipal caller) =>
        service.EndMaintenance(id, Principals.Name(caller))
            ? Results.NoContent()
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"no maintenance window {id}");

    private static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static IResult Outcome(AlarmCommandResult result) =>
        result.Ok ? Results.Ok(result.Alarm)
        : Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "not possible in the alarm's state", detail: result.Error);

    private static IResult UnknownAlarm(long id) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"no alarm {id}");

    /// <summary>How far ahead a maintenance window may be planned.</summary>
    public const int MaxMaintenanceLeadDays = 366;

    private static IResult Bad(string field, string why) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"bad field '{field}'", detail: $"'{field}' {why}",
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["field"] = field });

    private static bool TryParse<T>(string text, out T value)
        where T : struct, Enum =>
        Enum.TryParse(text, ignoreCase: true, out value) && !int.TryParse(text, out _) && Enum.IsDefined(value);
}
