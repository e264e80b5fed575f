using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Core.Alarms;
using Monitoring.Server.Api;
using Monitoring.Server.Security;

namespace Monitoring.Server.Alarms;

/// <summary>The acting user is the signed-in one; <c>user</c> in a body is ignored (kept so older clients still bind).</summary>
public sealed record AckRequest(string? User, string? Comment);

/// <summary>Acknowledge many alarms with one comment: at most <see cref="AlarmEndpoints.MaxBulkAcknowledge"/> ids.</summary>
public sealed record BulkAckRequest(IReadOnlyList<long>? Ids, string? Comment);

/// <summary>One id's outcome in a bulk acknowledgement: status 200 (acknowledged, <c>alarm</c> set), 404 (no such alarm), 409 (its state refused).</summary>
public sealed record BulkAckResult(long Id, bool Ok, int Status, string? Error, AlarmSnapshot? Alarm);

/// <summary>The answer to a bulk acknowledgement: every id's outcome in the order asked, and how many were acknowledged.</summary>
public sealed record BulkAckResponse(int Acknowledged, IReadOnlyList<BulkAckResult> Results);

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
            .WithSummary("Active alarms (not closed), worst first; filter by severity (a list, e.g. critical,major), room, state.");
        alarms.MapGet("/history", History).WithName("AlarmHistory").Requires(Capability.Read)
            .WithSummary("Alarms past and present, newest first: from, to (ISO 8601), room, device, severity (the lowest), state, limit (500).");
        alarms.MapGet("/{id:long}", Get).WithName("GetAlarm").Requires(Capability.Read).WithSummary("One alarm and its timeline.");
        alarms.MapPost("/{id:long}/ack", Acknowledge).WithName("AcknowledgeAlarm").Requires(Capability.HandleAlarms).WithSummary("Acknowledge: { comment }; by the signed-in user.");
        alarms.MapPost("/ack", AcknowledgeMany).WithName("AcknowledgeAlarms").Requires(Capability.HandleAlarms)
            .WithSummary($"Acknowledge many: {{ ids: [...], comment }} (at most {MaxBulkAcknowledge} ids); each id's result, each acknowledgement kept before the answer.");
        alarms.MapPost("/{id:long}/shelve", Shelve).WithName("ShelveAlarm").Requires(Capability.HandleAlarms).WithSummary("Shelve for a while: { minutes, reason }.");
        alarms.MapPost("/{id:long}/unshelve", Unshelve).WithName("UnshelveAlarm").Requires(Capability.HandleAlarms).WithSummary("End a shelving.");
        alarms.MapPost("/{id:long}/close", Close).WithName("CloseAlarm").Requires(Capability.HandleAlarms).WithSummary("Close by hand: { comment }.");
        alarms.MapGet("/mute", (IAlarmService service) => TypedResults.Ok(MuteMessage.From(service.CurrentMute))).WithName("GetMute").Requires(Capability.Read)
            .WithSummary("The console mute now.");
        alarms.MapPost("/mute", Mute).WithName("Mute").Requires(Capability.SilenceAlarms).WithSummary("Mute the consoles' sound and the lamp's buzzer: { reason, minutes } (at most Monitoring:Alarms:MaxMuteMinutes).");
        alarms.MapDelete("/mute", Unmute).WithName("Unmute").Requires(Capability.SilenceAlarms).WithSummary("End the mute.");

        var maintenance = api.MapGroup("/maintenance");
        maintenance.MapGet(string.Empty, (IAlarmService service) => TypedResults.Ok(service.Maintenance)).WithName("ListMaintenance").Requires(Capability.Read)
            .WithSummary("Maintenance windows now and to come.");
        maintenance.MapPost(string.Empty, AddMaintenance).WithName("AddMaintenance").Requires(Capability.SilenceAlarms)
            .WithSummary("A maintenance window for a device, rack or room: { scope, from (default now), until or minutes, reason }.");
        maintenance.MapDelete("/{id:long}", EndMaintenance).WithName("EndMaintenance").Requires(Capability.SilenceAlarms).WithSummary("End a maintenance window.");
    }

    internal static Results<Ok<List<AlarmSnapshot>>, Problem<Status400>> List(string? severity, string? room, string? state, IAlarmService service, Monitoring.Core.Inventory.Inventory inventory, ClaimsPrincipal user)
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
        return TypedResults.Ok(list);
    }

    internal static Results<Ok<IReadOnlyList<AlarmSnapshot>>, Problem<Status400>> History(string? from, string? to, string? room, string? device, string? severity, string? state, int? limit, IAlarmService service)
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
        return TypedResults.Ok(service.History(query));
    }

    internal static Results<Ok<AlarmDetail>, Problem<Status404>> Get(long id, IAlarmService service) =>
        service.Find(id) is { } alarm ? TypedResults.Ok(new AlarmDetail(alarm, service.Timeline(id))) : UnknownAlarm(id);

    internal static Results<Ok<AlarmSnapshot>, Problem<Status400>, Problem<Status404>, Problem<Status409>> Acknowledge(long id, AckRequest? body, IAlarmService service, ClaimsPrincipal caller)
    {
        body ??= new AckRequest(null, null);
        if (body.Comment is { Length: > 1000 })
        {
            return Bad("comment", "is longer than 1000 characters");
        }

        if (service.Find(id) is null)
        {
            return UnknownAlarm(id);
        }

        var result = service.Acknowledge(id, Principals.Name(caller), Trimmed(body.Comment));
        return result.Ok ? TypedResults.Ok(result.Alarm!) : Conflict(result);
    }

    /// <summary>The most alarm ids one bulk acknowledgement may carry: the bound of any JSON list (Monitoring:Json:MaxListItems, 100).</summary>
    public const int MaxBulkAcknowledge = JsonLimits.DefaultMaxListItems;

    internal static Results<Ok<BulkAckResponse>, Problem<Status400>> AcknowledgeMany(BulkAckRequest? body, IAlarmService service, Monitoring.Core.Inventory.Inventory inventory, ClaimsPrincipal caller)
    {
        if (body?.Ids is not { Count: > 0 } ids)
        {
            return Bad("ids", "is required: one alarm id at least");
        }

        if (ids.Count > MaxBulkAcknowledge)
        {
            return Bad("ids", $"holds {ids.Count} ids: at most {MaxBulkAcknowledge} in one request");
        }

        if (body.Comment is { Length: > 1000 })
        {
            return Bad("comment", "is longer than 1000 characters");
        }

        var comment = Trimmed(body.Comment);
        var user = Principals.Name(caller);
        var results = new List<BulkAckResult>(ids.Count);
        var seen = new HashSet<long>();
        var acknowledged = 0;
        foreach (var id in ids)
        {
            if (!seen.Add(id))
            {
                continue;
            }

            // an alarm in a room the caller may not see is answered like one that does not exist
            if (service.Find(id) is not { } alarm || !Principals.MaySee(caller, inventory, alarm.Target.RoomId))
            {
                results.Add(new BulkAckResult(id, false, StatusCodes.Status404NotFound, $"no alarm {id}", null));
                continue;
            }

            // the same command as one acknowledgement: kept (stored) before it returns
            var result = service.Acknowledge(id, user, comment);
            if (result.Ok)
            {
                acknowledged++;
                results.Add(new BulkAckResult(id, true, StatusCodes.Status200OK, null, result.Alarm));
            }
            else
            {
                results.Add(new BulkAckResult(id, false, StatusCodes.Status409Conflict, result.Error, result.Alarm));
            }
        }

        return TypedResults.Ok(new BulkAckResponse(acknowledged, results));
    }

    internal static Results<Ok<AlarmSnapshot>, Problem<Status400>, Problem<Status404>, Problem<Status409>> Shelve(long id, ShelveRequest? body, IAlarmService service, IOptions<AlarmOptions> options, ClaimsPrincipal caller)
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

        if (service.Find(id) is null)
        {
            return UnknownAlarm(id);
        }

        var result = service.Shelve(id, Principals.Name(caller), TimeSpan.FromMinutes(minutes), body.Reason.Trim());
        return result.Ok ? TypedResults.Ok(result.Alarm!) : Conflict(result);
    }

    internal static Results<Ok<AlarmSnapshot>, Problem<Status404>, Problem<Status409>> Unshelve(long id, IAlarmService service, ClaimsPrincipal caller)
    {
        if (service.Find(id) is null)
        {
            return UnknownAlarm(id);
        }

        var result = service.Unshelve(id, Principals.Name(caller));
        return result.Ok ? TypedResults.Ok(result.Alarm!) : Conflict(result);
    }

    internal static Results<Ok<AlarmSnapshot>, Problem<Status404>, Problem<Status409>> Close(long id, UserRequest? body, IAlarmService service, ClaimsPrincipal caller)
    {
        if (service.Find(id) is null)
        {
            return UnknownAlarm(id);
        }

        var result = service.Close(id, Principals.Name(caller), Trimmed(body?.Comment));
        return result.Ok ? TypedResults.Ok(result.Alarm!) : Conflict(result);
    }

    internal static Results<Ok<MuteMessage>, Problem<Status400>> Mute(MuteRequest? body, IAlarmService service, IOptions<AlarmOptions> options, AlarmHubRelay relay, AlarmLampDriver lamp, ClaimsPrincipal caller)
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
        return TypedResults.Ok(MuteMessage.From(mute));
    }

    internal static Ok<MuteMessage> Unmute(IAlarmService service, AlarmHubRelay relay, AlarmLampDriver lamp, ClaimsPrincipal caller)
    {
        service.Unmute(Principals.Name(caller));
        relay.OnMuteChanged(service.CurrentMute);
        lamp.Poke();
        return TypedResults.Ok(MuteMessage.From(service.CurrentMute));
    }

    internal static Results<Created<MaintenanceWindow>, Problem<Status400>> AddMaintenance(
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
        return TypedResults.Created($"/api/maintenance/{window.Id}", window);
    }

    internal static Results<NoContent, Problem<Status404>> EndMaintenance(long id, IAlarmService service, ClaimsPrincipal caller) =>
        service.EndMaintenance(id, Principals.Name(caller))
            ? TypedResults.NoContent()
            : new Problem<Status404>($"no maintenance window {id}");

    private static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>A command the alarm's state does not allow.</summary>
    private static Problem<Status409> Conflict(AlarmCommandResult result) => new Problem<Status409>("not possible in the alarm's state", result.Error);

    private static Problem<Status404> UnknownAlarm(long id) => new Problem<Status404>($"no alarm {id}");

    /// <summary>How far ahead a maintenance window may be planned.</summary>
    public const int MaxMaintenanceLeadDays = 366;

    private static Problem<Status400> Bad(string field, string why) =>
        new Problem<Status400>($"bad field '{field}'", $"'{field}' {why}",
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["field"] = field });

    private static bool TryParse<T>(string text, out T value)
        where T : struct, Enum =>
        Enum.TryParse(text, ignoreCase: true, out value) && !int.TryParse(text, out _) && Enum.IsDefined(value);
}
