using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Alarms;
using Monitoring.Core.Series;
using Monitoring.Server.Tickets;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Tickets;

/// <summary>
/// Issue 19's ticket clocks with the real parts: a real alarm engine on a fake clock feeds the running server's alarm →
/// ticket bridge and ticket service (real store). A port flapping 6 times in 10 minutes opens no ticket; once it has
/// held down past the hold-off, exactly one, whose A is its opening and whose "fault began" is the alarm's first raise.
/// </summary>
public sealed class TicketClockServerTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Rules = """
        rules:
          - id: clocks-port-down
            name: 端口中断
            severity: major
            scope: { kind: [switch] }
            state:
              metric: interface.oper_status
              values: [2]
              while: { metric: interface.admin_status, in: [1] }
            message: "{deviceName} port {port} down"
        """;

    /// <summary>Alarm ids of this test's engine start above this, clear of the server's own engine's ids.</summary>
    private const long FirstId = 7_000_000;

    [Fact]
    public async Task A_flapping_port_opens_no_ticket_and_exactly_one_after_it_holds_down_past_the_hold_off()
    {
        var bridge = server.App.Services.GetServices<IAlarmEventSink>().OfType<AlarmTicketBridge>().Single();
        var tickets = server.App.Services.GetRequiredService<TicketService>();
        var sw = server.Inventory.FindDevice("asw-a01")!;
        var elsewhere = server.Inventory.Devices.Last(d => d.Id != sw.Id && d.RackId != sw.RackId); // the drain's sentinel alarms
        const int port = 5;
        var directory = Directory.CreateTempSubdirectory("clocks-rules-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "rules.yaml"), Rules);
            var loaded = AlarmRuleLoader.LoadDirectory(directory, server.Inventory);
            Assert.True(loaded.Ok, string.Join(Environment.NewLine, loaded.Errors));
            // the engine's clock runs an hour behind the server's, so every alarm time is in the server's past
            var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1));
            var store = new InMemoryAlarmStore();
            store.Append(new AlarmEvent(AlarmEventKind.Closed, Seed(sw, time.GetUtcNow()), time.GetUtcNow()));
            var registry = new SeriesRegistry(server.Inventory);
            var options = new AlarmEngineOptions
            {
                FlappingRaises = 5,
                FlappingWindow = TimeSpan.FromMinutes(10),
                FlappingStable = TimeSpan.FromMinutes(5),
                TicketAfter = TimeSpan.FromMinutes(5),
            };
            using var engine = new AlarmEngine(loaded.Rules, server.Inventory, registry, store, options, time, NullLogger<AlarmEngine>.Instance);
            var forward = new Forward(bridge);
            using var subscription = engine.Subscribe(forward);
            engine.Start();
            var oper = registry.GetOrAdd(sw.Index, "interface.oper_status", port);
            var admin = registry.GetOrAdd(sw.Index, "interface.admin_status", port);
            void Feed(int series, double value) => engine.OnSamples([new Sample(series, time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000, value)]);
            void Advance(TimeSpan by)
            {
                var end = time.GetUtcNow() + by;
                while (time.GetUtcNow() < end)
                {
                    time.Advance(TimeSpan.FromSeconds(1));
                    engine.Tick();
                }
            }

            Feed(admin, 1);
            Feed(oper, 2);
            var alarmId = Assert.Single(engine.Active).Id;
            var firstRaise = engine.Find(alarmId)!.RaisedAt;
            Assert.True(alarmId > FirstId);
            // six raises in ten minutes, then more flapping, well past the first raise's hold-off
            for (var i = 0; i < 9; i++)
            {
                if (i > 0)
                {
                    Feed(oper, 2);
                }

                Advance(TimeSpan.FromSeconds(35));
                Feed(oper, 1);
                Advance(TimeSpan.FromSeconds(35));
            }

            Assert.True(engine.Find(alarmId)!.Flapping);
            Assert.DoesNotContain(forward.Seen, e => e.Kind == AlarmEventKind.TicketWanted);
            await DrainAsync(bridge, tickets, elsewhere, "flapping");
            Assert.Empty(Linking(tickets, alarmId));

            // it holds down: the flapping run ends after 5 minutes without change, the hold-off counts from this raise
            Feed(oper, 2);
            Advance(TimeSpan.FromMinutes(4));
            await DrainAsync(bridge, tickets, elsewhere, "held down 4 minutes");
            Assert.Empty(Linking(tickets, alarmId));

            Advance(TimeSpan.FromMinutes(2));
            Assert.False(engine.Find(alarmId)!.Flapping);
            var ticket = await ServerFixture.EventuallyAsync(() => Task.FromResult(Linking(tickets, alarmId)), t => t.Count > 0, "the ticket of the port that held down");
            Advance(TimeSpan.FromMinutes(10));
            await DrainAsync(bridge, tickets, elsewhere, "held down 16 minutes");
            var only = Assert.Single(Linking(tickets, alarmId));
            Assert.Equal(ticket[0].Id, only.Id);
            Assert.Equal(firstRaise, only.FaultBeganAt); // the fault began at the first raise of the run
            Assert.True(only.ReportedAt > time.GetUtcNow(), "A is the ticket's opening (the server's clock), not the alarm's raise");
            Assert.Single(forward.Seen, e => e.Kind == AlarmEventKind.TicketWanted);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static List<Core.Tickets.Ticket> Linking(TicketService tickets, long alarmId) =>
        [.. tickets.Live.Where(t => t.AlarmIds.Contains(alarmId))];

    private static long _sentinel = FirstId + 500_000;

    /// <summary>
    /// Waits until the bridge has handled everything sent so far: it handles events in order, so once a sentinel
    /// alarm's ticket (sent last) exists, every earlier event has been handled.
    /// </summary>
    private static async Task DrainAsync(AlarmTicketBridge bridge, TicketService tickets, Core.Inventory.Device device, string what)
    {
        var id = Interlocked.Increment(ref _sentinel);
        var now = DateTimeOffset.UtcNow;
        bridge.OnAlarmEvent(new AlarmEvent(AlarmEventKind.TicketWanted, new AlarmSnapshot
        {
            Id = id,
            RuleId = "sentinel",
            RuleName = "sentinel",
            Severity = AlarmSeverity.Critical,
            Target = AlarmTarget.For(device),
            Message = "drain " + what,
            State = AlarmState.Raised,
            RaisedAt = now,
            ChangedAt = now,
        }, now));
        await ServerFixture.EventuallyAsync(() => Task.FromResult(tickets.FindByAlarm(id)), t => t is not null, $"the bridge to drain ({what})");
    }

    private static AlarmSnapshot Seed(Core.Inventory.Device device, DateTimeOffset at) => new()
    {
        Id = FirstId,
        RuleId = "seed",
        RuleName = "seed",
        Severity = AlarmSeverity.Warning,
        Target = AlarmTarget.For(device),
        Message = "closed long ago",
        State = AlarmState.Closed,
        RaisedAt = at,
        ChangedAt = at,
        ClosedAt = at,
    };

    private sealed class Forward(AlarmTicketBridge bridge) : IAlarmEventSink
    {
        public List<AlarmEvent> Seen { get; } = [];

        public void OnAlarmEvent(AlarmEvent alarmEvent)
        {
            Seen.Add(alarmEvent);
            bridge.OnAlarmEvent(alarmEvent);
        }
    }
}

/// <summary>A server whose site is in Shanghai (UTC+8): its service report counts days there.</summary>
public sealed class ShanghaiSiteFixture : ServerFixture
{
    public ShanghaiSiteFixture()
        : base(["--Monitoring:Site:TimeZone", "Asia/Shanghai"])
    {
    }
}

/// <summary>Issue 19: reports group days by the site's time zone (Monitoring:Site:TimeZone), not UTC.</summary>
public sealed class SiteTimeZoneTests(ShanghaiSiteFixture server) : IClassFixture<ShanghaiSiteFixture>
{
    [Fact]
    public async Task Tickets_either_side_of_the_sites_midnight_count_on_their_local_days()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        // a local midnight at least a day ago: 16:00 UTC the day before, one UTC day for both tickets
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddDays(-1), zone);
        var midnight = new DateTimeOffset(local.Year, local.Month, local.Day, 0, 0, 0, zone.GetUtcOffset(local.Date));
        var before = midnight.AddMinutes(-20);
        var after = midnight.AddMinutes(20);
        Assert.Equal(before.UtcDateTime.Date, after.UtcDateTime.Date);
        var device = server.FirstSwitch();
        foreach (var at in new[] { before, after })
        {
            using var response = await server.Http.PostAsJsonAsync("/api/tickets", new
            {
                by = "operator.li",
                category = "fault",
                channel = "phone",
                description = "late-night report",
                deviceId = device.Id,
                reportedAt = at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
            });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        var from = Uri.EscapeDataString(midnight.AddDays(-1).ToString("O", CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(midnight.AddDays(1).ToString("O", CultureInfo.InvariantCulture));
        var report = await server.GetJsonAsync($"/api/reports/service?from={from}&to={to}");

        Assert.Equal("Asia/Shanghai", report.GetProperty("timeZone").GetString());
        var days = report.GetProperty("all").GetProperty("perDay").EnumerateArray()
            .ToDictionary(d => DateOnly.Parse(d.GetProperty("date").GetString()!, CultureInfo.InvariantCulture), d => d.GetProperty("count").GetInt32());
        var today = DateOnly.FromDateTime(midnight.DateTime);
        Assert.Equal(new Dictionary<DateOnly, int> { [today.AddDays(-1)] = 1, [today] = 1 }, days);
    }

    [Fact]
    public async Task An_unknown_zone_stops_the_start_naming_the_key()
    {
        var data = Directory.CreateTempSubdirectory("monitoring-site-").FullName;
        try
        {
            await using var app = ServerHost.Build([
                "--urls", "http://127.0.0.1:0", "--data", data, "--simulator", "false", "--Monitoring:Mqtt:Broker:Port", "0",
                "--Monitoring:Site:TimeZone", "Mars/Olympus_Mons"]);

            var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());

            Assert.Contains("Monitoring:Site:TimeZone", error.ToString(), StringComparison.Ordinal);
            Assert.Contains("Mars/Olympus_Mons", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
