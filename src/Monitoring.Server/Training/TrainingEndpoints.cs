using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Core.Training;
using Monitoring.Server.Api;
using Monitoring.Server.Security;

namespace Monitoring.Server.Training;

/// <summary>GET /api/training/drills and /api/training/drills/{id}: the drills an instructor can run, read-only.</summary>
internal static class TrainingEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/context", (TrainingContext context) => TypedResults.Ok(new TrainingContextDto(context.IsSession ? Session(context.Options) : null)))
            .WithName("GetTrainingContext").Requires(Capability.ListRooms)
            .WithSummary("Whether this host is the live room (session null) or a training session, which the console frames as TRAINING.");

        group.MapGet("/drills", (DrillCatalog catalog) => TypedResults.Ok(catalog.Drills.Select(DrillViews.Summary).ToArray()))
            .WithName("ListDrills").Requires(Capability.ReadDrills).WithSummary("The training drills (device-profiles/drills), in both languages.");

        group.MapGet("/drills/{id}", Results<Ok<DrillDto>, Problem<Status404>> (string id, DrillCatalog catalog) =>
                catalog.Find(id) is { } drill ? TypedResults.Ok(DrillViews.Detail(drill)) : new Problem<Status404>($"no drill '{id}'"))
            .WithName("GetDrill").Requires(Capability.ReadDrills).WithSummary("One drill: its timeline of faults and the expected responses with their windows.");
    }

    private static TrainingSessionDto Session(TrainingSessionOptions o) => new(
        o.Id!, o.Name, o.RoomId, o.Kind == TrainingSessionKind.Replay ? "replay" : "drill", o.DrillId, o.Instructor, [.. o.Trainees], o.MirrorLive, o.ReplayFrom, o.ReplayTo);
}

/// <summary>The drill's texts in both languages.</summary>
public sealed record DrillTextDto(string Zh, string En);

/// <summary>A drill in the list. Times are seconds of drill time.</summary>
public sealed record DrillSummaryDto(
    string Id, string Name, string NameEn, DrillTextDto Description, string RoomId, double DurationSeconds, string? TimeOfDay, int Faults, int Expectations);

/// <summary>
/// One fault. <c>kind</c>: scenario, port-down, port-up, probe-leak, sensor-drift, device-silent, trap-storm.
/// <c>simulator</c>: the simulator scenario that plays it today (<c>POST /api/simulator/scenarios/...</c>), or null when
/// only a training session's own simulator will inject it.
/// </summary>
public sealed record DrillStepDto(
    string? Id, double AtSeconds, string Kind, string? Scenario, string? DeviceId, int? Port, string? PortName, double? ForSeconds,
    string? Metric, double? By, double? OverSeconds, int? Rate, DrillSimulatorDto? Simulator);

/// <summary>The scenario (and the device it runs on, or null for the whole room).</summary>
public sealed record DrillSimulatorDto(string Scenario, string? Device);

/// <summary>
/// One expected response. <c>kind</c>: acknowledge, locate, ticket, mute, close. Its window runs from
/// <c>fromSeconds</c> (the step named by <c>after</c>, else the first) to <c>deadlineSeconds</c>.
/// </summary>
public sealed record DrillExpectationDto(
    string Id, string Kind, string? RuleId, string? DeviceId, int? Port, string? PortName, string? Category, string? TeamId, bool? Mute,
    string? After, double FromSeconds, double WithinSeconds, double DeadlineSeconds, int Points);

public sealed record DrillDto(
    string Id, string Name, string NameEn, DrillTextDto Description, string RoomId, double DurationSeconds, string? TimeOfDay,
    IReadOnlyList<DrillStepDto> Timeline, IReadOnlyList<DrillExpectationDto> Expectations)
{
    /// <summary>The drill's locate quizzes (<c>quiz:</c>), in time order.</summary>
    public IReadOnlyList<DrillQuizDto> Quizzes { get; init; } = [];
}

/// <summary>A locate quiz of a drill: posed at <c>atSeconds</c>, answered by clicking the device (and port) in 3D.</summary>
public sealed record DrillQuizDto(string Id, double AtSeconds, DrillTextDto Ask, string DeviceId, int? Port, string? PortName, double WithinSeconds, int Points);

internal static class DrillViews
{
    public static DrillSummaryDto Summary(Drill drill) => new(
        drill.Id, drill.Name, drill.NameEn, Text(drill), drill.RoomId, drill.Duration.TotalSeconds, TimeOfDay(drill), drill.Timeline.Count, drill.Expectations.Count);

    public static DrillDto Detail(Drill drill) => new(
        drill.Id, drill.Name, drill.NameEn, Text(drill), drill.RoomId, drill.Duration.TotalSeconds, TimeOfDay(drill),
        [.. drill.Timeline.Select(Step)], [.. drill.Expectations.Select(Expectation)])
    {
        Quizzes = [.. drill.Quizzes.Select(q => new DrillQuizDto(q.Id, q.At.TotalSeconds, new DrillTextDto(q.Ask.Zh, q.Ask.En), q.DeviceId, q.PortIndex, q.PortName, q.Within.TotalSeconds, q.Points))],
    };

    private static DrillTextDto Text(Drill drill) => new(drill.Description.Zh, drill.Description.En);

    private static string? TimeOfDay(Drill drill) => drill.TimeOfDay?.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    public static DrillStepDto Step(DrillStep step) => new(
        step.Id,
        step.At.TotalSeconds,
        Kebab(step.Kind.ToString()),
        step.Scenario,
        step.DeviceId,
        step.PortIndex,
        step.PortName,
        step.For?.TotalSeconds,
        step.Metric,
        step.By,
        step.Over?.TotalSeconds,
        step.Rate,
        step.SimulatorScenario is { } scenario ? new DrillSimulatorDto(scenario, step.SimulatorDevice) : null);

    private static DrillExpectationDto Expectation(DrillExpectation e) => new(
        e.Id,
        Camel(e.Kind.ToString()),
        e.RuleId,
        e.DeviceId,
        e.PortIndex,
        e.PortName,
        e.Category is { } category ? Camel(category.ToString()) : null,
        e.TeamId,
        e.Kind == ExpectationKind.Mute ? e.Mute : null,
        e.AfterStep,
        e.From.TotalSeconds,
        e.Within.TotalSeconds,
        e.Deadline.TotalSeconds,
        e.Points);

    private static string Camel(string name) => string.Concat(char.ToLowerInvariant(name[0]).ToString(), name.AsSpan(1));

    /// <summary>PortDown → port-down, as the drill files write it.</summary>
    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : string.Empty) + char.ToLowerInvariant(c) : c.ToString()));
}
