using Monitoring.Core.Alarms;

namespace Monitoring.Core.Tests.Alarms;

public sealed class RuleKindTests
{
    [Fact]
    public void Rate_rule_raises_on_a_fast_rise_within_the_window_but_not_on_a_slow_one()
    {
        using var h = new AlarmHarness("""
            rules:
              - id: temperature-rising
                name: 温度快速上升
                severity: minor
                scope: { kind: sensor }
                rate: { metric: environment.temperature, rise: 2, within: 5m }
                message: "{deviceName} rose {limit}{unit} in {for}, now {value}{unit}"
            """);
        foreach (var t in new[] { 22.0, 22.7, 23.4, 24.1, 24.8 })
        {
            h.Feed("th-b01", "environment.temperature", t); // +2.8 over 8 minutes: slower than 2 in 5
            h.Advance(TimeSpan.FromMinutes(2));
        }

        Assert.Empty(h.Engine.Active);

        h.Feed("th-a02", "environment.temperature", 22.0);
        h.Advance(TimeSpan.FromMinutes(1));
        h.Feed("th-a02", "environment.temperature", 23.0);
        Assert.Empty(h.Engine.Active);
        h.Advance(TimeSpan.FromMinutes(1));
        h.Feed("th-a02", "environment.temperature", 24.1);
        var alarm = h.ActiveOn("temperature-rising", "th-a02");
        Assert.Equal(24.1, alarm.Value);
        Assert.Equal("A02 柜门温湿度 rose 2°C in 5m, now 24.1°C", alarm.Message);

        // steady from here: once the 22.0 has left the window the rise is under 2 and the alarm clears
        h.Advance(TimeSpan.FromMinutes(4));
        h.Feed("th-a02", "environment.temperature", 24.1);
        Assert.Equal(AlarmState.Cleared, h.Engine.Find(alarm.Id)!.State);
    }

    [Fact]
    public void Absence_raises_after_the_poll_intervals_and_clears_on_the_next_sample()
    {
        using var h = new AlarmHarness(
            """
            rules:
              - id: sensor-offline
                name: 传感器离线
                severity: major
                scope: { device: th-a02 }
                absence: { intervals: 4 }
                message: "{deviceName} silent for {for}"
            """,
            new AlarmEngineOptions { PollInterval = TimeSpan.FromSeconds(30) });
        h.Feed("th-a02", "environment.temperature", 22);
        h.Advance(TimeSpan.FromSeconds(119));
        Assert.Empty(h.Engine.Active);
        h.Advance(TimeSpan.FromSeconds(1));
        var alarm = h.ActiveOn("sensor-offline", "th-a02");
        Assert.Equal("A02 柜门温湿度 silent for 2m", alarm.Message);
        Assert.Equal(AlarmSeverity.Major, alarm.Severity);

        h.Feed("th-a02", "environment.humidity", 50); // any sample of the device brings it back
        Assert.Equal(AlarmState.Cleared, h.Engine.Find(alarm.Id)!.State);
        Assert.DoesNotContain(h.Engine.Active, a => a.State != AlarmState.Cleared);
    }

    [Fact]
    public void Absence_of_one_metric_raises_even_while_the_device_sends_others()
    {
        using var h = new AlarmHarness("""
            rules:
              - id: mode-missing
                name: UPS 模式无数据
                severity: minor
                scope: { kind: ups }
                absence: { metric: ups.mode, after: 1m }
                message: "{deviceName} no {metric} for {for}"
            """);
        h.Feed("ups-1", "ups.mode", 1);
        for (var i = 0; i < 6; i++)
        {
            h.Advance(TimeSpan.FromSeconds(10));
            h.Feed("ups-1", "ups.load", 40);
        }

        var alarm = h.ActiveOn("mode-missing", "ups-1");
        Assert.Equal("UPS 1 号主机 no ups.mode for 1m", alarm.Message);
        h.Feed("ups-1", "ups.mode", 1);
        Assert.Equal(AlarmState.Cleared, h.Engine.Find(alarm.Id)!.State);
    }

    [Fact]
    public void Absence_counts_from_start_for_a_device_never_heard_from()
    {
        using var h = new AlarmHarness("""
            rules:
              - id: unreachable
                name: 设备不可达
                severity: critical
                scope: { device: ups-1 }
                absence: { after: 90s }
                message: "{deviceName} unreachable"
            """);
        h.Advance(TimeSpan.FromSeconds(89));
        Assert.Empty(h.Engine.Active);
        h.Advance(TimeSpan.FromSeconds(1));
        Assert.True(h.ActiveOn("unreachable", "ups-1").Silent is false);
    }

    [Fact]
    public void Event_rule_raises_on_a_trap_and_clears_on_its_opposite_for_the_same_port_only()
    {
        using var h = new AlarmHarness("""
            rules:
              - id: link-down-trap
                name: 链路中断
                severity: major
                scope: { kind: switch }
                event: { raise: linkDown, clear: linkUp }
                message: "{deviceName} {portName} {event}: {text}"
            """);
        var at = h.Time.GetUtcNow();
        h.Engine.OnInputEvent(new AlarmInputEvent("asw-a01", 3, "linkDown", at, "ifIndex 3"));
        var alarm = h.ActiveOn("link-down-trap", "asw-a01:3");
        Assert.Equal("A01 接入交换机01 GigabitEthernet0/0/3 linkDown: ifIndex 3", alarm.Message);
        h.Engine.OnInputEvent(new AlarmInputEvent("asw-a01", 3, "linkDown", at, "again"));
        Assert.Single(h.Engine.Active);

        h.Engine.OnInputEvent(new AlarmInputEvent("asw-a01", 4, "linkUp", at));
        h.Engine.OnInputEvent(new AlarmInputEvent("no-such-device", 3, "linkUp", at));
        Assert.Equal(AlarmState.Raised, h.Engine.Find(alarm.Id)!.State);
        h.Engine.OnInputEvent(new AlarmInputEvent("asw-a01", 3, "linkUp", at));
        Assert.Equal(AlarmState.Cleared, h.Engine.Find(alarm.Id)!.State);
    }

    [Fact]
    public void Event_rule_clears_by_itself_after_its_auto_clear_time()
    {
        using var h = new AlarmHarness("""
            rules:
              - id: restarted
                name: 设备重启
                severity: warning
                scope: { kind: [switch, server] }
                event: { raise: [coldStart, warmStart], autoClear: 15m }
                message: "{deviceName} {event}"
            """);
        h.Engine.OnInputEvent(new AlarmInputEvent("srv-b01-u04", null, "coldStart", h.Time.GetUtcNow()));
        var alarm = h.ActiveOn("restarted", "srv-b01-u04");
        h.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1));
        Assert.Equal(AlarmState.Raised, h.Engine.Find(alarm.Id)!.State);
        h.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(AlarmState.Cleared, h.Engine.Find(alarm.Id)!.State);
    }
}
