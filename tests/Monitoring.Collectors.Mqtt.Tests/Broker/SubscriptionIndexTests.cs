using Monitoring.Mqtt.Broker;

namespace Monitoring.Collectors.Mqtt.Tests.Broker;

public class SubscriptionIndexTests
{
    private sealed class Sink(string id, bool online = true) : BrokerSubscriber(id)
    {
        public override bool IsOnline => online;

        public override void Deliver(BrokerMessage message, byte qos, bool retain, IReadOnlyList<uint>? subscriptionIds)
        {
        }
    }

    [Fact]
    public void The_tree_agrees_with_the_filter_matcher_on_every_pair()
    {
        string[] filters = ["#", "+", "a", "a/#", "a/+", "a/+/c", "+/b/#", "a/b/c", "/", "/+", "+/+", "$SYS/#", "$SYS/+/x", "+/x", "a//c", "a/+/+/#"];
        string[] topics = ["a", "a/b", "a/b/c", "a/b/c/d", "/", "/x", "x/x", "$SYS/a/x", "$SYS", "a//c", "b/b/b", "a/x/c"];
        using var index = new SubscriptionIndex();
        var sinks = filters.Select((f, i) => new Sink($"c{i}")).ToArray();
        for (var i = 0; i < filters.Length; i++)
        {
            Assert.True(index.Add(new Subscription(sinks[i], filters[i], 1)));
        }

        Assert.Equal(filters.Length, index.Count);
        var output = new List<Delivery>();
        foreach (var topic in topics)
        {
            output.Clear();
            index.Match(topic, null, output);
            var got = output.Select(d => d.Subscriber.Id).Order().ToArray();
            var expected = filters.Select((f, i) => (f, i)).Where(p => TopicRules.Matches(p.f, topic)).Select(p => $"c{p.i}").Order().ToArray();
            Assert.Equal(expected, got);
        }
    }

    [Fact]
    public void Overlapping_subscriptions_of_one_client_give_one_delivery_at_the_highest_qos_with_every_identifier()
    {
        using var index = new SubscriptionIndex();
        var sink = new Sink("c");
        index.Add(new Subscription(sink, "a/+", 0) { SubscriptionId = 7 });
        index.Add(new Subscription(sink, "a/#", 2) { SubscriptionId = 9 });
        index.Add(new Subscription(sink, "a/b", 1));
        var output = new List<Delivery>();
        index.Match("a/b", null, output);
        var delivery = Assert.Single(output);
        Assert.Equal(2, delivery.QoS);
        Assert.Equal([7u, 9u], delivery.SubscriptionIds!.Order());
    }

    [Fact]
    public void No_local_skips_the_publishers_own_subscription()
    {
        using var index = new SubscriptionIndex();
        index.Add(new Subscription(new Sink("me"), "t", 1) { NoLocal = true });
        index.Add(new Subscription(new Sink("other"), "t", 1) { NoLocal = true });
        var output = new List<Delivery>();
        index.Match("t", "me", output);
        Assert.Equal("other", Assert.Single(output).Subscriber.Id);
    }

    [Fact]
    public void A_shared_group_delivers_each_message_to_one_member_in_turn_preferring_online_ones()
    {
        using var index = new SubscriptionIndex();
        var a = new Sink("a");
        var b = new Sink("b");
        var c = new Sink("c");
        var away = new Sink("away", online: false);
        foreach (var sink in new[] { a, b, c, away })
        {
            index.Add(new Subscription(sink, "$share/g/probe/+", 1));
        }

        index.Add(new Subscription(new Sink("plain"), "probe/#", 1));
        var counts = new Dictionary<string, int>();
        var output = new List<Delivery>();
        for (var i = 0; i < 300; i++)
        {
            output.Clear();
            index.Match("probe/1", null, output);
            Assert.Equal(2, output.Count); // the plain subscriber and one member of the group
            foreach (var d in output)
            {
                counts[d.Subscriber.Id] = counts.GetValueOrDefault(d.Subscriber.Id) + 1;
            }
        }

        Assert.Equal(300, counts["plain"]);
        Assert.False(counts.ContainsKey("away"));
        Assert.Equal(300, counts["a"] + counts["b"] + counts["c"]);
        Assert.All(new[] { counts["a"], counts["b"], counts["c"] }, n => Assert.InRange(n, 75, 125));
    }

    [Fact]
    public void Removing_subscriptions_stops_delivery_and_prunes_the_tree()
    {
        using var index = new SubscriptionIndex();
        var sink = new Sink("c");
        index.Add(new Subscription(sink, "site/1/probe/7", 1));
        index.Add(new Subscription(sink, "$share/g/site/+", 1));
        Assert.True(index.Remove(sink, "site/1/probe/7"));
        Assert.True(index.Remove(sink, "$share/g/site/+"));
        Assert.False(index.Remove(sink, "site/1/probe/7"));
        Assert.Equal(0, index.Count);
        var output = new List<Delivery>();
        index.Match("site/1/probe/7", null, output);
        index.Match("site/1", null, output);
        Assert.Empty(output);
    }
}
