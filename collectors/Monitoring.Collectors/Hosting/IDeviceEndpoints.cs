using System.Net;
using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Hosting;

/// <summary>
/// Where a collector reaches a device over its protocol. By default the room file's address
/// (<see cref="RoomAddresses"/>); a plug-in may answer instead: the demo simulator (AddDemoSimulator) serves the demo
/// room's devices on loopback and says where. Registered per protocol as a keyed service ("snmp", "modbus").
/// </summary>
public interface IDeviceEndpoints
{
    /// <summary>True when the devices are simulated: collectors whose Enabled setting is unset run then (the demo).</summary>
    bool Simulated { get; }

    /// <summary>The devices this source serves, or null when it serves every device at its room address.</summary>
    IReadOnlySet<string>? Served { get; }

    /// <summary>Brings the devices up before the first lookup (a simulator starts its servers); safe to call more than once.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The device's endpoint, or null: no usable address, or (when <see cref="Served"/> is set) a device not served.
    /// <paramref name="roomAddress"/> is how the protocol reads a room file's address (its default port, host names or not).
    /// </summary>
    EndPoint? Find(Device device, Func<string?, EndPoint?> roomAddress);
}

/// <summary>The default: a device is reached at the address its room file gives, read the protocol's way.</summary>
public sealed class RoomAddresses : IDeviceEndpoints
{
    public static RoomAddresses Instance { get; } = new();

    public bool Simulated => false;

    public IReadOnlySet<string>? Served => null;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public EndPoint? Find(Device device, Func<string?, EndPoint?> roomAddress)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(roomAddress);
        return roomAddress(device.Address);
    }
}
