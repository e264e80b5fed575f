using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Mqtt.Broker;

namespace Monitoring.Collectors.Mqtt.Tests.Broker;

#pragma warning disable CA1001 // the broker is disposed by IAsyncLifetime

/// <summary>Sessions, queues, wills and in-process routing, without sockets (the network tests use mosquitto's clients).</summary>
public sealed class BrokerCoreTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private MqttBroker _broker = null!;

    private MqttBrokerOptions Options { get; } = new() { Enabled = false, MaxQueuedPerSession = 5, MaxQueuedTotal = 8, MaxInflight = 2 };

    public Task InitializeAsync()
    {
        _broker = new MqttBroker(Options, NullLogger<MqttBroker>.Instance, _time);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private sealed class FakeOutbound : IBrokerOutbound
    {
        public List<(ushort PacketId, bool Dup, byte QoS, string Payload)> Published { get; } = [];

        public List<ushort> PubRels { get; } = [];

        public byte? Aborted { get; private set; }

        public int Qos0Room { get; set; } = int.MaxValue;

        public int ReceiveMaximum { get; init; } = 65535;

        public bool EnqueuePublish(BrokerMessage message, byte qos, bool retain, ushort packetId, bool dup, IReadOnlyList<uint>? subscriptionIds)
        {
            if (qos == 0 && Qos0Room-- <= 0)
            {
                return false;
            }

            Published.Add((packetId, dup, qos, Encoding.UTF8.GetString(message.Payload.Span)));
            return true;
        }

        public void EnqueuePubRel(ushort packetId) => PubRels.Add(packetId);

        public bool Abort(byte reasonCode)
        {
            var first = Aborted == null;
            Aborted ??= reasonCode;
            return first;
        }
    }

    private BrokerSession Connect(string clientId, FakeOutbound outbound, bool cleanStart = false, uint expiry = uint.MaxValue, params string[] filters)
    {
        _broker.OpenSession(clientId, cleanStart, expiry, outbound, out var session);
        foreach (var filter in filters)
        {
            _broker.Subscribe(session, new Subscription(session, filter, 2));
        }

        return session;
    }

    private void Publish(string topic, string payload, byte qos, bool retain = false, uint? expiry = null) =>
        _broker.PublishLocal(topic, Encoding.UTF8.GetBytes(payload), qos, retain, expiry is { } e ? new BrokerMessageProperties { MessageExpiryInterval = e } : null);

    [Fact]
    public void A_persistent_session_queues_qos1_while_away_up_to_its_bound_and_reports_the_drops()
    {
        var first = new FakeOutbound();
        var session = Connect("probe-1", first, filters: "room/#");
        _broker.CloseSession(session, first, null, 0);

        for (var i = 0; i < 7; i++)
        {
            Publish("room/leak", $"m{i}", 1);
        }

        Publish("room/leak", "qos0-not-kept", 0);
        var stats = _broker.GetStats();
        Assert.Equal(5, stats.QueuedMessages);
        Assert.Equal(5, stats.QueueBoundPerSession);
        Assert.Equal(2, stats.QueueDrops);
        Assert.Equal(1, stats.Sessions);

        var second = new FakeOutbound();
        Assert.True(_broker.OpenSession("probe-1", false, uint.MaxValue, second, out var again));
        Assert.Same(session, again);

        // only the in-flight window (2) goes out; each PUBACK lets the next one go
        Assert.Equal(["m0", "m1"], second.Published.Select(p => p.Payload));
        while (second.Published.Count < 5)
        {
            var count = second.Published.Count;
            Assert.True(again.OnPubAck(second.Published[count - 2].PacketId));
            Assert.True(second.Published.Count > count);
        }

        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], second.Published.Select(p => p.Payload));
        Assert.All(second.Published, p => Assert.Equal(1, p.QoS));
        Assert.Equal(0, _broker.GetStats().QueuedMessages);
    }

    [Fact]
    public void Unacknowledged_messages_are_sent_again_with_dup_on_reconnect_and_a_pubrel_for_those_received()
    {
        var first = new FakeOutbound();
        var session = Connect("c", first, filters: "t");
        Publish("t", "one", 2);
        Publish("t", "two", 1);
        Assert.Equal(2, first.Published.Count);
        Assert.True(session.OnPubRec(first.Published[0].PacketId));
        _broker.CloseSession(session, first, null, 0);

        var second = new FakeOutbound();
        _broker.OpenSession("c", false, uint.MaxValue, second, out _);
        Assert.Equal([first.Published[0].PacketId], second.PubRels);
        var resent = Assert.Single(second.Published);
        Assert.Equal(("two", true, first.Published[1].PacketId), (resent.Payload, resent.Dup, resent.PacketId));
        Assert.True(session.OnPubComp(first.Published[0].PacketId));
        Assert.False(session.OnPubComp(first.Published[0].PacketId));
    }

    [Fact]
    public void A_connected_client_whose_queue_overflows_is_disconnected_and_others_are_not_held_up()
    {
        var slow = new FakeOutbound();
        Connect("slow", slow, filters: "t");
        var fast = new FakeOutbound();
        var fastSession = Connect("fast", fast, filters: "t");
        for (var i = 0; i < 8; i++)
        {
            Publish("t", $"m{i}", 1);
            fastSession.OnPubAck(fast.Published[^1].PacketId);
        }

        Assert.Equal((byte)0x97, slow.Aborted);
        Assert.Null(fast.Aborted);
        Assert.Equal(8, fast.Published.Count);
        Assert.Equal(1, _broker.GetStats().SlowClientDisconnects);
    }

    [Fact]
    public void Qos0_beyond_a_slow_clients_outbound_room_is_dropped_for_it_alone()
    {
        var slow = new FakeOutbound { Qos0Room = 3 };
        Connect("slow", slow, filters: "t");
        var fast = new FakeOutbound();
        Connect("fast", fast, filters: "t");
        for (var i = 0; i < 10; i++)
        {
            Publish("t", $"m{i}", 0);
        }

        Assert.Equal(3, slow.Published.Count);
        Assert.Equal(10, fast.Published.Count);
        Assert.Null(slow.Aborted);
        Assert.Equal(7, _broker.GetStats().Qos0Drops);
    }

    [Fact]
    public void The_total_queue_bound_holds_over_all_sessions()
    {
        foreach (var id in new[] { "a", "b" })
        {
            var o = new FakeOutbound();
            var s = Connect(id, o, filters: "t");
            _broker.CloseSession(s, o, null, 0);
        }

        for (var i = 0; i < 5; i++)
        {
            Publish("t", $"m{i}", 1);
        }

        var stats = _broker.GetStats();
        Assert.Equal(8, stats.QueuedMessages);
        Assert.Equal(2, stats.QueueDrops);
    }

    [Fact]
    public void Clean_start_discards_the_old_session_and_its_queue()
    {
        var o = new FakeOutbound();
        var s = Connect("c", o, filters: "t");
        _broker.CloseSession(s, o, null, 0);
        Publish("t", "queued", 1);
        Assert.Equal(1, _broker.GetStats().QueuedMessages);

        var fresh = new FakeOutbound();
        Assert.False(_broker.OpenSession("c", true, 0, fresh, out var newSession));
        Assert.NotSame(s, newSession);
        Assert.Empty(fresh.Published);
        Assert.Equal(0, _broker.GetStats().QueuedMessages);
        Publish("t", "after", 1);
        Assert.Empty(fresh.Published); // the old subscription went with the old session
    }

    [Fact]
    public void A_session_with_expiry_zero_ends_with_its_connection_and_one_with_an_expiry_ends_after_it()
    {
        var o = new FakeOutbound();
        var s = Connect("zero", o, expiry: 0, filters: "t");
        _broker.CloseSession(s, o, null, 0);
        Assert.Equal(0, _broker.GetStats().Sessions);

        var o2 = new FakeOutbound();
        var s2 = Connect("ten", o2, expiry: 10, filters: "t");
        _broker.CloseSession(s2, o2, null, 0);
        Publish("t", "x", 1);
        _time.Advance(TimeSpan.FromSeconds(9));
        _broker.Sweep();
        Assert.Equal(1, _broker.GetStats().Sessions);
        _time.Advance(TimeSpan.FromSeconds(2));
        _broker.Sweep();
        var stats = _broker.GetStats();
        Assert.Equal(0, stats.Sessions);
        Assert.Equal(0, stats.QueuedMessages);
        Assert.Equal(0, stats.Subscriptions);
    }

    [Fact]
    public void A_will_with_a_delay_goes_out_when_due_unless_the_client_comes_back()
    {
        var wills = new List<string>();
        using var sub = _broker.SubscribeLocal("probes/+/status", m => wills.Add(m.Topic));
        var will = new BrokerMessage("probes/a/status", "offline"u8.ToArray(), 1, false);

        var o = new FakeOutbound();
        var s = Connect("a", o, expiry: 60);
        _broker.CloseSession(s, o, will, 5);
        _time.Advance(TimeSpan.FromSeconds(4));
        _broker.Sweep();
        Assert.Empty(wills);
        _time.Advance(TimeSpan.FromSeconds(2));
        _broker.Sweep();
        Assert.Equal(["probes/a/status"], wills);

        var willB = new BrokerMessage("probes/b/status", "offline"u8.ToArray(), 1, false);
        var ob = new FakeOutbound();
        var sb = Connect("b", ob, expiry: 60);
        _broker.CloseSession(sb, ob, willB, 5);
        _time.Advance(TimeSpan.FromSeconds(3));
        Connect("b", new FakeOutbound());
        _time.Advance(TimeSpan.FromSeconds(10));
        _broker.Sweep();
        Assert.Equal(["probes/a/status"], wills);
        Assert.Equal(1, _broker.GetStats().WillsPublished);
    }

    [Fact]
    public void A_will_without_delay_goes_out_at_once()
    {
        var got = new List<string>();
        using var sub = _broker.SubscribeLocal("w", m => got.Add(Encoding.UTF8.GetString(m.Payload.Span)));
        var o = new FakeOutbound();
        var s = Connect("a", o, expiry: 0);
        _broker.CloseSession(s, o, new BrokerMessage("w", "gone"u8.ToArray(), 0, false), 0);
        Assert.Equal(["gone"], got);
    }

    [Fact]
    public void Queued_messages_past_their_expiry_are_discarded_and_counted()
    {
        var o = new FakeOutbound();
        var s = Connect("c", o, filters: "t");
        _broker.CloseSession(s, o, null, 0);
        Publish("t", "short", 1, expiry: 5);
        Publish("t", "long", 1, expiry: 500);
        _time.Advance(TimeSpan.FromSeconds(6));
        var again = new FakeOutbound();
        _broker.OpenSession("c", false, uint.MaxValue, again, out _);
        Assert.Equal(["long"], again.Published.Select(p => p.Payload));
        Assert.Equal(1, _broker.GetStats().ExpiredMessages);
    }

    [Fact]
    public void In_process_subscribers_get_matching_publishes_and_retained_messages_on_subscribe()
    {
        Publish("site/r1/probe/leak1/state", "dry", 1, retain: true);
        Publish("site/r1/probe/door1/state", "closed", 0, retain: true);
        Publish("site/r1/probe/door1/state", "", 0, retain: true); // clears it
        var got = new List<MqttLocalMessage>();
        using (_broker.SubscribeLocal("site/+/probe/#", got.Add))
        {
            var retained = Assert.Single(got);
            Assert.Equal(("site/r1/probe/leak1/state", "dry", true), (retained.Topic, Encoding.UTF8.GetString(retained.Payload.Span), retained.Retain));
            Assert.Equal(1, _broker.PublishLocal("site/r1/probe/leak1/state", "wet"u8.ToArray(), 1));
            Assert.Equal(0, _broker.PublishLocal("other/topic", "x"u8.ToArray()));
            Assert.Equal(2, got.Count);
            Assert.Equal(("wet", 1, false), (Encoding.UTF8.GetString(got[1].Payload.Span), (int)got[1].QoS, got[1].Retain));
        }

        _broker.PublishLocal("site/r1/probe/leak1/state", "dry"u8.ToArray());
        Assert.Equal(2, got.Count);
        Assert.Equal(1, _broker.GetStats().RetainedMessages);
    }

    [Fact]
    public void Credentials_are_checked_against_the_configured_users()
    {
        var auth = new UserAuthenticator(new MqttBrokerOptions { Users = [new MqttBrokerUser { Username = "probe", Password = "s3cret" }] });
        Assert.True(auth.Authenticate("probe", "s3cret"u8));
        Assert.False(auth.Authenticate("probe", "s3cret2"u8));
        Assert.False(auth.Authenticate("probe", ""u8));
        Assert.False(auth.Authenticate("nobody", "s3cret"u8));
        Assert.False(auth.Authenticate(null, default));
        Assert.Equal(AuthenticationOutcome.AnonymousRefused, auth.Check(null, default));
        Assert.Equal(AuthenticationOutcome.BadCredentials, auth.Check("probe", "s3cret2"u8));
        Assert.Equal(AuthenticationOutcome.BadCredentials, auth.Check("nobody", "s3cret"u8));
        Assert.Equal(AuthenticationOutcome.Accepted, auth.Check("probe", "s3cret"u8));
        Assert.True(new UserAuthenticator(new MqttBrokerOptions { Users = [new MqttBrokerUser { Username = "u", Password = "p" }], AllowAnonymous = true }).Authenticate(null, default));
        Assert.True(new UserAuthenticator(new MqttBrokerOptions { AllowAnonymous = true }).Authenticate(null, default));
        Assert.Equal("probe", new MqttBrokerUser { Username = "probe", Password = "s3cret" }.ToString());
    }

    [Fact]
    public void Default_options_refuse_anonymous_clients_even_with_no_users_configured()
    {
        var auth = new UserAuthenticator(new MqttBrokerOptions());
        Assert.Equal(AuthenticationOutcome.AnonymousRefused, auth.Check(null, default));
        Assert.Equal(AuthenticationOutcome.AnonymousRefused, auth.Check(null, "any"u8)); // 5.0 allows a password without a user name
        Assert.Equal(AuthenticationOutcome.BadCredentials, auth.Check("", ""u8));
    }

    [Fact]
    public void A_user_with_an_empty_password_cannot_sign_in()
    {
        // a password meant to come from an environment variable that was never set must not leave the user open
        var auth = new UserAuthenticator(new MqttBrokerOptions { Users = [new MqttBrokerUser { Username = "probe", Password = "" }] });
        Assert.Equal(AuthenticationOutcome.BadCredentials, auth.Check("probe", ""u8));
        Assert.Equal(AuthenticationOutcome.BadCredentials, auth.Check("probe", default));
    }
}
