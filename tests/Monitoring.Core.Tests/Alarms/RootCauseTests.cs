using Monitoring.Core.Alarms;

namespace Monitoring.Core.Tests.Alarms;

/// <summary>
/// Root cause along the demo room's topology: asw-a01 hangs from csw-1 port 1, and the servers of racks b01 and b02
/// hang from asw-a01 ports 1..11; srv-b01-u04 is on asw-a01:1 and srv-b01-u07 on asw-a01:2.
/// </summary>
public sealed class RootCauseTests
{
    private const string Rules = """
        rules:
          - id: unreachable
            name: 设备不可达
            severity: critical
            down: true
            scope: { kind: [switch, server, pdu, ups] }
            absence: { intervals: 3 }
            message: "{deviceName} unreachable"
          - id: port-down
            name: 端口中断
            severity: major
            down: true
            scope: { kind: [switch, server] }
            state:
              metric: interface.oper_status
              values: [2]
              while: { metric: interface.admin_status, in: [1] }
            message: "{deviceName} port {port} down"
          - id: cpu-high
            name: CPU 利用率过高
            severity: major
            scope: { kind: server }
            threshold: { metric: cpu.usage, above: 90, clear: 80 }
            message: "{deviceName} CPU {value}"
        """;

    private static readonly string[] BehindAswA01 =
        ["srv-b01-u04", "srv-b01-u07", "srv-b01-u10", "srv-b01-u14", "srv-b01-u16", "srv-b01-u18", "srv-b02-u03", "srv-b02-u06", "srv-b02-u12", "srv-b02-u13", "srv-b02-u15"];

    [Fact]
    public void When_a_switch_and_everything_behind_it_go_silent_only_the_switch_alerts()
    {
        using var h = new AlarmHarness(Rules);
        h.Heartbeat();
        string[] silent = ["asw-a01", .. BehindAswA01];
        for (var i = 0; i < 4; i++)
        {
            h.Advance(TimeSpan.FromSeconds(30));
            h.Heartbeat(silent);
        }

        var root = h.ActiveOn("unreachable", "asw-a01");
        Assert.Null(root.SuppressedBy);
        Assert.False(root.Silent);
        foreach (var server in BehindAswA01)
        {
            var child = h.ActiveOn("unreachable", server);
            Assert.Equal(root.Id, child.SuppressedBy);
            Assert.True(child.Silent);
        }

        Assert.Equal(BehindAswA01.Length, root.Suppresses.Count);
        Assert.Equal(h.Engine.Active.Where(a => a.SuppressedBy == root.Id).Select(a => a.Id).Order(), root.Suppresses);

        // no child ever alerted, not even for a moment: every Raised event of a child already names its cause
        Assert.All(h.EventsOf(AlarmEventKind.Raised).Where(e => e.Alarm.Id != root.Id), e => Assert.Equal(root.Id, e.Alarm.SuppressedBy));
        Assert.Equal(AlarmSeverity.Critical, h.Engine.HighestUnacknowledged);
        h.Engine.Acknowledge(root.Id, "alice", null);
        Assert.Null(h.Engine.HighestUnacknowledged); // the suppressed children are unacknowledged but silent
    }

    [Fact]
    public void A_port_down_on_a_switch_is_the_parent_of_the_device_behind_that_port_only()
    {
        using var h = new AlarmHarness(Rules);
        h.Heartbeat();
        h.Feed("asw-a01", "interface.admin_status", 1, port: 1);
        h.Feed("asw-a01", "interface.oper_status", 2, port: 1);
        var portDown = h.ActiveOn("port-down", "asw-a01:1");
        for (var i = 0; i < 4; i++)
        {
            h.Advance(TimeSpan.FromSeconds(30));
            h.Heartbeat("srv-b01-u04", "srv-b01-u07");
        }

        Assert.Equal(portDown.Id, h.ActiveOn("unreachable", "srv-b01-u04").SuppressedBy); // on asw-a01:1
        Assert.Null(h.ActiveOn("unreachable", "srv-b01-u07").SuppressedBy); // on asw-a01:2, which is up: alerts
        Assert.Equal([h.ActiveOn("unreachable", "srv-b01-u04").Id], h.Engine.Find(portDown.Id)!.Suppresses);
    }

    [Fact]
    public void A_child_alerting_before_its_parent_fails_is_marked_suppressed_when_the_parent_goes_down()
    {
        using var h = new AlarmHarness(Rules);
        h.Feed("srv-b01-u04", "cpu.usage", 97);
        var child = h.ActiveOn("cpu-high", "srv-b01-u04");
        Assert.Null(child.SuppressedBy);

        h.Feed("asw-a01", "interface.admin_status", 1, port: 1);
        h.Feed("asw-a01", "interface.oper_status", 2, port: 1);
        var parent = h.ActiveOn("port-down", "asw-a01:1");
        var update = h.Events.Last(e => e.Alarm.Id == child.Id);
        Assert.Equal(AlarmEventKind.Updated, update.Kind);
        Assert.Equal(parent.Id, update.Alarm.SuppressedBy);
        Assert.Equal([child.Id], h.Engine.Find(parent.Id)!.Suppresses);
        Assert.Equal(AlarmSeverity.Major, h.Engine.HighestUnacknowledged);
        h.Engine.Acknowledge(parent.Id, "alice", null);
        Assert.Null(h.Engine.HighestUnacknowledged);
    }

    [Fact]
    public void When_the_parent_recovers_a_child_still_failing_alerts_at_once_and_evaluation_never_stopped()
    {
        using var h = new AlarmHarness(Rules);
        h.Feed("asw-a01", "interface.admin_status", 1, port: 1);
        h.Feed("asw-a01", "interface.oper_status", 2, port: 1);
        var parent = h.ActiveOn("port-down", "asw-a01:1");
        h.Feed("srv-b01-u04", "cpu.usage", 97); // raised while suppressed: listed, silent
        var child = h.ActiveOn("cpu-high", "srv-b01-u04");
        Assert.Equal(parent.Id, child.SuppressedBy);
        Assert.Equal(parent.Id, Assert.Single(h.EventsOf(AlarmEventKind.Raised), e => e.Alarm.Id == child.Id).Alarm.SuppressedBy);
        h.Feed("srv-b01-u04", "cpu.usage", 98);
        Assert.Equal(98, h.Engine.Find(child.Id)!.Value); // still evaluated

        h.Feed("asw-a01", "interface.oper_status", 1, port: 1);
        Assert.Equal(AlarmState.Cleared, h.Engine.Find(parent.Id)!.State);
        var update = h.Events.Last(e => e.Alarm.Id == child.Id);
        Assert.Equal(AlarmEventKind.Updated, update.Kind);
        Assert.Null(update.Alarm.SuppressedBy);
        Assert.False(update.Alarm.Silent);
        Assert.Empty(h.Engine.Find(parent.Id)!.Suppresses);
        Assert.Equal(AlarmSeverity.Major, h.Engine.HighestUnacknowledged);
    }

    [Fact]
    public void A_suppressed_child_clears_on_its_own_while_the_parent_is_still_down()
    {
        using var h = new AlarmHarness(Rules);
        h.Feed("asw-a01", "interface.admin_status", 1, port: 1);
        h.Feed("asw-a01", "interface.oper_status", 2, port: 1);
        h.Feed("srv-b01-u04", "cpu.usage", 97);
        var child = h.ActiveOn("cpu-high", "srv-b01-u04");
        h.Feed("srv-b01-u04", "cpu.usage", 40);
        Assert.Equal(AlarmState.Cleared, h.Engine.Find(child.Id)!.State);
        Assert.Equal(AlarmState.Raised, h.ActiveOn("port-down", "asw-a01:1").State);
    }

    [Fact]
    public void A_child_names_the_topmost_cause_when_several_levels_are_down()
    {
        using var h = new AlarmHarness(Rules);
        h.Heartbeat();
        h.Feed("csw-1", "interface.admin_status", 1, port: 1);
        h.Feed("csw-1", "interface.oper_status", 2, port: 1); // asw-a01's uplink
        var top = h.ActiveOn("port-down", "csw-1:1");
        for (var i = 0; i < 4; i++)
        {
            h.Advance(TimeSpan.FromSeconds(30));
            h.Heartbeat(["asw-a01", "srv-b01-u04"]);
        }

        Assert.Equal(top.Id, h.ActiveOn("unreachable", "asw-a01").SuppressedBy);
        Assert.Equal(top.Id, h.ActiveOn("unreachable", "srv-b01-u04").SuppressedBy);
        Assert.Equal(2, h.Engine.Find(top.Id)!.Suppresses.Count);
    }

    [Fact]
    public void Devices_in_a_rack_hang_from_its_PDU_and_the_PDU_from_its_UPS()
    {
        using var h = new AlarmHarness(Rules);
        var topology = h.Engine.Topology;
        var server = h.Inventory.FindDevice("srv-b01-u04")!;
        var pdu = h.Inventory.FindDevice("pdu-b01")!;
        var parents = topology.Parents(server.Index).ToArray();
        Assert.Contains(new AlarmParent(h.Inventory.FindDevice("asw-a01")!.Index, 1), parents);
        Assert.Contains(new AlarmParent(pdu.Index, -1), parents);
        Assert.Equal([new AlarmParent(h.Inventory.FindDevice("ups-2")!.Index, -1)], topology.Parents(pdu.Index).ToArray());
        Assert.Contains(server.Index, topology.Descendants(h.Inventory.FindDevice("ups-2")!.Index).ToArray());
    }

    [Fact]
    public void Only_alerting_root_cause_alarms_of_the_configured_severities_ask_for_a_ticket_once_after_the_delay()
    {
        var options = new AlarmEngineOptions { TicketAfter = TimeSpan.FromMinutes(5), TicketSeverities = [AlarmSeverity.Critical] };
        using var h = new AlarmHarness(Rules, options);
        h.Heartbeat();
        string[] silent = ["asw-a01", "srv-b01-u04"];
        for (var i = 0; i < 4; i++)
        {
            h.Advance(TimeSpan.FromSeconds(30));
            h.Heartbeat(silent);
        }

        h.Feed("srv-b02-u03", "cpu.usage", 99); // major: not a ticket severity here
        var root = h.ActiveOn("unreachable", "asw-a01");
        h.Advance(TimeSpan.FromMinutes(5) - (h.Time.GetUtcNow() - root.RaisedAt) - TimeSpan.FromSeconds(1));
        Assert.Empty(h.EventsOf(AlarmEventKind.TicketWanted));
        for (var i = 0; i < 10; i++)
        {
            h.Advance(TimeSpan.FromSeconds(30));
            h.Heartbeat(silent);
        }

        var ticket = Assert.Single(h.EventsOf(AlarmEventKind.TicketWanted));
        Assert.Equal(root.Id, ticket.Alarm.Id);
        Assert.Equal("asw-a01", ticket.Alarm.Target.DeviceId);
    }

    [Fact]
    public void Shelved_or_suppressed_alarms_ask_for_no_ticket()
    {
        var options = new AlarmEngineOptions { TicketAfter = TimeSpan.FromMinutes(1) };
        using var h = new AlarmHarness(Rules, options);
        h.Feed("srv-b01-u07", "cpu.usage", 99);
        h.Engine.Shelve(h.ActiveOn("cpu-high", "srv-b01-u07").Id, "alice", TimeSpan.FromHours(2), "load test");
        h.Feed("asw-a01", "interface.admin_status", 1, port: 1);
        h.Feed("asw-a01", "interface.oper_status", 2, port: 1);
        h.Feed("srv-b01-u04", "cpu.usage", 99); // suppressed by the port
        h.Advance(TimeSpan.FromMinutes(2));
        var ticket = Assert.Single(h.EventsOf(AlarmEventKind.TicketWanted));
        Assert.Equal("asw-a01:1", ticket.Alarm.Target.ToString());
    }
}
