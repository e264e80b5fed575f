using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Snmp.Profiles;

/// <summary>How a device-scope metric is computed from what the agent returns.</summary>
public enum SnmpDeviceCompute
{
    /// <summary>One instance OID, read with GET, used as it is (times <c>scale</c>).</summary>
    Value,
    /// <summary>A column walked, the average of its rows (hrProcessorLoad over every processor).</summary>
    Average,
    /// <summary>A column walked, the largest of its rows (an entity table where only boards with a CPU are non-zero).</summary>
    Max,
    /// <summary>100 × used / (used + free), from two instance OIDs or two columns summed over rows (memory pools).</summary>
    UsedFree,
    /// <summary>100 × (total − available) / total, from two instance OIDs (UCD memTotalReal / memAvailReal).</summary>
    TotalAvailable,
    /// <summary>100 × Δbusy / (Δbusy + Δidle) of tick counters (UCD ssCpuRaw*): needs two polls.</summary>
    CpuTicks,
    /// <summary>HOST-RESOURCES-MIB hrStorageTable: 100 × used / size of the rows whose type is hrStorageRam.</summary>
    HrStorageRam,
    /// <summary>
    /// ENTITY-SENSOR-MIB (RFC 3433) entPhySensorTable: the largest reading of the sensors of <c>sensorType</c>
    /// (amperes, voltsAC, watts, celsius, ...), each scaled by its entPhySensorScale and entPhySensorPrecision; sensors
    /// whose entPhySensorOperStatus is not ok(1) are left out. On a PDU the inlet's total is the largest current.
    /// </summary>
    EntitySensor,
}

/// <summary>entPhySensorType values of ENTITY-SENSOR-MIB (RFC 3433, EntitySensorDataType).</summary>
public enum EntitySensorType
{
    Other = 1,
    Unknown = 2,
    VoltsAC = 3,
    VoltsDC = 4,
    Amperes = 5,
    Watts = 6,
    Hertz = 7,
    Celsius = 8,
    PercentRH = 9,
    Rpm = 10,
    Cmm = 11,
    TruthValue = 12,
    SpecialEnum = 13,
    DBm = 14,
}

/// <summary>How a port-scope metric is computed from a column of the interface tables.</summary>
public enum SnmpPortCompute
{
    /// <summary>The row's value as it is (ifOperStatus, ifAdminStatus).</summary>
    Value,
    /// <summary>An octet counter turned into bit/s.</summary>
    BitRate,
    /// <summary>A counter turned into events per second (errors, discards).</summary>
    Rate,
    /// <summary>100 × max(in, out bit/s) / speed, from two octet counters and ifHighSpeed (Mbit/s) or ifSpeed (bit/s).</summary>
    Utilisation,
}

/// <summary>Which interface column names a row, to map it to the model's front-panel ports.</summary>
public enum SnmpPortMatch
{
    /// <summary>ifName equals the port's name, or ends with the same slot/port numbers ("GigabitEthernet0/0/1" ~ "GE0/0/1").</summary>
    IfName,
    IfDescr,
    IfAlias,
    /// <summary>ifIndex + offset is the port index.</summary>
    IfIndex,
}

public sealed record SnmpDeviceMetric
{
    public required string Metric { get; init; }
    public required SnmpDeviceCompute Compute { get; init; }
    /// <summary>Value, Average, Max: the OID (an instance for Value, a column otherwise).</summary>
    public Oid Oid { get; init; }
    /// <summary>UsedFree: used; TotalAvailable: total; CpuTicks: the busy counters.</summary>
    public IReadOnlyList<Oid> Operands { get; init; } = [];
    /// <summary>UsedFree: free; TotalAvailable: available; CpuTicks: idle.</summary>
    public Oid Other { get; init; }
    public double Scale { get; init; } = 1;
    /// <summary>EntitySensor: which sensors to read.</summary>
    public EntitySensorType SensorType { get; init; }
    public SourceLocation Source { get; init; }
}

public sealed record SnmpPortMetric
{
    public required string Metric { get; init; }
    public required SnmpPortCompute Compute { get; init; }
    /// <summary>The column (Value, BitRate, Rate) or the inbound octet counter (Utilisation).</summary>
    public required Oid Column { get; init; }
    /// <summary>Utilisation: the outbound octet counter.</summary>
    public Oid Out { get; init; }
    /// <summary>Utilisation: ifSpeed (bit/s) and, preferred when non-zero, ifHighSpeed (Mbit/s).</summary>
    public Oid Speed { get; init; }
    public Oid HighSpeed { get; init; }
    public SourceLocation Source { get; init; }
}

/// <summary>One SNMP device profile (device-profiles/snmp/*.yaml): what to read, how to compute it, how often.</summary>
public sealed record SnmpProfile
{
    /// <summary>"snmp/NAME": what a device's <c>profile:</c> names.</summary>
    public required string Id { get; init; }
    public required string Name { get; init; }
    /// <summary>The MIBs the profile reads, for people.</summary>
    public IReadOnlyList<string> Mibs { get; init; } = [];
    /// <summary>Model ids the profile is meant for (informative; a device's profile is what selects it).</summary>
    public IReadOnlyList<string> Models { get; init; } = [];
    /// <summary>The credentials reference used when the device names none (a name, never a secret).</summary>
    public string? Credentials { get; init; }
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
    public int Retries { get; init; } = 1;
    public int MaxRepetitions { get; init; } = 25;
    public int Port { get; init; } = 161;
    public IReadOnlyList<SnmpDeviceMetric> DeviceMetrics { get; init; } = [];
    public SnmpPortMatch PortMatch { get; init; } = SnmpPortMatch.IfName;
    public int PortIndexOffset { get; init; }
    public IReadOnlyList<SnmpPortMetric> PortMetrics { get; init; } = [];
    /// <summary>Enterprise notifications this profile names (the <c>traps:</c> section).</summary>
    public IReadOnlyList<SnmpTrapDefinition> Traps { get; init; } = [];
    public SourceLocation Source { get; init; }
}

/// <summary>How serious a notification's event is.</summary>
public enum SnmpTrapSeverity
{
    Info,
    Warning,
    Minor,
    Major,
    Critical,
}

/// <summary>
/// A profile-mapped notification: its trap OID (snmpTrapOID.0, or enterprise.0.specific for v1) becomes an event with a
/// name and severity and, when <see cref="Metric"/> is set, a sample of <see cref="Value"/> (on the port the
/// notification's ifIndex names, else on the device).
/// </summary>
public sealed record SnmpTrapDefinition
{
    public required Oid TrapOid { get; init; }
    public required string Event { get; init; }
    public SnmpTrapSeverity Severity { get; init; } = SnmpTrapSeverity.Warning;
    public string? Metric { get; init; }
    public double Value { get; init; }
    public SourceLocation Source { get; init; }
}
