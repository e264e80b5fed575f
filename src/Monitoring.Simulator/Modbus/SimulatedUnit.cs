namespace Monitoring.Simulator.Modbus;

/// <summary>
/// The four data tables of one simulated Modbus unit. <see cref="Refresh"/> runs under <see cref="Gate"/> before every
/// request, so values computed from the clock are current when read; writes (FC 5, 6, 15, 16) change the tables directly.
/// </summary>
public sealed class SimulatedUnit(int coils, int discreteInputs, int holdingRegisters, int inputRegisters)
{
    public bool[] Coils { get; } = new bool[coils];

    public bool[] DiscreteInputs { get; } = new bool[discreteInputs];

    public ushort[] HoldingRegisters { get; } = new ushort[holdingRegisters];

    public ushort[] InputRegisters { get; } = new ushort[inputRegisters];

    public Lock Gate { get; } = new();

    /// <summary>Called (under <see cref="Gate"/>) before each request is served.</summary>
    public Action<SimulatedUnit>? Refresh { get; init; }

    /// <summary>Requests served, for tests and benchmarks.</summary>
    public long Requests { get; internal set; }
}
