using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Core.Inventory;
using Monitoring.Core.Simulation;
using Monitoring.Core.Training;
using Monitoring.Server.Api;
using Monitoring.Server.Live;
using Monitoring.Server.Security;

namespace Monitoring.Server.Training.Drills;

/// <summary>POST /api/training/drill/start.</summary>
public sealed record DrillStartRequest(string? DrillId, double? Speed);

/// <summary>POST /api/training/drill/speed.</summary>
public sealed record DrillSpeedRequest(double? Speed);

/// <summary>
/// POST /api/training/drill/inject: a scenario (optionally on one device: probe-die, probe-revive), or one step of a
/// drill's kinds (port-down, port-up, probe-leak, sensor-drift, device-silent, trap-storm) with its fields.
/// </summary>
public sealed record DrillInjectRequest(string? Scenario, string? Device, DrillInjectStep? Step);

/// <summary>One step to inject; times in seconds (of drill time while a drill runs).</summary>
public sealed record DrillInjectStep(string? Kind, string? Device, int? Port, double? ForSeconds, string? Metric, double? By, double? OverSeconds, int? Rate);

/// <summary>POST /api/training/drill/reset: the runner's state, and whether the session's full reset (a fresh host) was requested.</summary>
public sealed record DrillResetDto(bool SessionResetRequested, DrillRunnerStateDto State);

/// <summary>
/// /api/training/drill: the drill runner of a training session's host. Every host maps it; the live host answers 409
/// "only in a training session". GET needs Read or Train; the commands need RunDrills. A command is applied and
/// persisted before its 2xx; a bad value answers 400 naming the field, an unknown drill 404.
/// </summary>
internal static class DrillRunnerEndpoints
{
    public const string OnlyInSession = "only in a training session";

    public const int MaxInjectSeconds = 4 * 3600;

    public const int MaxDrift = 1000;

    public static void Map(RouteGroupBuilder training)
    {
        var drill = training.MapGroup("/drill");
        drill.MapGet(string.Empty, Results<Ok<DrillRunnerStateDto>, Problem<Status403>, Problem<Status409>> (ClaimsPrincipal user, DrillRunner runner) =>
                !HubGuard.Allows(user, Capability.Read) && !HubGuard.Allows(user, Capability.Train)
                    ? new Problem<Status403>("forbidden: reading the drill needs Read or Train")
                    : runner.IsSession ? TypedResults.Ok(runner.State()) : new Problem<Status409>(OnlyInSession))
            .WithName("GetDrillRunner").Requires(Capability.ListRooms)
            .WithSummary("The drill running in this training session: status, drill clock, speed, the steps fired and to come (Read or Train).");

        drill.MapPost("/start", (DrillStartRequest request, DrillRunner runner) => Command(runner, () =>
            {
                if (string.IsNullOrWhiteSpace(request.DrillId))
                {
                    throw new DrillCommandException(StatusCodes.Status400BadRequest, "drillId is required");
                }

                return runner.Start(request.DrillId, request.Speed ?? 1);
            }))
            .WithName("StartDrill").Requires(Capability.RunDrills).WithSummary("Starts a drill at speed 1 to 10 (drill time runs that much faster).");

        drill.MapPost("/pause", (DrillRunner runner) => Command(runner, runner.Pause))
            .WithName("PauseDrill").Requires(Capability.RunDrills).WithSummary("Pauses the drill: its clock stops, no step fires, no fault heals.");

        drill.MapPost("/resume", (DrillRunner runner) => Command(runner, runner.Resume))
            .WithName("ResumeDrill").Requires(Capability.RunDrills).WithSummary("Resumes a paused drill.");

        drill.MapPost("/speed", (DrillSpeedRequest request, DrillRunner runner) =>
                Command(runner, () => runner.SetSpeed(request.Speed ?? throw new DrillCommandException(StatusCodes.Status400BadRequest, "speed is required"))))
            .WithName("SetDrillSpeed").Requires(Capability.RunDrills).WithSummary("Changes the drill's speed (1 to 10) from now on.");

        drill.MapPost("/reset", Results<Ok<DrillResetDto>, Problem<Status409>> (ClaimsPrincipal user, DrillRunner runner, IServiceProvider services) =>
            {
                if (!runner.IsSession)
                {
                    return new Problem<Status409>(OnlyInSession);
                }

                var state = runner.Reset();
                var control = services.GetService<ITrainingSessionControl>();
                var requested = control?.RequestReset(Principals.Name(user)) ?? false;
                return TypedResults.Ok(new DrillResetDto(requested, state));
            })
            .WithName("ResetDrill").Requires(Capability.RunDrills)
            .WithSummary("Resets: every fault healed, the runner idle; in a managed session also the whole session (a fresh host on the same address).");

        drill.MapPost("/inject", (DrillInjectRequest request, DrillRunner runner, Inventory inventory) => Command(runner, () => runner.Inject(Step(request, inventory))))
            .WithName("InjectDrillStep").Requires(Capability.RunDrills)
            .WithSummary("Plays a scenario or one fault now (port-down, port-up, probe-leak, sensor-drift, device-silent, trap-storm).");
    }

    private static Results<Ok<DrillRunnerStateDto>, Problem<Status400>, Problem<Status404>, Problem<Status409>> Command(DrillRunner runner, Func<DrillRunnerStateDto> command)
    {
        if (!runner.IsSession)
        {
            return new Problem<Status409>(OnlyInSession);
        }

        try
        {
            return TypedResults.Ok(command());
        }
        catch (DrillCommandException ex)
        {
            return ex.Status switch
            {
                StatusCodes.Status404NotFound => new Problem<Status404>(ex.Message),
                StatusCodes.Status409Conflict => new Problem<Status409>(ex.Message),
                _ => new Problem<Status400>(ex.Message),
            };
        }
    }

    /// <summary>The request as a drill step, every name checked against the inventory and the scenario catalogue.</summary>
    internal static DrillStep Step(DrillInjectRequest request, Inventory inventory)
    {
        static DrillCommandException Bad(string message) => new(StatusCodes.Status400BadRequest, message);

        if (request.Scenario is { } scenario)
        {
            if (request.Step is not null)
            {
                throw Bad("give either scenario or step, not both");
            }

            if (request.Device is { } target)
            {
                if (!ScenarioCatalog.DeviceScenarios.Contains(scenario, StringComparer.Ordinal))
                {
                    throw Bad($"scenario: '{scenario}' is no per-device scenario (known: {string.Join(", ", ScenarioCatalog.DeviceScenarios)})");
                }

                _ = inventory.FindDevice(target) ?? throw Bad($"device: unknown device '{target}'");
            }
            else if (!ScenarioCatalog.IsRoomScenario(scenario))
            {
                throw Bad($"scenario: unknown scenario '{scenario}' (known: {string.Join(", ", ScenarioCatalog.RoomScenarios)})");
            }

            return new DrillStep { At = TimeSpan.Zero, Kind = DrillFaultKind.Scenario, Scenario = scenario, SimulatorScenario = scenario, SimulatorDevice = request.Device };
        }

        var step = request.Step ?? throw Bad("scenario or step is required");
        var kind = step.Kind switch
        {
            "port-down" => DrillFaultKind.PortDown,
            "port-up" => DrillFaultKind.PortUp,
            "probe-leak" => DrillFaultKind.ProbeLeak,
            "sensor-drift" => DrillFaultKind.SensorDrift,
            "device-silent" => DrillFaultKind.DeviceSilent,
            "trap-storm" => DrillFaultKind.TrapStorm,
            _ => throw Bad($"step.kind: unknown kind '{step.Kind}' (port-down, port-up, probe-leak, sensor-drift, device-silent, trap-storm)"),
        };
        if (string.IsNullOrWhiteSpace(step.Device))
        {
            throw Bad("step.device is required");
        }

        var device = inventory.FindDevice(step.Device) ?? throw Bad($"step.device: unknown device '{step.Device}'");
        int? port = null;
        string? portName = null;
        if (kind is DrillFaultKind.PortDown or DrillFaultKind.PortUp)
        {
            var modelPort = step.Port is { } p ? device.Model.Ports.FirstOrDefault(x => x.Index == p) : null;
            if (modelPort is null)
            {
                throw Bad(step.Port is null ? "step.port is required" : $"step.port: device '{device.Id}' has no port {step.Port}");
            }

            port = modelPort.Index;
            portName = modelPort.Name;
        }

        TimeSpan? Seconds(double? value, string field, bool required)
        {
            if (value is null)
            {
                return required ? throw Bad($"step.{field} is required") : null;
            }

            return double.IsFinite(value.Value) && value > 0 && value <= MaxInjectSeconds
                ? TimeSpan.FromSeconds(value.Value)
                : throw Bad($"step.{field} must be more than 0 and at most {MaxInjectSeconds} seconds; it is {value}");
        }

        var lasting = Seconds(step.ForSeconds, "forSeconds", kind == DrillFaultKind.TrapStorm);
        TimeSpan? over = null;
        if (kind == DrillFaultKind.SensorDrift)
        {
            if (string.IsNullOrWhiteSpace(step.Metric))
            {
                throw Bad("step.metric is required");
            }

            if (step.By is not { } by || !double.IsFinite(by) || Math.Abs(by) > MaxDrift || by == 0)
            {
                throw Bad($"step.by must be a non-zero number within ±{MaxDrift}; it is {step.By?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing"}");
            }

            over = Seconds(step.OverSeconds, "overSeconds", true);
        }

        if (kind == DrillFaultKind.TrapStorm && step.Rate is not (>= 1 and <= 1000))
        {
            throw Bad($"step.rate must be 1 to 1000 notifications a second; it is {step.Rate?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing"}");
        }

        return new DrillStep
        {
            At = TimeSpan.Zero,
            Kind = kind,
            DeviceId = device.Id,
            PortIndex = port,
            PortName = portName,
            For = lasting,
            Metric = kind == DrillFaultKind.SensorDrift ? step.Metric : null,
            By = kind == DrillFaultKind.SensorDrift ? step.By : null,
            Over = over,
            Rate = kind == DrillFaultKind.TrapStorm ? step.Rate : null,
        };
    }
}

/// <summary>
/// The runner's one background loop (a tick every 100 ms of wall time, through the injected <see cref="TimeProvider"/>)
/// in a session host, after restoring the persisted state; and the relay of every change to the consoles as the hub
/// message "drill" (the same JSON as GET /api/training/drill). The live host's runner never runs.
/// </summary>
internal sealed partial class DrillRunnerService(DrillRunner runner, HubConnectionRegistry hub, TimeProvider time, ILogger<DrillRunnerService> logger) : BackgroundService
{
    public const string HubMethod = "drill";

    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!runner.IsSession)
        {
            return;
        }

        runner.Changed += Publish;
        try
        {
            runner.Restore();
            using var timer = new PeriodicTimer(TickInterval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    runner.Tick();
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    LogTickFailed(logger, ex); // the next tick tries again; the timeline is not stopped
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            runner.Changed -= Publish;
        }
    }

    private void Publish(DrillRunnerStateDto state) => hub.PublishEverywhere(HubAudience.Alarms, HubMethod, state);

    [LoggerMessage(Level = LogLevel.Error, Message = "Drill runner tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
