namespace Monitoring.Server.Training;

/// <summary>What a training session's host plays: a drill (or free practice) on simulated devices, or a replay of recorded history.</summary>
public enum TrainingSessionKind
{
    Drill,
    Replay,
}

/// <summary>
/// The settings of a training session's host (section <c>Monitoring:Training:Session</c>). A host started without
/// an <see cref="Id"/> is the live host. The session manager starts each session as a host of its own with these keys.
/// </summary>
public sealed class TrainingSessionOptions
{
    public const string Section = "Monitoring:Training:Session";

    public string? Id { get; set; }

    public string? Name { get; set; }

    /// <summary>The room the session trains on (its devices are simulated and live inside the session only).</summary>
    public string? RoomId { get; set; }

    public TrainingSessionKind Kind { get; set; } = TrainingSessionKind.Drill;

    /// <summary>The drill the session was created with (it may still be started later by the instructor).</summary>
    public string? DrillId { get; set; }

    /// <summary>The instructor who created the session.</summary>
    public string? Instructor { get; set; }

    /// <summary>The trainees invited (user names).</summary>
    public List<string> Trainees { get; set; } = [];

    /// <summary>Start from a copy of the live room's latest values ("mirror live state") instead of the simulator's defaults.</summary>
    public bool MirrorLive { get; set; }

    /// <summary>A replay session: the recorded window it plays back.</summary>
    public DateTimeOffset? ReplayFrom { get; set; }

    public DateTimeOffset? ReplayTo { get; set; }
}

/// <summary>
/// Whether this host is the live room's or a training session's: every host has one (the live host's has
/// <see cref="IsSession"/> false). The console reads it from <c>GET /api/training/context</c> and draws the TRAINING
/// frame when it is a session.
/// </summary>
public sealed class TrainingContext(TrainingSessionOptions options)
{
    public static readonly TrainingContext Live = new(new TrainingSessionOptions());

    public TrainingSessionOptions Options { get; } = options;

    public bool IsSession => !string.IsNullOrEmpty(Options.Id);

    public string? SessionId => IsSession ? Options.Id : null;
}

/// <summary>GET /api/training/context: the session this host plays, or null for the live room.</summary>
public sealed record TrainingContextDto(TrainingSessionDto? Session);

/// <summary>The session as the console shows it.</summary>
public sealed record TrainingSessionDto(
    string Id, string? Name, string? RoomId, string Kind, string? DrillId, string? Instructor, IReadOnlyList<string> Trainees,
    bool MirrorLive, DateTimeOffset? ReplayFrom, DateTimeOffset? ReplayTo);

/// <summary>
/// What a training session's host may ask of the session manager that runs it (registered in session hosts only; the
/// live host has none). A reset rebuilds the session from scratch: the host stops, its data (alarms, incidents,
/// tickets, trainee actions) is wiped, and a new host starts on the same address, so the consoles reconnect to it.
/// </summary>
public interface ITrainingSessionControl
{
    /// <summary>Asks for a reset; answers at once (the host that asks is stopped afterwards, outside its own request).</summary>
    bool RequestReset(string requestedBy);
}

/// <summary>
/// A feature of the live host that puts something of its own into every training session's host as it is built
/// (the replay puts the live room's recorded history, read-only). Registered in the live host's services; the session
/// manager calls every one for each session host it builds.
/// </summary>
public interface ISessionHostContributor
{
    void Contribute(IServiceCollection sessionServices, TrainingSessionOptions session);
}
