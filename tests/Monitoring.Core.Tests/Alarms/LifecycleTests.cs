using Monitoring.Core.Alarms;

namespace Monitoring.Core.Tests.Alarms;

public sealed class LifecycleTests
{
    private const string CpuRule = """
        rules:
          - id: cpu-high
            name: CPU 利用率过高
            severity: major
            scope: { kind: server }
            threshold: { metric: cpu.usage, above: 90, clear: 80 }
            message: "{deviceName} CPU {value}"
        """;

    [Fact]
    public void Acknowledge_records_who_when_and_why_once_and_takes_the_alarm_off_the_lamp()
    {
        using var h = new AlarmHarness(CpuRule);
        h.Feed("srv-b01-u04", "cpu.usage", 95);
        var id = h.ActiveOn("cpu-high", "srv-b01-u04").Id;
        Assert.Equal(AlarmSeverity.Major, h.Engine.HighestUnacknowledged);

        h.Time.Advance(TimeSpan.FromSeconds(42));
        var result = h.Engine.Acknowledge(id, "alice", "on my way");
        Assert.True(result.Ok);
        Assert.Equal(AlarmState.Acknowledged, result.Alarm!.State);
        Assert.Equal(new AlarmAcknowledgement("alice", h.Time.GetUtcNow(), "on my way"), result.Alarm.Acknowledgement);
        Assert.Null(h.Engine.HighestUnacknowledged);
        Assert.Equal(AlarmEventKind.Acknowledged, h.Events[^1].Kind);

        var again = h.Engine.Acknowledge(id, "bob", null);
        Assert.False(again.Ok);
        Assert.Contains("alice", again.Error, StringComparison.Ordinal);
        Assert.False(h.Engine.Acknowledge(999, "bob", null).Ok);
    }

    [Fact]
    public void An_acknowledged_alarm_closes_when_it_clears_and_a_cleared_one_closes_when_acknowledged()
    {
        using var h = new AlarmHarness(CpuRule);
        h.Feed("srv-b01-u04", "cpu.usage", 95);
        var first = h.ActiveOn("cpu-high", "srv-b01-u04").Id;
        h.Engine.Acknowledge(first, "alice", null);
        h.Feed("srv-b01-u04", "cpu.usage", 50);
        Assert.Equal(AlarmState.Closed, h.Engine.Find(first)!.State);
        Assert.Empty(h.Engine.Active);

        h.Feed("srv-b01-u04", "cpu.usage", 95);
        var second = h.ActiveOn("cpu-high", "srv-b01-u04").Id;
        Assert.NotEqual(first, second);
        h.Feed("srv-b01-u04", "cpu.usage", 50);
        Assert.Equal(AlarmState.Cleared, h.ActiveOn("cpu-high", "srv-b01-u04").State); // still listed until acknowledged
        h.Engine.Acknowledge(second, "bob", null);
        Assert.Equal(AlarmState.Closed, h.Engine.Find(second)!.State);
        Assert.Equal(
            [AlarmEventKind.Raised, AlarmEventKind.Cleared, AlarmEventKind.Acknowledged, AlarmEventKind.Closed],
            h.Engine.Timeline(second).Select(e => e.Kind));
    }

    [Fact]
    public void A_cleared_unacknowledged_alarm_that_trips_again_is_raised_again_not_duplicated()
    {
        using var h = new AlarmHarness(CpuRule);
        h.Feed("srv-b01-u04", "cpu.usage", 95);
        h.Feed("srv-b01-u04", "cpu.usage", 50);
        h.Feed("srv-b01-u04", "cpu.usage", 96);
        var alarm = Assert.Single(h.Engine.Active);
        Assert.Equal(AlarmState.Raised, alarm.State);
        Assert.Null(alarm.ClearedAt);
        Assert.Equal([AlarmEventKind.Raised, AlarmEventKind.Cleared, AlarmEventKind.Raised], h.Events.Select(e => e.Kind));
        Assert.All(h.Events, e => Assert.Equal(alarm.Id, e.Alarm.Id));
    }

    [Fact]
    public void Closing_by_hand_ends_the_alarm_and_it_does_not_come_back_until_the_condition_clears_and_trips_again()
    {
        using var h = new AlarmHarness(CpuRule);
        h.Feed("srv-b01-u04", "cpu.usage", 95);
        var id = h.ActiveOn("cpu-high", "srv-b01-u04").Id;
        var closed = h.Engine.Close(id, "alice", "known issue, vendor case open");
        Assert.True(closed.Ok);
        Assert.Equal(AlarmState.Closed, closed.Alarm!.State);
        h.Feed("srv-b01-u04", "cpu.usage", 97);
        Assert.Empty(h.Engine.Active);
        h.Feed("srv-b01-u04", "cpu.usage", 50);
        h.Feed("srv-b01-u04", "cpu.usage", 97);
        Assert.NotEqual(id, h.ActiveOn("cpu-high", "srv-b01-u04").Id);
        Assert.False(h.Engine.Close(id, "alice", null).Ok);
    }

    [Fact]
    public void Shelving_silences_an_alarm_for_a_time_with_who_and_why_then_it_alerts_again()
    {
        using var h = new AlarmHarness(CpuRule);
        h.Feed("srv-b01-u04", "cpu.usage", 95);
        var id = h.ActiveOn("cpu-high", "srv-b01-u04").Id;
        Assert.False(h.Engine.Shelve(id, "alice", TimeSpan.FromHours(1), " ").Ok);
        var shelved = h.Engine.Shelve(id, "alice", TimeSpan.FromHours(1), "batch job until 09:00");
        Assert.True(shelved.Ok);
        Assert.Equal(new AlarmShelving("alice", h.Time.GetUtcNow().AddHours(1), "batch job until 09:00"), shelved.Alarm!.Shelving);
        Assert.True(shelved.Alarm.Silent);
        Assert.Null(h.Engine.HighestUnacknowledged);

        h.Advance(TimeSpan.FromMinutes(59));
        Assert.NotNull(h.Engine.Find(id)!.Shelving);
        h.Advance(TimeSpan.FromMinutes(1));
        var expired = h.Engine.Find(id)!;
        Assert.Null(expired.Shelving);
        Assert.False(expired.Silent);
        Assert.Equal(AlarmSeverity.Major, h.Engine.HighestUnacknowledged);
        var unshelved = h.Events.Last(e => e.Kind == AlarmEventKind.Updated);
        Assert.Null(unshelved.Alarm.Shelving);
        Assert.Equal(h.Time.GetUtcNow(), unshelved.At);

        h.Engine.Shelve(id, "alice", TimeSpan.FromHours(1), "again");
        Assert.True(h.Engine.Unshelve(id, "bob").Ok);
        Assert.Null(h.Engine.Find(id)!.Shelving);
        Assert.False(h.Engine.Unshelve(id, "bob").Ok);
    }

    [Fact]
    public void A_maintenance_window_on_a_rack_silences_its_devices_alarms_while_it_lasts()
    {
        using var h = new AlarmHarness(CpuRule);
        var start = h.Time.GetUtcNow().AddMinutes(10);
        var window = h.Engine.AddMaintenance("b01", start, start.AddHours(1), "bob", "replace PDU");
        Assert.Equal(("b01", "bob", "replace PDU"), (window.Scope, window.By, window.Reason));
        h.Feed("srv-b01-u04", "cpu.usage", 95);
        h.Feed("srv-b02-u03", "cpu.usage", 95);
        var inRack = h.ActiveOn("cpu-high", "srv-b01-u04").Id;
        Assert.False(h.Engine.Find(inRack)!.InMaintenance); // not started yet

        h.Advance(TimeSpan.FromMinutes(10));
        Assert.True(h.Engine.Find(inRack)!.InMaintenance);
        Assert.True(h.Engine.Find(inRack)!.Silent);
        Assert.False(h.ActiveOn("cpu-high", "srv-b02-u03").InMaintenance); // another rack

        h.Feed("srv-b01-u07", "cpu.usage", 95);
        Assert.True(h.ActiveOn("cpu-high", "srv-b01-u07").InMaintenance); // raised inside the window: silent from the start

        Assert.True(h.Engine.EndMaintenance(window.Id, "bob"));
        Assert.False(h.Engine.Find(inRack)!.InMaintenance);
        Assert.Empty(h.Engine.Maintenance);
        Assert.False(h.Engine.EndMaintenance(window.Id, "bob"));
        Assert.Throws<ArgumentException>(() => h.Engine.AddMaintenance("no-such-rack", start, start.AddHours(1), "bob", "x"));
    }

    [Fact]
    public void A_maintenance_window_ends_by_itself()
    {
        using var h = new AlarmHarness(CpuRule);
        h.Engine.AddMaintenance("srv-b01-u04", h.Time.GetUtcNow(), h.Time.GetUtcNow().AddMinutes(30), "bob", "firmware");
        h.Feed("srv-b01-u04", "cpu.usage", 95);
        var id = h.ActiveOn("cpu-high", "srv-b01-u04").Id;
        Assert.True(h.Engine.Find(id)!.InMaintenance);
        h.Advance(TimeSpan.FromMinutes(30));
        Assert.False(h.Engine.Find(id)!.InMaintenance);
        Assert.Empty(h.Engine.Maintenance);
    }

    [Fact]
    public void Flapping_turns_many_raise_clear_cycles_into_one_alarm_that_stays_until_stable()
    {
        var options = new AlarmEngineOptions { FlappingRaises = 3, FlappingWindow = TimeSpan.FromMinutes(10), FlappingStable = TimeSpan.FromMinutes(5) };
        using var h = new AlarmHarness(CpuRule, options);
        for (var i = 0; i < 10; i++)
        {
            h.Feed("srv-b01-u04", "cpu.usage", 95);
            h.Advance(TimeSpan.FromSeconds(20));
            h.Feed("srv-b01-u04", "cpu.usage", 50);
            h.Advance(TimeSpan.FromSeconds(20));
        }

        var alarm = Assert.Single(h.Engine.Active);
        Assert.True(alarm.Flapping);
        Assert.Equal(AlarmState.Raised, alarm.State);
        var eventsWhileFlapping = h.Events.Count;
        Assert.True(eventsWhileFlapping <= 8, $"expected the flapping to stop the event storm, got {eventsWhileFlapping} events");
        Assert.All(h.Events, e => Assert.Equal(alarm.Id, e.Alarm.Id));

        h.Advance(TimeSpan.FromMinutes(5)); // stable (low) for the stable time: it clears
        var ended = h.Engine.Find(alarm.Id)!;
        Assert.False(ended.Flapping);
        Assert.Equal(AlarmState.Cleared, ended.State);
    }

    [Fact]
    public void Mute_needs_a_reason_is_capped_at_the_maximum_and_expires()
    {
        using var h = new AlarmHarness(CpuRule, new AlarmEngineOptions { MaxMute = TimeSpan.FromMinutes(30) });
        Assert.Throws<ArgumentException>(() => h.Engine.Mute("alice", "", TimeSpan.FromMinutes(5)));
        var mute = h.Engine.Mute("alice", "phone call with the vendor", TimeSpan.FromHours(8));
        Assert.Equal(h.Time.GetUtcNow().AddMinutes(30), mute.Until);
        Assert.Equal(mute, h.Engine.CurrentMute);
        h.Advance(TimeSpan.FromMinutes(30));
        Assert.Null(h.Engine.CurrentMute);
        Assert.Equal("phone call with the vendor", Assert.Single(h.Engine.MuteHistory()).Reason);
    }
}
