namespace Monitoring.Mqtt.Broker;

/// <summary>
/// What one signed-in user may publish to and subscribe to: topic filters from <see cref="MqttBrokerUser.Publish"/> and
/// <see cref="MqttBrokerUser.Subscribe"/>, <c>{user}</c> standing for the user name. A user with no publish filters
/// may publish only under its own prefix (<c>{user}/#</c>); one with no subscribe filters may subscribe to nothing.
/// </summary>
internal sealed class TopicAcl
{
    public const string UserPlaceholder = "{user}";

    private readonly string[] _publish;
    private readonly string[] _subscribe;

    private TopicAcl(string[] publish, string[] subscribe)
    {
        _publish = publish;
        _subscribe = subscribe;
    }

    public IReadOnlyList<string> PublishFilters => _publish;

    public IReadOnlyList<string> SubscribeFilters => _subscribe;

    /// <summary>The rules of a configured user; throws naming the user and the filter when one is not a valid topic filter.</summary>
    public static TopicAcl For(MqttBrokerUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        IEnumerable<string> publish = user.Publish.Count == 0 ? [UserPlaceholder + "/#"] : user.Publish;
        return new TopicAcl(Expand(user, publish, nameof(MqttBrokerUser.Publish)), Expand(user, user.Subscribe, nameof(MqttBrokerUser.Subscribe)));
    }

    /// <summary>True when some publish filter matches <paramref name="topic"/> (a valid topic name).</summary>
    public bool MayPublish(string topic)
    {
        foreach (var filter in _publish)
        {
            if (TopicRules.Matches(filter, topic))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when some subscribe filter covers every topic <paramref name="filter"/> can match (the inner filter of a
    /// shared subscription); "site/a/#" covers "site/a/+/state" but not "site/#".
    /// </summary>
    public bool MaySubscribe(string filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        _ = TopicRules.TrySplitShared(filter, out _, out var inner);
        foreach (var allowed in _subscribe)
        {
            if (Covers(allowed, inner))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether every topic matched by <paramref name="requested"/> is matched by <paramref name="allowed"/> (both valid filters).</summary>
    internal static bool Covers(ReadOnlySpan<char> allowed, ReadOnlySpan<char> requested)
    {
        // a filter starting with a wildcard does not match '$' topics; one starting with '$' is covered only literally
        while (true)
        {
            var aSlash = allowed.IndexOf('/');
            var aLevel = aSlash < 0 ? allowed : allowed[..aSlash];
            if (aLevel is "#")
            {
                return true;
            }

            var rSlash = requested.IndexOf('/');
            var rLevel = rSlash < 0 ? requested : requested[..rSlash];
            if (rLevel is "#")
            {
                return false; // only '#' covers '#'
            }

            if (!(aLevel is "+") && (rLevel is "+" || !aLevel.SequenceEqual(rLevel)))
            {
                return false;
            }

            if (aSlash < 0 || rSlash < 0)
            {
                // both end together, or "a/#" covers "a"
                return (aSlash < 0 && rSlash < 0) || (rSlash < 0 && allowed[(aSlash + 1)..] is "#");
            }

            allowed = allowed[(aSlash + 1)..];
            requested = requested[(rSlash + 1)..];
        }
    }

    private static string[] Expand(MqttBrokerUser user, IEnumerable<string> filters, string setting)
    {
        var expanded = new List<string>();
        foreach (var filter in filters)
        {
            var text = filter.Replace(UserPlaceholder, user.Username, StringComparison.Ordinal);
            if (!TopicRules.IsValidFilter(text) || text.StartsWith(TopicRules.SharePrefix, StringComparison.Ordinal)
                || (filter.Contains(UserPlaceholder, StringComparison.Ordinal) && user.Username.AsSpan().IndexOfAny('+', '#') >= 0))
            {
                throw new InvalidOperationException(
                    $"Mqtt broker: user '{user.Username}': {setting} filter '{filter}' is not a valid MQTT topic filter" +
                    " (a '{user}' filter needs a user name without '+' or '#')");
            }

            expanded.Add(text);
        }

        return [.. expanded];
    }
}
