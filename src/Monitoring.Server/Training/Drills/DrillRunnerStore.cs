using System.Text.Json;
using Monitoring.Core.Training;

namespace Monitoring.Server.Training.Drills;

/// <summary>What the runner keeps across a restart of its host.</summary>
public sealed record DrillRunnerSaved(
    Drill? Drill, DrillRunStatus Status, double Speed, TimeSpan DrillTime, int Next, long Failures, IReadOnlyList<FiredDrillStep> Fired);

/// <summary>
/// The runner's state in the host's data folder (drill-runner.json): written to a temporary file, fsynced, then moved
/// over the old one, before a command answers; read once at start. A file that cannot be read is logged and ignored
/// (the runner starts idle), never a reason not to start.
/// </summary>
public sealed partial class DrillRunnerStore(string path, ILogger<DrillRunnerStore> logger)
{
    public const string FileName = "drill-runner.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Path { get; } = path;

    public void Save(DrillRunnerSaved state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var file = new SavedFile(
            state.Drill?.Id,
            state.Status.ToString(),
            state.Speed,
            state.DrillTime.TotalSeconds,
            state.Next,
            state.Failures,
            [.. state.Fired.Select(f => new SavedStep(f.Index, Persist(f.Step), f.FiredAt, f.DrillTime.TotalSeconds, f.Injected, f.Error))]);
        var temporary = Path + ".tmp";
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, file, Json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path, overwrite: true);
    }

    public DrillRunnerSaved? Load(DrillCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (!File.Exists(Path))
        {
            return null;
        }

        try
        {
            using var stream = File.OpenRead(Path);
            var file = JsonSerializer.Deserialize<SavedFile>(stream, Json);
            if (file is null)
            {
                return null;
            }

            var drill = file.DrillId is null ? null : catalog.Find(file.DrillId);
            if (file.DrillId is not null && drill is null)
            {
                LogUnreadable(logger, Path, $"drill '{file.DrillId}' is no longer loaded");
                return null;
            }

            var status = Enum.Parse<DrillRunStatus>(file.Status);
            var fired = file.Fired.Select(f => new FiredDrillStep(
                f.Index,
                f.Index is { } i && drill is not null && i < drill.Timeline.Count ? drill.Timeline[i] : Restore(f.Step),
                f.FiredAt,
                TimeSpan.FromSeconds(f.DrillSeconds),
                f.Injected,
                f.Error)).ToList();
            return new DrillRunnerSaved(drill, drill is null ? DrillRunStatus.Idle : status, file.Speed, TimeSpan.FromSeconds(file.DrillSeconds), file.Next, file.Failures, fired);
        }
        catch (Exception ex) when (ex is JsonException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            LogUnreadable(logger, Path, ex.Message);
            return null;
        }
    }

    private static StepFile Persist(DrillStep s) => new(
        s.Id, s.At.TotalSeconds, s.Kind.ToString(), s.Scenario, s.DeviceId, s.PortIndex, s.PortName, s.For?.TotalSeconds, s.Metric, s.By, s.Over?.TotalSeconds,
        s.Rate, s.SimulatorScenario, s.SimulatorDevice);

    private static DrillStep Restore(StepFile s) => new()
    {
        Id = s.Id,
        At = TimeSpan.FromSeconds(s.AtSeconds),
        Kind = Enum.Parse<DrillFaultKind>(s.Kind),
        Scenario = s.Scenario,
        DeviceId = s.DeviceId,
        PortIndex = s.Port,
        PortName = s.PortName,
        For = s.ForSeconds is { } f ? TimeSpan.FromSeconds(f) : null,
        Metric = s.Metric,
        By = s.By,
        Over = s.OverSeconds is { } o ? TimeSpan.FromSeconds(o) : null,
        Rate = s.Rate,
        SimulatorScenario = s.SimulatorScenario,
        SimulatorDevice = s.SimulatorDevice,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Drill runner state {Path} not restored: {Reason}; the runner starts idle")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);

    private sealed record SavedFile(string? DrillId, string Status, double Speed, double DrillSeconds, int Next, long Failures, List<SavedStep> Fired);

    private sealed record SavedStep(int? Index, StepFile Step, DateTimeOffset FiredAt, double DrillSeconds, bool Injected, string? Error);

    private sealed record StepFile(
        string? Id, double AtSeconds, string Kind, string? Scenario, string? DeviceId, int? Port, string? PortName, double? ForSeconds, string? Metric,
        double? By, double? OverSeconds, int? Rate, string? SimulatorScenario, string? SimulatorDevice);
}
