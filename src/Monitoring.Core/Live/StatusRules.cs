using Monitoring.Core.Inventory;

namespace Monitoring.Core.Live;

/// <summary>The status a single value implies on its own, from its metric's states or thresholds.</summary>
public static class StatusRules
{
    public const string AdminStatusMetric = "interface.admin_status";
    public const double AdminDown = 2;

    public static Status Evaluate(MetricDefinition? definition, double value)
    {
        if (definition is null)
        {
            return Status.Ok;
        }

        if (definition.States is { } states)
        {
            return states.TryGetValue(value, out var state) ? state : Status.Unknown;
        }

        if (double.IsNaN(value))
        {
            return Status.Unknown;
        }

        if (definition.Alarm is { } alarm && Crosses(value, alarm, definition.LowIsBad))
        {
            return Status.Alarm;
        }

        if (definition.Warning is { } warning && Crosses(value, warning, definition.LowIsBad))
        {
            return Status.Warning;
        }

        return Status.Ok;
    }

    private static bool Crosses(double value, double threshold, bool lowIsBad) =>
        lowIsBad ? value <= threshold : value >= threshold;
}
