using System.Text;

namespace Monitoring.Core.Alarms;

/// <summary>Gives the text for one placeholder name, or null when the name is not a placeholder.</summary>
public delegate string? PlaceholderValue(ReadOnlySpan<char> name);

/// <summary>
/// Fills <c>{name}</c> placeholders: rule messages, webhook bodies. A brace that does not open a known placeholder is
/// kept as written and the scan goes on from the next character, so a JSON template (<c>{"text":"{message}"}</c>)
/// keeps its own braces and still has its placeholders filled.
/// </summary>
public static class PlaceholderTemplate
{
    public static string Render(string template, PlaceholderValue values, Func<string, string>? encode = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        var builder = new StringBuilder(template.Length + 64);
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            var close = open < 0 ? -1 : template.IndexOf('}', open + 1);
            if (close < 0)
            {
                builder.Append(template, i, template.Length - i);
                break;
            }

            builder.Append(template, i, open - i);
            if (values(template.AsSpan(open + 1, close - open - 1)) is { } value)
            {
                builder.Append(encode is null ? value : encode(value));
                i = close + 1;
            }
            else
            {
                builder.Append('{');
                i = open + 1;
            }
        }

        return builder.ToString();
    }
}
