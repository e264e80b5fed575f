using Monitoring.Core.Alarms;

namespace Monitoring.Core.Tests.Alarms.Stages;

/// <summary>The mute stages on their own, and their composition in order.</summary>
public sealed class MuterStageTests
{
    private const string Rules = """
        rules:
          - id: unreachable
            name: unreachable
            severity: critical
            down: true
            scope: { kind: [switch, server] }
            absence: { intervals: 3 }
            message: "{deviceName} unreachable"
          - id: cpu-high
            name: CPU high
            severity: major
            scope: { kind: server }
            threshold: { metric: cpu.usage, above: 90, clear: 80 }
            message: "{deviceName} CPU {value}"
        """;

    [Fact]
    public void Root_cause_suppresses_what_hangs_below_a_down_switch_and_lets_go_when_it_closes()
    {
        using var rig = new StageRig(Rules);
        var child = rig.Raise("cpu-high", "srv-b01-u04");
        Assert.Null(child.SuppressedBy);

        var root = rig.Raise("unreachable", "asw-a01", severity: AlarmSeverity.Critical);
        Assert.Same(root, child.SuppressedBy);
        Assert.Contains(child, root.Suppresses);
        Assert.Same(rig.RootCause, rig.Muters.MutedBy(child));
        Assert.Null(rig.Muters.MutedBy(root));

        var events = rig.Drain();
        var rootEvent = events.Last(e => e.Alarm.Id == root.Id);
        Assert.Equal([child.Id], rootEvent.Alarm.Suppresses);
        Assert.Equal(root.Id, events.Last(e => e.Alarm.Id == child.Id).Alarm.SuppressedBy);

        rig.Lifecycle.CloseByOperator(root, "op", null, rig.Now);
        Assert.Null(child.SuppressedBy);
        Assert.False(rig.Muters.Silent(child));
    }

    [Fact]
    public void Muters_answer_in_order_root_cause_then_maintenance_then_shelve()
    {
        using var rig = new StageRig(Rules);
        Assert.Equal(["root-cause", "maintenance", "shelve"], rig.Muters.InOrder.Select(m => m.Name));
        var alarm = rig.Raise("cpu-high", "srv-b01-u04");
        var now = rig.Time.GetUtcNow();

        ShelveMuter.Shelve(alarm, "op", TimeSpan.FromMinutes(10), "noisy", now);
        Assert.Same(rig.Shelve, rig.Muters.MutedBy(alarm));

        rig.Maintenance.Add("srv-b01-u04", now, now.AddHours(1), "op", "swap disk");
        rig.Maintenance.Update(rig.Open, rig.Outbox, now);
        Assert.Same(rig.Maintenance, rig.Muters.MutedBy(alarm));

        rig.Raise("unreachable", "asw-a01");
        Assert.Same(rig.RootCause, rig.Muters.MutedBy(alarm));
    }

    [Fact]
    public void Maintenance_covers_its_device_rack_or_room_only_while_the_window_is_open()
    {
        using var rig = new StageRig(Rules);
        var device = rig.Inventory.FindDevice("srv-b01-u04")!;
        var target = AlarmTarget.For(device);
        var other = AlarmTarget.For(rig.Inventory.FindDevice("asw-a01")!);
        var now = rig.Time.GetUtcNow();
        var window = rig.Maintenance.Add(device.RackId!, now.AddMinutes(10), now.AddMinutes(20), "op", "rack work");

        Assert.False(rig.Maintenance.Covers(target, now));
        Assert.True(rig.Maintenance.Covers(target, now.AddMinutes(10)));
        Assert.False(rig.Maintenance.Covers(target, now.AddMinutes(20)));
        Assert.Equal(other.RackId == device.RackId, rig.Maintenance.Covers(other, now.AddMinutes(15)));

        var ended = rig.Maintenance.End(window.Id, now);
        Assert.Equal(window.From, ended!.Until); // ended before it began: it ends where it would have started
        Assert.Null(rig.Maintenance.End(window.Id, now));
        Assert.Empty(rig.Maintenance.Windows);

        rig.Maintenance.Add(device.RoomId, now, now.AddMinutes(5), "op", "room work");
        Assert.True(rig.Maintenance.Covers(target, now));
        rig.Maintenance.Expire(now.AddMinutes(5));
        Assert.Empty(rig.Maintenance.Windows);
        Assert.Throws<ArgumentException>(() => rig.Maintenance.Validate("no-such-place", now, now.AddMinutes(1)));
        Assert.Throws<ArgumentException>(() => rig.Maintenance.Validate(device.Id, now, now));
    }

    [Fact]
    public void Shelving_is_bounded_needs_a_reason_and_ends_by_itself()
    {
        var shelve = new ShelveMuter(TimeSpan.FromHours(8));
        Assert.NotNull(shelve.Refuse(TimeSpan.Zero, "r"));
        Assert.NotNull(shelve.Refuse(TimeSpan.FromHours(9), "r"));
        Assert.NotNull(shelve.Refuse(TimeSpan.FromHours(1), " "));
        Assert.Null(shelve.Refuse(TimeSpan.FromHours(8), "r"));

        using var rig = new StageRig(Rules);
        var alarm = rig.Raise("cpu-high", "srv-b01-u04");
        var now = rig.Time.GetUtcNow();
        ShelveMuter.Shelve(alarm, "op", TimeSpan.FromMinutes(10), "noisy", now);
        Assert.True(shelve.Mutes(alarm));
        Assert.False(ShelveMuter.Expire(alarm, now.AddMinutes(9)));
        Assert.True(ShelveMuter.Expire(alarm, now.AddMinutes(10)));
        Assert.False(shelve.Mutes(alarm));
        Assert.False(ShelveMuter.Unshelve(alarm, now));
    }

    [Fact]
    public void The_console_mute_is_capped_and_expires()
    {
        var mute = new ConsoleMuteStage(TimeSpan.FromMinutes(30));
        var now = new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);
        var record = mute.Mute("op", "night shift", TimeSpan.FromHours(2), now);
        Assert.Equal(now.AddMinutes(30), record.Until);
        Assert.Same(record, mute.Current(now.AddMinutes(29)));
        Assert.Null(mute.Current(now.AddMinutes(30)));

        mute.Expire(now.AddMinutes(30));
        Assert.Null(mute.Unmute());

        mute.Mute("op", "again", TimeSpan.FromMinutes(1), now);
        Assert.NotNull(mute.Unmute());
        Assert.Null(mute.Current(now));
    }
}
