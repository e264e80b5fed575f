using Microsoft.Data.Sqlite;
using Monitoring.Core.Tickets;
using Monitoring.Storage.Tickets;

namespace Monitoring.Storage.Tests.Tickets;

/// <summary>
/// Issue 19: an alarm ticket's "fault began" is kept in its document and in the tickets.fault_at column (migration
/// 0006) for the report; a ticket stored before either existed still loads, with no fault time.
/// </summary>
public abstract class TicketFaultTimeTests(StoreProvider provider) : IAsyncLifetime, IAsyncDisposable
{
    private static readonly DateTimeOffset Opened = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Directory.CreateTempSubdirectory("ticket-fault-").FullName;
    private readonly ServiceConfig _config = new([new ServiceArea("hq", "HQ", 2, null, ["demo"])], [new ServiceTeam { Id = "noc", Name = "NOC", Kind = TeamKind.Noc }], []);
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

    private Ticket AlarmTicket(long id) =>
        Ticket.FromAlarm(id, new AlarmFacts(50 + id, Opened.AddMinutes(-12), "ups-1", null, "demo", null, 4, "on battery", "ups-on-battery", null, []), Opened, _config);

    [Fact]
    public async Task The_fault_time_round_trips_in_the_document_and_the_report_facts()
    {
        await _store.SaveAsync(AlarmTicket(1), null, 0, 0, CancellationToken.None);

        var loaded = await _store.GetAsync(1, CancellationToken.None);
        Assert.Equal(Opened.AddMinutes(-12), loaded!.FaultBeganAt);
        Assert.Equal(Opened, loaded.ReportedAt);
        var facts = Assert.Single(await _store.LoadFactsAsync(Opened.AddHours(-1), Opened.AddHours(1), CancellationToken.None));
        Assert.Equal(Opened.AddMinutes(-12), facts.FaultBeganAt);
        Assert.Equal(Opened, facts.ReportedAt);
    }

    [Fact]
    public async Task A_ticket_stored_before_the_fault_time_existed_still_loads()
    {
        await _store.SaveAsync(AlarmTicket(2), null, 0, 0, CancellationToken.None);
        // as the previous build left it: no fault_at value, no faultBeganAt in the document
        await _database.WriteAsync(async (connection, transaction) =>
        {
            await using var column = connection.Command("UPDATE tickets SET fault_at = NULL WHERE id = 2", transaction);
            await column.ExecuteNonQueryAsync();
            await using var doc = connection.Command(provider.Kind == DatabaseProvider.Postgres
                ? "UPDATE ticket_docs SET doc = (doc::jsonb - 'faultBeganAt')::text WHERE ticket_id = 2"
                : "UPDATE ticket_docs SET doc = json_remove(doc, '$.faultBeganAt') WHERE ticket_id = 2", transaction);
            await doc.ExecuteNonQueryAsync();
            await using var check = connection.Command(provider.Kind == DatabaseProvider.Postgres
                ? "SELECT strpos(doc, 'faultBeganAt') FROM ticket_docs WHERE ticket_id = 2"
                : "SELECT instr(doc, 'faultBeganAt') FROM ticket_docs WHERE ticket_id = 2", transaction);
            Assert.Equal(0L, Convert.ToInt64(await check.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }, CancellationToken.None);

        var live = Assert.Single(await _store.LoadNotClosedAsync(CancellationToken.None));
        Assert.Null(live.FaultBeganAt);
        Assert.Equal(Opened, live.ReportedAt);
        Assert.Equal("ups-1", live.DeviceId);
        var facts = Assert.Single(await _store.LoadFactsAsync(Opened.AddHours(-1), Opened.AddHours(1), CancellationToken.None));
        Assert.Null(facts.FaultBeganAt);
    }

    public sealed class Sqlite() : TicketFaultTimeTests(StoreProvider.Sqlite);

    public sealed class Postgres(PostgresFixture postgres) : TicketFaultTimeTests(postgres), IClassFixture<PostgresFixture>;
}
