using Monitoring.Simulator.Modbus;

namespace Monitoring.Server.Api;

/// <summary>
/// The demo's fault scenarios, for instructors and scripts: a mains failure (every UPS goes on battery, charge and
/// runtime fall) and an air-conditioning failure (the units fault, temperatures climb), each with its restore.
/// 404 when the simulator is off: nothing here touches real devices.
/// </summary>
internal static class SimulatorEndpoints
{
    private static readonly Dictionary<string, Action<ModbusDemoRoom>> Scenarios = new(StringComparer.Ordinal)
    {
        ["mains-failure"] = room => room.FailMains(),
        ["mains-restore"] = room => room.RestoreMains(),
        ["cooling-failure"] = room => room.FailAirConditioning(),
        ["cooling-restore"] = room => room.RestoreAirConditioning(),
    };

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/", (HttpContext context) =>
                context.RequestServices.GetService<ModbusDemoRoom>() is { } room
                    ? Results.Ok(new SimulatorStateDto(true, room.MainsFailed, room.AirConditioningFailed, [.. Scenarios.Keys]))
                    : Results.Ok(new SimulatorStateDto(false, false, false, [])))
            .WithName("GetSimulator").Produces<SimulatorStateDto>();

        group.MapPost("/scenarios/{name}", (string name, HttpContext context) =>
            {
                if (context.RequestServices.GetService<ModbusDemoRoom>() is not { } room)
                {
                    return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "the simulator is off: there is no demo room to script");
                }

                if (!Scenarios.TryGetValue(name, out var apply))
                {
                    return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"no scenario '{name}'; known: {string.Join(", ", Scenarios.Keys)}");
                }

                apply(room);
                return Results.NoContent();
            })
            .WithName("RunSimulatorScenario").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
    }
}

public sealed record SimulatorStateDto(bool Enabled, bool MainsFailed, bool CoolingFailed, IReadOnlyList<string> Scenarios);
