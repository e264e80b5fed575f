namespace Monitoring.Core.Simulation;

/// <summary>
/// The names of the simulator's scripted faults, in Core so that files naming them (drills) can be checked without the
/// simulator. <c>DemoScenarios</c> (Monitoring.Simulator) runs exactly these; a test keeps the two in step.
/// </summary>
public static class ScenarioCatalog
{
    /// <summary>Scenarios that act on the whole room: <see cref="IScenarioSource.Run(string)"/>.</summary>
    public static IReadOnlyList<string> RoomScenarios { get; } =
    [
        "mains-failure",
        "mains-restore",
        "cooling-failure",
        "cooling-restore",
        "leak",
        "leak-clear",
        "door-open",
        "door-close",
        "probe-die",
        "probe-revive",
    ];

    /// <summary>Scenarios that also act on one named MQTT probe: <see cref="IScenarioSource.Run(string, string)"/>.</summary>
    public static IReadOnlyList<string> DeviceScenarios { get; } = ["probe-die", "probe-revive"];

    public static bool IsRoomScenario(string name) => RoomScenarios.Contains(name, StringComparer.Ordinal);
}
