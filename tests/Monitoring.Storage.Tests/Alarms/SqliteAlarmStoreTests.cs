using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;
using Monitoring.Storage.Alarms;

namespace Monitoring.Storage.Tests.Alarms;

/// <summary>The alarm store on a real SQLite file and a real PostgreSQL: what an engine records survives a restart (new store, new engine).</summary>
public abstract class SqliteAlarmStoreTests : IDisposable
{
    private const string Rules = """
        rules:
          - id: cpu-high
            name: CPU 利用率过高
            severity: major
            scope: { kind: server }
            threshold: { metric: cpu.usage, above: 90, clear: 80 }
            message: "{deviceName} CPU {value}"
        """;

    private static readonly Lazy<Inventory> Demo = new(() => InventoryLoader.Load(RepoProfiles()));

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "alarm-store-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
    private readonly AlarmRuleSet _rules;

    private readonly StoreProvider _provider;

    protected SqliteAlarmStoreTests(StoreProvider provider)
    {
        _provider = provider;
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "rules.yaml"), Rules);
        var loaded = AlarmRuleLoader.LoadDirectory(_directory, Demo.Value);
        Assert.True(loaded.Ok, string.Join(Environment.NewLine, loaded.Errors));
        _rules = loaded.Rules;
    }

    [Fact]
    public async Task An_acknowledged_alarm_survives_a_restart_and_then_clears_and_closes_normally()
    {
        var database = await MigratedAsync();
        long id;
        await using (var store = await SqliteAlarmStore.OpenAsync(database, NullLogger<SqliteAlarmStore>.Instance, CancellationToken.None))
        {
            using var engine = NewEngine(store, out var registry);
            engine.Start();
            Feed(engine, registry, "srv-b01-u04", 95);
            id = Assert.Single(engine.Active).Id;
            _time.Advance(TimeSpan.FromSeconds(10));
            Assert.True(engine.Acknowledge(id, "alice", "looking at it").Ok);
            engine.Mute("alice", "night shift handover", TimeSpan.FromMinutes(10));
            engine.AddMaintenance("b02", _time.GetUtcNow(), _time.GetUtcNow().AddHours(1), "bob", "swap PSU");
        }

        _time.Advance(TimeSpan.FromMinutes(1));
        await using (var store = await SqliteAlarmStore.OpenAsync(database, NullLogger<SqliteAlarmStore>.Instance, CancellationToken.None))
        {
            using var engine = NewEngine(store, out var registry);
            engine.Start();
            var recovered = Assert.Single(engine.Active);
            Assert.Equal(id, recovered.Id);
            Assert.Equal(AlarmState.Acknowledged, recovered.State);
            Assert.Equal("alice", recovered.Acknowledgement!.By);
            Assert.Equal("looking at it", recovered.Acknowledgement.Comment);
            Assert.Equal("alice", engine.CurrentMute!.By);
            Assert.Equal("b02", Assert.Single(engine.Maintenance).Scope);

            Feed(engine, registry, "srv-b01-u04", 50);
            Assert.Empty(engine.Active);
            var timeline = engine.Timeline(id).Select(e => e.Kind).ToList();
            Assert.Equal([AlarmEventKind.Raised, AlarmEventKind.Acknowledged, AlarmEventKind.Cleared, AlarmEventKind.Closed], timeline);
            Assert.Equal(AlarmState.Closed, engine.Find(id)!.State);

            Feed(engine, registry, "srv-b01-u04", 97);
            var next = Assert.Single(engine.Active);
            Assert.True(next.Id > id, "ids are not reused after a restart");
        }
    }

    [Fact]
    public async Task History_filters_by_device_severity_state_and_time_newest_first()
    {
        var database = await MigratedAsync();
        await using var store = await SqliteAlarmStore.OpenAsync(database, NullLogger<SqliteAlarmStore>.Instance, CancellationToken.None);
        using var engine = NewEngine(store, out var registry);
        engine.Start();
        Feed(engine, registry, "srv-b01-u04", 95);
        _time.Advance(TimeSpan.FromMinutes(1));
        Feed(engine, registry, "srv-b01-u07", 95);
        Feed(engine, registry, "srv-b01-u04", 10);

        var all = engine.History(new AlarmQuery());
        Assert.Equal(["srv-b01-u07", "srv-b01-u04"], all.Select(a => a.Target.DeviceId));
        Assert.Equal("srv-b01-u04", Assert.Single(engine.History(new AlarmQuery(State: AlarmState.Cleared))).Target.DeviceId);
        Assert.Equal("srv-b01-u07", Assert.Single(engine.History(new AlarmQuery(DeviceId: "srv-b01-u07"))).Target.DeviceId);
        Assert.Empty(engine.History(new AlarmQuery(MinSeverity: AlarmSeverity.Critical)));
        Assert.Single(engine.History(new AlarmQuery(From: _time.GetUtcNow())));
        Assert.Equal(0, store.Failures);
    }

    [Fact]
    public async Task Mutes_are_recorded_with_who_why_and_when_they_ended()
    {
        var database = await MigratedAsync();
        await using var store = await SqliteAlarmStore.OpenAsync(database, NullLogger<SqliteAlarmStore>.Instance, CancellationToken.None);
        using var engine = NewEngine(store, out _);
        engine.Start();
        engine.Mute("carol", "fire drill", TimeSpan.FromHours(5));
        _time.Advance(TimeSpan.FromMinutes(3));
        engine.Unmute("dave");
        var mute = Assert.Single(engine.MuteHistory());
        Assert.Equal("carol", mute.By);
        Assert.Equal("fire drill", mute.Reason);
        Assert.Equal(_time.GetUtcNow(), mute.Until); // ended by hand, three minutes in
        Assert.Null(engine.CurrentMute);
    }

    [Fact]
    public async Task A_store_write_that_fails_is_retried_in_order_and_the_state_ends_up_stored()
    {
        var database = await MigratedAsync();
        long id;
        await using (var store = await SqliteAlarmStore.OpenAsync(database, NullLogger<SqliteAlarmStore>.Instance, CancellationToken.None))
        {
            using var engine = NewEngine(store, out var registry);
            engine.Start();

            // a real failure on the real database: every alarm event is refused until the trigger goes
            await ExecuteAsync(database, _provider.RefuseInserts("alarm_events"));
            Feed(engine, registry, "srv-b01-u04", 95);
            id = Assert.Single(engine.Active).Id;
            var refused = Assert.Throws<AlarmStoreUnavailableException>(() => engine.Acknowledge(id, "alice", "on it"));
            Assert.Contains("injected failure", refused.Message, StringComparison.Ordinal);
            Assert.True(store.Failures >= 1);
            Assert.True(store.Pending >= 2, $"{store.Pending} changes pending: the raise and the acknowledgement stay queued");
            Assert.NotNull(store.LastError);

            await ExecuteAsync(database, _provider.AllowInserts("alarm_events"));
            await EventuallyAsync(() => store.Pending == 0, "the queued alarm changes are stored once the database takes writes again");
            Assert.Null(store.LastError);
            Assert.Equal(0, store.Lost);
        }

        await using (var store = await SqliteAlarmStore.OpenAsync(database, NullLogger<SqliteAlarmStore>.Instance, CancellationToken.None))
        {
            using var engine = NewEngine(store, out _);
            engine.Start();
            var recovered = Assert.Single(engine.Active);
            Assert.Equal(id, recovered.Id);
            Assert.Equal(AlarmState.Acknowledged, recovered.State);
            Assert.Equal("on it", recovered.Acknowledgement!.Comment);
            Assert.Equal([AlarmEventKind.Raised, AlarmEventKind.Acknowledged], engine.Timeline(id).Select(e => e.Kind).ToArray());
        }
    }

    private static Task ExecuteAsync(Database database, string sql) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }, CancellationToken.None);

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting: " + what);
            await Task.Delay(20);
        }
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void Feed(AlarmEngine engine, SeriesRegistry registry, string device, double value)
    {
        var id = registry.GetOrAdd(Demo.Value.FindDevice(device)!.Index, "cpu.usage", -1);
        engine.OnSamples([new Sample(id, 0, value)]);
    }

    private static string RepoProfiles()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
            {
                return Path.Combine(dir.FullName, "device-profiles");
            }
        }

        throw new InvalidOperationException("cannot find the repository root above " + AppContext.BaseDirectory);
    }

    private AlarmEngine NewEngine(IAlarmStore store, out SeriesRegistry registry)
    {
        registry = new SeriesRegistry(Demo.Value);
        return new AlarmEngine(_rules, Demo.Value, registry, store, new AlarmEngineOptions(), _time, NullLogger<AlarmEngine>.Instance);
    }

    private async Task<Database> MigratedAsync()
    {
        var database = new Database(await _provider.NewOptionsAsync(Path.Combine(_directory, "data")));
        await new Migrator(database).MigrateAsync(CancellationToken.None);
        return database;
    }

    public sealed class Sqlite() : SqliteAlarmStoreTests(StoreProvider.Sqlite);

    public sealed class Postgres(PostgresFixture postgres) : SqliteAlarmStoreTests(postgres), IClassFixture<PostgresFixture>;
}
