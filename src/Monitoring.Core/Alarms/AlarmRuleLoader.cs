using System.Globalization;
using System.Text.RegularExpressions;
using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Core.Alarms;

/// <summary>
/// The rules of a folder and every error found in it (the rules are only usable when there are none), and the
/// warnings: rules left out because their scope matches no device of this inventory (a room without that kind of
/// device, a role or device the room does not have). A warning never stops a start.
/// </summary>
public sealed record AlarmRuleLoadResult(AlarmRuleSet Rules, IReadOnlyList<ConfigError> Errors)
{
    public bool Ok => Errors.Count == 0;

    public IReadOnlyList<ConfigError> Warnings { get; init; } = [];
}

/// <summary>
/// Loads device-profiles/rules/*.yaml with the inventory loader's YAML reader: every error names file:line:column,
/// unknown keys get a "did you mean", and metrics are checked against the models the rule's scope reaches.
/// </summary>
public static partial class AlarmRuleLoader
{
    internal static readonly ObjectShape FileShape = new("rulesFile", "rules file", ["rules"], ["group"]);

    internal static readonly ObjectShape GroupShape = new("group", "incident grouping", [], ["by", "wait", "window"]);

    internal static readonly ObjectShape RuleShape = new(
        "rule",
        "alarm rule",
        ["id", "name", "severity", "message"],
        ["nameEn", "messageEn", "scope", "down", "threshold", "state", "rate", "absence", "event", "cause"],
        new Dictionary<string, Type> { ["severity"] = typeof(AlarmSeverity) });

    internal static readonly ObjectShape ScopeShape = new("scope", "rule scope", [], ["model", "kind", "role", "tag", "room", "device", "port"]);

    internal static readonly ObjectShape ThresholdShape = new("threshold", "threshold condition", ["metric"], ["above", "below", "clear", "for"]);

    internal static readonly ObjectShape StateShape = new("state", "state condition", ["metric", "values"], ["while", "for"]);

    internal static readonly ObjectShape WhileShape = new("while", "while condition", ["metric", "in"], []);

    internal static readonly ObjectShape RateShape = new("rate", "rate-of-change condition", ["metric", "within"], ["rise", "fall"]);

    internal static readonly ObjectShape AbsenceShape = new("absence", "absence condition", [], ["metric", "after", "intervals"]);

    internal static readonly ObjectShape EventShape = new("event", "event condition", ["raise"], ["clear", "autoClear"]);

    /// <summary>Every shape of rules/*.yaml, for the schema test.</summary>
    internal static readonly ObjectShape[] Shapes = [FileShape, GroupShape, RuleShape, ScopeShape, ThresholdShape, StateShape, WhileShape, RateShape, AbsenceShape, EventShape];

    private static readonly string[] Kinds = ["threshold", "state", "rate", "absence", "event"];

    private static readonly string[] Placeholders = ["device", "deviceName", "port", "portName", "value", "limit", "unit", "metric", "for", "event", "text", "rule"];

    /// <summary>Every *.yaml / *.yml of <paramref name="dir"/> in name order. A missing folder gives no rules and no errors.</summary>
    public static AlarmRuleLoadResult LoadDirectory(string dir, Inventory.Inventory inventory)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(inventory);
        var errors = new List<ConfigError>();
        var warnings = new List<ConfigError>();
        var rules = new List<AlarmRule>();
        var ids = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        var grouping = new GroupingRead();
        if (Directory.Exists(dir))
        {
            foreach (var file in Directory.EnumerateFiles(dir).Where(ProfileFiles.IsYaml).Order(StringComparer.Ordinal))
            {
                ReadFile(file, inventory, errors, warnings, rules, ids, grouping);
            }
        }

        return new AlarmRuleLoadResult(new AlarmRuleSet(rules, grouping.Value) { LeftOut = grouping.LeftOut }, errors) { Warnings = warnings };
    }

    /// <summary>One rules file.</summary>
    public static AlarmRuleLoadResult LoadFile(string path, Inventory.Inventory inventory)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(inventory);
        var errors = new List<ConfigError>();
        var warnings = new List<ConfigError>();
        var rules = new List<AlarmRule>();
        var grouping = new GroupingRead();
        ReadFile(path, inventory, errors, warnings, rules, new Dictionary<string, SourceLocation>(StringComparer.Ordinal), grouping);
        return new AlarmRuleLoadResult(new AlarmRuleSet(rules, grouping.Value) { LeftOut = grouping.LeftOut }, errors) { Warnings = warnings };
    }

    /// <summary>"90s", "2m", "1h30m", "500ms", "1d": a positive number with a unit, or several run together.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var match = DurationPattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var total = TimeSpan.Zero;
        foreach (Capture capture in match.Groups["part"].Captures)
        {
            var part = capture.Value;
            var unitStart = part.AsSpan().IndexOfAnyExceptInRange('0', '9');
            var number = long.Parse(part.AsSpan(0, unitStart), NumberStyles.None, CultureInfo.InvariantCulture);
            total += part[unitStart..] switch
            {
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                "h" => TimeSpan.FromHours(number),
                _ => TimeSpan.FromDays(number),
            };
        }

        duration = total;
        return true;
    }

    private static void ReadFile(
        string file, Inventory.Inventory inventory, List<ConfigError> errors, List<ConfigError> warnings, List<AlarmRule> rules, Dictionary<string, SourceLocation> ids,
        GroupingRead grouping)
    {
        var context = new LoadContext(file, errors, warnings);
        var root = context.ReadRoot();
        if (root is null || MappingReader.Open(context, root, FileShape) is not { } map)
        {
            return;
        }

        if (map.Has("group"))
        {
            if (grouping.Source is { } first)
            {
                context.Error(map.Value("group")!, $"'group' is already given at {first}; one rules file of the folder sets it");
            }
            else if (ReadGroup(map.Child("group", GroupShape)) is { } group)
            {
                grouping.Value = group;
                grouping.Source = map.At("group");
            }
        }

        if (map.Sequence("rules") is not { } sequence)
        {
            return;
        }

        foreach (var item in sequence.Children)
        {
            var before = errors.Count;
            var rule = ReadRule(context, item, inventory, grouping.LeftOut);
            if (rule is null || errors.Count > before)
            {
                continue;
            }

            if (ids.TryGetValue(rule.Id, out var first))
            {
                context.Error(rule.Source, $"rule id '{rule.Id}' is already used at {first}");
                continue;
            }

            ids[rule.Id] = rule.Source;
            rules.Add(rule);
        }
    }

    private static AlarmRule? ReadRule(LoadContext context, YamlNode node, Inventory.Inventory inventory, HashSet<string> leftOut)
    {
        if (MappingReader.Open(context, node, RuleShape) is not { } map)
        {
            return null;
        }

        var id = map.Id("id");
        var name = map.String("name");
        var nameEn = map.String("nameEn");
        var severity = map.Enum<AlarmSeverity>("severity");
        var message = map.String("message");
        var messageEn = map.String("messageEn");
        var down = map.Bool("down");
        var cause = map.Has("cause") ? map.Id("cause") : null;
        if (message is not null)
        {
            CheckTemplate(context, map.Value("message")!, message, "message");
        }

        if (messageEn is not null)
        {
            CheckTemplate(context, map.Value("messageEn")!, messageEn, "messageEn");
            CheckEnglish(context, map.Value("messageEn")!, messageEn, "messageEn");
        }

        if (nameEn is not null)
        {
            CheckEnglish(context, map.Value("nameEn")!, nameEn, "nameEn");
        }

        var scope = map.Has("scope") ? ReadScope(map.Child("scope", ScopeShape), inventory) : new AlarmRuleScope();
        var present = Kinds.Where(map.Has).ToList();
        if (present.Count != 1)
        {
            context.Error(
                map.Node,
                present.Count == 0
                    ? $"alarm rule needs one condition: {string.Join(", ", Kinds)}"
                    : $"alarm rule has {present.Count} conditions ({string.Join(", ", present)}); a rule has exactly one");
            return null;
        }

        if (scope is null || id is null || name is null || severity is null || message is null)
        {
            return null;
        }

        var rule = new AlarmRule
        {
            Id = id,
            Name = name,
            NameEn = nameEn,
            Severity = severity.Value,
            Message = message,
            MessageEn = messageEn,
            Scope = scope,
            Kind = AlarmRuleKind.Threshold,
            Cause = cause,
            Source = map.Source,
        };

        var scoped = inventory.Devices.Where(scope.Matches).ToList();
        if (scoped.Count == 0)
        {
            // a room without such devices is normal (a custom room with the default rules): a warning, the rule is left out
            context.Warn(map.At("scope"), $"the scope of rule '{id}' matches no device of the inventory; the rule is not loaded");
            leftOut.Add(id);
            return null;
        }

        switch (present[0])
        {
            case "threshold":
                var threshold = ReadThreshold(map.Child("threshold", ThresholdShape), scoped);
                return threshold is null ? null : rule with { Kind = AlarmRuleKind.Threshold, Threshold = threshold, Down = down ?? false };
            case "state":
                var state = ReadState(map.Child("state", StateShape), scoped, severity.Value);
                return state is null ? null : rule with { Kind = AlarmRuleKind.State, State = state, Down = down ?? false };
            case "rate":
                var rate = ReadRate(map.Child("rate", RateShape), scoped);
                return rate is null ? null : rule with { Kind = AlarmRuleKind.Rate, Rate = rate, Down = down ?? false };
            case "absence":
                var absence = ReadAbsence(map.Child("absence", AbsenceShape), scoped);
                return absence is null ? null : rule with { Kind = AlarmRuleKind.Absence, Absence = absence, Down = down ?? true };
            default:
                var ev = ReadEvent(map.Child("event", EventShape));
                return ev is null ? null : rule with { Kind = AlarmRuleKind.Event, Event = ev, Down = down ?? false };
        }
    }

    private static AlarmRuleScope? ReadScope(MappingReader? map, Inventory.Inventory inventory)
    {
        if (map is null)
        {
            return null;
        }

        var before = ErrorCount(map);
        var models = Names(map, "model", inventory.Models.Select(m => m.Id).ToList(), "model");
        var kinds = new List<DeviceKind>();
        foreach (var scalar in Scalars(map, "kind"))
        {
            if (MappingReader.ParseEnum<DeviceKind>(map.Context, scalar, "'kind'") is { } kind)
            {
                kinds.Add(kind);
            }
        }

        // roles, rooms and devices belong to the rooms loaded: one this inventory lacks is a warning, a typo an error
        var roles = Names(map, "role", inventory.Devices.Select(d => d.Role).OfType<string>().Distinct().ToList(), "role", warnOnly: true);
        var rooms = Names(map, "room", inventory.Rooms.Select(r => r.Id).ToList(), "room", warnOnly: true);
        var devices = Names(map, "device", inventory.Devices.Select(d => d.Id).ToList(), "device", warnOnly: true);
        var ports = new List<int>();
        foreach (var scalar in Scalars(map, "port"))
        {
            if (Inventory.Loading.Scalars.TryInteger(scalar, out var port) && port is >= 0 and <= 100_000)
            {
                ports.Add((int)port);
            }
            else
            {
                map.Context.Error(scalar, $"'port' must be port indexes (whole numbers), found {Inventory.Loading.Scalars.Describe(scalar)}");
            }
        }

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (map.Mapping("tag") is { } tagMap)
        {
            foreach (var (key, value) in tagMap.Children)
            {
                if (key is YamlScalarNode { Value: { } k } && value is YamlScalarNode { Value: { } v } && !Inventory.Loading.Scalars.IsNull(value))
                {
                    tags[k] = v;
                }
                else
                {
                    map.Context.Error(key, "'tag' maps tag names to values (\"*\" for any value)");
                }
            }
        }

        return ErrorCount(map) > before
            ? null
            : new AlarmRuleScope { Models = models, Kinds = kinds, Roles = roles, Rooms = rooms, Devices = devices, Ports = ports, Tags = tags };
    }

    private static ThresholdCondition? ReadThreshold(MappingReader? map, List<Device> scoped)
    {
        if (map is null)
        {
            return null;
        }

        var before = ErrorCount(map);
        var metric = Metric(map, scoped, required: true);
        var above = map.Number("above");
        var below = map.Number("below");
        var clear = map.Number("clear");
        var hold = Duration(map, "for", allowZero: true) ?? TimeSpan.Zero;
        if ((above is null) == (below is null))
        {
            if (!map.Has("above") && !map.Has("below") || map.Has("above") && map.Has("below"))
            {
                map.Context.Error(map.Node, "a threshold needs exactly one of 'above' or 'below'");
            }

            return null;
        }

        var limit = above ?? below!.Value;
        var isAbove = above is not null;
        if (clear is { } c && (isAbove ? c > limit : c < limit))
        {
            map.Context.Error(
                map.Value("clear")!,
                $"'clear' ({MappingReader.Format(c)}) must be {(isAbove ? "at or below 'above'" : "at or above 'below'")} ({MappingReader.Format(limit)})");
            return null;
        }

        return metric is null || ErrorCount(map) > before ? null : new ThresholdCondition(metric, limit, isAbove, clear ?? limit, hold);
    }

    private static StateCondition? ReadState(MappingReader? map, List<Device> scoped, AlarmSeverity severity)
    {
        if (map is null)
        {
            return null;
        }

        var before = ErrorCount(map);
        var metric = Metric(map, scoped, required: true);
        var hold = Duration(map, "for", allowZero: true) ?? TimeSpan.Zero;
        var values = new Dictionary<double, AlarmSeverity>();
        switch (map.Value("values"))
        {
            case YamlSequenceNode list:
                foreach (var item in list.Children)
                {
                    if (Number(map.Context, item, "'values'") is { } v)
                    {
                        values[v] = severity;
                    }
                }

                break;
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    var v = Number(map.Context, key, "keys of 'values'");
                    if (value is not YamlScalarNode scalar)
                    {
                        map.Context.Error(value, "each value of 'values' maps to a severity");
                        continue;
                    }

                    if (MappingReader.ParseEnum<AlarmSeverity>(map.Context, scalar, "a severity") is { } s && v is { } number)
                    {
                        values[number] = s;
                    }
                }

                break;
            case { } other:
                map.Context.Error(other, $"'values' must be a list of values or a mapping of value to severity, found {Inventory.Loading.Scalars.Describe(other)}");
                break;
        }

        if (values.Count == 0 && map.Value("values") is { } empty && ErrorCount(map) == before)
        {
            map.Context.Error(empty, "'values' must name at least one value");
        }

        string? whileMetric = null;
        var whileValues = new List<double>();
        if (map.Child("while", WhileShape) is { } whileMap)
        {
            whileMetric = Metric(whileMap, scoped, required: true);
            if (whileMap.Sequence("in") is { } inList)
            {
                foreach (var item in inList.Children)
                {
                    if (Number(map.Context, item, "'in'") is { } v)
                    {
                        whileValues.Add(v);
                    }
                }
            }
        }

        return metric is null || ErrorCount(map) > before ? null : new StateCondition(metric, values, whileMetric, whileValues, hold);
    }

    private static RateCondition? ReadRate(MappingReader? map, List<Device> scoped)
    {
        if (map is null)
        {
            return null;
        }

        var before = ErrorCount(map);
        var metric = Metric(map, scoped, required: true);
        var rise = map.Number("rise", 0, exclusiveMin: true);
        var fall = map.Number("fall", 0, exclusiveMin: true);
        var within = Duration(map, "within", allowZero: false);
        if (map.Has("rise") == map.Has("fall"))
        {
            map.Context.Error(map.Node, "a rate condition needs exactly one of 'rise' or 'fall'");
            return null;
        }

        return metric is null || within is null || (rise ?? fall) is not { } delta || ErrorCount(map) > before
            ? null
            : new RateCondition(metric, delta, rise is not null, within.Value);
    }

    private static AbsenceCondition? ReadAbsence(MappingReader? map, List<Device> scoped)
    {
        if (map is null)
        {
            return null;
        }

        var before = ErrorCount(map);
        var metric = map.Has("metric") ? Metric(map, scoped, required: false) : null;
        var after = Duration(map, "after", allowZero: false);
        var intervals = map.Int("intervals", 1, 1000);
        if (map.Has("after") == map.Has("intervals"))
        {
            map.Context.Error(map.Node, "an absence condition needs exactly one of 'after' (a duration) or 'intervals' (poll intervals)");
            return null;
        }

        return ErrorCount(map) > before ? null : new AbsenceCondition(metric, after, intervals);
    }

    private static EventCondition? ReadEvent(MappingReader? map)
    {
        if (map is null)
        {
            return null;
        }

        var before = ErrorCount(map);
        var raise = Scalars(map, "raise").Select(s => s.Value ?? string.Empty).Where(s => s.Length > 0).ToList();
        var clear = Scalars(map, "clear").Select(s => s.Value ?? string.Empty).Where(s => s.Length > 0).ToList();
        var autoClear = Duration(map, "autoClear", allowZero: false);
        if (raise.Count == 0 && ErrorCount(map) == before)
        {
            map.Context.Error(map.At("raise"), "'raise' must name at least one event");
        }

        if (clear.Count == 0 && autoClear is null && ErrorCount(map) == before)
        {
            map.Context.Error(map.Node, "an event condition needs 'clear' (events that clear it) or 'autoClear' (a duration), or both");
        }

        return ErrorCount(map) > before ? null : new EventCondition(raise, clear, autoClear);
    }

    /// <summary>The metric of a condition; an error when no device model in scope has it (with the closest names).</summary>
    private static string? Metric(MappingReader map, List<Device> scoped, bool required)
    {
        var metric = map.String("metric");
        if (metric is null)
        {
            return null;
        }

        var models = scoped.Select(d => d.Model).Distinct().ToList();
        if (models.Any(m => m.FindMetric(metric) is not null))
        {
            return metric;
        }

        var known = models.SelectMany(m => m.Metrics).Select(m => m.Name).Distinct().ToList();
        var closest = known.MinBy(k => Spelling.Distance(k, metric));
        if (closest is null || Spelling.Distance(closest, metric) > Math.Max(2, metric.Length / 3))
        {
            // no near spelling: offer a metric of the same measurement ("cpu.utilization" -> "cpu.usage")
            var measurement = metric.Split('.')[0] + ".";
            closest = known.Where(k => k.StartsWith(measurement, StringComparison.Ordinal)).MinBy(k => Spelling.Distance(k, metric));
        }

        var hint = closest is not null ? $"; did you mean '{closest}'?" : string.Empty;
        map.Context.Error(
            map.Value("metric")!,
            $"unknown metric '{metric}' for the models in scope ({string.Join(", ", models.Select(m => m.Id))}){hint}");
        _ = required;
        return null;
    }

    /// <summary>group: { by: [room, cause], wait: 30s, window: 10m }; what is left out keeps its default.</summary>
    private static IncidentGrouping? ReadGroup(MappingReader? map)
    {
        if (map is null)
        {
            return null;
        }

        var before = ErrorCount(map);
        var by = new List<IncidentGroupLabel>();
        foreach (var scalar in Scalars(map, "by"))
        {
            if (MappingReader.ParseEnum<IncidentGroupLabel>(map.Context, scalar, "group label") is { } label)
            {
                if (by.Contains(label))
                {
                    map.Context.Error(scalar, $"group label '{scalar.Value}' is listed twice");
                }

                by.Add(label);
            }
        }

        var defaults = IncidentGrouping.Default;
        var wait = Duration(map, "wait", allowZero: true);
        var window = Duration(map, "window", allowZero: false);
        if (map.Has("by") && by.Count == 0 && ErrorCount(map) == before)
        {
            map.Context.Error(map.Value("by")!, "'by' needs at least one label: room, cause, rack, device, rule");
        }

        return ErrorCount(map) > before ? null : new IncidentGrouping(map.Has("by") ? by : defaults.By, wait ?? defaults.Wait, window ?? defaults.Window);
    }

    private static TimeSpan? Duration(MappingReader map, string key, bool allowZero)
    {
        if (map.Value(key) is not { } node)
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { } text } && TryParseDuration(text, out var duration) && (allowZero || duration > TimeSpan.Zero))
        {
            return duration;
        }

        map.Context.Error(
            node,
            $"'{key}' must be a duration such as 90s, 2m, 1h30m or 500ms{(allowZero ? string.Empty : " (more than zero)")}, found {Inventory.Loading.Scalars.Describe(node)}");
        return null;
    }

    private static double? Number(LoadContext context, YamlNode node, string what)
    {
        if (node is YamlScalarNode scalar && Inventory.Loading.Scalars.TryNumber(scalar, out var value))
        {
            return value;
        }

        context.Error(node, $"{what} must be numbers, found {Inventory.Loading.Scalars.Describe(node)}");
        return null;
    }

    /// <summary>A key that holds one scalar or a list of scalars.</summary>
    private static List<YamlScalarNode> Scalars(MappingReader map, string key)
    {
        var result = new List<YamlScalarNode>();
        switch (map.Value(key))
        {
            case null:
                break;
            case YamlScalarNode scalar when !Inventory.Loading.Scalars.IsNull(scalar):
                result.Add(scalar);
                break;
            case YamlSequenceNode list:
                foreach (var item in list.Children)
                {
                    if (item is YamlScalarNode s && !Inventory.Loading.Scalars.IsNull(s))
                    {
                        result.Add(s);
                    }
                    else
                    {
                        map.Context.Error(item, $"'{key}' must list plain values, found {Inventory.Loading.Scalars.Describe(item)}");
                    }
                }

                break;
            case { } other:
                map.Context.Error(other, $"'{key}' must be a value or a list of values, found {Inventory.Loading.Scalars.Describe(other)}");
                break;
        }

        return result;
    }

    /// <summary>Names that must exist in the inventory, with "did you mean" for typos.</summary>
    private static List<string> Names(MappingReader map, string key, List<string> known, string what, bool warnOnly = false)
    {
        var result = new List<string>();
        foreach (var scalar in Scalars(map, key))
        {
            var name = scalar.Value!;
            if (known.Contains(name, StringComparer.Ordinal))
            {
                result.Add(name);
                continue;
            }

            var hint = Spelling.Closest(known, name) is { } closest ? $"; did you mean '{closest}'?" : string.Empty;
            if (warnOnly && hint.Length == 0)
            {
                // nothing like it in these rooms (another room's device, a role this room lacks): a warning, kept in the
                // scope where it matches nothing, and the rule still applies to the names that exist. A near miss
                // ("asw-a99" beside "asw-a01") is a typo, and an error.
                map.Context.Warn(map.Context.At(scalar), $"no {what} '{name}' in the rooms loaded{hint}");
                result.Add(name);
                continue;
            }

            map.Context.Error(scalar, $"unknown {what} '{name}'{hint}");
        }

        return result;
    }

    private static void CheckTemplate(LoadContext context, YamlNode node, string template, string key)
    {
        foreach (Match match in PlaceholderPattern().Matches(template))
        {
            var name = match.Groups[1].Value;
            if (!Placeholders.Contains(name, StringComparer.Ordinal))
            {
                context.Error(node, $"unknown placeholder '{{{name}}}' in '{key}' (known: {string.Join(", ", Placeholders.Select(p => "{" + p + "}"))})");
            }
        }
    }

    /// <summary>An English text (nameEn, messageEn) must not carry Chinese: the English console would show it.</summary>
    private static void CheckEnglish(LoadContext context, YamlNode node, string text, string key)
    {
        if (EnglishText.FirstHan(text) is { } han)
        {
            context.Error(node, $"'{key}' is the English text but contains the Chinese character '{han}'; put the Chinese text in '{(key == "nameEn" ? "name" : "message")}'");
        }
    }

    private static int ErrorCount(MappingReader map) => map.Context.ErrorCount;

    [GeneratedRegex("^(?<part>[0-9]+(ms|s|m|h|d))+$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"\{([A-Za-z]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderPattern();

    /// <summary>The folder's one <c>group:</c>, and where it was given.</summary>
    /// <summary>What the files of one load share beyond their rules: the folder's grouping and the rules left out.</summary>
    private sealed class GroupingRead
    {
        public IncidentGrouping? Value { get; set; }

        public SourceLocation? Source { get; set; }

        public HashSet<string> LeftOut { get; } = new(StringComparer.Ordinal);
    }
}
