namespace Monitoring.Mqtt.Broker;

/// <summary>Topic name and topic filter rules of MQTT 3.1.1 section 4.7 / 5.0 section 4.7.</summary>
public static class TopicRules
{
    public const string SharePrefix = "$share/";

    /// <summary>A topic name a client may publish to: not empty, no wildcards, no NUL.</summary>
    public static bool IsValidTopicName(ReadOnlySpan<char> topic) =>
        topic.Length > 0 && topic.IndexOfAny('+', '#', '\0') < 0;

    /// <summary>
    /// A topic filter: not empty; '+' only as a whole level; '#' only as the whole last level. For a shared
    /// subscription (<c>$share/group/filter</c>) the group must be non-empty, without wildcards, and the filter valid.
    /// </summary>
    public static bool IsValidFilter(ReadOnlySpan<char> filter)
    {
        if (filter.Length == 0 || filter.Contains('\0'))
        {
            return false;
        }

        if (filter.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            var rest = filter[SharePrefix.Length..];
            var slash = rest.IndexOf('/');
            if (slash <= 0 || rest[..slash].IndexOfAny('+', '#') >= 0)
            {
                return false;
            }

            filter = rest[(slash + 1)..];
            if (filter.Length == 0)
            {
                return false;
            }
        }

        for (var i = 0; i < filter.Length; i++)
        {
            var c = filter[i];
            if (c == '+')
            {
                if ((i > 0 && filter[i - 1] != '/') || (i + 1 < filter.Length && filter[i + 1] != '/'))
                {
                    return false;
                }
            }
            else if (c == '#')
            {
                if ((i > 0 && filter[i - 1] != '/') || i != filter.Length - 1)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Splits <c>$share/group/filter</c>; false for a plain filter.</summary>
    public static bool TrySplitShared(string filter, out string group, out string innerFilter)
    {
        if (filter.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            var slash = filter.IndexOf('/', SharePrefix.Length);
            if (slash > SharePrefix.Length)
            {
                group = filter[SharePrefix.Length..slash];
                innerFilter = filter[(slash + 1)..];
                return true;
            }
        }

        group = "";
        innerFilter = filter;
        return false;
    }

    /// <summary>
    /// Whether a (valid, non-shared) filter matches a topic name. Topics starting with '$' are not matched by a
    /// filter whose first level is a wildcard.
    /// </summary>
    public static bool Matches(ReadOnlySpan<char> filter, ReadOnlySpan<char> topic)
    {
        if (topic.Length > 0 && topic[0] == '$' && filter.Length > 0 && (filter[0] == '+' || filter[0] == '#'))
        {
            return false;
        }

        while (true)
        {
            var fSlash = filter.IndexOf('/');
            var fLevel = fSlash < 0 ? filter : filter[..fSlash];
            if (fLevel.Length == 1 && fLevel[0] == '#')
            {
                return true;
            }

            var tSlash = topic.IndexOf('/');
            var tLevel = tSlash < 0 ? topic : topic[..tSlash];
            if (!(fLevel.Length == 1 && fLevel[0] == '+') && !fLevel.SequenceEqual(tLevel))
            {
                return false;
            }

            if (fSlash < 0 || tSlash < 0)
            {
                // both must end together, except "a/#" also matches "a"
                return (fSlash < 0 && tSlash < 0) || (tSlash < 0 && filter[(fSlash + 1)..] is "#");
            }

            filter = filter[(fSlash + 1)..];
            topic = topic[(tSlash + 1)..];
        }
    }
}
