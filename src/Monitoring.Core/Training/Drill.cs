using Monitoring.Core.Inventory;
using Monitoring.Core.Tickets;

namespace Monitoring.Core.Training;

/// <summary>A text in both languages of the console.</summary>
public sealed record DrillText(string Zh, string En);

/// <summary>
/// A drill (演练): a timeline of scripted faults on a room and the responses expected of the trainees, each with a
/// time limit. Read from device-profiles/drills/*.yaml by <see cref="DrillLoader"/>; times are drill time, from the
/// drill's start (a session that plays it faster converts).
/// </summary>
public sealed record Drill
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string NameEn { get; init; }

    public required DrillText Description { get; init; }

    /// <summary>The room the drill is written for; every device it names is in this room.</summary>
    public required string RoomId { get; init; }

    /// <summary>How long the drill runs; expectations without their own limit end here.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>The time of day the scenario plays at ("02:30": a night shift), when the drill sets one.</summary>
    public TimeOnly? TimeOfDay { get; init; }

    /// <summary>The faults, in time order.</summary>
    public IReadOnlyList<DrillStep> Timeline { get; init; } = [];

    public IReadOnlyList<DrillExpectation> Expectations { get; init; } = [];

    /// <summary>The locate quizzes the drill poses (<c>quiz:</c>), in time order.</summary>
    public IReadOnlyList<DrillQuiz> Quizzes { get; init; } = [];

    public SourceLocation Source { get; init; }

    public DrillStep? FindStep(string id) => Timeline.FirstOrDefault(s => string.Equals(s.Id, id, StringComparison.Ordinal));
}

/// <summary>What one timeline step does. Written in the YAML as the step's one fault key (kebab-case).</summary>
public enum DrillFaultKind
{
    /// <summary><c>scenario: NAME</c>: one of the simulator's room scenarios (<see cref="Simulation.ScenarioCatalog"/>).</summary>
    Scenario,

    /// <summary><c>port-down: DEVICE:PORT</c>: the port's link goes down (optionally <c>for</c> a while).</summary>
    PortDown,

    /// <summary><c>port-up: DEVICE:PORT</c>: the port's link comes back.</summary>
    PortUp,

    /// <summary><c>probe-leak: PROBE</c>: a water-leak probe reports water.</summary>
    ProbeLeak,

    /// <summary><c>sensor-drift: DEVICE</c> with <c>metric</c>, <c>by</c> and <c>over</c>: a reading creeps away.</summary>
    SensorDrift,

    /// <summary><c>device-silent: DEVICE</c>: the device stops answering (optionally <c>for</c> a while).</summary>
    DeviceSilent,

    /// <summary><c>trap-storm: DEVICE</c> with <c>rate</c> per second and <c>for</c>: a flood of SNMP notifications.</summary>
    TrapStorm,
}

/// <summary>One fault of a drill's timeline.</summary>
public sealed record DrillStep
{
    /// <summary>The name expectations count from (<c>after:</c>); null when the step has none.</summary>
    public string? Id { get; init; }

    /// <summary>When the fault happens, from the drill's start.</summary>
    public required TimeSpan At { get; init; }

    public required DrillFaultKind Kind { get; init; }

    /// <summary>The scenario's name (<see cref="DrillFaultKind.Scenario"/>).</summary>
    public string? Scenario { get; init; }

    /// <summary>The device the fault is on (every kind but <see cref="DrillFaultKind.Scenario"/>).</summary>
    public string? DeviceId { get; init; }

    /// <summary>The port's index (<see cref="DrillFaultKind.PortDown"/>, <see cref="DrillFaultKind.PortUp"/>).</summary>
    public int? PortIndex { get; init; }

    /// <summary>The port's name on the model, for people ("GE0/0/14").</summary>
    public string? PortName { get; init; }

    /// <summary>How long the fault lasts before it heals by itself; null: until a later step undoes it.</summary>
    public TimeSpan? For { get; init; }

    /// <summary>The drifting metric, its total change and over how long (<see cref="DrillFaultKind.SensorDrift"/>).</summary>
    public string? Metric { get; init; }

    public double? By { get; init; }

    public TimeSpan? Over { get; init; }

    /// <summary>Notifications per second (<see cref="DrillFaultKind.TrapStorm"/>).</summary>
    public int? Rate { get; init; }

    /// <summary>
    /// The simulator scenario that plays this step today through <see cref="Simulation.IScenarioSource"/>, when one
    /// exists (a named scenario; a leak probe → <c>leak</c>; a silent MQTT probe → <c>probe-die</c> on it); null for the
    /// faults only a training session's own simulator will inject (port state, drift, a silent polled device, traps).
    /// </summary>
    public string? SimulatorScenario { get; init; }

    /// <summary>The device <see cref="SimulatorScenario"/> runs on (<see cref="Simulation.IScenarioSource.Run(string, string)"/>), or null for the whole room.</summary>
    public string? SimulatorDevice { get; init; }

    public SourceLocation Source { get; init; }
}

/// <summary>What a trainee is expected to do. Written in the YAML as the expectation's one action key.</summary>
public enum ExpectationKind
{
    /// <summary><c>acknowledge: RULE</c> (optionally <c>device</c>): acknowledge the alarm that rule raised.</summary>
    Acknowledge,

    /// <summary><c>locate: DEVICE</c> or <c>DEVICE:PORT</c>: find it in the 3D room.</summary>
    Locate,

    /// <summary><c>ticket: CATEGORY</c> (optionally <c>team</c>): open and dispatch a ticket of that category to that team.</summary>
    Ticket,

    /// <summary><c>mute: true</c>: silence the horn and lamp in time; <c>mute: false</c>: never mute during the drill.</summary>
    Mute,

    /// <summary><c>close: RULE</c> (optionally <c>device</c>): close the alarm once the fault is restored.</summary>
    Close,
}

/// <summary>One expected response, with the window it must fall in.</summary>
public sealed record DrillExpectation
{
    /// <summary>Unique in the drill ("e1", "e2"... when the file gives none).</summary>
    public required string Id { get; init; }

    public required ExpectationKind Kind { get; init; }

    /// <summary>The alarm rule (<see cref="ExpectationKind.Acknowledge"/>, <see cref="ExpectationKind.Close"/>).</summary>
    public string? RuleId { get; init; }

    /// <summary>The device (locate; optionally acknowledge and close).</summary>
    public string? DeviceId { get; init; }

    /// <summary>The port to locate, by index; null: the device is enough.</summary>
    public int? PortIndex { get; init; }

    public string? PortName { get; init; }

    public TicketCategory? Category { get; init; }

    /// <summary>The team the ticket must be dispatched to; null: any team.</summary>
    public string? TeamId { get; init; }

    /// <summary>For <see cref="ExpectationKind.Mute"/>: true, the trainee must mute; false, the trainee must not.</summary>
    public bool Mute { get; init; }

    /// <summary>The step the window opens at (<c>after:</c>; the first step when not given).</summary>
    public string? AfterStep { get; init; }

    /// <summary>When the window opens, from the drill's start: actions before it do not count.</summary>
    public required TimeSpan From { get; init; }

    /// <summary>How long after <see cref="From"/> the response is on time.</summary>
    public required TimeSpan Within { get; init; }

    /// <summary>What the expectation is worth; a late response earns half.</summary>
    public int Points { get; init; } = DrillLoader.DefaultPoints;

    public SourceLocation Source { get; init; }

    /// <summary>The latest on-time moment, from the drill's start.</summary>
    public TimeSpan Deadline => From + Within;
}

/// <summary>
/// A locate quiz of a drill (<c>quiz:</c>): at <see cref="At"/> the trainees are asked to find a device, or one port of
/// it, in the 3D room; they answer by clicking it. Right within <see cref="Within"/> earns <see cref="Points"/>, right
/// but later half, wrong nothing.
/// </summary>
public sealed record DrillQuiz
{
    public required string Id { get; init; }

    /// <summary>When the question is posed, from the drill's start.</summary>
    public required TimeSpan At { get; init; }

    public required DrillText Ask { get; init; }

    /// <summary>The device to find.</summary>
    public required string DeviceId { get; init; }

    /// <summary>The port to find, by index; null: the device is the answer.</summary>
    public int? PortIndex { get; init; }

    public string? PortName { get; init; }

    public required TimeSpan Within { get; init; }

    public int Points { get; init; } = DrillLoader.DefaultPoints;

    public SourceLocation Source { get; init; }
}
