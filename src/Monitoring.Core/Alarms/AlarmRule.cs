using Monitoring.Core.Inventory;

namespace Monitoring.Core.Alarms;

/// <summary>What an alarm rule watches for.</summary>
public enum AlarmRuleKind
{
    /// <summary>A value above (or below) a limit, held for a time, cleared at a separate limit (hysteresis).</summary>
    Threshold,
    /// <summary>A metric holds one of a set of discrete values (port down, UPS on battery, leak), optionally while another metric holds some value.</summary>
    State,
    /// <summary>A value rose (or fell) by at least a delta within a window.</summary>
    Rate,
    /// <summary>No sample from the device for a time: unreachable, probe offline.</summary>
    Absence,
    /// <summary>An input event (trap, last will) raises it; another event clears it, or it clears by itself after a time.</summary>
    Event,
}

/// <summary>Which devices (and ports) a rule applies to. Every non-empty list must match (lists are OR within, AND across).</summary>
public sealed record AlarmRuleScope
{
    public IReadOnlyList<string> Models { get; init; } = [];
    public IReadOnlyList<DeviceKind> Kinds { get; init; } = [];
    public IReadOnlyList<string> Roles { get; init; } = [];
    /// <summary>Tag key to value; "*" matches any value of the key.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Rooms { get; init; } = [];
    public IReadOnlyList<string> Devices { get; init; } = [];
    /// <summary>Port indexes, for port-scope metrics and events.</summary>
    public IReadOnlyList<int> Ports { get; init; } = [];

    public bool Matches(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (Models.Count > 0 && !Models.Contains(device.Model.Id, StringComparer.Ordinal))
        {
            return false;
        }

        if (Kinds.Count > 0 && !Kinds.Contains(device.Kind))
        {
            return false;
        }

        if (Roles.Count > 0 && (device.Role is null || !Roles.Contains(device.Role, StringComparer.Ordinal)))
        {
            return false;
        }

        foreach (var (key, value) in Tags)
        {
            if (!device.Tags.TryGetValue(key, out var actual) || (value != "*" && !string.Equals(actual, value, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        if (Rooms.Count > 0 && !Rooms.Contains(device.RoomId, StringComparer.Ordinal))
        {
            return false;
        }

        return Devices.Count == 0 || Devices.Contains(device.Id, StringComparer.Ordinal);
    }

    /// <summary>Whether a port of a matched device is in scope: listed (when ports are listed) and monitored.</summary>
    public bool MatchesPort(Device device, int port)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (Ports.Count > 0 && !Ports.Contains(port))
        {
            return false;
        }

        return !device.PortSettings.TryGetValue(port, out var setting) || setting.Monitored;
    }
}

/// <summary>A threshold: <c>above</c> (or <c>below</c>) a limit for <see cref="For"/>, clearing past <see cref="Clear"/>.</summary>
public sealed record ThresholdCondition(string Metric, double Limit, bool Above, double Clear, TimeSpan For);

/// <summary>A state: the metric's value is one of <see cref="Values"/> (each with its severity), while another metric of the same device/port is one of <see cref="WhileValues"/>.</summary>
public sealed record StateCondition(string Metric, IReadOnlyDictionary<double, AlarmSeverity> Values, string? WhileMetric, IReadOnlyList<double> WhileValues, TimeSpan For);

/// <summary>Rate of change: the value rose (or fell) by at least <see cref="Delta"/> within <see cref="Window"/>.</summary>
public sealed record RateCondition(string Metric, double Delta, bool Rising, TimeSpan Window);

/// <summary>
/// Absence: no sample from the device (or of <see cref="Metric"/>, when given) for <see cref="After"/>, or for
/// <see cref="Intervals"/> times the engine's poll interval.
/// </summary>
public sealed record AbsenceCondition(string? Metric, TimeSpan? After, int? Intervals);

/// <summary>Event: input events named <see cref="Raise"/> raise; <see cref="ClearOn"/> clears; or it clears by itself after <see cref="AutoClear"/>.</summary>
public sealed record EventCondition(IReadOnlyList<string> Raise, IReadOnlyList<string> ClearOn, TimeSpan? AutoClear);

/// <summary>One alarm rule, as loaded from device-profiles/rules/*.yaml.</summary>
public sealed record AlarmRule
{
    public required string Id { get; init; }
    /// <summary>Name in Chinese, shown in the console.</summary>
    public required string Name { get; init; }
    public string? NameEn { get; init; }
    public required AlarmSeverity Severity { get; init; }
    public required AlarmRuleKind Kind { get; init; }
    public AlarmRuleScope Scope { get; init; } = new();
    /// <summary>Message template: {device}, {deviceName}, {port}, {value}, {limit}, {unit}, {metric}, {for}, {event}, {text}.</summary>
    public required string Message { get; init; }
    /// <summary>The same message in English (no Chinese in it); null when the rule has none (readers then fall back to <see cref="Message"/>).</summary>
    public string? MessageEn { get; init; }
    /// <summary>The alarm means its target is down or unreachable: alarms of what depends on it are suppressed while it is active.</summary>
    public bool Down { get; init; }
    public ThresholdCondition? Threshold { get; init; }
    public StateCondition? State { get; init; }
    public RateCondition? Rate { get; init; }
    public AbsenceCondition? Absence { get; init; }
    public EventCondition? Event { get; init; }
    /// <summary>
    /// What kind of trouble the alarm reports ("power", "cooling"): alarms of one cause (and the other labels of the
    /// group's <c>by</c>) gather into one incident. Null: the alarm is an incident of its own (or of its root cause's).
    /// </summary>
    public string? Cause { get; init; }
    public SourceLocation Source { get; init; }

    /// <summary>The metric the rule evaluates, if it watches one.</summary>
    public string? Metric => Threshold?.Metric ?? State?.Metric ?? Rate?.Metric ?? Absence?.Metric;
}

/// <summary>A label an incident groups alarms by (the rules file's <c>group: { by: [...] }</c>).</summary>
public enum IncidentGroupLabel
{
    Room,
    Cause,
    Rack,
    Device,
    Rule,
}

/// <summary>
/// How alarms gather into incidents (the rules file's <c>group:</c>, after Alertmanager's group_by/group_wait):
/// alarms with equal <see cref="By"/> labels join one open incident while each comes within <see cref="Window"/> of
/// the incident's latest join; an incident asks for its ticket no sooner than <see cref="Wait"/> after it started
/// (so the alarms of one fault are in it when the ticket opens). Alarms a root cause suppresses always join the
/// root's incident, whatever their labels.
/// </summary>
public sealed record IncidentGrouping(IReadOnlyList<IncidentGroupLabel> By, TimeSpan Wait, TimeSpan Window)
{
    /// <summary>Without a <c>group:</c> in the rules: by room and cause, no wait, a 10 minute window.</summary>
    public static readonly IncidentGrouping Default = new([IncidentGroupLabel.Room, IncidentGroupLabel.Cause], TimeSpan.Zero, TimeSpan.FromMinutes(10));
}

/// <summary>Every rule loaded, in file order, and how their alarms group into incidents.</summary>
public sealed class AlarmRuleSet(IReadOnlyList<AlarmRule> rules, IncidentGrouping? grouping = null)
{
    public static readonly AlarmRuleSet Empty = new([]);

    public IReadOnlyList<AlarmRule> Rules { get; } = rules ?? throw new ArgumentNullException(nameof(rules));

    public IncidentGrouping Grouping { get; } = grouping ?? IncidentGrouping.Default;

    /// <summary>
    /// Ids of rules the files declare but that were left out because their scope matches no device of the inventory (a
    /// custom room without that kind of device): still rules a knowledge article may name, never evaluated.
    /// </summary>
    public IReadOnlySet<string> LeftOut { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Every rule id the files declare: the loaded rules and <see cref="LeftOut"/>.</summary>
    public IReadOnlySet<string> DeclaredIds() => Rules.Select(r => r.Id).Concat(LeftOut).ToHashSet(StringComparer.Ordinal);

    public AlarmRule? Find(string id)
    {
        foreach (var rule in Rules)
        {
            if (string.Equals(rule.Id, id, StringComparison.Ordinal))
            {
                return rule;
            }
        }

        return null;
    }
}
