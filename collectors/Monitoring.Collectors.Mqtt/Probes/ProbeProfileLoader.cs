using System.Text;
using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Collectors.Mqtt.Probes;

/// <summary>
/// Loads device-profiles/mqtt/*.yaml with the inventory loader's YAML reader, so every error names file:line:column,
/// and every error of a load is reported together.
/// </summary>
public static class ProbeProfileLoader
{
    public const string Folder = "mqtt";
    public const string IdPrefix = "mqtt/";
    public const double DefaultStalenessSeconds = 60;

    internal static readonly ObjectShape ProfileShape = new(
        "profile",
        "MQTT probe profile",
        ["name", "topics"],
        ["document", "stalenessSeconds", "lastWill"]);

    internal static readonly ObjectShape TopicShape = new(
        "topic",
        "topic",
        ["topic", "device", "format"],
        ["timestamp", "timestampUnit", "values"]);

    internal static readonly ObjectShape ValueShape = new(
        "value",
        "value",
        ["metric"],
        ["path", "map", "scale", "offset", "unit"]);

    internal static readonly ObjectShape LastWillShape = new(
        "lastWill",
        "last will",
        ["topic", "device", "offline"],
        ["online"]);

    /// <summary>The keys one kind of mapping may hold and those it must, by its schema name (for the schema test).</summary>
    internal static (string[] Keys, string[] Required) ShapeKeys(string name)
    {
        var shape = new[] { ProfileShape, TopicShape, ValueShape, LastWillShape }.Single(s => s.Name == name);
        return ([.. shape.Keys], shape.Required);
    }

    /// <summary>Every profile under <c>PROFILES/mqtt/</c>, keyed by id ("mqtt/probe").</summary>
    /// <exception cref="ConfigException">Any file is invalid; every error is listed.</exception>
    public static IReadOnlyDictionary<string, ProbeProfile> LoadFolder(string profilesRoot) =>
        ProfileFiles.LoadFolder<ProbeProfile>(profilesRoot, Folder, Read, p => p.Id);

    /// <summary>Loads one profile file; throws <see cref="ConfigException"/> with every error if it is invalid.</summary>
    public static ProbeProfile LoadFile(string path) => ProfileFiles.LoadFile<ProbeProfile>(path, Read);

    /// <summary>Checks one profile file; returns every error, empty when it is valid.</summary>
    public static IReadOnlyList<ConfigError> Validate(string path) => ProfileFiles.Validate<ProbeProfile>(path, Read);

    private static ProbeProfile? Read(string file, List<ConfigError> errors)
    {
        var before = errors.Count;
        var context = new LoadContext(file, errors);
        var root = context.ReadRoot();
        if (root is null)
        {
            return null;
        }

        var map = MappingReader.Open(context, root, ProfileShape);
        if (map is null)
        {
            return null;
        }

        var name = map.String("name");
        var document = map.String("document");
        var staleness = map.Number("stalenessSeconds", 1, 7 * 86_400);
        var topics = new List<ProbeTopic>();
        if (map.Sequence("topics") is { } sequence)
        {
            if (sequence.Children.Count == 0)
            {
                context.Error(sequence, "'topics' must list at least one topic");
            }

            var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            foreach (var item in sequence.Children)
            {
                if (ReadTopic(context, item) is not { } topic)
                {
                    continue;
                }

                if (seen.TryGetValue(topic.Pattern.SubscriptionFilter, out var first))
                {
                    context.Error(item, $"topic '{topic.Pattern}' matches the same topics as the one at {first}");
                    continue;
                }

                seen[topic.Pattern.SubscriptionFilter] = topic.Source;
                topics.Add(topic);
            }
        }

        ProbeLastWill? lastWill = null;
        if (map.Child("lastWill", LastWillShape) is { } will)
        {
            lastWill = ReadLastWill(will);
        }

        if (errors.Count > before || name is null)
        {
            return null;
        }

        return new ProbeProfile(
            IdPrefix + Path.GetFileNameWithoutExtension(file),
            name,
            topics,
            lastWill,
            TimeSpan.FromSeconds(staleness ?? DefaultStalenessSeconds),
            document,
            map.Source);
    }

    private static ProbeTopic? ReadTopic(LoadContext context, YamlNode node)
    {
        var map = MappingReader.Open(context, node, TopicShape);
        if (map is null)
        {
            return null;
        }

        var pattern = ReadPattern(map, "topic");
        var device = pattern is null ? null : ReadBinding(map, pattern);
        var formatText = map.String("format");
        ProbePayloadFormat? format = formatText switch
        {
            null => null,
            "json" => ProbePayloadFormat.Json,
            "number" => ProbePayloadFormat.Number,
            "lineProtocol" => ProbePayloadFormat.LineProtocol,
            _ => Invalid<ProbePayloadFormat>(context, map.At("format"), $"'format' must be one of json, number, lineProtocol; found '{formatText}'"),
        };

        JsonPath? timestamp = null;
        if (map.String("timestamp") is { } timestampText)
        {
            timestamp = JsonPath.TryCompile(timestampText, out var pathError);
            if (pathError is not null)
            {
                context.Error(map.At("timestamp"), $"'timestamp': {pathError}");
            }
            else if (format != ProbePayloadFormat.Json)
            {
                context.Error(map.At("timestamp"), "'timestamp' is a JSON path: it applies only to 'format: json' (line protocol carries its own)");
            }
        }

        var unitText = map.String("timestampUnit");
        ProbeTimestampUnit? unit = unitText switch
        {
            null => format == ProbePayloadFormat.LineProtocol ? ProbeTimestampUnit.Nanoseconds : ProbeTimestampUnit.Seconds,
            "s" => ProbeTimestampUnit.Seconds,
            "ms" => ProbeTimestampUnit.Milliseconds,
            "us" => ProbeTimestampUnit.Microseconds,
            "ns" => ProbeTimestampUnit.Nanoseconds,
            "rfc3339" => ProbeTimestampUnit.Rfc3339,
            _ => Invalid<ProbeTimestampUnit>(context, map.At("timestampUnit"), $"'timestampUnit' must be one of s, ms, us, ns, rfc3339; found '{unitText}'"),
        };

        if (unitText is not null && format == ProbePayloadFormat.Number)
        {
            context.Error(map.At("timestampUnit"), "a plain number carries no timestamp: 'timestampUnit' applies to json and lineProtocol");
        }
        else if (unit == ProbeTimestampUnit.Rfc3339 && format == ProbePayloadFormat.LineProtocol)
        {
            context.Error(map.At("timestampUnit"), "line-protocol timestamps are whole numbers: use s, ms, us or ns");
        }

        var values = new List<ProbeValue>();
        if (map.Sequence("values") is { } sequence)
        {
            var metrics = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
            foreach (var item in sequence.Children)
            {
                if (ReadValue(context, item, format) is not { } value)
                {
                    continue;
                }

                if (metrics.TryGetValue(value.Metric, out var first))
                {
                    context.Error(item, $"metric '{value.Metric}' is mapped twice (first at {first})");
                    continue;
                }

                metrics[value.Metric] = context.At(item);
                values.Add(value);
            }

            if (sequence.Children.Count == 0)
            {
                context.Error(sequence, "'values' must list at least one value (or be left out for line protocol: every field)");
            }
        }
        else if (format is ProbePayloadFormat.Json or ProbePayloadFormat.Number)
        {
            context.Error(map.Source, $"a {formatText} topic needs 'values': which metric its payload gives");
        }

        if (format == ProbePayloadFormat.Number && values.Count > 1)
        {
            context.Error(map.At("values"), "a plain number is one value: 'values' must list exactly one");
        }

        if (format == ProbePayloadFormat.Json && values.Count > 64)
        {
            context.Error(map.At("values"), "a JSON topic maps at most 64 values");
        }

        if (pattern is null || device is null || format is null || unit is null)
        {
            return null;
        }

        return new ProbeTopic(pattern, device.Value, format.Value, values, timestamp, unit.Value, map.Source);
    }

    private static ProbeValue? ReadValue(LoadContext context, YamlNode node, ProbePayloadFormat? format)
    {
        var map = MappingReader.Open(context, node, ValueShape);
        if (map is null)
        {
            return null;
        }

        var metric = map.Id("metric");
        var pathText = map.String("path");
        JsonPath? path = null;
        string? fieldName = null;
        switch (format)
        {
            case ProbePayloadFormat.Json:
                if (pathText is null)
                {
                    context.Error(map.Source, "a value of a JSON payload needs 'path': where the value is (e.g. state.leak)");
                    break;
                }

                path = JsonPath.TryCompile(pathText, out var pathError);
                if (pathError is not null)
                {
                    context.Error(map.At("path"), $"'path': {pathError}");
                }

                break;
            case ProbePayloadFormat.Number when pathText is not null:
                context.Error(map.At("path"), "a plain number has no 'path': the whole payload is the value");
                break;
            case ProbePayloadFormat.LineProtocol:
                if (pathText is null || pathText.IndexOf('.', StringComparison.Ordinal) <= 0)
                {
                    context.Error(pathText is null ? map.Source : map.At("path"), "a line-protocol value needs 'path' as measurement.field (e.g. climate.temp)");
                }

                fieldName = pathText;
                break;
        }

        ValueMap? words = null;
        if (map.Mapping("map") is { } mapping)
        {
            words = ReadMap(context, mapping);
        }

        var scale = map.Number("scale") ?? 1.0;
        if (scale == 0)
        {
            context.Error(map.At("scale"), "'scale' cannot be 0");
        }

        var offset = map.Number("offset") ?? 0.0;
        var unit = map.String("unit");
        if (unit is not null && Units.Find(unit) is null)
        {
            context.Error(map.At("unit"), $"'unit' must be one of {string.Join(", ", Units.Known)}; found '{unit}'");
        }

        return metric is null ? null : new ProbeValue(metric, path, words, scale, offset, unit) { FieldName = fieldName };
    }

    private static ValueMap? ReadMap(LoadContext context, YamlMappingNode node)
    {
        var entries = new List<KeyValuePair<string, double>>();
        foreach (var (key, value) in node.Children)
        {
            if (key is not YamlScalarNode { Value: { Length: > 0 } word } || word.Length > 128)
            {
                context.Error(key, $"map keys are the words a probe sends (wet, dry, open, true), found {Scalars.Describe(key)}");
                continue;
            }

            if (value is not YamlScalarNode scalar || !Scalars.TryNumber(scalar, out var number))
            {
                context.Error(value, $"'{word}' must map to a number, found {Scalars.Describe(value)}");
                continue;
            }

            if (entries.Any(e => string.Equals(e.Key, word, StringComparison.OrdinalIgnoreCase)))
            {
                context.Error(key, $"'{word}' is mapped twice (words match without regard to case)");
                continue;
            }

            entries.Add(new(word, number));
        }

        if (entries.Count == 0 && node.Children.Count == 0)
        {
            context.Error(node, "'map' must hold at least one word: number");
        }

        return entries.Count == 0 ? null : new ValueMap(entries);
    }

    private static ProbeLastWill? ReadLastWill(MappingReader map)
    {
        var pattern = ReadPattern(map, "topic");
        var device = pattern is null ? null : ReadBinding(map, pattern);
        var offline = map.String("offline");
        var online = map.String("online");
        if (offline is { Length: 0 })
        {
            map.Context.Error(map.At("offline"), "'offline' cannot be empty");
            return null;
        }

        if (online is not null && string.Equals(online, offline, StringComparison.Ordinal))
        {
            map.Context.Error(map.At("online"), "'online' must differ from 'offline'");
            return null;
        }

        return pattern is null || device is null || offline is null
            ? null
            : new ProbeLastWill(pattern, device.Value, Encoding.UTF8.GetBytes(offline), online is null ? null : Encoding.UTF8.GetBytes(online), map.Source);
    }

    private static TopicPattern? ReadPattern(MappingReader map, string key)
    {
        if (map.String(key) is not { } text)
        {
            return null;
        }

        var pattern = TopicPattern.TryCompile(text, out var error);
        if (pattern is null)
        {
            map.Context.Error(map.At(key), $"'{key}' '{text}': {error}");
        }

        return pattern;
    }

    /// <summary>"{capture}" names a captured level of the pattern; anything else is a fixed device id.</summary>
    private static DeviceBinding? ReadBinding(MappingReader map, TopicPattern pattern)
    {
        if (map.String("device") is not { } text)
        {
            return null;
        }

        if (text.StartsWith('{') && text.EndsWith('}'))
        {
            var capture = pattern.CaptureIndex(text[1..^1]);
            if (capture < 0)
            {
                map.Context.Error(
                    map.At("device"),
                    $"'device' '{text}' is not a capture of '{pattern}' (its captures: {(pattern.CaptureNames.Count == 0 ? "none" : string.Join(", ", pattern.CaptureNames.Select(n => "{" + n + "}")))})");
                return null;
            }

            return new DeviceBinding(capture, null);
        }

        if (map.Id("device") is null)
        {
            return null;
        }

        return new DeviceBinding(-1, text);
    }

    private static T? Invalid<T>(LoadContext context, SourceLocation at, string message)
        where T : struct
    {
        context.Error(at, message);
        return null;
    }
}
