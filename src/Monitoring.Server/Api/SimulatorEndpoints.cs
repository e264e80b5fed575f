using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Core.Simulation;
using Monitoring.Server.Security;

namespace Monitoring.Server.Api;

/// <summary>
/// The demo's fault scenarios, for instructors and scripts (a mains failure, a cooling failure, a leak, a probe that
/// dies...), through the one seam <see cref="IScenarioSource"/>: the demo plug-in supplies it, and with the simulator
/// off its default lists none and refuses every run with 404: nothing here touches real devices.
/// </summary>
internal static class SimulatorEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/scenarios/{name}/{device}", RunOnDevice)
            .WithName("RunSimulatorProbeScenario").Requires(Capability.Simulate).ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/", Get)
            .WithName("GetSimulator").Requires(Capability.Read);

        group.MapPost("/scenarios/{name}", Run)
            .WithName("RunSimulatorScenario").Requires(Capability.Simulate).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static Ok<SimulatorStateDto> Get(IScenarioSource scenarios)
    {
        var state = scenarios.State;
        return TypedResults.Ok(new SimulatorStateDto(state.Enabled, state.MainsFailed, state.CoolingFailed, state.Scenarios));
    }

    private static Results<NoContent, ProblemHttpResult> Run(string name, IScenarioSource scenarios)
    {
        var run = scenarios.Run(name);
        return run.Ran ? TypedResults.NoContent() : NotFound(run);
    }

    private static Results<Ok<ScenarioDeviceDto>, ProblemHttpResult> RunOnDevice(string name, string device, IScenarioSource scenarios)
    {
        var run = scenarios.Run(name, device);
        return run.Ran ? TypedResults.Ok(new ScenarioDeviceDto(run.Device)) : NotFound(run);
    }

    private static ProblemHttpResult NotFound(ScenarioRun refused) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: refused.Problem);
}

public sealed record SimulatorStateDto(bool Enabled, bool MainsFailed, bool CoolingFailed, IReadOnlyList<string> Scenarios);

/// <summary>The device a per-device scenario ran on.</summary>
public sealed record ScenarioDeviceDto(string? Device);
