using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Hosting;

/// <summary>
/// The zones (room files' <c>zone:</c>) a remote collector node polls: this process polls none of their devices. The
/// server fills it from <c>Monitoring:Collectors:RemoteZones</c> and the zones of its collector tokens; by default
/// (<see cref="None"/>) every device is polled here. Read when the collectors start.
/// </summary>
public sealed class RemoteZones(Func<IReadOnlySet<string>> zones)
{
    private static readonly IReadOnlySet<string> Empty = new HashSet<string>(StringComparer.Ordinal);

    public static RemoteZones None { get; } = new(() => Empty);

    /// <summary>The zones served remotely, now.</summary>
    public IReadOnlySet<string> Zones => zones();

    /// <summary>True when a remote collector node polls <paramref name="device"/> (its zone is served remotely).</summary>
    public bool IsRemote(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.Zone is { } zone && zones().Contains(zone);
    }
}
