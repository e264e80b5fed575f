using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Collectors.Mqtt.Client;
using Monitoring.Collectors.Mqtt.Hosting;
using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Server.Tests.Mqtt;

/// <summary>Two server nodes subscribed to one real mosquitto with the shared group "monitoring" (embedded brokers off by default).</summary>
public sealed class SharedSubscriptionFixture : IAsyncLifetime
{
    public MosquittoPeer Mosquitto { get; private set; } = null!;

    public IReadOnlyList<WebApplication> Nodes { get; private set; } = [];

    private readonly List<string> _directories = [];

    public async Task InitializeAsync()
    {
        Mosquitto = await MosquittoPeer.StartAsync();
        var nodes = new List<WebApplication>();
        foreach (var name in new[] { "a", "b" })
        {
            var directory = Directory.CreateTempSubdirectory($"monitoring-mqtt-share-{name}-").FullName;
            _directories.Add(directory);
            var app = ServerHost.Build([
                "--urls", "http://127.0.0.1:0", "--data", directory, "--simulator", "false",
                "--Monitoring:Mqtt:External:Url", $"mqtt://127.0.0.1:{Mosquitto.Port}",
                // one client id per node: mosquitto would otherwise hand one node's connection to the other
                "--Monitoring:Mqtt:External:ClientId", $"monitoring-test-node-{name}"]);
            await app.StartAsync();
            nodes.Add(app);
        }

        Nodes = nodes;
    }

    public async Task DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.StopAsync();
            await node.DisposeAsync();
        }

        await Mosquitto.DisposeAsync();
        foreach (var directory in _directories)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

public sealed class MqttSharedSubscriptionTests(SharedSubscriptionFixture cluster) : IClassFixture<SharedSubscriptionFixture>
{
    [Fact]
    public async Task Each_message_published_to_mosquitto_is_handled_by_exactly_one_of_two_nodes()
    {
        var collectors = cluster.Nodes.Select(node => node.Services.GetRequiredService<MqttCollector>()).ToList();
        await ServerFixture.EventuallyAsync(
            () => Task.FromResult(collectors.All(c => c.ExternalSubscribed && c.Collector is not null)),
            all => all,
            "both nodes to hold their shared subscription on mosquitto",
            timeoutMs: 30_000);
        var acceptedBefore = collectors.Select(c => c.Collector!.Stats().Accepted).ToList();
        var messagesBefore = collectors.Sum(c => c.ExternalMessages);

        const int count = 200;
        await using (var publisher = new MqttClient(new MqttClientOptions { Port = cluster.Mosquitto.Port, ClientId = "monitoring-test-publisher" }))
        {
            await publisher.ConnectAsync(CancellationToken.None);
            for (var i = 0; i < count; i++)
            {
                // distinct readings: door-1 open/closed in turn
                var payload = Encoding.UTF8.GetBytes(i % 2 == 0 ? """{"door":"open"}""" : """{"door":"closed"}""");
                var code = await publisher.PublishAsync("site/demo/probe/door-1/state", payload, MqttQualityOfService.AtLeastOnce);
                Assert.False(MqttReasonCodes.IsFailure(code), $"mosquitto refused message {i}: {code}");
            }
        }

        // each node acknowledges a message once its samples are in that node's pipeline: wait for all of them
        var handled = await ServerFixture.EventuallyAsync(
            () => Task.FromResult(collectors.Sum(c => c.ExternalMessages) - messagesBefore),
            n => n >= count,
            $"the two nodes to handle the {count} messages",
            timeoutMs: 30_000);
        Assert.Equal(count, handled); // more would be a message handled twice
        var perNode = collectors.Select((c, i) => c.Collector!.Stats().Accepted - acceptedBefore[i]).ToList();
        Assert.Equal(count, perNode.Sum());

        // the samples are in the pipeline of the node that took the message: a node that took any shows door-1's reading
        for (var i = 0; i < perNode.Count; i++)
        {
            if (perNode[i] > 0)
            {
                await LiveProbe.EventuallyAsync(cluster.Nodes[i].Services, "door-1", "probe.door", v => v is not null, $"node {i} to show door-1's reading");
            }
        }
    }
}
