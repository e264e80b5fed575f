using Monitoring.Core.Inventory;
using Monitoring.Storage;

namespace Monitoring.Storage.Tests;

/// <summary>Migrations and the inventory store on both providers (nested classes Sqlite and Postgres).</summary>
public abstract class StorageTests(StoreProvider provider) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("monitoring-storage-").FullName;

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Migrations_apply_once_and_record_their_version()
    {
        var database = new Database(await provider.NewOptionsAsync(_directory));
        var migrator = new Migrator(database);

        var first = await migrator.MigrateAsync(CancellationToken.None);
        var second = await migrator.MigrateAsync(CancellationToken.None);

        Assert.True(first >= 1);
        Assert.Equal(0, second);
        await using var connection = await database.OpenReaderAsync(CancellationToken.None);
        Assert.Equal(first, await Migrator.CurrentVersionAsync(connection, CancellationToken.None));
        Assert.Equal(provider.Kind == DatabaseProvider.Sqlite, File.Exists(Path.Combine(_directory, "monitoring.db")));
    }

    [Fact]
    public async Task A_database_from_a_newer_server_is_refused_untouched()
    {
        var database = new Database(await provider.NewOptionsAsync(_directory));
        await new Migrator(database).MigrateAsync(CancellationToken.None);
        await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 'x')";
            await command.ExecuteNonQueryAsync();
        }, CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new Migrator(database).MigrateAsync(CancellationToken.None));

        Assert.Contains("9999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Saving_the_inventory_keeps_devices_that_left_the_files_as_removed()
    {
        var database = new Database(await provider.NewOptionsAsync(_directory));
        await new Migrator(database).MigrateAsync(CancellationToken.None);
        var time = new ManualTime(DateTimeOffset.Parse("2026-11-22T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var store = new InventoryStore(database, time);

        await store.SaveAsync(InventoryOf("sw-1", "sw-2"), CancellationToken.None);
        time.Now = time.Now.AddHours(1);
        await store.SaveAsync(InventoryOf("sw-1"), CancellationToken.None);

        var devices = await store.ListDevicesAsync(CancellationToken.None);
        Assert.Equal(["sw-1", "sw-2"], devices.Select(d => d.Id).ToArray());
        Assert.Null(devices[0].RemovedAt);
        Assert.Equal(time.Now, devices[1].RemovedAt);
        Assert.Equal(time.Now.AddHours(-1), devices[0].FirstSeen);
        Assert.Equal("r1", devices[0].RoomId);
    }

    public sealed class Sqlite() : StorageTests(StoreProvider.Sqlite);

    public sealed class Postgres(PostgresFixture postgres) : StorageTests(postgres), IClassFixture<PostgresFixture>;

    private static Inventory InventoryOf(params string[] ids)
    {
        var model = new DeviceModel { Id = "m", Name = "Switch", Kind = DeviceKind.Switch, HeightU = 1 };
        var rack = new Rack { Id = "A01", Name = "A01", RowId = "A", X = 1, Z = 1 };
        var devices = ids.Select((id, i) => new Device
        {
            Id = id,
            Name = id,
            Model = model,
            RoomId = "r1",
            Placement = PlacementKind.Rack,
            RackId = "A01",
            U = i + 1,
            Index = i,
        }).ToArray();
        var room = new Room
        {
            Id = "r1",
            Name = "机房一",
            Size = new RoomSize(10, 8, 3),
            Rows = [new RackRow { Id = "A", Name = "A", Racks = [rack] }],
            Devices = devices,
        };
        return new Inventory([model], [room]);
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
