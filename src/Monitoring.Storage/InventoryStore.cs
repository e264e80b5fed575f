using System.Data.Common;
using System.Globalization;
using Monitoring.Core.Inventory;

namespace Monitoring.Storage;

/// <summary>Keeps the database's copy of the inventory in step with the room files, in one transaction.</summary>
public sealed class InventoryStore(Database database, TimeProvider time)
{
    public async Task SaveAsync(Inventory inventory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var now = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        await database.WriteAsync((connection, transaction) => SaveAsync(connection, transaction, inventory, now, CancellationToken.None), cancellationToken)
            .ConfigureAwait(false);
    }

    private static async Task SaveAsync(DbConnection connection, DbTransaction transaction, Inventory inventory, string now, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, transaction, "UPDATE rooms SET removed_at = @t WHERE removed_at IS NULL", cancellationToken, ("@t", now)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "UPDATE racks SET removed_at = @t WHERE removed_at IS NULL", cancellationToken, ("@t", now)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "UPDATE devices SET removed_at = @t WHERE removed_at IS NULL", cancellationToken, ("@t", now)).ConfigureAwait(false);

        foreach (var room in inventory.Rooms)
        {
            await ExecuteAsync(connection, transaction,
                """
                INSERT INTO rooms (id, name, name_en, site, source, loaded_at, removed_at) VALUES (@id, @name, @en, @site, @src, @t, NULL)
                ON CONFLICT(id) DO UPDATE SET name = @name, name_en = @en, site = @site, source = @src, loaded_at = @t, removed_at = NULL
                """,
                cancellationToken, ("@id", room.Id), ("@name", room.Name), ("@en", room.NameEn), ("@site", room.Site), ("@src", room.Source.File ?? string.Empty), ("@t", now)).ConfigureAwait(false);

            foreach (var row in room.Rows)
            {
                foreach (var rack in row.Racks)
                {
                    await ExecuteAsync(connection, transaction,
                        """
                        INSERT INTO racks (id, room_id, row_id, name, height_u, removed_at) VALUES (@id, @room, @row, @name, @h, NULL)
                        ON CONFLICT(id) DO UPDATE SET room_id = @room, row_id = @row, name = @name, height_u = @h, removed_at = NULL
                        """,
                        cancellationToken, ("@id", rack.Id), ("@room", room.Id), ("@row", row.Id), ("@name", rack.Name), ("@h", rack.HeightU)).ConfigureAwait(false);
                }
            }

            foreach (var device in room.Devices)
            {
                await ExecuteAsync(connection, transaction,
                    """
                    INSERT INTO devices (id, room_id, name, model, kind, rack_id, u, address, asset_tag, profile, source, first_seen, loaded_at, removed_at)
                    VALUES (@id, @room, @name, @model, @kind, @rack, @u, @addr, @asset, @profile, @src, @t, @t, NULL)
                    ON CONFLICT(id) DO UPDATE SET room_id = @room, name = @name, model = @model, kind = @kind, rack_id = @rack, u = @u,
                        address = @addr, asset_tag = @asset, profile = @profile, source = @src, loaded_at = @t, removed_at = NULL
                    """,
                    cancellationToken,
                    ("@id", device.Id), ("@room", room.Id), ("@name", device.Name), ("@model", device.Model.Id), ("@kind", device.Kind.ToString()),
                    ("@rack", device.RackId), ("@u", device.Placement == PlacementKind.Rack ? device.U : null), ("@addr", device.Address),
                    ("@asset", device.AssetTag), ("@profile", device.Profile), ("@src", device.Source.ToString()), ("@t", now)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Devices the database knows, including those since removed from the room files.</summary>
    public async Task<IReadOnlyList<StoredDevice>> ListDevicesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.Command("SELECT id, room_id, name, model, address, asset_tag, first_seen, removed_at FROM devices ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var devices = new List<StoredDevice>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            devices.Add(new StoredDevice(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture),
                reader.IsDBNull(7) ? null : DateTimeOffset.Parse(reader.GetString(7), CultureInfo.InvariantCulture)));
        }

        return devices;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = connection.Command(sql, transaction);
        foreach (var (name, value) in parameters)
        {
            command.With(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

public sealed record StoredDevice(string Id, string RoomId, string Name, string Model, string? Address, string? AssetTag, DateTimeOffset FirstSeen, DateTimeOffset? RemovedAt);
