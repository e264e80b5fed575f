using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Tests.InventoryLoading;
using Monitoring.Testing;

namespace Monitoring.Core.Tests.Alarms;

/// <summary>
/// Issue 19's incidents in the engine: alarms of one cause in one room are one incident, a root cause and what it
/// suppresses are one incident, an incident ends when its last alarm clears, its ticket request waits for group.wait,
/// and incidents come back after a restart consistent with the alarms.
/// </summary>
public sealed class IncidentGroupingTests : IDisposable
{
    private const string Rules = """
        group: { by: [room, cause], wait: 30s, window: 10m }
        rules:
          - id: ups-on-battery
            name: UPS 电池供电
            nameEn: UPS on battery
            severity: critical
            cause: power
            scope: { kind: ups }
            state: { metric: ups.mode, values: [2] }
            message: "{deviceName} on battery"
          - id: ups-input-voltage-low
            name: UPS 输入电压低
            severity: major
            cause: power
            scope: { kind: ups }
            threshold: { metric: ups.input_voltage, below: 176, clear: 190 }
            message: "{deviceName} input {value}"
          - id: cpu-high
            name: CPU 利用率过高
            nameEn: CPU usage high
            severity: major
            scope: { kind: server }
            threshold: { metric: cpu.usage, above: 90, clear: 80 }
            message: "{deviceName} CPU {value}"
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
          - id: unreachable
            name: 设备不可达
            severity: critical
            down: true
            scope: { kind: [switch, server] }
            absence: { intervals: 3 }
            message: "{deviceName} unreachable"
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "incident-rules-" + Guid.NewGuid().ToString("N"));

    public IncidentGroupingTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void A_mains_failure_across_both_ups_units_is_one_incident_and_an_unrelated_alarm_is_another()
    {
        using var h = new AlarmHarness(Rules);
        h.Feed("ups-1", "ups.mode", 2);
        h.Feed("ups-2", "ups.mode", 2);
        h.Feed("ups-1", "ups.input_voltage", 150);
        h.Feed("srv-b01-u04", "cpu.usage", 97);

        var power = new[] { h.ActiveOn("ups-on-battery", "ups-1"), h.ActiveOn("ups-on-battery", "ups-2"), h.ActiveOn("ups-input-voltage-low", "ups-1") };
        var incidentId = Assert.Single(power.Select(a => a.IncidentId).Distinct());
        Assert.NotNull(incidentId);
        var incident = h.Engine.FindIncident(incidentId.Value)!;
        Assert.Equal(power.Select(a => a.Id).Order(), incident.AlarmIds.Order());
        Assert.Equal(AlarmSeverity.Critical, incident.Severity);
        Assert.Equal("power", incident.Cause);
        Assert.Equal(h.Inventory.FindDevice("ups-1")!.RoomId, incident.RoomId);
        Assert.StartsWith("Power failure in ", incident.TitleEn, StringComparison.Ordinal);
        Assert.Contains("供电故障", incident.Title, StringComparison.Ordinal);
        Assert.Null(incident.End);

        var cpu = h.ActiveOn("cpu-high", "srv-b01-u04");
        Assert.NotNull(cpu.IncidentId);
        Assert.NotEqual(incidentId, cpu.IncidentId);
        var own = h.Engine.FindIncident(cpu.IncidentId!.Value)!;
        Assert.Equal([cpu.Id], own.AlarmIds);
        Assert.Equal("cpu-high", own.Cause);
        Assert.Equal(AlarmSeverity.Major, own.Severity);
        Assert.Equal(2, h.Engine.Incidents(open: true).Count);

        // every event that left the engine names the incident, and the store kept it
        Assert.All(h.Events.Where(e => power.Any(p => p.Id == e.Alarm.Id)), e => Assert.Equal(incidentId, e.Alarm.IncidentId));
        var stored = ((IIncidentStore)h.Store).FindIncident(incidentId.Value)!;
        Assert.Equal(incident.AlarmIds.Order(), stored.AlarmIds.Order());
        Assert.Equal(incident.Severity, stored.Severity);
    }

    [Fact]
    public void The_incident_ends_when_its_last_alarm_clears_and_the_next_fault_is_a_new_incident()
    {
        using var h = new AlarmHarness(Rules);
        var seen = new List<IncidentSnapshot>();
        using var subscription = h.Engine.SubscribeIncidents(new Recorder(seen));
        h.Feed("ups-1", "ups.mode", 2);
        h.Feed("ups-2", "ups.mode", 2);
        var id = h.ActiveOn("ups-on-battery", "ups-1").IncidentId!.Value;
        h.Feed("ups-1", "ups.mode", 1);
        Assert.Null(h.Engine.FindIncident(id)!.End);
        h.Advance(TimeSpan.FromSeconds(5));
        h.Feed("ups-2", "ups.mode", 1);
        var ended = h.Engine.FindIncident(id)!;
        Assert.Equal(h.Time.GetUtcNow(), ended.End);
        Assert.Empty(h.Engine.Incidents(open: true));
        Assert.Contains(h.Engine.Incidents(open: false), i => i.Id == id);
        Assert.Equal(ended, seen[^1]);
        Assert.Contains(seen, i => i.Id == id && i.End is null && i.AlarmIds.Count == 2);

        // raised again within the window (a flapping unit): the same incident opens again, no new one each time
        h.Feed("ups-1", "ups.mode", 2);
        Assert.Equal(id, h.ActiveOn("ups-on-battery", "ups-1").IncidentId);
        Assert.Null(h.Engine.FindIncident(id)!.End);
        h.Feed("ups-1", "ups.mode", 1);
        Assert.NotNull(h.Engine.FindIncident(id)!.End);

        // after the window it is a new fault: a new incident
        h.Advance(TimeSpan.FromMinutes(11));
        h.Feed("ups-1", "ups.mode", 2);
        var next = h.ActiveOn("ups-on-battery", "ups-1").IncidentId!.Value;
        Assert.NotEqual(id, next);
        Assert.Equal([id, next], h.Engine.Incidents(open: null).Where(i => i.Cause == "power").Select(i => i.Id).Order());
    }

    [Fact]
    public void A_power_alarm_after_the_window_starts_a_new_incident()
    {
        using var h = new AlarmHarness(Rules);
        h.Feed("ups-1", "ups.mode", 2);
        var first = h.ActiveOn("ups-on-battery", "ups-1").IncidentId;
        h.Advance(TimeSpan.FromMinutes(11));
        h.Feed("ups-2", "ups.mode", 2);
        Assert.NotEqual(first, h.ActiveOn("ups-on-battery", "ups-2").IncidentId);
        h.Advance(TimeSpan.FromMinutes(9));
        h.Feed("ups-1", "ups.input_voltage", 150);
        Assert.Equal(h.ActiveOn("ups-on-battery", "ups-2").IncidentId, h.ActiveOn("ups-input-voltage-low", "ups-1").IncidentId);
    }

    [Fact]
    public void A_switch_and_everything_behind_it_is_one_incident()
    {
        using var h = new AlarmHarness(Rules);
        h.Heartbeat();
        string[] silent = ["asw-a01", "srv-b01-u04", "srv-b01-u07", "srv-b01-u10", "srv-b01-u14", "srv-b01-u16", "srv-b01-u18", "srv-b02-u03", "srv-b02-u06", "srv-b02-u12", "srv-b02-u13", "srv-b02-u15"];
        for (var i = 0; i < 4; i++)
        {
            h.Advance(TimeSpan.FromSeconds(30));
            h.Heartbeat(silent);
        }

        var root = h.ActiveOn("unreachable", "asw-a01");
        var incident = h.Engine.FindIncident(root.IncidentId!.Value)!;
        Assert.Equal(silent.Length, incident.AlarmIds.Count);
        Assert.All(silent, d => Assert.Equal(root.IncidentId, h.ActiveOn("unreachable", d).IncidentId));
        Assert.Single(h.Engine.Incidents(open: true));
        Assert.Equal("unreachable", incident.Cause);
    }

    [Fact]
    public void A_child_alerting_before_its_root_cause_moves_to_the_root_causes_incident()
    {
        using var h = new AlarmHarness(Rules);
        h.Feed("srv-b01-u04", "cpu.usage", 97);
        var child = h.ActiveOn("cpu-high", "srv-b01-u04");
        var own = child.IncidentId!.Value;

        h.Feed("asw-a01", "interface.admin_status", 1, port: 1);
        h.Feed("asw-a01", "interface.oper_status", 2, port: 1);
        var root = h.ActiveOn("port-down", "asw-a01:1");
        Assert.Equal(root.Id, h.ActiveOn("cpu-high", "srv-b01-u04").SuppressedBy);
        var moved = h.ActiveOn("cpu-high", "srv-b01-u04").IncidentId!.Value;
        Assert.Equal(root.IncidentId, moved);
        Assert.Equal([child.Id, root.Id], h.Engine.FindIncident(moved)!.AlarmIds.Order());
        if (moved != own)
        {
            // the child's first incident was left by its only alarm: it ended and is not listed
            Assert.NotNull(h.Engine.FindIncident(own)!.End);
            Assert.Empty(h.Engine.FindIncident(own)!.AlarmIds);
            Assert.DoesNotContain(h.Engine.Incidents(open: null), i => i.Id == own);
        }

        Assert.Single(h.Engine.Incidents(open: true));
    }

    [Fact]
    public void The_ticket_request_waits_until_the_incident_has_gathered_for_group_wait()
    {
        using var h = new AlarmHarness(Rules, new AlarmEngineOptions { TicketAfter = TimeSpan.FromSeconds(5) });
        h.Feed("ups-1", "ups.mode", 2);
        h.Advance(TimeSpan.FromSeconds(10));
        h.Feed("ups-2", "ups.mode", 2);
        Assert.Empty(h.EventsOf(AlarmEventKind.TicketWanted)); // asked after 5 s, held: the incident is 10 s old
        h.Advance(TimeSpan.FromSeconds(19));
        Assert.Empty(h.EventsOf(AlarmEventKind.TicketWanted));
        h.Advance(TimeSpan.FromSeconds(2));
        var wanted = h.EventsOf(AlarmEventKind.TicketWanted);
        Assert.NotEmpty(wanted);
        var incident = h.Engine.FindIncident(wanted[0].Alarm.IncidentId!.Value)!;
        Assert.All(wanted, e => Assert.Equal(incident.Id, e.Alarm.IncidentId));

        // once the incident has its ticket, a request of a later alarm of it goes straight on
        Assert.Equal("7", h.Engine.SetIncidentTicket(incident.Id, "7")!.TicketId);
        h.Feed("ups-1", "ups.input_voltage", 150);
        var count = h.EventsOf(AlarmEventKind.TicketWanted).Count;
        h.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(count + 1, h.EventsOf(AlarmEventKind.TicketWanted).Count);
    }

    [Fact]
    public void Incidents_come_back_after_a_restart_and_one_without_a_ticket_asks_again()
    {
        var store = new InMemoryAlarmStore();
        long powerIncident;
        long cpuIncident;
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        var options = new AlarmEngineOptions { TicketAfter = TimeSpan.FromSeconds(1) };
        using (var h = new AlarmHarness(Rules, options, store, time))
        {
            h.Feed("ups-1", "ups.mode", 2);
            h.Feed("srv-b01-u04", "cpu.usage", 97);
            h.Advance(TimeSpan.FromSeconds(31));
            powerIncident = h.ActiveOn("ups-on-battery", "ups-1").IncidentId!.Value;
            cpuIncident = h.ActiveOn("cpu-high", "srv-b01-u04").IncidentId!.Value;
            Assert.Equal(2, h.EventsOf(AlarmEventKind.TicketWanted).Count);
            h.Engine.SetIncidentTicket(cpuIncident, "3");
        }

        using (var h = new AlarmHarness(Rules, options, store, time))
        {
            Assert.Equal(new[] { cpuIncident, powerIncident }.Order(), h.Engine.Incidents(open: true).Select(i => i.Id).Order());
            Assert.Equal("3", h.Engine.FindIncident(cpuIncident)!.TicketId);

            // the power incident had no ticket when the server stopped: its alarm asks again; the cpu one does not
            var asked = Assert.Single(h.EventsOf(AlarmEventKind.TicketWanted));
            Assert.Equal(powerIncident, asked.Alarm.IncidentId);

            // a power alarm after the restart joins the same incident
            h.Feed("ups-2", "ups.mode", 2);
            Assert.Equal(powerIncident, h.ActiveOn("ups-on-battery", "ups-2").IncidentId);
            Assert.Equal(2, h.Engine.FindIncident(powerIncident)!.AlarmIds.Count);
            h.Feed("ups-1", "ups.mode", 1);
            h.Feed("ups-2", "ups.mode", 1);
            Assert.NotNull(h.Engine.FindIncident(powerIncident)!.End);
        }

        using (var h = new AlarmHarness(Rules, options, store, time))
        {
            Assert.Equal([cpuIncident], h.Engine.Incidents(open: true).Select(i => i.Id));

            // after the window (within it the ended power incident would open again, as without a restart): a new fault
            time.Advance(TimeSpan.FromMinutes(11));
            h.Feed("ups-1", "ups.mode", 2);
            Assert.True(h.ActiveOn("ups-on-battery", "ups-1").IncidentId > Math.Max(powerIncident, cpuIncident));
        }
    }

    /// <summary>The ticket requests of the UPS alarms (the switches' absence alarms ask for theirs too as time passes).</summary>
    private static List<AlarmEvent> UpsAsked(AlarmHarness h) => [.. h.EventsOf(AlarmEventKind.TicketWanted).Where(e => e.Alarm.RuleId == "ups-on-battery")];

    [Fact]
    public void An_alarm_that_asked_for_its_ticket_asks_again_when_it_is_raised_into_a_new_incident()
    {
        using var h = new AlarmHarness(Rules, new AlarmEngineOptions { TicketAfter = TimeSpan.FromSeconds(5) });
        h.Feed("ups-1", "ups.mode", 2);
        h.Advance(TimeSpan.FromSeconds(31));
        var first = Assert.Single(UpsAsked(h));
        var firstIncident = first.Alarm.IncidentId!.Value;
        h.Engine.SetIncidentTicket(firstIncident, "1");

        // cleared (nobody acknowledged it: the alarm stays listed, its request made), its incident ends
        h.Feed("ups-1", "ups.mode", 1);
        Assert.NotNull(h.Engine.FindIncident(firstIncident)!.End);

        // raised again after the window: a new incident, which has no ticket; the alarm asks again, for it, held for group.wait
        h.Advance(TimeSpan.FromMinutes(11));
        h.Feed("ups-1", "ups.mode", 2);
        var again = h.ActiveOn("ups-on-battery", "ups-1");
        Assert.Equal(first.Alarm.Id, again.Id);
        var secondIncident = again.IncidentId!.Value;
        Assert.NotEqual(firstIncident, secondIncident);
        h.Advance(TimeSpan.FromSeconds(29));
        Assert.Single(UpsAsked(h));
        h.Advance(TimeSpan.FromSeconds(2));
        var asked = UpsAsked(h);
        Assert.Equal(2, asked.Count);
        Assert.Equal(secondIncident, asked[1].Alarm.IncidentId);
        Assert.Equal(again.Id, asked[1].Alarm.Id);

        // once: the incident has its ticket, nothing more is asked
        h.Engine.SetIncidentTicket(secondIncident, "2");
        h.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, UpsAsked(h).Count);
    }

    [Fact]
    public void After_a_restart_or_a_takeover_an_alarm_raised_again_within_the_window_reopens_its_incident_with_its_ticket()
    {
        var store = new InMemoryAlarmStore();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        var options = new AlarmEngineOptions { TicketAfter = TimeSpan.FromSeconds(5) };
        long incident;
        using (var h = new AlarmHarness(Rules, options, store, time))
        {
            // the previous engine (the old leader): the alarm asks, its incident gets ticket 1, then it clears and the incident ends
            h.Feed("ups-1", "ups.mode", 2);
            h.Advance(TimeSpan.FromSeconds(31));
            incident = Assert.Single(UpsAsked(h)).Alarm.IncidentId!.Value;
            h.Engine.SetIncidentTicket(incident, "1");
            h.Feed("ups-1", "ups.mode", 1);
            Assert.NotNull(h.Engine.FindIncident(incident)!.End);
        }

        using (var h = new AlarmHarness(Rules, options, store, time))
        {
            // the new engine, rebuilt from the store: the alarm comes back (cleared, its request made) and is raised again
            Assert.Empty(h.Engine.Incidents(open: true));
            h.Advance(TimeSpan.FromSeconds(2));
            h.Feed("ups-1", "ups.mode", 2);
            var reopened = h.Engine.FindIncident(h.ActiveOn("ups-on-battery", "ups-1").IncidentId!.Value)!;
            Assert.Equal(incident, reopened.Id);
            Assert.Null(reopened.End);
            Assert.Equal("1", reopened.TicketId);
            h.Advance(TimeSpan.FromMinutes(1));
            Assert.Empty(UpsAsked(h));
        }
    }

    [Fact]
    public void An_incident_the_store_lost_is_rebuilt_from_the_alarms_that_name_it()
    {
        var store = new LosingStore();
        long incident;
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        using (var h = new AlarmHarness(Rules, store: store, time: time))
        {
            store.DropIncidents = true; // as if the server died after the alarm event was stored but not the incident
            h.Feed("ups-1", "ups.mode", 2);
            h.Feed("ups-2", "ups.mode", 2);
            incident = h.ActiveOn("ups-on-battery", "ups-1").IncidentId!.Value;
            store.DropIncidents = false;
        }

        using (var h = new AlarmHarness(Rules, store: store, time: time))
        {
            var rebuilt = Assert.Single(h.Engine.Incidents(open: true));
            Assert.Equal(incident, rebuilt.Id);
            Assert.Equal(2, rebuilt.AlarmIds.Count);
            Assert.Equal("power", rebuilt.Cause);
            Assert.NotNull(((IIncidentStore)store).FindIncident(incident));
        }
    }

    [Fact]
    public void The_demo_rules_group_power_and_cooling_alarms_by_room()
    {
        var loaded = AlarmRuleLoader.LoadDirectory(Path.Combine(TestProfiles.RepoProfiles, "rules"), AlarmHarness.Demo);
        Assert.True(loaded.Ok, string.Join(Environment.NewLine, loaded.Errors));
        Assert.Equal([IncidentGroupLabel.Room, IncidentGroupLabel.Cause], loaded.Rules.Grouping.By);
        Assert.Equal(TimeSpan.FromSeconds(30), loaded.Rules.Grouping.Wait);
        Assert.Equal(TimeSpan.FromMinutes(10), loaded.Rules.Grouping.Window);
        Assert.All(["ups-on-battery", "ups-input-voltage-low", "ups-battery-low", "pdu-overcurrent"], id => Assert.Equal("power", loaded.Rules.Find(id)?.Cause));
        Assert.All(["aircon-fault", "supply-air-hot", "temperature-high", "return-air-hot"], id => Assert.Equal("cooling", loaded.Rules.Find(id)?.Cause));
        Assert.Null(loaded.Rules.Find("port-down")!.Cause);
    }

    [Fact]
    public void A_bad_group_is_reported_at_its_line()
    {
        const string yaml = """
            group:
              by: [room, colour]
              wait: soon
            rules: []
            """;
        File.WriteAllText(Path.Combine(_dir, "rules.yaml"), yaml);
        var result = AlarmRuleLoader.LoadDirectory(_dir, AlarmHarness.Demo);
        Assert.False(result.Ok);
        Assert.Contains(result.Errors, e => e.ToString().Contains("rules.yaml:2:", StringComparison.Ordinal) && e.ToString().Contains("colour", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.ToString().Contains("rules.yaml:3:", StringComparison.Ordinal) && e.ToString().Contains("'wait' must be a duration", StringComparison.Ordinal));

        File.WriteAllText(Path.Combine(_dir, "rules.yaml"), "group: { by: [room] }\nrules: []\n");
        File.WriteAllText(Path.Combine(_dir, "second.yaml"), "rules: []\ngroup: { by: [device] }\n");
        var twice = AlarmRuleLoader.LoadDirectory(_dir, AlarmHarness.Demo);
        var error = Assert.Single(twice.Errors);
        Assert.Contains("second.yaml:2:", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("already given at", error.ToString(), StringComparison.Ordinal);

        File.Delete(Path.Combine(_dir, "second.yaml"));
        File.WriteAllText(Path.Combine(_dir, "rules.yaml"), "group: { by: [room, device], window: 5m }\nrules: []\n");
        var good = AlarmRuleLoader.LoadDirectory(_dir, AlarmHarness.Demo);
        Assert.True(good.Ok, string.Join(Environment.NewLine, good.Errors));
        Assert.Equal(TimeSpan.Zero, good.Rules.Grouping.Wait);
        Assert.Equal(TimeSpan.FromMinutes(5), good.Rules.Grouping.Window);
        Assert.Equal([IncidentGroupLabel.Room, IncidentGroupLabel.Device], good.Rules.Grouping.By);
    }

    private sealed class Recorder(List<IncidentSnapshot> seen) : IIncidentSink
    {
        public void OnIncident(IncidentSnapshot incident) => seen.Add(incident);
    }

    /// <summary>An in-memory store that can be told to lose incident writes.</summary>
    private sealed class LosingStore : IAlarmStore, IIncidentStore
    {
        private readonly InMemoryAlarmStore _inner = new();

        public bool DropIncidents { get; set; }

        public AlarmStoreState Load(DateTimeOffset now) => _inner.Load(now);

        public void Append(AlarmEvent alarmEvent) => _inner.Append(alarmEvent);

        public void SaveMaintenance(MaintenanceWindow window, string? endedBy) => _inner.SaveMaintenance(window, endedBy);

        public void SaveMute(MuteRecord mute, string? endedBy, DateTimeOffset? endedAt) => _inner.SaveMute(mute, endedBy, endedAt);

        public void Flush() => _inner.Flush();

        public IReadOnlyList<AlarmSnapshot> Query(AlarmQuery query) => _inner.Query(query);

        public IReadOnlyList<AlarmEvent> Timeline(long alarmId) => _inner.Timeline(alarmId);

        public IReadOnlyList<MuteRecord> Mutes(int limit) => _inner.Mutes(limit);

        public void SaveIncident(IncidentSnapshot incident)
        {
            if (!DropIncidents)
            {
                _inner.SaveIncident(incident);
            }
        }

        public IncidentStoreState LoadIncidents() => _inner.LoadIncidents();

        public IReadOnlyList<IncidentSnapshot> QueryIncidents(bool? open, int limit) => _inner.QueryIncidents(open, limit);

        public IncidentSnapshot? FindIncident(long id) => _inner.FindIncident(id);
    }
}
