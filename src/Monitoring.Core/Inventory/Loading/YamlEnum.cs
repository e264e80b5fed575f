namespace Monitoring.Core.Inventory.Loading;

/// <summary>Enum values as written in the YAML files: the member name in camelCase ("patchPanel", "sfpPlus").</summary>
internal static class YamlEnum
{
    public static IReadOnlyList<string> Names(Type enumType) =>
        [.. Enum.GetNames(enumType).Select(ToCamelCase)];

    public static bool TryParse<TEnum>(string text, out TEnum value)
        where TEnum : struct, Enum
    {
        foreach (var member in Enum.GetValues<TEnum>())
        {
            if (string.Equals(ToCamelCase(member.ToString()), text, StringComparison.Ordinal))
            {
                value = member;
                return true;
            }
        }

        value = default;
        return false;
    }

    public static string ToCamelCase(string name) =>
        name.Length == 0 ? name : string.Concat(char.ToLowerInvariant(name[0]).ToString(), name.AsSpan(1));
}
