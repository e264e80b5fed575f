using Monitoring.Core.Pipeline;

namespace Monitoring.Collectors;

/// <summary>One device as a collector polls it. The scheduler calls <see cref="PollAsync"/> every <see cref="Interval"/>.</summary>
public interface IDevicePoller
{
    /// <summary>The inventory device id.</summary>
    string DeviceId { get; }

    /// <summary>The collector's name, e.g. "snmp" or "modbus".</summary>
    string Collector { get; }

    TimeSpan Interval { get; }

    /// <summary>Polls once and writes what it collected to the sink. Failures are results, not exceptions.</summary>
    ValueTask<PollResult> PollAsync(ISampleSink sink, CancellationToken cancellationToken);
}
