using System.Globalization;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using Monitoring.Core.Simulation;
using Monitoring.Core.Tickets;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Core.Training;

/// <summary>What a drill may name, so that every name is checked: the rooms and their devices and ports, the alarm rules, the teams.</summary>
/// <param name="Scenarios">The simulator's room scenarios; <see cref="ScenarioCatalog.RoomScenarios"/> when null.</param>
public sealed record DrillReferences(Inventory.Inventory Inventory, AlarmRuleSet Rules, IReadOnlyCollection<string> TeamIds, IReadOnlyCollection<string>? Scenarios = null);

/// <summary>
/// The drills of a folder, and every error found (each names file:line:col). Drills with errors are left out; so is a
/// drill written for a room that is not loaded (another site's drill), with a warning rather than an error.
/// </summary>
public sealed record DrillLoadResult(IReadOnlyList<Drill> Drills, IReadOnlyList<ConfigError> Errors)
{
    public bool Ok => Errors.Count == 0;

    public IReadOnlyList<ConfigError> Warnings { get; init; } = [];

    public Drill? Find(string id) => Drills.FirstOrDefault(d => string.Equals(d.Id, id, StringComparison.Ordinal));
}

/// <summary>
/// Reads device-profiles/drills/*.yaml (one drill per file) with the inventory's YAML readers, so errors name file, line
/// and column the same way; every name a drill uses (room, device, port, scenario, rule, team, ticket category, step)
/// is checked against <see cref="DrillReferences"/>.
/// </summary>
public static class DrillLoader
{
    public const string Folder = "drills";

    public const int DefaultPoints = 10;

    /// <summary>The longest drill: a shift's training hour and then some.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(4);

    private const string ScenarioKey = "scenario";
    private const string PortDownKey = "port-down";
    private const string PortUpKey = "port-up";
    private const string ProbeLeakKey = "probe-leak";
    private const string SensorDriftKey = "sensor-drift";
    private const string DeviceSilentKey = "device-silent";
    private const string TrapStormKey = "trap-storm";

    private static readonly (string Key, DrillFaultKind Kind, string[] Extras, string[] Required)[] Faults =
    [
        (ScenarioKey, DrillFaultKind.Scenario, [], []),
        (PortDownKey, DrillFaultKind.PortDown, ["for"], []),
        (PortUpKey, DrillFaultKind.PortUp, [], []),
        (ProbeLeakKey, DrillFaultKind.ProbeLeak, [], []),
        (SensorDriftKey, DrillFaultKind.SensorDrift, ["metric", "by", "over"], ["metric", "by", "over"]),
        (DeviceSilentKey, DrillFaultKind.DeviceSilent, ["for"], []),
        (TrapStormKey, DrillFaultKind.TrapStorm, ["rate", "for"], ["rate", "for"]),
    ];

    private static readonly string[] StepExtras = ["for", "metric", "by", "over", "rate"];

    private static readonly (string Key, ExpectationKind Kind, string[] Extras)[] Actions =
    [
        ("acknowledge", ExpectationKind.Acknowledge, ["device"]),
        ("locate", ExpectationKind.Locate, []),
        ("ticket", ExpectationKind.Ticket, ["team"]),
        ("mute", ExpectationKind.Mute, []),
        ("close", ExpectationKind.Close, ["device"]),
    ];

    private static readonly string[] ExpectationExtras = ["device", "team"];

    internal static readonly ObjectShape DrillShape = new(
        "drill",
        "drill",
        ["id", "name", "nameEn", "description", "room", "duration", "timeline", "expect"],
        ["timeOfDay", "quiz"]);

    internal static readonly ObjectShape DescriptionShape = new("description", "drill description", ["zh", "en"], []);

    internal static readonly ObjectShape QuizShape = new("quiz", "locate quiz", ["id", "at", "ask", "answer"], ["within", "points"]);

    internal static readonly ObjectShape AskShape = new("ask", "quiz question", ["zh", "en"], []);

    /// <summary>How long a quiz waits for its answer when the file does not say.</summary>
    public static readonly TimeSpan DefaultQuizWithin = TimeSpan.FromMinutes(2);

    internal static readonly ObjectShape StepShape = new("step", "timeline step", ["at"], ["id", .. Faults.Select(f => f.Key), .. StepExtras]);

    internal static readonly ObjectShape ExpectationShape = new(
        "expectation",
        "expectation",
        [],
        ["id", .. Actions.Select(a => a.Key), .. ExpectationExtras, "after", "within", "points"],
        new Dictionary<string, Type> { ["ticket"] = typeof(TicketCategory) });

    internal static readonly ObjectShape[] Shapes = [DrillShape, DescriptionShape, StepShape, ExpectationShape, QuizShape, AskShape];

    /// <summary>Every file of <paramref name="dir"/> (drills/ of a profiles root); none when the folder is absent.</summary>
    public static DrillLoadResult LoadDirectory(string dir, DrillReferences references)
    {
        ArgumentNullException.ThrowIfNull(dir);
        return Directory.Exists(dir)
            ? LoadFiles(Directory.EnumerateFiles(dir).Where(ProfileFiles.IsYaml).Order(StringComparer.Ordinal), references)
            : new DrillLoadResult([], []);
    }

    public static DrillLoadResult LoadFiles(IEnumerable<string> files, DrillReferences references)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(references);
        var errors = new List<ConfigError>();
        var warnings = new List<ConfigError>();
        var drills = new List<Drill>();
        var ids = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var context = new LoadContext(file, errors, warnings);
            var before = errors.Count;
            if (context.ReadRoot() is not { } root || MappingReader.Open(context, root, DrillShape) is not { } map)
            {
                continue;
            }

            var drill = new DrillFile(context, map, references).Read();
            if (drill is not null && drill.Id.Length > 0 && !ids.TryAdd(drill.Id, drill.Source))
            {
                context.Error(map.At("id"), $"drill '{drill.Id}' is defined twice; first at {ids[drill.Id]}");
            }

            if (drill is not null && errors.Count == before)
            {
                drills.Add(drill);
            }
        }

        return new DrillLoadResult(drills, errors) { Warnings = warnings };
    }

    /// <summary>One file being read: the drill's room is known once read, and every device is checked against it.</summary>
    private sealed class DrillFile(LoadContext context, MappingReader map, DrillReferences references)
    {
        private Room? _room;

        public Drill? Read()
        {
            var id = map.Id("id") ?? string.Empty;
            var roomId = map.Id("room");
            if (roomId is not null)
            {
                _room = references.Inventory.FindRoom(roomId);
                if (_room is null)
                {
                    // a drill of a room this installation does not load (the shipped demo drills beside a site's own rooms):
                    // nothing in it can be checked or run, so it is left out, with a warning
                    context.Warn(
                        map.At("room"),
                        $"drill '{id}' is written for room '{roomId}', which is not loaded{Hint(references.Inventory.Rooms.Select(r => r.Id), roomId)}: the drill is left out");
                    return null;
                }
            }

            var duration = Duration(map, "duration", allowZero: false);
            if (duration > MaxDuration)
            {
                context.Error(map.At("duration"), $"'duration' may be at most {MaxDuration.TotalHours:0}h, found {map.String("duration")}");
            }

            var description = map.Child("description", DescriptionShape);
            var timeline = ReadTimeline(duration);
            var expectations = ReadExpectations(timeline, duration ?? MaxDuration);
            var quizzes = ReadQuizzes(duration ?? MaxDuration);
            return new Drill
            {
                Id = id,
                Name = map.String("name") ?? string.Empty,
                NameEn = map.String("nameEn") ?? string.Empty,
                Description = new DrillText(description?.String("zh") ?? string.Empty, description?.String("en") ?? string.Empty),
                RoomId = roomId ?? string.Empty,
                Duration = duration ?? TimeSpan.Zero,
                TimeOfDay = ReadTimeOfDay(),
                Timeline = timeline,
                Expectations = expectations,
                Quizzes = quizzes,
                Source = map.At("id"),
            };
        }

        private TimeOnly? ReadTimeOfDay()
        {
            if (map.Value("timeOfDay") is not { } node)
            {
                return null;
            }

            if (node is YamlScalarNode { Value: { } text }
                && TimeOnly.TryParseExact(text, ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            {
                return time;
            }

            context.Error(node, $"'timeOfDay' must be a time of day such as \"02:30\", found {Scalars.Describe(node)}");
            return null;
        }

        private List<DrillStep> ReadTimeline(TimeSpan? duration)
        {
            var steps = new List<DrillStep>();
            if (map.Sequence("timeline") is not { } sequence)
            {
                return steps;
            }

            if (sequence.Children.Count == 0)
            {
                context.Error(sequence, "a drill needs at least one fault in its timeline");
            }

            var stepIds = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            foreach (var node in sequence.Children)
            {
                if (MappingReader.Open(context, node, StepShape) is not { } step || ReadStep(step) is not { } read)
                {
                    continue;
                }

                if (read.Id is { } stepId && !stepIds.TryAdd(stepId, step.At("id")))
                {
                    context.Error(step.At("id"), $"step '{stepId}' is named twice in this drill; first at {stepIds[stepId]}");
                }

                if (duration is { } end && read.At > end)
                {
                    context.Error(step.At("at"), $"the step at {Text(read.At)} comes after the drill's end ({Text(end)})");
                }

                steps.Add(read);
            }

            // in time order; steps at the same moment keep the file's order
            return [.. steps.OrderBy(s => s.At)];
        }

        private DrillStep? ReadStep(MappingReader step)
        {
            var present = Faults.Where(f => step.Has(f.Key)).ToList();
            if (present.Count != 1)
            {
                context.Error(
                    step.Node,
                    present.Count == 0
                        ? $"a timeline step needs one fault: {string.Join(", ", Faults.Select(f => f.Key))}"
                        : $"a timeline step has one fault, found {string.Join(" and ", present.Select(f => $"'{f.Key}'"))}");
                return null;
            }

            var (key, kind, extras, required) = present[0];
            foreach (var extra in StepExtras.Where(e => step.Has(e) && !extras.Contains(e)))
            {
                context.Error(KeyNode(step, extra), $"'{extra}' does not go with '{key}'{(extras.Length > 0 ? $" (it takes: {string.Join(", ", extras)})" : string.Empty)}");
            }

            foreach (var missing in required.Where(r => !step.Has(r)))
            {
                context.Error(step.Node, $"'{key}' needs '{missing}'");
            }

            var at = Duration(step, "at", allowZero: true);
            var result = new DrillStep
            {
                Id = step.Id("id"),
                At = at ?? TimeSpan.Zero,
                Kind = kind,
                For = step.Has("for") ? Duration(step, "for", allowZero: false) : null,
                Over = step.Has("over") ? Duration(step, "over", allowZero: false) : null,
                By = step.Has("by") ? NonZero(step, "by") : null,
                Rate = step.Has("rate") ? step.Int("rate", 1, 10_000) : null,
                Source = step.Source,
            };

            switch (kind)
            {
                case DrillFaultKind.Scenario:
                    var scenario = step.String(key);
                    var known = references.Scenarios ?? ScenarioCatalog.RoomScenarios;
                    if (scenario is not null && !known.Contains(scenario, StringComparer.Ordinal))
                    {
                        context.Error(step.At(key), $"no scenario '{scenario}'{Hint(known, scenario)}; the simulator has: {string.Join(", ", known)}");
                    }

                    return result with { Scenario = scenario, SimulatorScenario = scenario };
                case DrillFaultKind.PortDown or DrillFaultKind.PortUp:
                    return Port(step, key, required: true) is { Device: { } device } port
                        ? result with { DeviceId = device.Id, PortIndex = port.Port, PortName = port.PortName }
                        : result;
                default:
                    if (DeviceAt(step, key) is not { } target)
                    {
                        return result;
                    }

                    result = result with { DeviceId = target.Id };
                    return kind switch
                    {
                        DrillFaultKind.ProbeLeak => CheckLeakProbe(step, key, target, result),
                        DrillFaultKind.SensorDrift => CheckDrift(step, target, result),
                        DrillFaultKind.TrapStorm => CheckTrapSource(step, key, target, result),
                        _ => IsMqttProbe(target) ? result with { SimulatorScenario = "probe-die", SimulatorDevice = target.Id } : result,
                    };
            }
        }

        private DrillStep CheckLeakProbe(MappingReader step, string key, Device device, DrillStep result)
        {
            if (device.Model.FindMetric("probe.leak") is null)
            {
                context.Error(step.At(key), $"device '{device.Id}' is not a water-leak probe (its model {device.Model.Id} has no probe.leak)");
                return result;
            }

            // the demo's leak scenario wets every leak probe of the room it simulates
            return IsMqttProbe(device) ? result with { SimulatorScenario = "leak" } : result;
        }

        private DrillStep CheckDrift(MappingReader step, Device device, DrillStep result)
        {
            var metric = step.String("metric");
            if (metric is not null && device.Model.FindMetric(metric) is null)
            {
                context.Error(step.At("metric"), $"device '{device.Id}' (model {device.Model.Id}) has no metric '{metric}'{Hint(device.Model.Metrics.Select(m => m.Name), metric)}");
            }

            return result with { Metric = metric };
        }

        private DrillStep CheckTrapSource(MappingReader step, string key, Device device, DrillStep result)
        {
            if (device.Profile is not { } profile || !profile.StartsWith("snmp/", StringComparison.Ordinal))
            {
                context.Error(step.At(key), $"device '{device.Id}' sends no SNMP notifications (it has no snmp/ profile)");
            }

            return result;
        }

        private List<DrillExpectation> ReadExpectations(IReadOnlyList<DrillStep> timeline, TimeSpan duration)
        {
            var expectations = new List<DrillExpectation>();
            if (map.Sequence("expect") is not { } sequence)
            {
                return expectations;
            }

            if (sequence.Children.Count == 0)
            {
                context.Error(sequence, "a drill needs at least one expected response");
            }

            var ids = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            var n = 0;
            foreach (var node in sequence.Children)
            {
                n++;
                if (MappingReader.Open(context, node, ExpectationShape) is not { } item || ReadExpectation(item, n, timeline, duration) is not { } read)
                {
                    continue;
                }

                if (!ids.TryAdd(read.Id, item.At("id")))
                {
                    context.Error(item.At("id"), $"expectation '{read.Id}' is named twice in this drill; first at {ids[read.Id]}");
                }

                expectations.Add(read);
            }

            return expectations;
        }

        private DrillExpectation? ReadExpectation(MappingReader item, int n, IReadOnlyList<DrillStep> timeline, TimeSpan duration)
        {
            var present = Actions.Where(a => item.Has(a.Key)).ToList();
            if (present.Count != 1)
            {
                context.Error(
                    item.Node,
                    present.Count == 0
                        ? $"an expectation needs one action: {string.Join(", ", Actions.Select(a => a.Key))}"
                        : $"an expectation has one action, found {string.Join(" and ", present.Select(a => $"'{a.Key}'"))}");
                return null;
            }

            var (key, kind, extras) = present[0];
            foreach (var extra in ExpectationExtras.Where(e => item.Has(e) && !extras.Contains(e)))
            {
                context.Error(KeyNode(item, extra), $"'{extra}' does not go with '{key}'");
            }

            // the window: from the step named by 'after' (the first step when none), for 'within' (to the drill's end when none)
            var from = timeline.Count > 0 ? timeline[0].At : TimeSpan.Zero;
            var after = item.Id("after");
            if (after is not null)
            {
                var step = timeline.FirstOrDefault(s => string.Equals(s.Id, after, StringComparison.Ordinal));
                if (step is null)
                {
                    var named = timeline.Select(s => s.Id).OfType<string>().ToList();
                    context.Error(item.At("after"), $"no step '{after}' in this drill's timeline{Hint(named, after)}{(named.Count > 0 ? $" (named steps: {string.Join(", ", named)})" : " (give the step an 'id')")}");
                }
                else
                {
                    from = step.At;
                }
            }

            var within = item.Has("within") ? Duration(item, "within", allowZero: false) : duration - from;
            if (within is { } w && from + w > duration)
            {
                context.Error(item.At("within"), $"the window ends at {Text(from + w)}, after the drill's end ({Text(duration)})");
            }

            var result = new DrillExpectation
            {
                Id = item.Id("id") ?? "e" + n.ToString(CultureInfo.InvariantCulture),
                Kind = kind,
                AfterStep = after,
                From = from,
                Within = within ?? TimeSpan.Zero,
                Points = item.Int("points", 1, 100) ?? DefaultPoints,
                Source = item.Source,
            };

            switch (kind)
            {
                case ExpectationKind.Acknowledge or ExpectationKind.Close:
                    var ruleId = item.String(key);
                    var rule = ruleId is null ? null : references.Rules.Find(ruleId);
                    if (ruleId is not null && rule is null)
                    {
                        context.Error(item.At(key), $"no alarm rule '{ruleId}'{Hint(references.Rules.Rules.Select(r => r.Id), ruleId)}");
                    }

                    var device = item.Has("device") ? DeviceAt(item, "device") : null;
                    if (rule is not null && device is not null && !rule.Scope.Matches(device))
                    {
                        context.Error(item.At("device"), $"alarm rule '{rule.Id}' does not apply to device '{device.Id}' (its scope leaves the device out)");
                    }

                    return result with { RuleId = ruleId, DeviceId = device?.Id };
                case ExpectationKind.Locate:
                    return Port(item, key, required: false) is { Device: { } target } located
                        ? result with { DeviceId = target.Id, PortIndex = located.Port, PortName = located.PortName }
                        : result;
                case ExpectationKind.Ticket:
                    var team = item.Id("team");
                    if (team is not null && !references.TeamIds.Contains(team, StringComparer.Ordinal))
                    {
                        context.Error(item.At("team"), $"no team '{team}'{Hint(references.TeamIds, team)}; the service file has: {string.Join(", ", references.TeamIds)}");
                    }

                    return result with { Category = item.Enum<TicketCategory>(key), TeamId = team };
                default:
                    return result with { Mute = item.Bool(key) ?? false };
            }
        }

        private List<DrillQuiz> ReadQuizzes(TimeSpan duration)
        {
            var quizzes = new List<DrillQuiz>();
            if (!map.Has("quiz") || map.Sequence("quiz") is not { } sequence)
            {
                return quizzes;
            }

            var ids = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            foreach (var node in sequence.Children)
            {
                if (MappingReader.Open(context, node, QuizShape) is not { } item)
                {
                    continue;
                }

                var id = item.Id("id");
                if (id is not null && !ids.TryAdd(id, item.At("id")))
                {
                    context.Error(item.At("id"), $"quiz '{id}' is named twice in this drill; first at {ids[id]}");
                }

                var at = Duration(item, "at", allowZero: true);
                if (at is { } when && when > duration)
                {
                    context.Error(item.At("at"), $"the quiz at {Text(when)} comes after the drill's end ({Text(duration)})");
                }

                var within = item.Has("within") ? Duration(item, "within", allowZero: false) : DefaultQuizWithin;
                var ask = item.Child("ask", AskShape);
                var answer = Port(item, "answer", required: false);
                if (id is null || at is null || within is null || ask is null || answer is not { Device: { } device } found)
                {
                    continue;
                }

                quizzes.Add(new DrillQuiz
                {
                    Id = id,
                    At = at.Value,
                    Ask = new DrillText(ask.String("zh") ?? string.Empty, ask.String("en") ?? string.Empty),
                    DeviceId = device.Id,
                    PortIndex = found.Port,
                    PortName = found.PortName,
                    Within = within.Value,
                    Points = item.Int("points", 1, 100) ?? DefaultPoints,
                    Source = item.Source,
                });
            }

            return [.. quizzes.OrderBy(q => q.At)];
        }

        /// <summary>A device of the drill's room named by the value of <paramref name="key"/>.</summary>
        private Device? DeviceAt(MappingReader item, string key)
        {
            var id = item.String(key);
            return id is null ? null : FindDevice(id, item.At(key));
        }

        private Device? FindDevice(string id, SourceLocation at)
        {
            var device = references.Inventory.FindDevice(id);
            if (device is null)
            {
                var candidates = _room?.Devices.Select(d => d.Id) ?? references.Inventory.Devices.Select(d => d.Id);
                context.Error(at, $"no device '{id}'{Hint(candidates, id)}");
                return null;
            }

            if (_room is not null && !string.Equals(device.RoomId, _room.Id, StringComparison.Ordinal))
            {
                context.Error(at, $"device '{id}' is in room '{device.RoomId}', not in the drill's room '{_room.Id}'");
                return null;
            }

            return device;
        }

        /// <summary>"DEVICE:PORT" (a port index or its name on the model), or "DEVICE" when the port is optional.</summary>
        private (Device? Device, int? Port, string? PortName)? Port(MappingReader item, string key, bool required)
        {
            if (item.String(key) is not { } text)
            {
                return null;
            }

            var at = item.At(key);
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                if (required)
                {
                    context.Error(at, $"'{key}' must name a device and its port as DEVICE:PORT (asw-a02:14), found '{text}'");
                    return null;
                }

                return (FindDevice(text, at), null, null);
            }

            if (FindDevice(text[..colon], at) is not { } device)
            {
                return null;
            }

            var portText = text[(colon + 1)..];
            var port = int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                ? device.Model.FindPort(index)
                : device.Model.Ports.FirstOrDefault(p => string.Equals(p.Name, portText, StringComparison.Ordinal));
            if (port is null)
            {
                var range = device.Model.Ports.Count == 0 ? "it has no ports" : $"its ports are {device.Model.Ports[0].Index}..{device.Model.Ports[^1].Index}";
                context.Error(at, $"device '{device.Id}' (model {device.Model.Id}) has no port '{portText}'; {range}");
                return null;
            }

            return (device, port.Index, port.Name);
        }

        private double? NonZero(MappingReader item, string key)
        {
            var value = item.Number(key);
            if (value is 0)
            {
                context.Error(item.At(key), $"'{key}' must not be zero");
                return null;
            }

            return value;
        }

        private TimeSpan? Duration(MappingReader item, string key, bool allowZero)
        {
            if (item.Value(key) is not { } node)
            {
                return null;
            }

            if (node is YamlScalarNode { Value: { } text } && AlarmRuleLoader.TryParseDuration(text, out var duration) && (allowZero || duration > TimeSpan.Zero))
            {
                return duration;
            }

            context.Error(node, $"'{key}' must be a duration such as 30s, 2m or 1h30m{(allowZero ? string.Empty : " (more than zero)")}, found {Scalars.Describe(node)}");
            return null;
        }

        private static YamlNode KeyNode(MappingReader item, string key) =>
            item.Node.Children.First(c => c.Key is YamlScalarNode { Value: { } name } && name == key).Key;
    }

    private static bool IsMqttProbe(Device device) =>
        device.Kind == DeviceKind.Probe && device.Profile is { } profile && profile.StartsWith("mqtt/", StringComparison.Ordinal);

    private static string Hint(IEnumerable<string> known, string name) =>
        Spelling.Closest(known, name) is { } closest ? $"; did you mean '{closest}'?" : string.Empty;

    /// <summary>A drill time as the files write it: 90s, 2m, 1h5m.</summary>
    internal static string Text(TimeSpan time)
    {
        if (time == TimeSpan.Zero)
        {
            return "0s";
        }

        var parts = new List<string>(3);
        if (time.Hours + (time.Days * 24) > 0)
        {
            parts.Add(((time.Days * 24) + time.Hours).ToString(CultureInfo.InvariantCulture) + "h");
        }

        if (time.Minutes > 0)
        {
            parts.Add(time.Minutes.ToString(CultureInfo.InvariantCulture) + "m");
        }

        if (time.Seconds > 0)
        {
            parts.Add(time.Seconds.ToString(CultureInfo.InvariantCulture) + "s");
        }

        return string.Concat(parts);
    }
}
