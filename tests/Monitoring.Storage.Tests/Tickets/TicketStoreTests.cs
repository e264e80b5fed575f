using Microsoft.Data.Sqlite;
using Monitoring.Core.Tickets;
using Monitoring.Storage.Tickets;

namespace Monitoring.Storage.Tests.Tickets;

/// <summary>The ticket store on both providers (nested classes Sqlite and Postgres run the same tests).</summary>
public abstract class TicketStoreTests(StoreProvider provider) : IAsyncLifetime, IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Directory.CreateTempSubdirectory("ticket-store-").FullName;
    private readonly ServiceConfig _config = new(
        [new ServiceArea("hq", "HQ", 2, null, ["demo"])],
        [
            new ServiceTeam { Id = "noc", Name = "NOC", Kind = TeamKind.Noc },
            new ServiceTeam { Id = "team-a", Name = "A", Kind = TeamKind.Field, Skills = ["network"] },
            new ServiceTeam { Id = "team-b", Name = "B", Kind = TeamKind.Field, Skills = ["network"] },
        ],
        []);

    private Database _database = null!;
    private TicketStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = new Database(await provider.NewOptionsAsync(_directory));
        await new Migrator(_database).MigrateAsync(CancellationToken.None);
        _store = new TicketStore(_database);
    }

    ValueTask IAsyncDisposable.DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return _database.DisposeAsync();
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private Ticket NewTicket(long id, DateTimeOffset at, string? device = "csw-1", TicketCategory category = TicketCategory.Fault) =>
        Ticket.FromHotline(id, new HotlineReport
        {
            By = "op",
            Category = category,
            Description = "fault " + id,
            DeviceId = device,
            Port = device is null ? null : 7,
            RoomId = "demo",
            AreaId = "hq",
            Caller = new Caller("Wang", "555", "IT", "3F"),
        }, at, _config);

    [Fact]
    public async Task A_ticket_round_trips_with_its_steps_audit_links_and_callback()
    {
        var t = NewTicket(1, T0);
        await _store.SaveAsync(t, T0.AddMinutes(2), 0, 0, CancellationToken.None);
        var steps = t.StepHistory.Count;
        var audit = t.Audit.Count;
        Assert.True(t.Dispatch("team-a", "noc", T0.AddMinutes(1), _config).Ok);
        Assert.True(t.Accept("a1", T0.AddMinutes(2), _config).Ok);
        Assert.True(t.Depart("a1", T0.AddMinutes(3)).Ok);
        Assert.True(t.Arrive("a1", T0.AddMinutes(20)).Ok);
        Assert.True(t.Resolve("a1", "reseated the module", [new TicketAttachment(T0, "a1", "after.jpg", "image/jpeg", 2048, "/files/after.jpg")], T0.AddMinutes(30)).Ok);
        Assert.True(t.RecordCallback("noc", true, "thanks", T0.AddMinutes(60)).Ok);
        Assert.True(t.AddLink(TicketLinkKind.Alarm, "42", "engine", T0.AddMinutes(61)).Ok);
        await _store.SaveAsync(t, null, steps, audit, CancellationToken.None);

        var loaded = await _store.GetAsync(1, CancellationToken.None);
        Assert.NotNull(loaded);
        Assert.Equal(TicketStore.Serialize(t), TicketStore.Serialize(loaded));
        Assert.Equal(TicketStatus.Resolved, loaded.Status);
        Assert.Equal(T0.AddMinutes(20), loaded.At(TicketStep.Arrived));
        Assert.Equal("Wang", loaded.Caller!.Name);
        Assert.True(loaded.Callback!.Satisfied);

        var storedAudit = await _store.LoadAuditAsync(1, CancellationToken.None);
        Assert.Equal(t.Audit.Select(a => (a.Seq, a.Action, a.By)), storedAudit.Select(a => (a.Seq, a.Action, a.By)));
        Assert.Equal([1L], await _store.FindByLinkAsync(TicketLinkKind.Alarm, "42", CancellationToken.None));
        Assert.Equal([1L], await _store.FindByLinkAsync(TicketLinkKind.Port, "csw-1:7", CancellationToken.None));
        Assert.Equal(1, await _store.MaxIdAsync(CancellationToken.None));
        Assert.Single(await _store.LoadNotClosedAsync(CancellationToken.None));

        Assert.True(t.Close("noc", null, T0.AddMinutes(70)).Ok);
        await _store.SaveAsync(t, null, loaded.StepHistory.Count, loaded.Audit.Count, CancellationToken.None);
        Assert.Empty(await _store.LoadNotClosedAsync(CancellationToken.None));
        Assert.Equal(t.Audit.Count, (await _store.LoadAuditAsync(1, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Queries_filter_page_and_count()
    {
        var batch = new List<(Ticket, DateTimeOffset?)>();
        for (var i = 1; i <= 30; i++)
        {
            var t = NewTicket(i, T0.AddHours(i), device: i % 3 == 0 ? "ups-1" : "csw-1", category: i % 5 == 0 ? TicketCategory.Complaint : TicketCategory.Fault);
            if (i % 2 == 0)
            {
                Assert.True(t.Dispatch(i % 4 == 0 ? "team-a" : "team-b", "noc", T0.AddHours(i).AddMinutes(1), _config).Ok);
            }

            if (i > 25)
            {
                Assert.True(t.Resolve("x", "ok", null, T0.AddHours(i).AddMinutes(5)).Ok);
            }

            batch.Add((t, t.IsOpen ? T0.AddHours(i).AddMinutes(2) : null));
        }

        await _store.SaveManyAsync(batch, CancellationToken.None);
        var now = T0.AddHours(10);

        var all = await _store.QueryAsync(new TicketQuery { Now = now, PageSize = 10 }, CancellationToken.None);
        Assert.Equal(30, all.Total);
        Assert.Equal(Enumerable.Range(21, 10).Reverse().Select(i => (long)i), all.Items.Select(s => s.Id));
        var page3 = await _store.QueryAsync(new TicketQuery { Now = now, PageSize = 10, Page = 3 }, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 10).Reverse().Select(i => (long)i), page3.Items.Select(s => s.Id));

        Assert.Equal(12, (await _store.QueryAsync(new TicketQuery { Now = now, Status = TicketStatus.Dispatched }, CancellationToken.None)).Total); // even ids, less 26, 28, 30 resolved
        Assert.Equal(25, (await _store.QueryAsync(new TicketQuery { Now = now, Open = true }, CancellationToken.None)).Total);
        Assert.Equal(6, (await _store.QueryAsync(new TicketQuery { Now = now, Category = TicketCategory.Complaint }, CancellationToken.None)).Total);
        Assert.Equal(7, (await _store.QueryAsync(new TicketQuery { Now = now, TeamId = "team-a" }, CancellationToken.None)).Total);
        Assert.Equal(10, (await _store.QueryAsync(new TicketQuery { Now = now, DeviceId = "ups-1" }, CancellationToken.None)).Total);
        Assert.Equal(5, (await _store.QueryAsync(new TicketQuery { Now = now, From = T0.AddHours(3), To = T0.AddHours(8) }, CancellationToken.None)).Total);

        // overdue at "now" = open with a due time before now: tickets 1..9 (due 2 minutes after their report)
        var overdue = await _store.QueryAsync(new TicketQuery { Now = now, Overdue = true, PageSize = 100 }, CancellationToken.None);
        Assert.Equal(9, overdue.Total);
        Assert.All(overdue.Items, s => Assert.True(s.Overdue));
        Assert.Equal(30, (await _store.QueryAsync(new TicketQuery { Now = now, AreaId = "hq" }, CancellationToken.None)).Total);
    }

    [Fact]
    public async Task Report_facts_include_the_week_before_for_repeats()
    {
        var batch = Enumerable.Range(1, 10).Select(i => (NewTicket(i, T0.AddDays(i)), (DateTimeOffset?)null)).ToList();
        await _store.SaveManyAsync(batch, CancellationToken.None);
        var facts = await _store.LoadFactsAsync(T0.AddDays(9), T0.AddDays(11), CancellationToken.None);
        Assert.Equal(Enumerable.Range(2, 9).Select(i => (long)i), facts.Select(f => f.Id).Order());
        var report = ServiceReport.Compute(facts, T0.AddDays(9), T0.AddDays(11), ReportGrouping.Area, _config, T0.AddDays(11));
        Assert.Equal(2, report.All.Tickets);
        Assert.Equal(2, report.All.RepeatFaults);
    }

    [Fact]
    public async Task Team_status_survives_a_restart()
    {
        await _store.SaveTeamStatusAsync(new TeamStatus("team-a", TeamAvailability.Away, "training", "lead", T0), CancellationToken.None);
        await _store.SaveTeamStatusAsync(new TeamStatus("team-a", TeamAvailability.Busy, null, "lead", T0.AddHours(1)), CancellationToken.None);
        var status = Assert.Single(await new TicketStore(_database).LoadTeamStatusesAsync(CancellationToken.None));
        Assert.Equal(new TeamStatus("team-a", TeamAvailability.Busy, null, "lead", T0.AddHours(1)), status);
    }

    public sealed class Sqlite() : TicketStoreTests(StoreProvider.Sqlite);

    public sealed class Postgres(PostgresFixture postgres) : TicketStoreTests(postgres), IClassFixture<PostgresFixture>;
}
