using System.Collections.Frozen;

namespace Monitoring.Core.Inventory;

/// <summary>Every room, model and device loaded from device-profiles/, with the look-ups the hot path needs.</summary>
public sealed class Inventory
{
    private readonly FrozenDictionary<string, Device> _devicesById;
    private readonly Dictionary<string, Device>.AlternateLookup<ReadOnlySpan<char>> _deviceLookup;
    private readonly FrozenDictionary<string, Room> _roomsById;

    public Inventory(IReadOnlyList<DeviceModel> models, IReadOnlyList<Room> rooms)
    {
        Models = models;
        Rooms = rooms;
        var devices = rooms.SelectMany(r => r.Devices).OrderBy(d => d.Index).ToArray();
        for (var i = 0; i < devices.Length; i++)
        {
            if (devices[i].Index != i)
            {
                throw new ArgumentException($"device '{devices[i].Id}' has index {devices[i].Index}, expected {i}", nameof(rooms));
            }
        }

        Devices = devices;
        var byId = devices.ToDictionary(d => d.Id, StringComparer.Ordinal);
        _devicesById = byId.ToFrozenDictionary(StringComparer.Ordinal);
        _deviceLookup = byId.GetAlternateLookup<ReadOnlySpan<char>>();
        _roomsById = rooms.ToFrozenDictionary(r => r.Id, StringComparer.Ordinal);
    }

    public IReadOnlyList<DeviceModel> Models { get; }
    public IReadOnlyList<Room> Rooms { get; }
    /// <summary>All devices, ordered by <see cref="Device.Index"/>.</summary>
    public IReadOnlyList<Device> Devices { get; }

    public Room? FindRoom(string id) => _roomsById.GetValueOrDefault(id);

    public Device? FindDevice(string id) => _devicesById.GetValueOrDefault(id);

    /// <summary>Allocation-free look-up by id, for the ingest path.</summary>
    public bool TryFindDevice(ReadOnlySpan<char> id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Device? device) =>
        _deviceLookup.TryGetValue(id, out device);
}
