namespace Monitoring.Server.RemoteCollectors;

/// <summary>One device a remote collector node polls, as the server's room file describes it.</summary>
public sealed record CollectorDevice(
    string Id, string Name, string Room, string Model, string? Address, int? UnitId, string Profile, IReadOnlyDictionary<string, string> Tags);

/// <summary>
/// What <c>GET /api/collectors/config?zone=Z</c> hands a collector node: its zone's devices, the files they are polled
/// with (their models and SNMP/Modbus profiles, by path under device-profiles/), the SNMP credentials they name (secrets:
/// never logged, kept by the node in a file only it may read) and the polling settings. The ETag is a hash of all of it.
/// </summary>
public sealed record CollectorConfig(
    string Zone,
    IReadOnlyList<CollectorDevice> Devices,
    IReadOnlyDictionary<string, string> Files,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Credentials,
    int? SnmpIntervalSeconds,
    int ModbusIntervalSeconds,
    int ModbusTimeoutMs,
    int HeartbeatSeconds);

/// <summary>A collector node's report (<c>POST /api/collectors/heartbeat</c>).</summary>
/// <param name="BacklogBytes">Line protocol in its disk buffer not yet accepted by the server.</param>
/// <param name="OldestUnsentSeconds">Age of the oldest batch still in the buffer (0 when empty).</param>
/// <param name="Devices">Devices it polls.</param>
/// <param name="Polls">Polls since it started.</param>
/// <param name="Failures">Failed polls since it started.</param>
/// <param name="SamplesDropped">Samples its buffer dropped at its bound (--buffer-max-mb) since it started.</param>
/// <param name="FailingDevices">Devices whose last poll failed, with why.</param>
public sealed record CollectorHeartbeat(
    string? Zone,
    string? Version,
    long BacklogBytes,
    double OldestUnsentSeconds,
    int Devices,
    long Polls,
    long Failures,
    long SamplesDropped = 0,
    long SamplesPolled = 0,
    IReadOnlyList<FailingDevice>? FailingDevices = null);

public sealed record FailingDevice(string Id, string Outcome, string? Message);
