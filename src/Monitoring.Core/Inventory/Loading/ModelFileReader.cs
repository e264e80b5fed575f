using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Core.Inventory.Loading;

/// <summary>Reads models/*.yaml: one model mapping, or a list of them.</summary>
internal static partial class ModelFileReader
{
    private const double Epsilon = 1e-9;

    /// <summary>The models of one file, each with where its id is written (for duplicate-id errors).</summary>
    public static List<(DeviceModel Model, SourceLocation IdAt)> Read(LoadContext context)
    {
        var models = new List<(DeviceModel, SourceLocation)>();
        var root = context.ReadRoot();
        if (root is null)
        {
            return models;
        }

        IEnumerable<YamlNode> items = root is YamlSequenceNode sequence ? sequence.Children : [root];
        foreach (var item in items)
        {
            if (ReadModel(context, item) is { } model)
            {
                models.Add(model);
            }
        }

        return models;
    }

    private static (DeviceModel, SourceLocation)? ReadModel(LoadContext context, YamlNode node)
    {
        var map = MappingReader.Open(context, node, Shapes.Model);
        if (map is null)
        {
            return null;
        }

        var id = map.Id("id");
        var name = map.String("name");
        var vendor = map.String("vendor");
        var kind = map.Enum<DeviceKind>("kind");
        var heightU = map.Int("heightU", 0, 60) ?? 0;
        var depth = map.Enum<DeviceDepth>("depth") ?? DeviceDepth.Full;

        double? width = null, depthM = null, height = null;
        if (map.Child("size", Shapes.ModelSize) is { } size)
        {
            width = size.Number("width", 0, 100, exclusiveMin: true);
            depthM = size.Number("depth", 0, 100, exclusiveMin: true);
            height = size.Number("height", 0, 100, exclusiveMin: true);
        }

        var groups = ReadPortGroups(context, map);
        var metrics = ReadMetrics(context, map);

        if (id is null || name is null || kind is null)
        {
            return null;
        }

        var model = new DeviceModel
        {
            Id = id,
            Name = name,
            Vendor = vendor,
            Kind = kind.Value,
            HeightU = heightU,
            Depth = depth,
            WidthM = width,
            DepthM = depthM,
            HeightM = height,
            PortGroups = groups,
            Ports = [.. groups.SelectMany(PortLayout.Expand)],
            Metrics = metrics,
            Source = map.Source,
        };
        return (model, map.At("id"));
    }

    private static List<PortGroup> ReadPortGroups(LoadContext context, MappingReader model)
    {
        var groups = new List<PortGroup>();
        var placed = new List<(int First, int Last, SourceLocation Source)>();
        if (model.Sequence("portGroups") is not { } sequence)
        {
            return groups;
        }

        foreach (var item in sequence.Children)
        {
            var map = MappingReader.Open(context, item, Shapes.PortGroup);
            if (map is null)
            {
                continue;
            }

            var kind = map.Enum<PortKind>("kind");
            var count = map.Int("count", 1, 4096);
            var firstIndex = map.Int("firstIndex", 0, 1_000_000);
            var pattern = map.String("name");
            var rows = map.Int("rows", 1, 64) ?? 1;
            var numbering = map.Enum<PortNumbering>("numbering") ?? PortNumbering.Columns;
            if (count is { } n && rows > n)
            {
                context.Error(map.At("rows"), $"'rows' ({rows}) must not exceed 'count' ({n})");
                rows = n;
            }

            if (pattern is not null && count > 1 && !pattern.Contains("{n}", StringComparison.Ordinal))
            {
                context.Error(map.At("name"), $"port name pattern '{pattern}' must contain {{n}} (replaced by the port index) when the group has more than one port");
            }

            var panel = ReadPanel(map);
            if (kind is null || count is null || firstIndex is null || pattern is null)
            {
                continue;
            }

            var first = firstIndex.Value;
            var last = first + count.Value - 1;
            foreach (var other in placed)
            {
                if (first <= other.Last && other.First <= last)
                {
                    context.Error(
                        map.At("firstIndex"),
                        $"port indexes {first}-{last} of this group overlap ports {other.First}-{other.Last} of the group defined at {other.Source}; port indexes must be unique within a model");
                    break;
                }
            }

            placed.Add((first, last, map.Source));
            groups.Add(new PortGroup
            {
                Kind = kind.Value,
                Count = count.Value,
                Rows = rows,
                FirstIndex = first,
                NamePattern = pattern,
                Numbering = numbering,
                PanelX = panel.X,
                PanelY = panel.Y,
                PanelWidth = panel.Width,
                PanelHeight = panel.Height,
            });
        }

        return groups;
    }

    private static (double X, double Y, double Width, double Height) ReadPanel(MappingReader group)
    {
        if (group.Child("panel", Shapes.Panel) is not { } panel)
        {
            return (0, 0, 1, 1);
        }

        var x = panel.Number("x", 0, 1);
        var y = panel.Number("y", 0, 1);
        var width = panel.Number("width", 0, 1, exclusiveMin: true);
        var height = panel.Number("height", 0, 1, exclusiveMin: true);
        if (x + width > 1 + Epsilon)
        {
            panel.Context.Error(panel.At("width"), $"the panel rectangle runs past the right edge: x + width = {MappingReader.Format(x!.Value + width!.Value)} > 1");
        }

        if (y + height > 1 + Epsilon)
        {
            panel.Context.Error(panel.At("height"), $"the panel rectangle runs past the top edge: y + height = {MappingReader.Format(y!.Value + height!.Value)} > 1");
        }

        return (x ?? 0, y ?? 0, width ?? 1, height ?? 1);
    }

    private static List<MetricDefinition> ReadMetrics(LoadContext context, MappingReader model)
    {
        var metrics = new List<MetricDefinition>();
        var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        if (model.Sequence("metrics") is not { } sequence)
        {
            return metrics;
        }

        foreach (var item in sequence.Children)
        {
            var map = MappingReader.Open(context, item, Shapes.Metric);
            if (map is null)
            {
                continue;
            }

            var name = map.String("name");
            if (name is not null && !MetricNamePattern().IsMatch(name))
            {
                context.Error(map.At("name"), $"metric name '{name}' must be 'measurement.field' in lower case, e.g. 'cpu.usage' or 'interface.oper_status'");
                name = null;
            }

            if (name is not null && !seen.TryAdd(name, map.At("name")))
            {
                context.Error(map.At("name"), $"duplicate metric '{name}'; first defined at {seen[name]}");
            }

            var warning = map.Number("warning");
            var alarm = map.Number("alarm");
            var lowIsBad = map.Bool("lowIsBad") ?? false;
            if (warning is { } w && alarm is { } a && (lowIsBad ? w < a : w > a))
            {
                context.Error(
                    map.At("warning"),
                    lowIsBad
                        ? $"'warning' ({MappingReader.Format(w)}) must not be below 'alarm' ({MappingReader.Format(a)}) when lowIsBad is true"
                        : $"'warning' ({MappingReader.Format(w)}) must not be above 'alarm' ({MappingReader.Format(a)}); set lowIsBad: true if low values are bad");
            }

            var metric = new MetricDefinition
            {
                Name = name ?? string.Empty,
                Scope = map.Enum<MetricScope>("scope") ?? MetricScope.Device,
                Unit = map.String("unit"),
                Label = map.String("label"),
                LabelZh = map.String("labelZh"),
                Warning = warning,
                Alarm = alarm,
                LowIsBad = lowIsBad,
                States = ReadStates(context, map),
                Words = ReadWords(context, map),
            };
            if (name is not null)
            {
                metrics.Add(metric);
            }
        }

        return metrics;
    }

    private static Dictionary<double, Status>? ReadStates(LoadContext context, MappingReader metric)
    {
        if (metric.Mapping("states") is not { } mapping)
        {
            return null;
        }

        var states = new Dictionary<double, Status>();
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode keyScalar || !Scalars.TryNumber(keyScalar, out var number))
            {
                context.Error(key, $"state values must be numbers (the metric's value), found {Scalars.Describe(key)}");
                continue;
            }

            if (value is not YamlScalarNode valueScalar)
            {
                context.Error(value, $"the status of state {keyScalar.Value} must be one of {string.Join(", ", YamlEnum.Names(typeof(Status)))}; found {Scalars.Describe(value)}");
                continue;
            }

            if (MappingReader.ParseEnum<Status>(context, valueScalar, $"the status of state {number.ToString(CultureInfo.InvariantCulture)}") is { } status)
            {
                states[number] = status;
            }
        }

        return states;
    }

    private static Dictionary<double, StateWords>? ReadWords(LoadContext context, MappingReader metric)
    {
        if (metric.Mapping("words") is not { } mapping)
        {
            return null;
        }

        var words = new Dictionary<double, StateWords>();
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode keyScalar || !Scalars.TryNumber(keyScalar, out var number))
            {
                context.Error(key, $"the keys of 'words' must be numbers (the metric's value), found {Scalars.Describe(key)}");
                continue;
            }

            if (MappingReader.Open(context, value, Shapes.StateWords) is not { } entry)
            {
                continue;
            }

            var en = entry.String("en");
            var zh = entry.String("zh");
            if (en is not null && EnglishText.FirstHan(en) is { } han)
            {
                context.Error(entry.Value("en")!, $"'en' of state {keyScalar.Value} is the English word but contains the Chinese character '{han}'");
                en = null;
            }

            if (en is { Length: 0 } || zh is { Length: 0 })
            {
                context.Error(value, $"the words of state {keyScalar.Value} must not be empty");
                continue;
            }

            if (en is not null && zh is not null)
            {
                words[number] = new StateWords(en, zh);
            }
        }

        return words;
    }

    [GeneratedRegex("^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex MetricNamePattern();
}
