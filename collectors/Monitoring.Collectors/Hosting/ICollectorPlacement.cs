using Monitoring.Core.Pipeline;

namespace Monitoring.Collectors.Hosting;

/// <summary>
/// Where collectors run when several server nodes share the devices (a cluster; nothing is registered on a single node
/// or a remote collector node, where every collector runs and writes to its own pipeline): the polling collectors (SNMP,
/// Modbus) poll on one node only, the alarm leader, so a device is polled once and its samples evaluated once; the
/// listening ones (MQTT, SNMP traps) run on every node, because the broker or the device hands its messages to any of
/// them, and hand what they receive to the leader.
/// </summary>
public interface ICollectorPlacement
{
    /// <summary>Completes once this node is the one that polls (the cluster's alarm leader).</summary>
    Task WhenPollingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The sink of a listening collector on this node: its own pipeline while this node leads, else the leader's
    /// (a write completes once the leader has the batch in its pipeline, so an MQTT message is acknowledged after that).
    /// </summary>
    ISampleSink ListenerSink(SampleSource source, ISampleSink local);

    /// <summary>What a polling collector's health says while this node waits for its turn.</summary>
    string WaitingDetail { get; }
}
