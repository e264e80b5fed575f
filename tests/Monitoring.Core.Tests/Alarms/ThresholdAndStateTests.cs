using Monitoring.Core.Alarms;

namespace Monitoring.Core.Tests.Alarms;

public sealed class ThresholdAndStateTests
{
    private const string CpuRule = """
        rules:
          - id: cpu-high
            name: CPU 利用率过高
            nameEn: CPU usage high
            severity: major
            scope: { kind: server }
            threshold: { metric: cpu.usage, above: 90, clear: 80, for: 2m }
            message: "{deviceName} CPU {value}{unit} above {limit}{unit} for {for}"
        """;

    private const string PortRule = """
        rules:
          - id: port-down
            name: 端口中断
            severity: major
            down: true
            scope: { kind: [switch, server] }
            state:
              metric: interface.oper_status
              values: [2, 7]
              while: { metric: interface.admin_status, in: [1] }
            message: "{deviceName} port {portName} down"
        """;

    [Fact]
    public void Threshold_raises_only_after_the_hold_time_and_not_when_the_value_dips_back_first()
    {
        using var h = new AlarmHarness(CpuRule);
        h.Feed("srv-b01-u04", "cpu.usage", 95);
        h.Advance(TimeSpan.FromSeconds(90));
        h.Feed("srv-b01-u04", "cpu.usage", 85); // below the limit: the hold timer restarts
        h.Feed("srv-b01-u04", "cpu.usage", 96);
        h.Advance(TimeSpan.FromSeconds(119));
        Assert.Empty(h.Engine.Active);

        h.Advance(TimeSpan.FromSeconds(1)); // the timer fires without a new sample
        var alarm = h.ActiveOn("cpu-high", "srv-b01-u04");
        Assert.Equal(AlarmState.Raised, alarm.State);
        Assert.Equal(AlarmSeverity.Major, alarm.Severity);
        Assert.Equal("cpu.usage", alarm.Metric);
        Assert.Equal(96, alarm.Value);
        Assert.Equal("数据库服务器01 CPU 96% above 90% for 2m", alarm.Message);
        Assert.Single(h.EventsOf(AlarmEventKind.Raised));
    }

    [Fact]
    public void Threshold_clears_only_below_the_clear_limit_hysteresis()
    {
        using var h = new AlarmHarness(CpuRule.Replace("for: 2m", "for: 0s", StringComparison.Ordinal));
        h.Feed("srv-b01-u04", "cpu.usage", 91);
        var id = h.ActiveOn("cpu-high", "srv-b01-u04").Id;
        h.Feed("srv-b01-u04", "cpu.usage", 85); // under 90 but over 80: still active
        h.Feed("srv-b01-u04", "cpu.usage", 80);
        Assert.Equal(AlarmState.Raised, h.Engine.Find(id)!.State);
        Assert.Equal(80, h.Engine.Find(id)!.Value);

        h.Feed("srv-b01-u04", "cpu.usage", 79.9);
        var cleared = h.Engine.Find(id)!;
        Assert.Equal(AlarmState.Cleared, cleared.State);
        Assert.Equal(h.Time.GetUtcNow(), cleared.ClearedAt);
        Assert.Equal([AlarmEventKind.Raised, AlarmEventKind.Cleared], h.Events.Select(e => e.Kind));
    }

    [Fact]
    public void One_active_alarm_per_rule_and_target_however_many_samples_trip_it()
    {
        using var h = new AlarmHarness(CpuRule.Replace("for: 2m", "for: 0s", StringComparison.Ordinal));
        for (var i = 0; i < 50; i++)
        {
            h.Feed("srv-b01-u04", "cpu.usage", 91 + (i % 5));
        }

        h.Feed("srv-b01-u07", "cpu.usage", 99);
        Assert.Equal(2, h.Engine.Active.Count);
        Assert.Equal(2, h.EventsOf(AlarmEventKind.Raised).Count);
        Assert.Single(h.Engine.Active, a => a.Target.DeviceId == "srv-b01-u04");
    }

    [Fact]
    public void Port_down_raises_only_while_the_port_is_administratively_up()
    {
        using var h = new AlarmHarness(PortRule);
        h.Feed("asw-a01", "interface.admin_status", 2, port: 20); // shut by the operator
        h.Feed("asw-a01", "interface.oper_status", 2, port: 20);
        Assert.Empty(h.Engine.Active);

        h.Feed("asw-a01", "interface.admin_status", 1, port: 3);
        h.Feed("asw-a01", "interface.oper_status", 2, port: 3);
        var alarm = h.ActiveOn("port-down", "asw-a01:3");
        Assert.Equal(3, alarm.Target.Port);
        Assert.Equal("A01 接入交换机01 port GigabitEthernet0/0/3 down", alarm.Message);

        h.Feed("asw-a01", "interface.admin_status", 2, port: 3); // shut it: no longer a fault
        Assert.Equal(AlarmState.Cleared, h.Engine.Find(alarm.Id)!.State);
    }

    [Fact]
    public void State_values_can_map_to_their_own_severities_and_a_change_updates_the_alarm()
    {
        using var h = new AlarmHarness("""
            rules:
              - id: ups-mode
                name: UPS 运行模式异常
                severity: critical
                scope: { kind: ups }
                state: { metric: ups.mode, values: { 2: critical, 3: major } }
                message: "{deviceName} mode {value}"
            """);
        h.Feed("ups-1", "ups.mode", 1);
        Assert.Empty(h.Engine.Active);
        h.Feed("ups-1", "ups.mode", 3);
        var alarm = h.ActiveOn("ups-mode", "ups-1");
        Assert.Equal(AlarmSeverity.Major, alarm.Severity);
        h.Feed("ups-1", "ups.mode", 2);
        Assert.Equal(AlarmSeverity.Critical, h.Engine.Find(alarm.Id)!.Severity);
        var updated = Assert.Single(h.EventsOf(AlarmEventKind.Updated));
        Assert.Equal(AlarmSeverity.Critical, updated.Alarm.Severity);
        Assert.Equal(AlarmSeverity.Critical, h.Engine.HighestUnacknowledged);
        h.Feed("ups-1", "ups.mode", 1);
        Assert.Equal(AlarmState.Cleared, h.Engine.Find(alarm.Id)!.State);
    }
}
