namespace Monitoring.Core.Simulation;

/// <summary>What became of a fault injection: applied, or why not (a message naming what is wrong, for a 400).</summary>
public readonly record struct FaultResult(bool Applied, string? Problem)
{
    public static FaultResult Done { get; } = new(true, null);

    public static FaultResult Refused(string problem) => new(false, problem);
}

/// <summary>
/// The simulator's faults below the scenarios, injected into the real simulated agents so that the collectors see them
/// over the real protocols (a drill's port-down, probe-leak, sensor-drift, device-silent and trap-storm steps). Every
/// call sets a state and returns at once; the caller (the drill runner) owns the timing, in drill time, and undoes
/// what it set (<c>down: false</c>, <c>silent: false</c>, rate 0, offset 0), or calls <see cref="HealAll"/>.
/// <c>AddDemoSimulator()</c> supplies the implementation; without the simulator, <see cref="NoFaults"/> refuses all.
/// </summary>
public interface IFaultInjector
{
    /// <summary>False when there is no simulator to inject into (every call is refused).</summary>
    bool Enabled { get; }

    /// <summary>The port's ifOperStatus goes down (a linkDown trap is sent when the trap listener is on) or back up (linkUp).</summary>
    FaultResult SetPortDown(string deviceId, int portIndex, bool down);

    /// <summary>The leak probe reports water (or dry again).</summary>
    FaultResult SetProbeLeak(string probeId, bool wet);

    /// <summary>A reading served by the device is offset by <paramref name="offset"/> (0: back to normal).</summary>
    FaultResult SetDrift(string deviceId, string metric, double offset);

    /// <summary>The device stops answering its poller (or its MQTT probe drops off the network), or comes back.</summary>
    FaultResult SetSilent(string deviceId, bool silent);

    /// <summary>The device's agent sends <paramref name="perSecond"/> notifications a second to the trap listener; 0 stops.</summary>
    FaultResult SetTrapStorm(string deviceId, int perSecond);

    /// <summary>Undoes every fault injected through this seam.</summary>
    void HealAll();
}

/// <summary>The seam with the simulator off: nothing to inject into, every call refused.</summary>
public sealed class NoFaults : IFaultInjector
{
    public const string Message = "the simulator is off: this host has no simulated devices to inject faults into";

    public static readonly NoFaults Instance = new();

    private NoFaults()
    {
    }

    public bool Enabled => false;

    public FaultResult SetPortDown(string deviceId, int portIndex, bool down) => FaultResult.Refused(Message);

    public FaultResult SetProbeLeak(string probeId, bool wet) => FaultResult.Refused(Message);

    public FaultResult SetDrift(string deviceId, string metric, double offset) => FaultResult.Refused(Message);

    public FaultResult SetSilent(string deviceId, bool silent) => FaultResult.Refused(Message);

    public FaultResult SetTrapStorm(string deviceId, int perSecond) => FaultResult.Refused(Message);

    public void HealAll()
    {
    }
}
