using Monitoring.Collectors.Modbus.Registers;
using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Modbus.Profiles;

/// <summary>
/// A device profile of device-profiles/modbus/: which registers of one device model give which metrics. Each point's
/// <see cref="RegisterPoint.Name"/> is the metric name the model declares (e.g. <c>ups.load</c>).
/// </summary>
/// <param name="Id">"modbus/" + the file name without extension, as devices name it in their <c>profile</c>.</param>
/// <param name="Name">What the profile describes, for people.</param>
/// <param name="Map">The points and the planned reads.</param>
/// <param name="PollInterval">How often to poll a device of this profile; null = the collector's default.</param>
/// <param name="Timeout">Per-request timeout; null = the collector's default.</param>
/// <param name="Document">The public document the register table comes from, when there is one.</param>
/// <param name="Source">Where the profile is written.</param>
public sealed record ModbusProfile(
    string Id,
    string Name,
    RegisterMap Map,
    TimeSpan? PollInterval,
    TimeSpan? Timeout,
    string? Document,
    SourceLocation Source);
