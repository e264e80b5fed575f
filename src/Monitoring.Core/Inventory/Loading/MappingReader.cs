using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Core.Inventory.Loading;

/// <summary>
/// Reads one YAML mapping of a known <see cref="ObjectShape"/>: unknown and missing keys are reported when it is
/// opened, and each typed getter reports a value of the wrong type at the value's own position and returns null.
/// </summary>
internal sealed partial class MappingReader
{
    private readonly Dictionary<string, (YamlNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);

    private MappingReader(LoadContext context, YamlMappingNode node, ObjectShape shape)
    {
        Context = context;
        Node = node;
        Shape = shape;
    }

    public LoadContext Context { get; }

    public YamlMappingNode Node { get; }

    public ObjectShape Shape { get; }

    public SourceLocation Source => Context.At(Node);

    public static MappingReader? Open(LoadContext context, YamlNode node, ObjectShape shape)
    {
        if (node is not YamlMappingNode mapping)
        {
            context.Error(node, $"a {shape.Title} must be a mapping (key: value), found {Scalars.Describe(node)}");
            return null;
        }

        var reader = new MappingReader(context, mapping, shape);
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                context.Error(key, $"keys of a {shape.Title} must be plain names, found {Scalars.Describe(key)}");
                continue;
            }

            if (!shape.Allows(name))
            {
                context.Error(key, UnknownKeyMessage(name, shape));
                continue;
            }

            reader._entries[name] = (key, value);
        }

        foreach (var required in shape.Required)
        {
            if (!reader._entries.ContainsKey(required))
            {
                context.Error(mapping, $"{shape.Title} is missing required key '{required}'");
            }
        }

        return reader;
    }

    public bool Has(string key) => _entries.ContainsKey(key);

    public YamlNode? Value(string key) => _entries.TryGetValue(key, out var entry) ? entry.Value : null;

    /// <summary>Where the value of a key is, or the mapping itself when the key is absent.</summary>
    public SourceLocation At(string key) => Value(key) is { } node ? Context.At(node) : Source;

    public string? String(string key)
    {
        if (Scalar(key) is not { } scalar)
        {
            return null;
        }

        if (Scalars.Classify(scalar) != ScalarType.String)
        {
            Context.Error(scalar, $"'{key}' must be a string, found {Scalars.Describe(scalar)} (quote it: \"{scalar.Value}\")");
            return null;
        }

        return scalar.Value;
    }

    /// <summary>An id: letters, digits, '.', '_' and '-', starting with a letter or digit.</summary>
    public string? Id(string key)
    {
        var value = String(key);
        if (value is not null && !IdPattern().IsMatch(value))
        {
            Context.Error(Value(key)!, $"'{key}' '{value}' may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit");
            return null;
        }

        return value;
    }

    public int? Int(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        if (Scalar(key) is not { } scalar)
        {
            return null;
        }

        if (!Scalars.TryInteger(scalar, out var value))
        {
            Context.Error(scalar, $"'{key}' must be a whole number, found {Scalars.Describe(scalar)}");
            return null;
        }

        if (value < min || value > max)
        {
            Context.Error(scalar, $"'{key}' must be {RangeText(min, max)}, found {value}");
            return null;
        }

        return (int)value;
    }

    public double? Number(string key, double min = double.MinValue, double max = double.MaxValue, bool exclusiveMin = false)
    {
        if (Scalar(key) is not { } scalar)
        {
            return null;
        }

        if (!Scalars.TryNumber(scalar, out var value))
        {
            Context.Error(scalar, $"'{key}' must be a number, found {Scalars.Describe(scalar)}");
            return null;
        }

        var problem = exclusiveMin && value <= min ? $"greater than {Format(min)}"
            : value < min ? $"at least {Format(min)}"
            : value > max ? $"at most {Format(max)}"
            : null;
        if (problem is not null)
        {
            Context.Error(scalar, $"'{key}' must be {problem}, found {Format(value)}");
            return null;
        }

        return value;
    }

    public bool? Bool(string key)
    {
        if (Scalar(key) is not { } scalar)
        {
            return null;
        }

        if (Scalars.Classify(scalar) != ScalarType.Bool)
        {
            Context.Error(scalar, $"'{key}' must be true or false, found {Scalars.Describe(scalar)}");
            return null;
        }

        return scalar.Value is "true" or "True" or "TRUE";
    }

    public TEnum? Enum<TEnum>(string key)
        where TEnum : struct, Enum
    {
        if (Scalar(key) is not { } scalar)
        {
            return null;
        }

        return ParseEnum<TEnum>(Context, scalar, $"'{key}'");
    }

    public static TEnum? ParseEnum<TEnum>(LoadContext context, YamlScalarNode scalar, string what)
        where TEnum : struct, Enum
    {
        if (Scalars.Classify(scalar) == ScalarType.String && YamlEnum.TryParse<TEnum>(scalar.Value!, out var value))
        {
            return value;
        }

        context.Error(scalar, $"{what} must be one of {string.Join(", ", YamlEnum.Names(typeof(TEnum)))}; found {Scalars.Describe(scalar)}");
        return null;
    }

    public YamlSequenceNode? Sequence(string key)
    {
        if (Value(key) is not { } node)
        {
            return null;
        }

        if (node is YamlSequenceNode sequence)
        {
            return sequence;
        }

        Context.Error(node, $"'{key}' must be a list, found {Scalars.Describe(node)}");
        return null;
    }

    public YamlMappingNode? Mapping(string key)
    {
        if (Value(key) is not { } node)
        {
            return null;
        }

        if (node is YamlMappingNode mapping)
        {
            return mapping;
        }

        Context.Error(node, $"'{key}' must be a mapping (key: value), found {Scalars.Describe(node)}");
        return null;
    }

    public MappingReader? Child(string key, ObjectShape shape) => Mapping(key) is { } node ? Open(Context, node, shape) : null;

    private YamlScalarNode? Scalar(string key)
    {
        if (Value(key) is not { } node)
        {
            return null;
        }

        if (node is YamlScalarNode scalar)
        {
            if (Scalars.Classify(scalar) == ScalarType.Null)
            {
                Context.Error(scalar, $"'{key}' has no value");
                return null;
            }

            return scalar;
        }

        Context.Error(node, $"'{key}' must be a single value, found {Scalars.Describe(node)}");
        return null;
    }

    private static string UnknownKeyMessage(string name, ObjectShape shape)
    {
        var hint = Spelling.Closest(shape.Keys, name) is { } closest ? $"; did you mean '{closest}'?" : string.Empty;
        return $"unknown key '{name}' in {shape.Title}{hint} (allowed: {string.Join(", ", shape.Keys)})";
    }

    private static string RangeText(int min, int max) => (min, max) switch
    {
        (int.MinValue, int.MaxValue) => "a whole number",
        (_, int.MaxValue) => $"at least {min}",
        (int.MinValue, _) => $"at most {max}",
        _ => $"from {min} to {max}",
    };

    internal static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
