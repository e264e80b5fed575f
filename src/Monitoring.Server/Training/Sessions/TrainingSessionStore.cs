using System.Text.Json;

namespace Monitoring.Server.Training.Sessions;

/// <summary><c>Monitoring:Training</c>: the live host's bounds on sessions.</summary>
public sealed class TrainingSessionsOptions
{
    public const string Section = "Monitoring:Training";

    /// <summary>Sessions at once (each is a host of its own in this process).</summary>
    public int MaxSessions { get; set; } = 8;

    /// <summary>The ports sessions listen on, "5100-5199"; unset: any free port (kept for the session's life).</summary>
    public string? Ports { get; set; }

    public int MaxNameLength { get; set; } = 80;

    public int MaxTrainees { get; set; } = 50;
}

/// <summary>One session as the live host keeps it (training/sessions.json): enough to start it again after a restart.</summary>
public sealed class TrainingSessionRecord
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string RoomId { get; set; } = "";

    public TrainingSessionKind Kind { get; set; }

    public string? DrillId { get; set; }

    public string Instructor { get; set; } = "";

    public List<string> Trainees { get; set; } = [];

    public bool MirrorLive { get; set; }

    public DateTimeOffset? ReplayFrom { get; set; }

    public DateTimeOffset? ReplayTo { get; set; }

    /// <summary>The port the session listens on (0 until its first start): it keeps it across resets and restarts.</summary>
    public int Port { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public TrainingSessionOptions ToOptions() => new()
    {
        Id = Id,
        Name = Name,
        RoomId = RoomId,
        Kind = Kind,
        DrillId = DrillId,
        Instructor = Instructor,
        Trainees = [.. Trainees],
        MirrorLive = MirrorLive,
        ReplayFrom = ReplayFrom,
        ReplayTo = ReplayTo,
    };
}

/// <summary>
/// The sessions file, <c>&lt;data&gt;/training/sessions.json</c>: rewritten whole on every change (a temporary file,
/// fsync'd, then renamed over the old one), so that it is either the old list or the new one after a crash.
/// </summary>
internal sealed class TrainingSessionStore(string directory)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Directory { get; } = directory;

    public string FilePath => Path.Combine(Directory, "sessions.json");

    public List<TrainingSessionRecord> Load()
    {
        if (!File.Exists(FilePath))
        {
            return [];
        }

        using var stream = File.OpenRead(FilePath);
        return JsonSerializer.Deserialize<List<TrainingSessionRecord>>(stream, Json) ?? [];
    }

    public async Task SaveAsync(IReadOnlyList<TrainingSessionRecord> sessions, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var temporary = FilePath + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await JsonSerializer.SerializeAsync(file, sessions, Json, cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, FilePath, overwrite: true);
    }
}
