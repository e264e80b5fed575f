using Monitoring.Core.Alarms;

namespace Monitoring.Core.Tests.Alarms;

/// <summary>
/// Issue 19, ticket clocks: the hold-off before an alarm asks for a ticket counts from its current raise, and a
/// flapping alarm (more than FlappingRaises raises within FlappingWindow, as Nagios/Zabbix count state changes in a
/// window) never asks by itself; once it has stopped flapping and stayed raised past the hold-off, it asks once.
/// The demo room's asw-a01 port 3, a real engine on a fake clock.
/// </summary>
public sealed class TicketHoldOffTests
{
    private const string Rules = """
        rules:
          - id: port-down
            name: 端口中断
            severity: major
            scope: { kind: [switch] }
            state:
              metric: interface.oper_status
              values: [2]
              while: { metric: interface.admin_status, in: [1] }
            message: "{deviceName} port {port} down"
        """;

    private const string Switch = "asw-a01";
    private const int Port = 3;

    private static AlarmEngineOptions Defaults() => new()
    {
        FlappingRaises = 5,
        FlappingWindow = TimeSpan.FromMinutes(10),
        FlappingStable = TimeSpan.FromMinutes(5),
        TicketAfter = TimeSpan.FromMinutes(5),
    };

    private static void Down(AlarmHarness h) => h.Feed(Switch, "interface.oper_status", 2, Port);

    private static void Up(AlarmHarness h) => h.Feed(Switch, "interface.oper_status", 1, Port);

    [Fact]
    public void A_port_flapping_6_times_in_10_minutes_asks_for_no_ticket_and_for_exactly_one_once_it_holds_down_past_the_hold_off()
    {
        using var h = new AlarmHarness(Rules, Defaults());
        h.Feed(Switch, "interface.admin_status", 1, Port);

        // 6 raises in 10 minutes: down 50 s, up 50 s, six times
        for (var i = 0; i < 6; i++)
        {
            Down(h);
            h.Advance(TimeSpan.FromSeconds(50));
            Up(h);
            h.Advance(TimeSpan.FromSeconds(50));
        }

        var alarm = h.ActiveOn("port-down", $"{Switch}:{Port}");
        Assert.True(alarm.Flapping);
        Assert.Empty(h.EventsOf(AlarmEventKind.TicketWanted));

        // the flapping goes on (still within the window) well past the first raise's hold-off: still no ticket
        for (var i = 0; i < 3; i++)
        {
            Down(h);
            h.Advance(TimeSpan.FromSeconds(40));
            Up(h);
            h.Advance(TimeSpan.FromSeconds(40));
        }

        Assert.True(h.ActiveOn("port-down", $"{Switch}:{Port}").Flapping);
        Assert.Empty(h.EventsOf(AlarmEventKind.TicketWanted));

        // now it holds down: the run ends after FlappingStable (5 min) of no change, and the hold-off (5 min) counts
        // from this last raise, not from the first one 16 minutes ago
        Down(h);
        var lastRaise = h.Time.GetUtcNow();
        h.Advance(TimeSpan.FromMinutes(4));
        Assert.True(h.ActiveOn("port-down", $"{Switch}:{Port}").Flapping);
        Assert.Empty(h.EventsOf(AlarmEventKind.TicketWanted));

        h.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var stable = h.ActiveOn("port-down", $"{Switch}:{Port}");
        Assert.False(stable.Flapping);
        var wanted = Assert.Single(h.EventsOf(AlarmEventKind.TicketWanted));
        Assert.Equal(alarm.Id, wanted.Alarm.Id);
        Assert.True(wanted.At >= lastRaise + TimeSpan.FromMinutes(5), $"asked at {wanted.At:O}, before the hold-off from the last raise at {lastRaise:O}");

        // it stays down: still exactly one
        h.Advance(TimeSpan.FromMinutes(20));
        Assert.Single(h.EventsOf(AlarmEventKind.TicketWanted));
    }

    [Fact]
    public void The_hold_off_counts_from_the_current_raise_not_the_first()
    {
        using var h = new AlarmHarness(Rules, Defaults());
        h.Feed(Switch, "interface.admin_status", 1, Port);

        Down(h);
        h.Advance(TimeSpan.FromMinutes(4));
        Up(h); // cleared (not acknowledged: the alarm stays open, and is raised again below)
        h.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(AlarmState.Cleared, h.Engine.Active.Single().State);

        Down(h); // 6 minutes after the first raise
        var raisedAgain = h.Time.GetUtcNow();
        h.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(h.EventsOf(AlarmEventKind.TicketWanted));

        h.Advance(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(58));
        Assert.Empty(h.EventsOf(AlarmEventKind.TicketWanted));

        h.Advance(TimeSpan.FromSeconds(2));
        var wanted = Assert.Single(h.EventsOf(AlarmEventKind.TicketWanted));
        Assert.Equal(raisedAgain + TimeSpan.FromMinutes(5), wanted.At);
        Assert.True(wanted.Alarm.RaisedAt < raisedAgain); // the alarm keeps its first raise (fault began)
    }

    [Fact]
    public void A_recovered_alarm_counts_its_hold_off_from_its_last_change_never_earlier()
    {
        var store = new Monitoring.Testing.InMemoryAlarmStore();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        using (var first = new AlarmHarness(Rules, Defaults(), store, time))
        {
            first.Feed(Switch, "interface.admin_status", 1, Port);
            Down(first);
            first.Advance(TimeSpan.FromMinutes(3));
            Up(first);
            first.Advance(TimeSpan.FromMinutes(1));
            Down(first); // raised again at 08:04, first raised at 08:00
            first.Advance(TimeSpan.FromMinutes(1));
            Assert.Empty(first.EventsOf(AlarmEventKind.TicketWanted));
        }

        using var second = new AlarmHarness(Rules, Defaults(), store, time); // restart at 08:05
        second.Advance(TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(50)); // 08:08:50: 8 min after the first raise
        Assert.Empty(second.EventsOf(AlarmEventKind.TicketWanted));
        second.Advance(TimeSpan.FromSeconds(20));
        Assert.Single(second.EventsOf(AlarmEventKind.TicketWanted));
    }
}
