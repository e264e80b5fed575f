namespace Monitoring.Core.Pipeline;

/// <summary>Where a batch of samples came from: the <c>source</c> label of /metrics' samples-ingested figure.</summary>
public enum SampleSource
{
    /// <summary>Written straight into the pipeline by code that did not say (tests, benchmarks).</summary>
    Other,

    /// <summary>Line protocol pushed over HTTP (/write, /api/v2/write).</summary>
    LineProtocol,

    /// <summary>The demo simulator's feed (line protocol written by the server itself).</summary>
    Demo,

    /// <summary>SNMP polls.</summary>
    Snmp,

    /// <summary>SNMP traps mapped to samples.</summary>
    SnmpTrap,

    /// <summary>Modbus polls.</summary>
    Modbus,

    /// <summary>MQTT probe messages.</summary>
    Mqtt,

    /// <summary>Another cluster node's samples: forwarded by a standby to the leader, or mirrored by the leader into a standby's live state.</summary>
    Cluster,
}

/// <summary>The label text of each <see cref="SampleSource"/> (snake case, as Prometheus labels are written).</summary>
public static class SampleSources
{
    private static readonly string[] Labels = ["other", "line_protocol", "demo", "snmp", "snmp_trap", "modbus", "mqtt", "cluster"];

    public static int Count => Labels.Length;

    public static string Label(SampleSource source) => (uint)source < (uint)Labels.Length ? Labels[(int)source] : Labels[0];
}
