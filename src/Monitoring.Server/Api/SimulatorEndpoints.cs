using Monitoring.Simulator.Modbus;
using Monitoring.Simulator.Mqtt;
using Monitoring.Server.Security;

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

    /// <summary>The MQTT probes' events (see Monitoring.Simulator.Mqtt): a leak, a door left open, a probe that dies and leaves its will.</summary>
    private static readonly Dictionary<string, Action<MqttDemoProbes>> ProbeScenarios = new(StringComparer.Ordinal)
    {
        ["leak"] = probes => probes.Leak(),
        ["leak-clear"] = probes => probes.ClearLeak(),
        ["door-open"] = probes => probes.OpenDoor(),
        ["door-close"] = probes => probes.CloseDoor(),
        ["probe-die"] = probes => probes.KillProbe(),
        ["probe-revive"] = probes => probes.ReviveProbe(),
    };

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/scenarios/{name}/{device}", (string name, string device, HttpContext context) =>
            {
                if (context.RequestServices.GetService<MqttDemoProbes>() is not { } probes || !probes.ServedDeviceIds.Contains(device))
                {
                    return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"no simulated MQTT probe '{device}'");
                }

                return name switch
                {
                    "probe-die" => Results.Ok(new { device = probes.KillProbe(device) }),
                    "probe-revive" => Results.Ok(new { device = probes.ReviveProbe(device) }),
                    _ => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "per-device scenarios: probe-die, probe-revive"),
                };
            })
            .WithName("RunSimulatorProbeScenario").Requires(Capability.Simulate).ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/", (HttpContext context) =>
                context.RequestServices.GetService<ModbusDemoRoom>() is { } room
                    ? Results.Ok(new SimulatorStateDto(true, room.MainsFailed, room.AirConditioningFailed, [.. Scenarios.Keys, .. context.RequestServices.GetService<MqttDemoProbes>() is null ? Array.Empty<string>() : ProbeScenarios.Keys.ToArray()]))
                    : Results.Ok(new SimulatorStateDto(false, false, false, [])))
            .WithName("GetSimulator").Requires(Capability.Read).Produces<SimulatorStateDto>();

        group.MapPost("/scenarios/{name}", (string name, HttpContext context) =>
            {
                if (ProbeScenarios.TryGetValue(name, out var probeEvent) && context.RequestServices.GetService<MqttDemoProbes>() is { } probes)
                {
                    probeEvent(probes);
                    return Results.NoContent();
                }

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
            .WithName("RunSimulatorScenario").Requires(Capability.Simulate).Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
    }
}

public sealed record SimulatorStateDto(bool Enabled, bool MainsFailed, bool CoolingFailed, IReadOnlyList<string> Scenarios);
