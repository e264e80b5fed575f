using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Mqtt.Probes;

/// <summary>How a topic's payload is written.</summary>
public enum ProbePayloadFormat
{
    /// <summary>A JSON document; each value is found by its path.</summary>
    Json,

    /// <summary>The payload is one value as text: a number, or a word the value's <c>map</c> turns into one.</summary>
    Number,

    /// <summary>InfluxDB line protocol; each numeric or boolean field is a value named "measurement.field".</summary>
    LineProtocol,
}

/// <summary>What a timestamp in a payload counts.</summary>
public enum ProbeTimestampUnit
{
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,

    /// <summary>An RFC 3339 / ISO 8601 date and time string, e.g. 2026-11-22T21:30:00.123Z.</summary>
    Rfc3339,
}

/// <summary>
/// Which device a message is about: the device whose id a captured level of the topic holds (<c>{probe}</c>), or one
/// fixed device.
/// </summary>
/// <param name="Capture">The capture's position in the pattern, or -1 for a fixed device.</param>
/// <param name="FixedDeviceId">The fixed device, when <paramref name="Capture"/> is -1.</param>
public readonly record struct DeviceBinding(int Capture, string? FixedDeviceId)
{
    public override string ToString() => FixedDeviceId ?? $"capture #{Capture}";
}

/// <summary>One value a topic's payload carries and the metric it becomes.</summary>
/// <param name="Metric">The metric name the device's model declares (<c>probe.leak</c>).</param>
/// <param name="Path">JSON: where the value is; line protocol: which "measurement.field" it is; null for a plain number.</param>
/// <param name="Map">Words (and <c>true</c>/<c>false</c>) to numbers, e.g. wet = 1, dry = 0; null when none.</param>
/// <param name="Scale">value = raw * scale + offset, for numbers that are not mapped.</param>
/// <param name="Offset">See <paramref name="Scale"/>.</param>
/// <param name="Unit">The unit the probe sends, when it says; °F and K are converted to a model's °C.</param>
public sealed record ProbeValue(string Metric, JsonPath? Path, ValueMap? Map, double Scale, double Offset, string? Unit)
{
    /// <summary>For line protocol: the "measurement.field" name the value comes from.</summary>
    public string? FieldName { get; init; }
}

/// <summary>One topic pattern of a profile: what it matches, whose device it is, and how its payload reads.</summary>
public sealed record ProbeTopic(
    TopicPattern Pattern,
    DeviceBinding Device,
    ProbePayloadFormat Format,
    IReadOnlyList<ProbeValue> Values,
    JsonPath? TimestampPath,
    ProbeTimestampUnit TimestampUnit,
    SourceLocation Source);

/// <summary>
/// The probe's last will (what the broker publishes when the probe's connection drops without a DISCONNECT): the
/// topic and the payload that mean offline, and optionally the "birth" payload a probe publishes there on connect.
/// </summary>
public sealed record ProbeLastWill(TopicPattern Pattern, DeviceBinding Device, byte[] OfflinePayload, byte[]? OnlinePayload, SourceLocation Source);

/// <summary>
/// A profile of device-profiles/mqtt/: the topics a kind of probe publishes on, how their payloads map to the
/// metrics its model declares, how long it may stay silent, and its last will.
/// </summary>
/// <param name="Id">"mqtt/" + the file name without extension, as devices name it in their <c>profile</c>.</param>
public sealed record ProbeProfile(
    string Id,
    string Name,
    IReadOnlyList<ProbeTopic> Topics,
    ProbeLastWill? LastWill,
    TimeSpan Staleness,
    string? Document,
    SourceLocation Source);

/// <summary>The MQTT probe profiles loaded at start, keyed by id ("mqtt/probe"): one object to register and inject.</summary>
public sealed class ProbeProfileSet(IReadOnlyDictionary<string, ProbeProfile> profiles)
{
    public IReadOnlyDictionary<string, ProbeProfile> Profiles { get; } = profiles ?? throw new ArgumentNullException(nameof(profiles));
}
