using System.Text;

namespace Monitoring.Collectors.Mqtt.Tests.Broker;

/// <summary>mosquitto's own mosquitto_pub and mosquitto_sub, 3.1.1 and 5.0, against the embedded broker.</summary>
public class MosquittoClientsTests
{
    private const string V311 = "mqttv311";
    private const string V5 = "mqttv5";

    [Theory]
    [InlineData(V311)]
    [InlineData(V5)]
    public async Task Wildcards_plus_and_hash_select_the_matching_topics(string version)
    {
        await using var h = await BrokerHarness.StartAsync(o => o.AllowAnonymous = true);
        using var plus = MosquittoTool.Start("mosquitto_sub", h.Args(version, "-t", "site/+/probe/+/state", "-v", "-C", "2", "-W", "15"));
        using var hash = MosquittoTool.Start("mosquitto_sub", h.Args(version, "-t", "site/#", "-v", "-C", "3", "-W", "15"));
        await h.WaitForAsync(s => s.Subscriptions == 2, "two subscriptions");

        foreach (var (topic, payload) in new[] { ("site/r1/probe/leak1/state", "dry"), ("site/r2/probe/door1/state", "open"), ("site/r1/probe/leak1/battery", "97"), ("other/r1/probe/x/state", "no") })
        {
            var pub = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-t", topic, "-m", payload));
            Assert.Equal(0, pub.ExitCode);
        }

        await plus.WaitAsync(TimeSpan.FromSeconds(15));
        await hash.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(["site/r1/probe/leak1/state dry", "site/r2/probe/door1/state open"], Lines(plus.Output));
        Assert.Equal(["site/r1/probe/leak1/state dry", "site/r2/probe/door1/state open", "site/r1/probe/leak1/battery 97"], Lines(hash.Output));
    }

    [Theory]
    [InlineData(V311)]
    [InlineData(V5)]
    public async Task A_retained_message_reaches_a_later_subscriber_until_an_empty_one_clears_it(string version)
    {
        await using var h = await BrokerHarness.StartAsync(o => o.AllowAnonymous = true);
        Assert.Equal(0, (await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-t", "room/door1", "-m", "closed", "-r", "-q", "1"))).ExitCode);
        Assert.Equal(0, (await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-t", "room/door1", "-m", "open", "-r", "-q", "1"))).ExitCode);
        Assert.Equal(1, h.Broker.GetStats().RetainedMessages);

        var later = await MosquittoTool.RunAsync("mosquitto_sub", h.Args(version, "-t", "room/+", "-v", "-C", "1", "-W", "10", "-F", "%r %t %p"));
        Assert.Equal(0, later.ExitCode);
        Assert.Equal(["1 room/door1 open"], Lines(later.Output)); // replaced, and flagged retained

        Assert.Equal(0, (await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-t", "room/door1", "-n", "-r"))).ExitCode);
        Assert.Equal(0, h.Broker.GetStats().RetainedMessages);
        var afterClear = await MosquittoTool.RunAsync("mosquitto_sub", h.Args(version, "-t", "room/+", "-v", "-W", "1"));
        Assert.Equal("", afterClear.Output.Trim());
    }

    [Theory]
    [InlineData(V311)]
    [InlineData(V5)]
    public async Task The_will_is_published_when_a_client_dies_without_disconnect_and_not_when_it_disconnects(string version)
    {
        await using var h = await BrokerHarness.StartAsync(o => o.AllowAnonymous = true);
        var wills = new List<string>();
        using var local = h.Broker.SubscribeLocal("probes/+/status", m =>
        {
            lock (wills)
            {
                wills.Add(m.Topic + " " + Encoding.UTF8.GetString(m.Payload.Span));
            }
        });

        // a clean exit: mosquitto_sub -C 1 disconnects with DISCONNECT after one message, so no will
        using (var polite = MosquittoTool.Start("mosquitto_sub", h.Args(version, "-i", "polite", "-t", "ping", "-C", "1", "--will-topic", "probes/polite/status", "--will-payload", "offline")))
        {
            await h.WaitForAsync(s => s.Subscriptions == 2, "the polite subscriber");
            await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-t", "ping", "-m", "x"));
            await polite.WaitAsync(TimeSpan.FromSeconds(10));
        }

        await h.WaitForAsync(s => s.ConnectedClients == 0 && s.Subscriptions == 1, "the polite subscriber to leave");

        using (var dying = MosquittoTool.Start("mosquitto_sub", h.Args(version, "-i", "leak-probe", "-t", "cmd", "--will-topic", "probes/leak-probe/status", "--will-payload", "offline", "--will-qos", "1")))
        {
            await h.WaitForAsync(s => s.Subscriptions == 2 && s.ConnectedClients == 1, "the dying subscriber");
            dying.Kill();
        }

        await h.WaitForAsync(s => s.WillsPublished == 1 && s.ConnectedClients == 0, "the will");
        lock (wills)
        {
            Assert.Equal(["probes/leak-probe/status offline"], wills);
        }
    }

    [Theory]
    [InlineData(V311)]
    [InlineData(V5)]
    public async Task Qos1_and_qos2_messages_are_delivered_once_each(string version)
    {
        await using var h = await BrokerHarness.StartAsync(o => o.AllowAnonymous = true);
        using var sub = MosquittoTool.Start("mosquitto_sub", h.Args(version, "-t", "q/#", "-q", "2", "-v", "-C", "20", "-W", "20"));
        await h.WaitForAsync(s => s.Subscriptions == 1, "the subscriber");
        var pubs = new List<Task<MosquittoTool>>();
        for (var i = 0; i < 10; i++)
        {
            pubs.Add(MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-t", "q/1", "-m", $"one-{i}", "-q", "1")));
            pubs.Add(MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-t", "q/2", "-m", $"two-{i}", "-q", "2")));
        }

        foreach (var pub in pubs)
        {
            Assert.Equal(0, (await pub).ExitCode);
        }

        await sub.WaitAsync(TimeSpan.FromSeconds(20));
        var expected = Enumerable.Range(0, 10).SelectMany(i => new[] { $"q/1 one-{i}", $"q/2 two-{i}" }).Order();
        Assert.Equal(expected, Lines(sub.Output).Order());
    }

    [Theory]
    [InlineData(V311)]
    [InlineData(V5)]
    public async Task A_persistent_session_gets_the_qos1_messages_published_while_it_was_away(string version)
    {
        await using var h = await BrokerHarness.StartAsync(o => o.AllowAnonymous = true);
        string[] session = ["-i", "door-panel", "-c", "-q", "1", "-t", "door/#", "-v"];
        using (var first = MosquittoTool.Start("mosquitto_sub", h.Args(version, session)))
        {
            await h.WaitForAsync(s => s.Subscriptions == 1 && s.ConnectedClients == 1, "the first subscription");
            first.Kill();
        }

        await h.WaitForAsync(s => s.ConnectedClients == 0, "the disconnect");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, (await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-t", $"door/{i}", "-m", $"while-away-{i}", "-q", "1"))).ExitCode);
        }

        Assert.Equal(3, h.Broker.GetStats().QueuedMessages);
        var back = await MosquittoTool.RunAsync("mosquitto_sub", h.Args(version, [.. session, "-C", "3", "-W", "10"]));
        Assert.Equal(["door/0 while-away-0", "door/1 while-away-1", "door/2 while-away-2"], Lines(back.Output));
        Assert.Equal(0, h.Broker.GetStats().QueuedMessages);
    }

    [Fact]
    public async Task The_queue_bound_of_an_absent_session_is_kept_and_its_drops_reported()
    {
        await using var h = await BrokerHarness.StartAsync(o =>
        {
            o.AllowAnonymous = true;
            o.MaxQueuedPerSession = 3;
        });
        string[] session = ["-i", "slow-panel", "-c", "-q", "1", "-t", "alarm", "-v"];
        using (var first = MosquittoTool.Start("mosquitto_sub", h.Args(V311, session)))
        {
            await h.WaitForAsync(s => s.Subscriptions == 1 && s.ConnectedClients == 1, "the subscription");
            first.Kill();
        }

        await h.WaitForAsync(s => s.ConnectedClients == 0, "the disconnect");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(0, (await MosquittoTool.RunAsync("mosquitto_pub", h.Args(V311, "-t", "alarm", "-m", $"a{i}", "-q", "1"))).ExitCode);
        }

        var stats = h.Broker.GetStats();
        Assert.Equal((3, 3, 2), (stats.QueueBoundPerSession, stats.QueuedMessages, stats.QueueDrops));
        var back = await MosquittoTool.RunAsync("mosquitto_sub", h.Args(V311, [.. session, "-C", "3", "-W", "10"]));
        Assert.Equal(["alarm a0", "alarm a1", "alarm a2"], Lines(back.Output));
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
