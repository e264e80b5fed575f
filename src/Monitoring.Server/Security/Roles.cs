using System.Security.Claims;
using Monitoring.Core.Inventory;

namespace Monitoring.Server.Security;

/// <summary>The seven roles of the NOC. Stored and sent as camelCase strings ("dutyLead").</summary>
public enum Role
{
    Administrator,
    DutyLead,
    Operator,
    Technician,
    Trainee,
    Viewer,

    /// <summary>Trains operators on the room model: reads like a viewer, and reads the training drills (issue 21).</summary>
    Instructor,
}

/// <summary>What an endpoint or hub method needs. Each maps to the roles (and API token scopes) that have it.</summary>
public enum Capability
{
    /// <summary>Signed in, even with a password still to change: session, sign-out, password change.</summary>
    Session,

    /// <summary>The room list: every role, filtered for trainees to training rooms.</summary>
    ListRooms,

    /// <summary>One room, its devices and their live values: every role, trainees only in training rooms.</summary>
    ReadRoom,

    /// <summary>Everything else that only reads: alarms, events, history, teams, reports.</summary>
    Read,

    /// <summary>Reading tickets (the "tickets" token scope has it too).</summary>
    ReadTickets,

    /// <summary>Acknowledge, shelve, unshelve, close alarms.</summary>
    HandleAlarms,

    /// <summary>Mute sound and buzzer; maintenance windows (both silence alarms).</summary>
    SilenceAlarms,

    /// <summary>Hotline tickets: open, intercept, link.</summary>
    OpenTickets,

    /// <summary>Notes on a ticket (technicians on their own team's tickets).</summary>
    NoteTickets,

    /// <summary>Dispatch, recall and escalation.</summary>
    DispatchTickets,

    /// <summary>Receive, accept, depart, arrive, resolve (technicians on their own team's tickets).</summary>
    FieldSteps,

    /// <summary>Team availability (technicians for their own team).</summary>
    TeamStatus,

    /// <summary>Callback, complaint handling, close.</summary>
    FollowUpTickets,

    /// <summary>Triggering simulated faults.</summary>
    Simulate,

    /// <summary>Pushing samples (line protocol).</summary>
    WriteSamples,

    /// <summary>Users, API tokens, the audit log.</summary>
    Administer,

    /// <summary>Scraping the server's own figures at /metrics (the "metrics" token scope; administrators).</summary>
    ReadMetrics,

    /// <summary>The training drills, their timelines and expectations (instructors, duty leads, administrators).</summary>
    ReadDrills,

    /// <summary>Creating training sessions and running their drills, replays and quizzes (instructors, duty leads, administrators).</summary>
    RunDrills,

    /// <summary>Writing and editing knowledge-base articles, publishing drafts (duty leads, administrators; issue 23).</summary>
    EditKnowledge,

    /// <summary>Taking part in a training session: locating in 3D, answering quizzes (trainees, instructors, duty leads, administrators).</summary>
    Train,

    /// <summary>A remote collector node: its zone's configuration and heartbeat (the "collector" token scope, bound to a zone; administrators).</summary>
    Collect,
}

/// <summary>The role × permission matrix and the token scopes, in one place.</summary>
public static class Permissions
{
    public const string ClaimRole = "role";
    public const string ClaimName = "name";
    public const string ClaimDisplayName = "display_name";
    public const string ClaimTeam = "team";
    public const string ClaimStamp = "stamp";
    public const string ClaimMustChange = "must_change";
    public const string ClaimScope = "scope";
    public const string ClaimTokenId = "token_id";

    /// <summary>The zone a collector token is bound to (<see cref="ScopeCollector"/>).</summary>
    public const string ClaimZone = "zone";
    /// <summary>
    /// In a training session's host only (issue 21, sessions): what the signed-in user is in that session, set by
    /// <see cref="Monitoring.Server.Training.Sessions.SessionClaims"/>: "trainee" (invited), "instructor" (the session's),
    /// or "none" (neither, nor an administrator or duty lead: refused). The live host never sets it.
    /// </summary>
    public const string ClaimTrainingRole = "training_role";

    /// <summary>In a training session's host only: the one room a signed-in user sees there (the session's), whatever the role.</summary>
    public const string ClaimTrainingRoom = "training_room";

    /// <summary>The id of one signed-in session (cookie), so that signing out ends that session only (<see cref="SessionRevocations"/>).</summary>
    public const string ClaimSession = "sid";

    /// <summary>API token scopes.</summary>
    public const string ScopeWriteSamples = "samples:write";
    public const string ScopeRead = "read";
    public const string ScopeTickets = "tickets";
    public const string ScopeSimulate = "simulate";
    public const string ScopeMetrics = "metrics";

    /// <summary>A remote collector node, bound to one zone: writes that zone's samples, reads its configuration, reports its heartbeat.</summary>
    public const string ScopeCollector = "collector";

    public static readonly IReadOnlyList<string> Scopes = [ScopeWriteSamples, ScopeRead, ScopeTickets, ScopeSimulate, ScopeMetrics, ScopeCollector];

    public static string PolicyName(Capability permission) => "permission:" + permission;

    public static bool Allows(Role role, Capability permission) => role switch
    {
        Role.Administrator => true,
        Role.DutyLead => permission is not (Capability.Administer or Capability.Simulate or Capability.WriteSamples or Capability.ReadMetrics or Capability.Collect),
        Role.Operator => permission is Capability.Session or Capability.ListRooms or Capability.ReadRoom or Capability.Read or Capability.ReadTickets
            or Capability.HandleAlarms or Capability.OpenTickets or Capability.NoteTickets or Capability.FollowUpTickets,
        Role.Technician => permission is Capability.Session or Capability.ListRooms or Capability.ReadRoom or Capability.Read or Capability.ReadTickets
            or Capability.NoteTickets or Capability.FieldSteps or Capability.TeamStatus,
        Role.Trainee => permission is Capability.Session or Capability.ListRooms or Capability.ReadRoom or Capability.Train,
        Role.Viewer => permission is Capability.Session or Capability.ListRooms or Capability.ReadRoom or Capability.Read or Capability.ReadTickets,
        Role.Instructor => permission is Capability.Session or Capability.ListRooms or Capability.ReadRoom or Capability.Read or Capability.ReadTickets
            or Capability.ReadDrills or Capability.RunDrills or Capability.Train,
        _ => false,
    };

    /// <summary>
    /// <see cref="Allows(Role, Capability)"/>, keyed by the training session the principal is in (<see cref="ClaimTrainingRole"/>):
    /// an invited trainee has the operator's and the technician's capabilities and Train; the session's instructor the duty
    /// lead's and RunDrills; anyone else who is not an administrator or duty lead only the session (sign-out, password).
    /// </summary>
    public static bool Allows(ClaimsPrincipal user, Role role, Capability permission) => user?.FindFirst(ClaimTrainingRole)?.Value switch
    {
        "trainee" => permission == Capability.Train || Allows(Role.Operator, permission) || Allows(Role.Technician, permission),
        "instructor" => permission is Capability.RunDrills or Capability.Train || Allows(Role.DutyLead, permission) || Allows(role, permission),
        "none" => permission == Capability.Session,
        _ => Allows(role, permission),
    };

    /// <summary>What an API token with <paramref name="scope"/> may do.</summary>
    public static bool ScopeAllows(string scope, Capability permission) => permission == Capability.Session || scope switch
    {
        ScopeWriteSamples => permission is Capability.WriteSamples,
        ScopeRead => permission is Capability.ListRooms or Capability.ReadRoom or Capability.Read or Capability.ReadTickets,
        ScopeTickets => permission is Capability.ReadTickets or Capability.OpenTickets or Capability.NoteTickets,
        // the scenarios only: no alarms, events, history, reports or team members (docs/API.md's table, EndpointAccessTests)
        ScopeSimulate => permission is Capability.Simulate,
        ScopeMetrics => permission is Capability.ReadMetrics,
        ScopeCollector => permission is Capability.WriteSamples or Capability.Collect,
        _ => false,
    };

    public static string RoleName(Role role) => role switch
    {
        Role.DutyLead => "dutyLead",
        _ => role.ToString().ToLowerInvariant(),
    };

    public static bool TryParseRole(string? text, out Role role)
    {
        foreach (var candidate in Enum.GetValues<Role>())
        {
            if (string.Equals(text, RoleName(candidate), StringComparison.OrdinalIgnoreCase)
                || string.Equals(text, candidate.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                role = candidate;
                return true;
            }
        }

        role = default;
        return false;
    }
}

/// <summary>Who is calling, read from the principal the sign-in or the token put on the request.</summary>
public static class Principals
{
    /// <summary>The name recorded as the actor of a command: the user's name, or "token:NAME" for an API token.</summary>
    public static string Name(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.FindFirst(Permissions.ClaimName)?.Value ?? "anonymous";
    }

    public static Role? RoleOf(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return Permissions.TryParseRole(principal.FindFirst(Permissions.ClaimRole)?.Value, out var role) ? role : null;
    }

    public static string? Team(ClaimsPrincipal principal) => principal?.FindFirst(Permissions.ClaimTeam)?.Value;

    public static bool IsToken(ClaimsPrincipal principal) => principal?.FindFirst(Permissions.ClaimTokenId) is not null;

    /// <summary>The zone a collector token is bound to; null for users and other tokens (they are not limited to a zone).</summary>
    public static string? Zone(ClaimsPrincipal principal) => principal?.FindFirst(Permissions.ClaimZone)?.Value;

    /// <summary>
    /// The trainee rule, in this one place: a trainee sees training rooms (<c>training: true</c>) only; everyone else
    /// (and read tokens) every room. The room list, a room, a device, search, history, alarms and the hub's room groups
    /// and broadcasts all ask here.
    /// </summary>
    public static bool SeesEveryRoom(ClaimsPrincipal principal) =>
        RoleOf(principal ?? throw new ArgumentNullException(nameof(principal))) != Role.Trainee
        && principal.FindFirst(Permissions.ClaimTrainingRoom) is null; // in a session host: its one room (MaySee)

    /// <summary>May <paramref name="principal"/> see this room (<see cref="SeesEveryRoom"/>)?</summary>
    public static bool MaySee(ClaimsPrincipal principal, Room room)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.FindFirst(Permissions.ClaimTrainingRoom)?.Value is { } only)
        {
            return string.Equals(room.Id, only, StringComparison.Ordinal);
        }

        return SeesEveryRoom(principal) || room.Training;
    }

    /// <summary>May <paramref name="principal"/> see what lives in room <paramref name="roomId"/> (a device, an alarm)? A room the inventory does not know, or none: only who sees every room.</summary>
    public static bool MaySee(ClaimsPrincipal principal, Inventory inventory, string? roomId)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.FindFirst(Permissions.ClaimTrainingRoom)?.Value is { } only)
        {
            return string.Equals(roomId, only, StringComparison.Ordinal);
        }

        return SeesEveryRoom(principal) || (roomId is not null && inventory.FindRoom(roomId) is { Training: true });
    }

    /// <summary>Technicians act only on their own team's tickets; other roles with the permission on any.</summary>
    public static bool MayActOnTeam(ClaimsPrincipal principal, string? teamId, string? holder = null) =>
        RoleOf(principal) != Role.Technician
        || (Team(principal) is { Length: > 0 } own && (string.Equals(own, teamId, StringComparison.Ordinal) || string.Equals(own, holder, StringComparison.Ordinal)));
}
