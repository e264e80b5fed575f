using Monitoring.Core.Pipeline;

namespace Monitoring.Collectors.Hosting;

/// <summary>
/// One protocol's collector as the <see cref="CollectorHost{TCollector}"/> runs it: the host reports it disabled when
/// <see cref="DisabledReason"/> says so, and otherwise runs it until the server stops. A polling collector hands its
/// pollers to <see cref="CollectorContext.PollAsync"/>; a listening one (traps, MQTT) reads its source and reports
/// through <see cref="CollectorContext.Report"/>.
/// </summary>
public interface ICollector
{
    /// <summary>The component's name in /healthz ("snmp", "modbus", "mqtt", "snmpTraps").</summary>
    string Component { get; }

    /// <summary>What /metrics counts this collector's samples as (monitoring_samples_ingested{source}).</summary>
    SampleSource Source { get; }

    /// <summary>Why the collector does not run, naming the setting that turns it on; null when it runs.</summary>
    string? DisabledReason { get; }

    /// <summary>
    /// True for a collector that receives (MQTT, traps) rather than polls: in a cluster it runs on every node and hands
    /// what it receives to the alarm leader (<see cref="ICollectorPlacement"/>); a polling one runs on the leader only.
    /// </summary>
    bool Listens => false;

    Task RunAsync(CollectorContext context, CancellationToken cancellationToken);
}
