using Microsoft.Extensions.Time.Testing;
using Monitoring.Collectors.Mqtt.Client;
using Monitoring.Collectors.Mqtt.Protocol;
using Monitoring.Mqtt.Broker;

namespace Monitoring.Collectors.Mqtt.Tests.Broker;

/// <summary>
/// Password guessing and topic rules on the embedded broker (issue 15: 1,200 guesses in 5 s went through, any user
/// could publish and subscribe anywhere). Proven with mosquitto_pub / mosquitto_sub and with the project's own client;
/// the lock-out's end comes from a fake clock, not from waiting.
/// </summary>
public class BrokerAccessTests
{
    private const string V311 = "mqttv311";
    private const string V5 = "mqttv5";
    private const string Probe = "leak-probe";
    private const string ProbePassword = "wet-floor-7Q2x";
    private const string Monitor = "noc-monitor";
    private const string MonitorPassword = "watch-it-all-9Z";

    [Theory]
    [InlineData(V311, "not authorised")]
    [InlineData(V5, "not authorized")]
    public async Task Five_wrong_passwords_lock_the_user_name_out_the_right_one_too_until_the_lock_out_ends(string version, string lockedMessage)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await BrokerHarness.StartAsync(o => o.Users.Add(new MqttBrokerUser { Username = Probe, Password = ProbePassword }), clock);

        for (var i = 1; i <= 5; i++)
        {
            var wrong = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "guess-" + i, "-u", Probe, "-P", "guess-" + i, "-t", Probe + "/state", "-m", "1"));
            Assert.NotEqual(0, wrong.ExitCode);
            Assert.Contains("bad user name or password", wrong.Error, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(1, h.Broker.GetStats().Lockouts);

        // locked: the right password is refused, by mosquitto_pub and by our client alike
        var locked = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "owner", "-u", Probe, "-P", ProbePassword, "-t", Probe + "/state", "-m", "1"));
        Assert.NotEqual(0, locked.ExitCode);
        Assert.Contains(lockedMessage, locked.Error, StringComparison.OrdinalIgnoreCase);
        var refused = await Assert.ThrowsAsync<MqttConnectException>(() => ConnectAsync(h, Probe, ProbePassword, version == V5 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311));
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        Assert.Equal(2, h.Broker.GetStats().ConnectionsLockedOut);
        Assert.Equal(0, h.Broker.GetStats().MessagesIn);

        clock.Advance(TimeSpan.FromMinutes(14));
        var stillLocked = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "owner", "-u", Probe, "-P", ProbePassword, "-t", Probe + "/state", "-m", "1"));
        Assert.NotEqual(0, stillLocked.ExitCode);

        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var accepted = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "owner", "-u", Probe, "-P", ProbePassword, "-t", Probe + "/state", "-m", "1", "-q", "1"));
        Assert.True(accepted.ExitCode == 0, accepted.Error);
        await using var client = await ConnectAsync(h, Probe, ProbePassword, MqttProtocolVersion.V500);
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task A_burst_of_guesses_from_one_address_locks_the_address_out_for_every_name()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await BrokerHarness.StartAsync(o => o.Users.Add(new MqttBrokerUser { Username = Probe, Password = ProbePassword }), clock);
        Assert.Equal(20, new MqttBrokerOptions().AddressLockoutFailures);

        // 20 different made-up names: no single name reaches its limit, the address does
        var guesses = Enumerable.Range(1, 20).Select(async i =>
        {
            var error = await Assert.ThrowsAsync<MqttConnectException>(() => ConnectAsync(h, "spray-" + i, "password-" + i, MqttProtocolVersion.V500));
            return error.ReasonCode;
        });
        Assert.All(await Task.WhenAll(guesses), code => Assert.Equal(MqttReasonCode.BadUserNameOrPassword, code));
        Assert.Equal(1, h.Broker.GetStats().Lockouts);

        // a real user with the right password, from the same address: refused while the address is locked out
        var sub = await MosquittoTool.RunAsync("mosquitto_sub", h.Args(V5, "-i", "owner-sub", "-u", Probe, "-P", ProbePassword, "-t", Probe + "/#", "-W", "5"));
        Assert.NotEqual(0, sub.ExitCode);
        Assert.Contains("not authorized", sub.Error, StringComparison.OrdinalIgnoreCase);
        var refused = await Assert.ThrowsAsync<MqttConnectException>(() => ConnectAsync(h, Probe, ProbePassword, MqttProtocolVersion.V311));
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);

        clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        await using var client = await ConnectAsync(h, Probe, ProbePassword, MqttProtocolVersion.V311);
        Assert.True(client.IsConnected);
    }

    [Theory]
    [InlineData(V311)]
    [InlineData(V5)]
    public async Task A_probe_user_publishes_only_under_its_prefix_and_subscribes_to_nothing_with_mosquitto_clients(string version)
    {
        await using var h = await BrokerHarness.StartAsync(o =>
        {
            o.Users.Add(new MqttBrokerUser { Username = Probe, Password = ProbePassword, Publish = ["site/demo/probe/leak-1/#"] });
            o.Users.Add(new MqttBrokerUser { Username = Monitor, Password = MonitorPassword, Subscribe = ["site/#"] });
        });

        // the probe may not subscribe at all
        var probeSub = await MosquittoTool.RunAsync("mosquitto_sub", h.Args(version, "-i", "probe-sub", "-u", Probe, "-P", ProbePassword, "-t", "site/#", "-W", "3"));
        Assert.Contains("denied", probeSub.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, h.Broker.GetStats().Subscriptions);
        Assert.Equal(1, h.Broker.GetStats().SubscriptionsDenied);

        // the monitor may subscribe within site/#, and gets only what the probe may publish
        using var monitor = MosquittoTool.Start("mosquitto_sub", h.Args(version, "-i", "monitor-sub", "-u", Monitor, "-P", MonitorPassword, "-t", "site/#", "-v", "-C", "1", "-W", "15"));
        await h.WaitForAsync(s => s.Subscriptions == 1, "the monitor's subscription");
        var outside = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "probe-pub", "-u", Probe, "-P", ProbePassword, "-t", "site/demo/probe/door-1/state", "-m", "forged", "-q", "1"));
        Assert.Equal(1, h.Broker.GetStats().PublishesDenied);
        if (version == V5)
        {
            Assert.Contains("not authorized", outside.Error, StringComparison.OrdinalIgnoreCase);
        }

        var inside = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "probe-pub", "-u", Probe, "-P", ProbePassword, "-t", "site/demo/probe/leak-1/state", "-m", "wet", "-q", "1"));
        Assert.True(inside.ExitCode == 0, inside.Error);
        await monitor.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, monitor.ExitCode);
        Assert.Equal("site/demo/probe/leak-1/state wet", monitor.Output.Trim()); // the first message it got: the forged one never arrived
        Assert.Equal(1, h.Broker.GetStats().MessagesIn);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task The_projects_client_is_refused_outside_its_topics_and_by_default_may_publish_only_under_its_own_name(MqttProtocolVersion version)
    {
        await using var h = await BrokerHarness.StartAsync(o => o.Users.Add(new MqttBrokerUser { Username = Probe, Password = ProbePassword }));
        var delivered = new List<string>();
        using var local = h.Broker.SubscribeLocal("#", m =>
        {
            lock (delivered)
            {
                delivered.Add(m.Topic);
            }
        });

        await using var client = await ConnectAsync(h, Probe, ProbePassword, version);
        var subscribed = await client.SubscribeAsync("#", MqttQualityOfService.AtLeastOnce);
        Assert.True((int)subscribed[0] >= 0x80, $"subscribe answered {subscribed[0]}");
        var own = await client.PublishAsync(Probe + "/state", "wet"u8.ToArray(), MqttQualityOfService.AtLeastOnce);
        Assert.Equal(MqttReasonCode.Success, own);
        var foreign = await client.PublishAsync("site/demo/probe/door-1/state", "forged"u8.ToArray(), MqttQualityOfService.AtLeastOnce);
        var foreignQos2 = await client.PublishAsync("site/demo/probe/door-1/state", "forged"u8.ToArray(), MqttQualityOfService.ExactlyOnce);
        Assert.Equal(version == MqttProtocolVersion.V500 ? MqttReasonCode.NotAuthorized : MqttReasonCode.Success, foreign);
        Assert.Equal(version == MqttProtocolVersion.V500 ? MqttReasonCode.NotAuthorized : MqttReasonCode.Success, foreignQos2);
        var after = await client.PublishAsync(Probe + "/state", "dry"u8.ToArray(), MqttQualityOfService.ExactlyOnce);
        Assert.Equal(MqttReasonCode.Success, after);

        lock (delivered)
        {
            Assert.Equal([Probe + "/state", Probe + "/state"], delivered);
        }

        var stats = h.Broker.GetStats();
        Assert.Equal(2, stats.PublishesDenied);
        Assert.Equal(1, stats.SubscriptionsDenied);

        // a will outside the user's topics is refused at CONNECT
        var will = new MqttWill { Topic = "site/demo/probe/door-1/status", Payload = "offline"u8.ToArray() };
        var refused = await Assert.ThrowsAsync<MqttConnectException>(() => ConnectAsync(h, Probe, ProbePassword, version, will));
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
    }

    [Theory]
    [InlineData("site/a/#", "site/a/+/state", true)]
    [InlineData("site/a/#", "site/a", true)]
    [InlineData("site/a/#", "site/#", false)]
    [InlineData("site/+/state", "site/x/state", true)]
    [InlineData("site/+/state", "site/+/state", true)]
    [InlineData("site/x/state", "site/+/state", false)]
    [InlineData("site/+/state", "site/x/#", false)]
    [InlineData("#", "anything/#", true)]
    [InlineData("site/a", "site/a/b", false)]
    public void A_subscribe_filter_is_allowed_only_when_an_allowed_filter_covers_every_topic_it_matches(string allowed, string requested, bool covered) =>
        Assert.Equal(covered, TopicAcl.Covers(allowed, requested));

    [Fact]
    public void A_user_filter_that_is_not_a_valid_topic_filter_is_a_configuration_error_naming_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new UserAuthenticator(new MqttBrokerOptions { Users = [new MqttBrokerUser { Username = "p", Password = "x", Publish = ["site/#/state"] }] }));
        Assert.Contains("site/#/state", error.Message, StringComparison.Ordinal);
        Assert.Contains("'p'", error.Message, StringComparison.Ordinal);
    }

    private static async Task<MqttClient> ConnectAsync(BrokerHarness h, string user, string password, MqttProtocolVersion version, MqttWill? will = null)
    {
        var client = new MqttClient(new MqttClientOptions
        {
            Port = h.Broker.LocalEndPoint!.Port,
            ProtocolVersion = version,
            ClientId = "c-" + Guid.NewGuid().ToString("N")[..12],
            UserName = user,
            Password = password,
            AutoReconnect = false,
            Will = will,
        });
        try
        {
            await client.ConnectAsync(CancellationToken.None);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }
}
