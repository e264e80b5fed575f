using Monitoring.Core.Alarms;

namespace Monitoring.Core.Tests.Alarms.Stages;

/// <summary>The evaluation stage on its own: what trips and untrips rule instances, seen at the lifecycle behind it.</summary>
public sealed class EvaluationStageTests
{
    private const string Rules = """
        rules:
          - id: cpu-high
            name: CPU high
            severity: major
            scope: { kind: server }
            threshold: { metric: cpu.usage, above: 90, clear: 80, for: 10s }
            message: "{deviceName} CPU {value}"
          - id: unreachable
            name: unreachable
            severity: critical
            down: true
            scope: { device: [srv-b01-u04] }
            absence: { after: 30s }
            message: "{deviceName} unreachable"
        """;

    [Fact]
    public void A_threshold_trips_only_after_its_hold_time_and_clears_below_its_clear_level()
    {
        using var rig = new StageRig(Rules);
        rig.Evaluator.Start(rig.Now);
        rig.Feed("srv-b01-u04", "cpu.usage", 95);
        Assert.Equal(0, rig.Open.Count);

        rig.Time.Advance(TimeSpan.FromSeconds(10));
        rig.Evaluator.Tick(rig.Now);
        var alarm = Assert.Single(rig.Open.All);
        Assert.Equal("cpu-high", alarm.RuleId);
        Assert.Equal(95, alarm.Value);

        rig.Feed("srv-b01-u04", "cpu.usage", 85); // between clear and limit: still holds
        Assert.Equal(AlarmState.Raised, alarm.State);
        Assert.Equal(85, alarm.Value);

        rig.Feed("srv-b01-u04", "cpu.usage", 70);
        Assert.Equal(AlarmState.Cleared, alarm.State);
        Assert.True(rig.Evaluator.SamplesEvaluated >= 3);
    }

    [Fact]
    public void A_device_not_heard_from_trips_its_absence_rule_and_clears_when_it_speaks_again()
    {
        using var rig = new StageRig(Rules);
        rig.Evaluator.Start(rig.Now);
        rig.Time.Advance(TimeSpan.FromSeconds(29));
        rig.Evaluator.Tick(rig.Now);
        Assert.Equal(0, rig.Open.Count);

        rig.Time.Advance(TimeSpan.FromSeconds(1));
        rig.Evaluator.Tick(rig.Now);
        var alarm = Assert.Single(rig.Open.All);
        Assert.Equal("unreachable", alarm.RuleId);

        rig.Feed("srv-b01-u04", "cpu.usage", 10);
        Assert.Equal(AlarmState.Cleared, alarm.State);
    }
}
