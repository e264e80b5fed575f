using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Monitoring.Core.Inventory;
using Monitoring.Server.Security;

namespace Monitoring.Server.Training.Sessions;

/// <summary>
/// What makes a training session's host unable to reach the outside world: the live host's settings it does not take,
/// and the ones it sets to its own. docs/ARCHITECTURE.md ("Training sessions") lists them; a feature that adds a
/// setting which sends something out of the server adds its section to <see cref="Removed"/>.
/// </summary>
public static class SessionIsolation
{
    /// <summary>Sections of the live host's configuration a session host never takes (every key under them is left out).</summary>
    public static readonly IReadOnlyList<string> Removed =
    [
        "Monitoring:Influx", // InfluxDB targets: the session writes to no InfluxDB
        "Monitoring:Alarms:Webhooks", // alarm and ticket webhooks
        "Monitoring:Alarms:Lamp", // the physical alarm lamp (set off below)
        "Monitoring:Mqtt:External", // an external MQTT broker the live host subscribes to
        "Monitoring:Mqtt:Broker", // the embedded broker's port, address and users (the session's broker: below)
        "Monitoring:Snmp:Traps", // the trap listener's port (a session listens for no traps from the network)
        "Monitoring:Storage", // the live database (a session has its own SQLite in its folder)
        "Monitoring:Simulator", // on below, for the session's room only
        "Monitoring:Training", // the live host's session list and this session's own keys (set below)
        Tickets.Notices.NoticeOptions.Section, // customer notices (SMTP, SMS webhooks): a training ticket notifies nobody
        RemoteCollectors.CollectorOptions.Section, // remote collector nodes push to the live host only
        Cluster.ClusterOptions.Section, // the cluster's Redis bus, key ring and alarm leadership belong to the live nodes
    ];

    /// <summary>The settings every session host gets on top of what it takes from the live host.</summary>
    public static Dictionary<string, string?> Overrides(string dataDirectory) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Monitoring:Storage:DataDirectory"] = dataDirectory,
        ["Monitoring:Storage:Provider"] = "Sqlite",
        ["Monitoring:Alarms:Lamp:Enabled"] = "false",
        // the session's own broker on a free loopback port: its simulated probes publish there, and nothing else knows it
        ["Monitoring:Mqtt:Broker:Enabled"] = "true",
        ["Monitoring:Mqtt:Broker:Port"] = "0",
        ["Monitoring:Mqtt:Broker:BindAddress"] = "127.0.0.1",
        ["Monitoring:Simulator:Enabled"] = "true",
    };

    /// <summary>The live host's settings a session host takes: Monitoring:* and Logging:*, less <see cref="Removed"/>.</summary>
    public static Dictionary<string, string?> Inherited(IConfiguration live)
    {
        ArgumentNullException.ThrowIfNull(live);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in live.AsEnumerable())
        {
            if (value is null
                || !(key.StartsWith("Monitoring:", StringComparison.OrdinalIgnoreCase) || key.StartsWith("Logging:", StringComparison.OrdinalIgnoreCase))
                || Removed.Any(r => key.Equals(r, StringComparison.OrdinalIgnoreCase) || key.StartsWith(r + ":", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            values[key] = value;
        }

        return values;
    }
}

/// <summary>
/// A session host's inventory: the session's room is live inside it (it and its devices <c>Training = false</c>, so
/// that the session's own simulator and collectors give a <c>training: true</c> room a life of its own there), and
/// every other room is a training room there (never polled, simulated or alarmed; nobody signed in sees it, see
/// <see cref="Permissions.ClaimTrainingRoom"/>). The other rooms stay loaded so that the rules, drills and service
/// files are checked against the same inventory as on the live host.
/// </summary>
public static class SessionInventory
{
    public static Inventory For(Inventory inventory, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrEmpty(configuration[TrainingSessionOptions.Section + ":Id"]) || configuration[TrainingSessionOptions.Section + ":RoomId"] is not { Length: > 0 } roomId)
        {
            return inventory;
        }

        if (inventory.FindRoom(roomId) is null)
        {
            throw new InvalidOperationException($"{TrainingSessionOptions.Section}:RoomId: no room '{roomId}' in the inventory");
        }

        var rooms = inventory.Rooms.Select(room =>
        {
            var live = string.Equals(room.Id, roomId, StringComparison.Ordinal);
            return room with { Training = !live, Devices = [.. room.Devices.Select(d => d with { Training = !live })] };
        }).ToList();
        return new Inventory(inventory.Models, rooms);
    }
}

/// <summary>Who is invited into one session, as the session manager keeps it (invitations change while the session runs).</summary>
public sealed class SessionRoster(string roomId, string? instructor, IEnumerable<string> trainees)
{
    public string RoomId { get; } = roomId;

    private volatile HashSet<string> _trainees = new(trainees, StringComparer.Ordinal);

    public string? Instructor { get; } = instructor;

    public IReadOnlyCollection<string> Trainees => _trainees;

    public bool IsTrainee(string name) => _trainees.Contains(name);

    public void Set(IEnumerable<string> trainees) => _trainees = new HashSet<string>(trainees, StringComparer.Ordinal);
}

/// <summary>
/// In a session host: marks the signed-in user with what they are in this session (<see cref="Permissions.ClaimTrainingRole"/>):
/// the instructor, an invited trainee, or nobody (refused, unless an administrator or duty lead). API tokens are left as
/// they are (their scopes decide).
/// </summary>
internal sealed class SessionClaims(SessionRoster roster) : IClaimsTransformation
{
    public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true || Principals.IsToken(principal) || principal.HasClaim(c => c.Type == Permissions.ClaimTrainingRoom))
        {
            return Task.FromResult(principal);
        }

        var name = Principals.Name(principal);
        var role = Principals.RoleOf(principal);
        var training = string.Equals(name, roster.Instructor, StringComparison.Ordinal) ? "instructor"
            : role is Role.Administrator or Role.DutyLead ? null
            : roster.IsTrainee(name) ? "trainee"
            : "none";
        var clone = principal.Clone();
        var identity = (ClaimsIdentity)clone.Identity!;
        identity.AddClaim(new Claim(Permissions.ClaimTrainingRoom, roster.RoomId));
        if (training is not null)
        {
            identity.AddClaim(new Claim(Permissions.ClaimTrainingRole, training));
        }

        return Task.FromResult(clone);
    }
}
