using Monitoring.Core.Simulation;
using Monitoring.Simulator.Modbus;
using Monitoring.Simulator.Mqtt;

namespace Monitoring.Simulator.Hosting;

/// <summary>
/// The demo's fault scenarios behind the server's <see cref="IScenarioSource"/>: a mains failure (every UPS goes on
/// battery, charge and runtime fall) and an air-conditioning failure (the units fault, temperatures climb), each with
/// its restore, on the Modbus room; and the MQTT probes' events: a leak, a door left open, a probe that dies and
/// leaves its will (the whole room, or one probe by id).
/// </summary>
internal sealed class DemoScenarios : IScenarioSource
{
    private static readonly Dictionary<string, Action<ModbusDemoRoom>> RoomScenarios = new(StringComparer.Ordinal)
    {
        ["mains-failure"] = room => room.FailMains(),
        ["mains-restore"] = room => room.RestoreMains(),
        ["cooling-failure"] = room => room.FailAirConditioning(),
        ["cooling-restore"] = room => room.RestoreAirConditioning(),
    };

    private static readonly Dictionary<string, Action<MqttDemoProbes>> ProbeScenarios = new(StringComparer.Ordinal)
    {
        ["leak"] = probes => probes.Leak(),
        ["leak-clear"] = probes => probes.ClearLeak(),
        ["door-open"] = probes => probes.OpenDoor(),
        ["door-close"] = probes => probes.CloseDoor(),
        ["probe-die"] = probes => probes.KillProbe(),
        ["probe-revive"] = probes => probes.ReviveProbe(),
    };

    private static readonly string[] Names = [.. RoomScenarios.Keys, .. ProbeScenarios.Keys];

    private readonly ModbusDemoRoom _room;
    private readonly MqttDemoProbes _probes;

    public DemoScenarios(ModbusDemoRoom room, MqttDemoProbes probes)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(probes);
        _room = room;
        _probes = probes;
    }

    public SimulatorState State => new(true, _room.MainsFailed, _room.AirConditioningFailed, Names);

    public ScenarioRun Run(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (ProbeScenarios.TryGetValue(name, out var probeEvent))
        {
            probeEvent(_probes);
            return ScenarioRun.Done();
        }

        if (!RoomScenarios.TryGetValue(name, out var apply))
        {
            return ScenarioRun.Refused($"no scenario '{name}'; known: {string.Join(", ", RoomScenarios.Keys)}");
        }

        apply(_room);
        return ScenarioRun.Done();
    }

    public ScenarioRun Run(string name, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(deviceId);
        if (!_probes.ServedDeviceIds.Contains(deviceId))
        {
            return ScenarioRun.Refused($"no simulated MQTT probe '{deviceId}'");
        }

        return name switch
        {
            "probe-die" => ScenarioRun.Done(_probes.KillProbe(deviceId)),
            "probe-revive" => ScenarioRun.Done(_probes.ReviveProbe(deviceId)),
            _ => ScenarioRun.Refused("per-device scenarios: probe-die, probe-revive"),
        };
    }
}
