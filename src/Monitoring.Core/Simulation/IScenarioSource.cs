namespace Monitoring.Core.Simulation;

/// <summary>Where the demo stands: on or off, which faults are in force, and the scenarios it can run by name.</summary>
public sealed record SimulatorState(bool Enabled, bool MainsFailed, bool CoolingFailed, IReadOnlyList<string> Scenarios);

/// <summary>What became of a scenario run: it ran (on <see cref="Device"/>, when one was named), or why it did not.</summary>
public readonly record struct ScenarioRun(bool Ran, string? Device, string? Problem)
{
    public static ScenarioRun Done(string? device = null) => new(true, device, null);

    public static ScenarioRun Refused(string problem) => new(false, null, problem);
}

/// <summary>
/// The server's one seam to the demo's scripted faults (mains failure, cooling failure, a leak, a probe that dies...).
/// The Server lists and runs scenarios through it and knows nothing of the simulator; <c>AddDemoSimulator()</c>
/// (Monitoring.Simulator) supplies the implementation. Without it, <see cref="NoScenarios"/> answers: disabled, no
/// scenarios, every run refused.
/// </summary>
public interface IScenarioSource
{
    SimulatorState State { get; }

    /// <summary>Runs the scenario named <paramref name="name"/> on the whole demo room.</summary>
    ScenarioRun Run(string name);

    /// <summary>Runs the per-device scenario named <paramref name="name"/> on device <paramref name="deviceId"/>.</summary>
    ScenarioRun Run(string name, string deviceId);
}

/// <summary>The seam with the simulator off: nothing touches real devices.</summary>
public sealed class NoScenarios : IScenarioSource
{
    public static readonly NoScenarios Instance = new();

    private static readonly SimulatorState Off = new(false, false, false, []);

    private NoScenarios()
    {
    }

    public SimulatorState State => Off;

    public ScenarioRun Run(string name) => ScenarioRun.Refused("the simulator is off: there is no demo room to script");

    public ScenarioRun Run(string name, string deviceId) => ScenarioRun.Refused($"no simulated MQTT probe '{deviceId}'");
}
