using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Monitoring.Core.Inventory.Loading;

/// <summary>How a scalar resolves under the YAML 1.2 core schema, the way a schema-aware editor sees it.</summary>
internal enum ScalarType
{
    Null,
    Bool,
    Integer,
    Float,
    String,
}

internal static partial class Scalars
{
    public static bool IsNull(YamlNode node) => node is YamlScalarNode scalar && Classify(scalar) == ScalarType.Null;

    public static ScalarType Classify(YamlScalarNode scalar)
    {
        if (scalar.Style != ScalarStyle.Plain && scalar.Style != ScalarStyle.Any)
        {
            return ScalarType.String;
        }

        if (!scalar.Tag.IsEmpty)
        {
            return scalar.Tag.Value switch
            {
                "tag:yaml.org,2002:str" => ScalarType.String,
                "tag:yaml.org,2002:int" => ScalarType.Integer,
                "tag:yaml.org,2002:float" => ScalarType.Float,
                "tag:yaml.org,2002:bool" => ScalarType.Bool,
                "tag:yaml.org,2002:null" => ScalarType.Null,
                _ => ScalarType.String,
            };
        }

        var text = scalar.Value ?? string.Empty;
        return text switch
        {
            "" or "~" or "null" or "Null" or "NULL" => ScalarType.Null,
            "true" or "True" or "TRUE" or "false" or "False" or "FALSE" => ScalarType.Bool,
            _ when IntegerPattern().IsMatch(text) => ScalarType.Integer,
            _ when FloatPattern().IsMatch(text) => ScalarType.Float,
            _ => ScalarType.String,
        };
    }

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode scalar => Classify(scalar) switch
        {
            ScalarType.Null => "nothing",
            ScalarType.Bool => $"the boolean {scalar.Value}",
            ScalarType.Integer or ScalarType.Float => $"the number {scalar.Value}",
            _ => $"'{scalar.Value}'",
        },
        _ => "an alias",
    };

    public static bool TryInteger(YamlScalarNode scalar, out long value)
    {
        value = 0;
        return Classify(scalar) == ScalarType.Integer
            && long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryNumber(YamlScalarNode scalar, out double value)
    {
        value = 0;
        var type = Classify(scalar);
        return (type == ScalarType.Integer || type == ScalarType.Float)
            && double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
    }

    [GeneratedRegex("^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();
}
