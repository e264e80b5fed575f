namespace Monitoring.Collectors.Mqtt.Protocol;

/// <summary>
/// Topic names, topic filters and matching (3.1.1 section 4.7, 5.0 section 4.7 and 4.8.2 for shared subscriptions).
/// </summary>
public static class MqttTopic
{
    public const string SharePrefix = "$share/";

    /// <summary>A topic name a PUBLISH may carry: at least one character, no wildcard, no U+0000, at most 65,535 bytes.</summary>
    public static bool IsValidTopicName(string? topic) =>
        !string.IsNullOrEmpty(topic) && topic.AsSpan().IndexOfAny('+', '#') < 0 && MqttUtf8.IsValid(topic);

    /// <summary>
    /// A topic filter: levels split by '/', '+' only as a whole level, '#' only as the whole last level. A
    /// <c>$share/{name}/{filter}</c> filter is valid when its share name and inner filter are.
    /// </summary>
    public static bool IsValidTopicFilter(string? filter)
    {
        if (string.IsNullOrEmpty(filter) || !MqttUtf8.IsValid(filter))
        {
            return false;
        }

        if (filter.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            return TryParseShared(filter, out _, out _);
        }

        return IsValidPlainFilter(filter);
    }

    /// <summary>
    /// Splits <c>$share/{ShareName}/{filter}</c>. False when <paramref name="filter"/> is not a shared subscription or is
    /// not a valid one (empty share name, share name with '/', '+' or '#', invalid inner filter).
    /// </summary>
    public static bool TryParseShared(string filter, out string shareName, out string topicFilter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        shareName = string.Empty;
        topicFilter = string.Empty;
        if (!filter.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = filter.AsSpan(SharePrefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0)
        {
            return false;
        }

        var name = rest[..slash];
        var inner = rest[(slash + 1)..];
        if (name.IndexOfAny('+', '#') >= 0 || inner.IsEmpty || !IsValidPlainFilter(inner))
        {
            return false;
        }

        shareName = name.ToString();
        topicFilter = inner.ToString();
        return true;
    }

    /// <summary>True when the filter holds a '+' or '#'.</summary>
    public static bool HasWildcard(ReadOnlySpan<char> filter) => filter.IndexOfAny('+', '#') >= 0;

    /// <summary>
    /// True when <paramref name="topic"/> matches <paramref name="filter"/>. Topics starting with '$' are not matched by a
    /// filter starting with a wildcard. Both are assumed valid; a shared filter must be unwrapped first.
    /// </summary>
    public static bool Matches(ReadOnlySpan<char> filter, ReadOnlySpan<char> topic)
    {
        if (!topic.IsEmpty && topic[0] == '$' && !filter.IsEmpty && filter[0] is '+' or '#')
        {
            return false;
        }

        while (true)
        {
            var fSlash = filter.IndexOf('/');
            var fLevel = fSlash < 0 ? filter : filter[..fSlash];
            if (fLevel is "#")
            {
                return true;
            }

            var tSlash = topic.IndexOf('/');
            var tLevel = tSlash < 0 ? topic : topic[..tSlash];
            if (!(fLevel is "+" || fLevel.SequenceEqual(tLevel)))
            {
                return false;
            }

            if (fSlash < 0 || tSlash < 0)
            {
                if (fSlash < 0 && tSlash < 0)
                {
                    return true;
                }

                // "a/#" also matches "a": the filter has one more level and it is '#'.
                return tSlash < 0 && filter[(fSlash + 1)..] is "#";
            }

            filter = filter[(fSlash + 1)..];
            topic = topic[(tSlash + 1)..];
        }
    }

    private static bool IsValidPlainFilter(ReadOnlySpan<char> filter)
    {
        if (filter.IsEmpty)
        {
            return false;
        }

        while (true)
        {
            var slash = filter.IndexOf('/');
            var level = slash < 0 ? filter : filter[..slash];
            if (level.IndexOfAny('+', '#') >= 0)
            {
                if (level.Length != 1)
                {
                    return false;
                }

                if (level[0] == '#' && slash >= 0)
                {
                    return false;
                }
            }

            if (slash < 0)
            {
                return true;
            }

            filter = filter[(slash + 1)..];
        }
    }
}
