namespace Monitoring.Core.Training;

/// <summary>
/// Where the drill running in this host stands, in drill time: the trainees' actions are timed on it against the
/// drill's expectations. The live host, and a session that plays no drill, have <see cref="NoDrillClock"/>.
/// </summary>
public interface IDrillClock
{
    /// <summary>The drill playing (or paused, or finished) in this host; null when none was started.</summary>
    string? DrillId { get; }

    /// <summary>Drill time now (from the drill's start, scaled by its speed, frozen while paused); null when no drill runs.</summary>
    TimeSpan? Now { get; }
}

/// <summary>No drill: the live host, or a session where none was started.</summary>
public sealed class NoDrillClock : IDrillClock
{
    public static readonly NoDrillClock Instance = new();

    public string? DrillId => null;

    public TimeSpan? Now => null;
}
