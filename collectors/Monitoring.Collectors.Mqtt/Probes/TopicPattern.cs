using System.Text;

namespace Monitoring.Collectors.Mqtt.Probes;

/// <summary>
/// A topic pattern of a probe profile, such as <c>site/{room}/probe/{probe}/state</c>, compiled once: each level is
/// a literal (kept as UTF-8), a named capture (<c>{name}</c>, one whole level) or <c>+</c> (any one level, not
/// captured). Matching walks the UTF-8 topic once, with no regular expression and no allocation.
/// </summary>
public sealed class TopicPattern
{
    /// <summary>The most captures one pattern may have.</summary>
    public const int MaxCaptures = 8;

    private readonly Level[] _levels;

    private TopicPattern(string text, Level[] levels, string[] captureNames)
    {
        Text = text;
        _levels = levels;
        CaptureNames = captureNames;
        SubscriptionFilter = string.Join('/', levels.Select(l => l.Literal is null ? "+" : Encoding.UTF8.GetString(l.Literal)));
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>The MQTT topic filter that receives every topic the pattern can match (captures become <c>+</c>).</summary>
    public string SubscriptionFilter { get; }

    /// <summary>The names of the captures, in order of their level.</summary>
    public IReadOnlyList<string> CaptureNames { get; }

    /// <summary>Compiles a pattern; returns null and a reason when it is not a valid one.</summary>
    public static TopicPattern? TryCompile(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        if (text.Length == 0)
        {
            error = "a topic pattern cannot be empty";
            return null;
        }

        if (text.Length > 1024)
        {
            error = "a topic pattern is at most 1024 characters";
            return null;
        }

        if (text[0] == '$')
        {
            error = "topics starting with '$' are the broker's own; a probe cannot publish there";
            return null;
        }

        var parts = text.Split('/');
        var levels = new Level[parts.Length];
        var names = new List<string>();
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part.Length >= 2 && part[0] == '{' && part[^1] == '}')
            {
                var name = part[1..^1];
                if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                {
                    error = $"capture '{part}' must be a name of letters, digits and '_' in braces";
                    return null;
                }

                if (names.Contains(name, StringComparer.Ordinal))
                {
                    error = $"capture '{{{name}}}' appears twice";
                    return null;
                }

                if (names.Count == MaxCaptures)
                {
                    error = $"a pattern has at most {MaxCaptures} captures";
                    return null;
                }

                levels[i] = new Level(null, names.Count);
                names.Add(name);
                continue;
            }

            if (part == "+")
            {
                levels[i] = new Level(null, -1);
                continue;
            }

            if (part.Contains('+', StringComparison.Ordinal) || part.Contains('#', StringComparison.Ordinal))
            {
                error = part == "#"
                    ? "'#' is not allowed: a pattern names every level (use '+' or a {capture} for one level)"
                    : $"level '{part}' mixes a wildcard with text; '+' must be a whole level";
                return null;
            }

            if (part.Contains('{', StringComparison.Ordinal) || part.Contains('}', StringComparison.Ordinal))
            {
                error = $"level '{part}': a capture must be a whole level, like {{name}}";
                return null;
            }

            if (part.Contains('\0', StringComparison.Ordinal))
            {
                error = "a topic cannot contain the null character";
                return null;
            }

            levels[i] = new Level(Encoding.UTF8.GetBytes(part), -1);
        }

        return new TopicPattern(text, levels, [.. names]);
    }

    /// <summary>The position of a capture by name, or -1.</summary>
    public int CaptureIndex(string name)
    {
        for (var i = 0; i < CaptureNames.Count; i++)
        {
            if (string.Equals(CaptureNames[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Matches a UTF-8 topic; on success <paramref name="captures"/> (at least <see cref="CaptureNames"/> long) holds
    /// where each capture's level lies in the topic. Captured levels are never empty.
    /// </summary>
    public bool TryMatch(ReadOnlySpan<byte> topic, Span<Range> captures)
    {
        var position = 0;
        for (var i = 0; i < _levels.Length; i++)
        {
            if (position > topic.Length)
            {
                return false;
            }

            var rest = topic[position..];
            var slash = rest.IndexOf((byte)'/');
            var last = i == _levels.Length - 1;
            if (last ? slash >= 0 : slash < 0)
            {
                return false;
            }

            var length = slash < 0 ? rest.Length : slash;
            var level = rest[..length];
            ref readonly var expected = ref _levels[i];
            if (expected.Literal is { } literal)
            {
                if (!level.SequenceEqual(literal))
                {
                    return false;
                }
            }
            else
            {
                if (length == 0)
                {
                    return false;
                }

                if (expected.Capture >= 0)
                {
                    captures[expected.Capture] = new Range(position, position + length);
                }
            }

            position += length + 1;
        }

        return true;
    }

    public override string ToString() => Text;

    private readonly record struct Level(byte[]? Literal, int Capture);
}
