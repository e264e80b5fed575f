using Monitoring.Core.Alarms;

namespace Monitoring.Core.Tests.Alarms.Stages;

/// <summary>The alarm state machine on its own: transitions, flapping, tickets wanted.</summary>
public sealed class LifecycleStageTests
{
    private const string Rules = """
        rules:
          - id: cpu-high
            name: CPU high
            severity: major
            scope: { kind: server }
            threshold: { metric: cpu.usage, above: 90, clear: 80 }
            message: "{deviceName} CPU {value}"
        """;

    [Fact]
    public void Raised_then_acknowledged_then_cleared_closes_and_leaves_the_open_list()
    {
        using var rig = new StageRig(Rules);
        var alarm = rig.Raise("cpu-high", "srv-b01-u04");
        Assert.Equal(AlarmState.Raised, alarm.State);
        Assert.True(rig.Open.TryGet(alarm.Id, out _));

        Assert.Null(rig.Lifecycle.Acknowledge(alarm, "op", "seen", rig.Now));
        Assert.Equal(AlarmState.Acknowledged, alarm.State);
        Assert.NotNull(rig.Lifecycle.Acknowledge(alarm, "op2", null, rig.Now)); // only once

        rig.Lifecycle.Untripped(alarm.Instance!, rig.Now);
        Assert.Equal(AlarmState.Closed, alarm.State);
        Assert.False(rig.Open.TryGet(alarm.Id, out _));
        Assert.Null(alarm.Instance!.Alarm);
        Assert.Equal(
            [AlarmEventKind.Raised, AlarmEventKind.Acknowledged, AlarmEventKind.Cleared, AlarmEventKind.Closed],
            rig.Drain().Select(e => e.Kind));
    }

    [Fact]
    public void A_cleared_alarm_raised_again_is_the_same_alarm_and_a_flapping_one_does_not_clear()
    {
        using var rig = new StageRig(Rules);
        var alarm = rig.Raise("cpu-high", "srv-b01-u04");
        var instance = alarm.Instance!;
        rig.Lifecycle.Untripped(instance, rig.Now);
        Assert.Equal(AlarmState.Cleared, alarm.State);

        rig.Lifecycle.Raise(instance, rig.Now, AlarmSeverity.Critical, 99, flapping: true);
        Assert.Same(alarm, instance.Alarm);
        Assert.Equal(AlarmState.Raised, alarm.State);
        Assert.True(alarm.Flapping);

        rig.Lifecycle.Untripped(instance, rig.Now);
        Assert.Equal(AlarmState.Raised, alarm.State); // one flapping alarm stands for the run

        // once stable (untripped for FlappingStable), the tick clears it
        instance.Tripped = false;
        instance.LastTransition = rig.Now;
        rig.Time.Advance(rig.Options.FlappingStable);
        rig.Lifecycle.Tick(rig.Time.GetUtcNow());
        Assert.Equal(AlarmState.Cleared, alarm.State);
        Assert.False(alarm.Flapping);
    }

    [Fact]
    public void A_ticket_is_wanted_after_the_wait_unless_the_alarm_is_muted()
    {
        using var rig = new StageRig(Rules, new AlarmEngineOptions { TicketAfter = TimeSpan.FromMinutes(5) });
        var loud = rig.Raise("cpu-high", "srv-b01-u04", severity: AlarmSeverity.Critical);
        var shelved = rig.Raise("cpu-high", "srv-b01-u07", severity: AlarmSeverity.Critical);
        var minor = rig.Raise("cpu-high", "srv-b01-u10", severity: AlarmSeverity.Minor);
        rig.Lifecycle.Shelve(shelved, "op", TimeSpan.FromHours(1), "known", rig.Now);
        rig.Drain();

        rig.Time.Advance(TimeSpan.FromMinutes(4));
        rig.Lifecycle.Tick(rig.Time.GetUtcNow());
        Assert.Empty(rig.Drain());

        rig.Time.Advance(TimeSpan.FromMinutes(1));
        rig.Lifecycle.Tick(rig.Time.GetUtcNow());
        var wanted = Assert.Single(rig.Drain());
        Assert.Equal(AlarmEventKind.TicketWanted, wanted.Kind);
        Assert.Equal(loud.Id, wanted.Alarm.Id);
        Assert.False(shelved.TicketWanted);
        Assert.False(minor.TicketWanted);
    }
}
