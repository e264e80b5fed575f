namespace Monitoring.Mqtt.Broker;

/// <summary>
/// Topic tree of every subscription: a publish walks only the levels of its topic, with '+' and '#' branches.
/// Wildcards at the first level do not match topics that start with '$'. Shared subscriptions
/// (<c>$share/group/filter</c>) hang off the filter's node as groups; each matching group delivers to one member,
/// round robin, preferring members that are online. Reads (publishes) share a lock; writes take it alone.
/// </summary>
internal sealed class SubscriptionIndex : IDisposable
{
    private readonly Node _root = new();
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private int _count;

    [ThreadStatic]
    private static Dictionary<BrokerSubscriber, int>? t_seen;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Adds a subscription, replacing the subscriber's earlier one on the same filter. True when it is new.</summary>
    public bool Add(Subscription subscription)
    {
        _lock.EnterWriteLock();
        try
        {
            var node = _root;
            foreach (var level in subscription.TopicFilter.Split('/'))
            {
                node.Children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
                if (!node.Children.TryGetValue(level, out var child))
                {
                    child = new Node();
                    node.Children.Add(level, child);
                }

                node = child;
            }

            if (subscription.IsShared)
            {
                node.Shared ??= new Dictionary<string, SharedGroup>(StringComparer.Ordinal);
                if (!node.Shared.TryGetValue(subscription.ShareGroup, out var group))
                {
                    group = new SharedGroup();
                    node.Shared.Add(subscription.ShareGroup, group);
                }

                var at = group.Members.FindIndex(m => ReferenceEquals(m.Subscriber, subscription.Subscriber));
                if (at >= 0)
                {
                    group.Members[at] = subscription;
                    return false;
                }

                group.Members.Add(subscription);
                _count++;
                return true;
            }

            node.Subscribers ??= new Dictionary<BrokerSubscriber, Subscription>(ReferenceEqualityComparer.Instance);
            var isNew = !node.Subscribers.ContainsKey(subscription.Subscriber);
            node.Subscribers[subscription.Subscriber] = subscription;
            if (isNew)
            {
                _count++;
            }

            return isNew;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes the subscriber's subscription on a filter (as subscribed, with any $share prefix).</summary>
    public bool Remove(BrokerSubscriber subscriber, string filter)
    {
        var shared = TopicRules.TrySplitShared(filter, out var groupName, out var inner);
        var levels = inner.Split('/');
        _lock.EnterWriteLock();
        try
        {
            var path = new Node[levels.Length + 1];
            path[0] = _root;
            for (var i = 0; i < levels.Length; i++)
            {
                if (path[i].Children is not { } children || !children.TryGetValue(levels[i], out var child))
                {
                    return false;
                }

                path[i + 1] = child;
            }

            var node = path[^1];
            var removed = false;
            if (shared)
            {
                if (node.Shared is { } groups && groups.TryGetValue(groupName, out var group))
                {
                    removed = group.Members.RemoveAll(m => ReferenceEquals(m.Subscriber, subscriber)) > 0;
                    if (group.Members.Count == 0)
                    {
                        groups.Remove(groupName);
                    }

                    if (groups.Count == 0)
                    {
                        node.Shared = null;
                    }
                }
            }
            else if (node.Subscribers is { } subscribers)
            {
                removed = subscribers.Remove(subscriber);
                if (subscribers.Count == 0)
                {
                    node.Subscribers = null;
                }
            }

            if (removed)
            {
                _count--;
            }

            // prune empty branches so that topics with ids in them (probe/123) do not leave nodes behind
            for (var i = levels.Length; i > 0; i--)
            {
                if (!path[i].IsEmpty)
                {
                    break;
                }

                path[i - 1].Children!.Remove(levels[i - 1]);
                if (path[i - 1].Children!.Count == 0)
                {
                    path[i - 1].Children = null;
                }
            }

            return removed;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Every delivery for a message on <paramref name="topic"/>: one per subscriber for its plain subscriptions
    /// (highest QoS, all subscription identifiers), plus one per matching shared group.
    /// </summary>
    public void Match(string topic, string? publisherId, List<Delivery> output)
    {
        var seen = t_seen ??= new Dictionary<BrokerSubscriber, int>(ReferenceEqualityComparer.Instance);
        _lock.EnterReadLock();
        try
        {
            Walk(_root, topic, false, true, topic.Length > 0 && topic[0] == '$', publisherId, output, seen);
        }
        finally
        {
            _lock.ExitReadLock();
            if (seen.Count > 256)
            {
                t_seen = null; // do not keep a huge table alive on this thread
            }
            else
            {
                // emptied now, not at this thread's next match: a subscriber kept in a thread-pool thread's table
                // would keep its broker (an ended training session's host) alive
                seen.Clear();
            }
        }
    }

    private static void Walk(Node node, ReadOnlySpan<char> rest, bool atEnd, bool first, bool dollar, string? publisherId, List<Delivery> output, Dictionary<BrokerSubscriber, int> seen)
    {
        var children = node.Children;
        var wildcardsAllowed = !(first && dollar);
        if (children != null && wildcardsAllowed && children.TryGetValue("#", out var hash))
        {
            Collect(hash, publisherId, output, seen);
        }

        if (atEnd)
        {
            Collect(node, publisherId, output, seen);
            return;
        }

        if (children == null)
        {
            return;
        }

        var slash = rest.IndexOf('/');
        var level = slash < 0 ? rest : rest[..slash];
        var next = slash < 0 ? default : rest[(slash + 1)..];
        var nextAtEnd = slash < 0;
        if (children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(level, out var exact))
        {
            Walk(exact, next, nextAtEnd, false, dollar, publisherId, output, seen);
        }

        if (wildcardsAllowed && children.TryGetValue("+", out var plus))
        {
            Walk(plus, next, nextAtEnd, false, dollar, publisherId, output, seen);
        }
    }

    private static void Collect(Node node, string? publisherId, List<Delivery> output, Dictionary<BrokerSubscriber, int> seen)
    {
        if (node.Subscribers is { } subscribers)
        {
            foreach (var subscription in subscribers.Values)
            {
                if (subscription.NoLocal && publisherId != null && publisherId == subscription.Subscriber.Id)
                {
                    continue;
                }

                if (seen.TryGetValue(subscription.Subscriber, out var at))
                {
                    output[at] = output[at].Merge(subscription);
                }
                else
                {
                    seen.Add(subscription.Subscriber, output.Count);
                    output.Add(Delivery.From(subscription));
                }
            }
        }

        if (node.Shared is { } groups)
        {
            foreach (var group in groups.Values)
            {
                if (group.Pick() is { } member)
                {
                    output.Add(Delivery.From(member));
                }
            }
        }
    }

    public void Dispose() => _lock.Dispose();

    private sealed class Node
    {
        public Dictionary<string, Node>? Children;
        public Dictionary<BrokerSubscriber, Subscription>? Subscribers;
        public Dictionary<string, SharedGroup>? Shared;

        public bool IsEmpty => Children == null && Subscribers == null && Shared == null;
    }

    private sealed class SharedGroup
    {
        public readonly List<Subscription> Members = [];
        private int _next;

        public Subscription? Pick()
        {
            var members = Members;
            var count = members.Count;
            if (count == 0)
            {
                return null;
            }

            // the turn moves past members that are away, so the online ones share evenly
            for (var i = 0; i < count; i++)
            {
                var candidate = members[(int)((uint)Interlocked.Increment(ref _next) % (uint)count)];
                if (candidate.Subscriber.IsOnline)
                {
                    return candidate;
                }
            }

            return members[(int)((uint)Interlocked.Increment(ref _next) % (uint)count)];
        }
    }
}

/// <summary>One message to one subscriber: the QoS and options of its best matching subscription.</summary>
internal readonly struct Delivery
{
    private Delivery(BrokerSubscriber subscriber, byte qos, bool retainAsPublished, List<uint>? subscriptionIds)
    {
        Subscriber = subscriber;
        QoS = qos;
        RetainAsPublished = retainAsPublished;
        SubscriptionIds = subscriptionIds;
    }

    public BrokerSubscriber Subscriber { get; }

    public byte QoS { get; }

    public bool RetainAsPublished { get; }

    public List<uint>? SubscriptionIds { get; }

    public static Delivery From(Subscription s) =>
        new(s.Subscriber, s.QoS, s.RetainAsPublished, s.SubscriptionId != 0 ? [s.SubscriptionId] : null);

    public Delivery Merge(Subscription s)
    {
        var ids = SubscriptionIds;
        if (s.SubscriptionId != 0)
        {
            ids ??= [];
            ids.Add(s.SubscriptionId);
        }

        return new(Subscriber, Math.Max(QoS, s.QoS), RetainAsPublished || s.RetainAsPublished, ids);
    }
}
