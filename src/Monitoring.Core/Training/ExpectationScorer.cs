using Monitoring.Core.Tickets;

namespace Monitoring.Core.Training;

/// <summary>What a trainee did, as a session records it.</summary>
public enum TraineeActionKind
{
    /// <summary>Acknowledged an alarm (of <see cref="TraineeAction.RuleId"/> on <see cref="TraineeAction.DeviceId"/>).</summary>
    Acknowledge,

    /// <summary>Located a device, or one of its ports, in the 3D room.</summary>
    Locate,

    /// <summary>Opened a ticket of a category and dispatched it to a team.</summary>
    Ticket,

    /// <summary>Muted the console's horn and lamp.</summary>
    Mute,

    /// <summary>Closed an alarm.</summary>
    Close,
}

/// <summary>One timed action of a trainee; <paramref name="At"/> is drill time, from the drill's start.</summary>
public sealed record TraineeAction(
    TimeSpan At,
    TraineeActionKind Kind,
    string? RuleId = null,
    string? DeviceId = null,
    int? PortIndex = null,
    TicketCategory? Category = null,
    string? TeamId = null);

/// <summary>Where an expectation stands.</summary>
public enum ExpectationOutcome
{
    /// <summary>Not done yet, and its window is still open.</summary>
    Pending,

    /// <summary>Not done, the window has closed, and the drill still runs: it can still be done, late.</summary>
    Overdue,

    /// <summary>Done within its window (for "do not mute": not muted).</summary>
    Met,

    /// <summary>Done after its window closed: half the points.</summary>
    Late,

    /// <summary>Never done by the drill's end, or (for "do not mute") muted anyway: no points.</summary>
    Missed,
}

/// <summary>One expectation's result: when it was done (the matching action's time), how late (a late or overdue one), the points earned.</summary>
public sealed record ExpectationResult(DrillExpectation Expectation, ExpectationOutcome Outcome, TimeSpan? DoneAt, TimeSpan? Late, int Earned);

/// <summary>A trainee's score on a drill: each expectation's result and the total.</summary>
public sealed record DrillScore(IReadOnlyList<ExpectationResult> Results, int Earned, int Possible)
{
    /// <summary>Earned of possible, 0..100 (a drill with nothing to earn scores 100).</summary>
    public double Percent => Possible == 0 ? 100 : Math.Round(100.0 * Earned / Possible, 1);

    public int Count(ExpectationOutcome outcome) => Results.Count(r => r.Outcome == outcome);
}

/// <summary>
/// Scores a trainee's actions against a drill's expectations. Pure: the same drill, actions and moment give the same
/// score. An action counts for an expectation when it matches it and falls at or after the expectation's window opens
/// (a close before the restore does not count) and no later than <c>asOf</c>; the first such action decides: on time
/// (at or before the deadline) is met, after it late. Each expectation is scored on its own, so one action may meet
/// several (acknowledging and closing are different actions, locating a port also locates its device).
/// </summary>
public static class ExpectationScorer
{
    /// <param name="drill">The drill and its expectations.</param>
    /// <param name="actions">The trainee's actions, in any order.</param>
    /// <param name="asOf">Drill time now: actions after it are not yet seen; windows closed before it are overdue.</param>
    /// <param name="finished">The drill has ended: what was not done is missed, no longer pending or overdue.</param>
    public static DrillScore Score(Drill drill, IEnumerable<TraineeAction> actions, TimeSpan asOf, bool finished)
    {
        ArgumentNullException.ThrowIfNull(drill);
        ArgumentNullException.ThrowIfNull(actions);
        var seen = actions.Where(a => a.At <= asOf).OrderBy(a => a.At).ToList();
        var results = new List<ExpectationResult>(drill.Expectations.Count);
        foreach (var expectation in drill.Expectations)
        {
            results.Add(ScoreOne(expectation, seen, asOf, finished));
        }

        return new DrillScore(results, results.Sum(r => r.Earned), drill.Expectations.Sum(e => e.Points));
    }

    private static ExpectationResult ScoreOne(DrillExpectation expectation, List<TraineeAction> actions, TimeSpan asOf, bool finished)
    {
        var done = actions.FirstOrDefault(a => a.At >= expectation.From && Matches(expectation, a));
        if (expectation.Kind == ExpectationKind.Mute && !expectation.Mute)
        {
            // "do not mute": a mute inside the window is the miss; the window passing without one is the success
            if (done is not null && done.At <= expectation.Deadline)
            {
                return new ExpectationResult(expectation, ExpectationOutcome.Missed, done.At, null, 0);
            }

            return finished || asOf >= expectation.Deadline
                ? new ExpectationResult(expectation, ExpectationOutcome.Met, null, null, expectation.Points)
                : new ExpectationResult(expectation, ExpectationOutcome.Pending, null, null, 0);
        }

        if (done is not null)
        {
            return done.At <= expectation.Deadline
                ? new ExpectationResult(expectation, ExpectationOutcome.Met, done.At, null, expectation.Points)
                : new ExpectationResult(expectation, ExpectationOutcome.Late, done.At, done.At - expectation.Deadline, expectation.Points / 2);
        }

        var outcome = finished ? ExpectationOutcome.Missed
            : asOf > expectation.Deadline ? ExpectationOutcome.Overdue
            : ExpectationOutcome.Pending;
        return new ExpectationResult(expectation, outcome, null, outcome == ExpectationOutcome.Overdue ? asOf - expectation.Deadline : null, 0);
    }

    private static bool Matches(DrillExpectation expectation, TraineeAction action) => expectation.Kind switch
    {
        ExpectationKind.Acknowledge => action.Kind == TraineeActionKind.Acknowledge && Same(expectation.RuleId, action.RuleId) && SameOrAny(expectation.DeviceId, action.DeviceId),
        ExpectationKind.Close => action.Kind == TraineeActionKind.Close && Same(expectation.RuleId, action.RuleId) && SameOrAny(expectation.DeviceId, action.DeviceId),
        ExpectationKind.Locate => action.Kind == TraineeActionKind.Locate && Same(expectation.DeviceId, action.DeviceId)
            && (expectation.PortIndex is null || expectation.PortIndex == action.PortIndex),
        ExpectationKind.Ticket => action.Kind == TraineeActionKind.Ticket && action.Category == expectation.Category && SameOrAny(expectation.TeamId, action.TeamId),
        ExpectationKind.Mute => action.Kind == TraineeActionKind.Mute,
        _ => false,
    };

    private static bool Same(string? expected, string? actual) => expected is not null && string.Equals(expected, actual, StringComparison.Ordinal);

    /// <summary>An expectation that names nothing takes any value; one that names a value wants exactly it.</summary>
    private static bool SameOrAny(string? expected, string? actual) => expected is null || string.Equals(expected, actual, StringComparison.Ordinal);
}
