using System.Globalization;
using Monitoring.Collectors.Mqtt.Client;
using Monitoring.Collectors.Mqtt.Protocol;
using Monitoring.Collectors.Mqtt.Tests.Peers;
using static Monitoring.Collectors.Mqtt.Tests.Client.ClientTestKit;

namespace Monitoring.Collectors.Mqtt.Tests.Client;

/// <summary>Our client against a real mosquitto, in MQTT 3.1.1 and 5.0.</summary>
public class MosquittoInteropTests
{
    public static TheoryData<MqttProtocolVersion, MqttQualityOfService> VersionsAndQoS() => new()
    {
        { MqttProtocolVersion.V311, MqttQualityOfService.AtMostOnce },
        { MqttProtocolVersion.V311, MqttQualityOfService.AtLeastOnce },
        { MqttProtocolVersion.V311, MqttQualityOfService.ExactlyOnce },
        { MqttProtocolVersion.V500, MqttQualityOfService.AtMostOnce },
        { MqttProtocolVersion.V500, MqttQualityOfService.AtLeastOnce },
        { MqttProtocolVersion.V500, MqttQualityOfService.ExactlyOnce },
    };

    public static TheoryData<MqttProtocolVersion> Versions() => new() { MqttProtocolVersion.V311, MqttProtocolVersion.V500 };

    [Theory]
    [MemberData(nameof(VersionsAndQoS))]
    public async Task Publishes_and_receives_at_each_qos_through_mosquitto(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        // mosquitto 2.0.11 stalls a 3.1.1 subscriber whose 20-message in-flight window filled up in a burst: the queued
        // messages wait for the next publish even after every PUBCOMP came back (its log shows the PUBCOMPs). A wider
        // window keeps this test about our client, not that broker quirk.
        var settings = new MosquittoOptions();
        settings.ExtraConfig.Add("max_inflight_messages 1000");
        await using var broker = await MosquittoBroker.StartAsync(settings);
        await using var subscriber = new MqttClient(Options(broker, version, "sub"));
        await using var publisher = new MqttClient(Options(broker, version, "pub"));
        await subscriber.ConnectAsync(CancellationToken.None);
        await publisher.ConnectAsync(CancellationToken.None);
        var granted = await subscriber.SubscribeAsync("room/+/probe/#", qos);
        Assert.Equal([(MqttReasonCode)(int)qos], granted);

        const int count = 50;
        var sends = Enumerable.Range(0, count).Select(i => publisher.PublishAsync($"room/a{i % 3}/probe/{i}", Bytes(i.ToString(CultureInfo.InvariantCulture)), qos));
        var results = await Task.WhenAll(sends);
        Assert.All(results, r => Assert.False(MqttReasonCodes.IsFailure(r)));

        var received = await ReceiveAsync(subscriber, count);
        Assert.True(count == received.Count, $"received {received.Count} of {count}; mosquitto said:\n{broker.Log}");
        Assert.All(received, m => Assert.Equal(qos, m.QoS));
        Assert.Equal(Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).Order(), received.Select(Text).Order());
        Assert.Empty(await DrainAsync(subscriber, TimeSpan.FromMilliseconds(200)));
        Assert.Equal(0, publisher.InFlight);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Talks_to_mosquitto_pub_and_mosquitto_sub_at_qos_2(MqttProtocolVersion version)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var client = new MqttClient(Options(broker, version, "ours"));
        await client.ConnectAsync(CancellationToken.None);
        await client.SubscribeAsync("in/#", MqttQualityOfService.ExactlyOnce);
        var v = version == MqttProtocolVersion.V500 ? "mqttv5" : "mqttv311";
        var port = broker.Port.ToString(CultureInfo.InvariantCulture);

        var (code, output) = await MosquittoBroker.RunToolAsync("mosquitto_pub", ["-h", broker.Host, "-p", port, "-V", v, "-q", "2", "-t", "in/leak", "-m", "water!"]);
        Assert.True(code == 0, output);
        var got = Assert.Single(await ReceiveAsync(client, 1));
        Assert.Equal("in/leak", got.Topic);
        Assert.Equal("water!", Text(got));
        Assert.Equal(MqttQualityOfService.ExactlyOnce, got.QoS);

        var sub = await MosquittoBroker.SubscribeToolAsync(["-h", broker.Host, "-p", port, "-V", v, "-q", "2", "-t", "out/#", "-C", "3", "-v", "-W", "30"], TimeSpan.FromSeconds(30));
        for (var i = 0; i < 3; i++)
        {
            await client.PublishAsync("out/door", Bytes($"open-{i}"), MqttQualityOfService.ExactlyOnce);
        }

        var (subCode, subOutput) = await sub;
        Assert.True(subCode == 0, subOutput);
        Assert.Equal(["out/door open-0", "out/door open-1", "out/door open-2"], subOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Reconnects_after_mosquitto_is_killed_and_restarted_and_restores_its_subscriptions(MqttProtocolVersion version)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var client = new MqttClient(Options(broker, version, "survivor"));
        await client.ConnectAsync(CancellationToken.None);
        await client.SubscribeAsync("site/+/temp", MqttQualityOfService.AtLeastOnce);

        await broker.KillAsync();
        await WaitForAsync(() => !client.IsConnected, "the client to notice the broker died");
        await broker.RestartAsync();
        await WaitForAsync(() => client.IsConnected && client.ConnectCount == 2, "the client to reconnect");

        // A fresh mosquitto without persistence has no session: only the client's resubscription can route this.
        await using var publisher = new MqttClient(Options(broker, version, "pub"));
        await publisher.ConnectAsync(CancellationToken.None);
        await publisher.PublishAsync("site/a1/temp", Bytes("22.5"), MqttQualityOfService.AtLeastOnce);
        var got = Assert.Single(await ReceiveAsync(client, 1));
        Assert.Equal("site/a1/temp", got.Topic);
        Assert.Equal("22.5", Text(got));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_persistent_session_receives_every_qos1_message_published_while_it_was_away(MqttProtocolVersion version)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var options = Options(broker, version, "persistent-probe-reader");
        options.CleanStart = false;
        options.SessionExpiryInterval = 300;
        await using var client = new MqttClient(options);
        await client.ConnectAsync(CancellationToken.None);
        await client.SubscribeAsync("probes/#", MqttQualityOfService.AtLeastOnce);
        await client.DisconnectAsync(CancellationToken.None);
        Assert.False(client.IsConnected);

        const int count = 300;
        await using (var publisher = new MqttClient(Options(broker, version, "away-publisher")))
        {
            await publisher.ConnectAsync(CancellationToken.None);
            await Task.WhenAll(Enumerable.Range(0, count).Select(i => publisher.PublishAsync($"probes/{i % 7}", Bytes($"m{i}"), MqttQualityOfService.AtLeastOnce)));
        }

        var result = await client.ConnectAsync(CancellationToken.None);
        Assert.True(result.SessionPresent);
        var received = await ReceiveAsync(client, count);
        received.AddRange(await DrainAsync(client, TimeSpan.FromMilliseconds(300)));
        var distinct = received.Select(Text).Distinct().ToList();
        Assert.Equal(count, distinct.Count);
        Assert.All(received, m => Assert.Equal(MqttQualityOfService.AtLeastOnce, m.QoS));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task With_manual_acknowledgement_mosquitto_re_sends_only_what_was_not_acknowledged(MqttProtocolVersion version)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var options = Options(broker, version, "manual-ack-reader");
        options.CleanStart = false;
        options.SessionExpiryInterval = 300;
        options.ManualAcknowledge = true;
        await using var client = new MqttClient(options);
        await client.ConnectAsync(CancellationToken.None);
        await client.SubscribeAsync("probes/#", MqttQualityOfService.AtLeastOnce);
        await broker.PublishWithToolAsync("-q", "1", "-t", "probes/a", "-m", "kept");
        await broker.PublishWithToolAsync("-q", "1", "-t", "probes/b", "-m", "not-kept");
        var first = await ReceiveAsync(client, 2);
        Assert.Equal(["kept", "not-kept"], first.Select(Text));
        Assert.True(client.Acknowledge(first[0]));

        // the DISCONNECT follows the PUBACK on the same connection; the session stays with mosquitto
        await client.DisconnectAsync(CancellationToken.None);
        Assert.False(client.Acknowledge(first[1]), "a message of a closed connection cannot be acknowledged");
        var result = await client.ConnectAsync(CancellationToken.None);
        Assert.True(result.SessionPresent);
        var again = Assert.Single(await ReceiveAsync(client, 1));
        Assert.Equal("not-kept", Text(again));
        Assert.True(client.Acknowledge(again));
        Assert.Empty(await DrainAsync(client, TimeSpan.FromMilliseconds(500)));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_clean_session_does_not_get_messages_published_while_it_was_away(MqttProtocolVersion version)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var options = Options(broker, version, "clean-reader");
        options.CleanStart = true;
        await using var client = new MqttClient(options);
        await client.ConnectAsync(CancellationToken.None);
        await client.SubscribeAsync("probes/#", MqttQualityOfService.AtLeastOnce);
        await client.DisconnectAsync(CancellationToken.None);
        await broker.PublishWithToolAsync("-q", "1", "-t", "probes/x", "-m", "missed");

        var result = await client.ConnectAsync(CancellationToken.None);
        Assert.False(result.SessionPresent);

        // The client resubscribed by itself: the next message arrives, the missed one does not.
        await broker.PublishWithToolAsync("-q", "1", "-t", "probes/x", "-m", "after");
        var got = Assert.Single(await ReceiveAsync(client, 1));
        Assert.Equal("after", Text(got));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_wrong_password_is_refused_with_the_protocol_s_code_and_the_right_one_is_accepted(MqttProtocolVersion version)
    {
        var settings = new MosquittoOptions { AllowAnonymous = false };
        settings.Users["noc"] = "correct horse";
        await using var broker = await MosquittoBroker.StartAsync(settings);

        var bad = Options(broker, version, "intruder");
        bad.UserName = "noc";
        bad.Password = "wrong";
        await using var refused = new MqttClient(bad);
        var error = await Assert.ThrowsAsync<MqttConnectException>(() => refused.ConnectAsync(CancellationToken.None));
        if (version == MqttProtocolVersion.V311)
        {
            Assert.Equal(MqttConnectReturnCode.NotAuthorized, error.ReturnCode);
        }
        else
        {
            Assert.Equal(MqttReasonCode.NotAuthorized, error.ReasonCode);
        }

        Assert.DoesNotContain("wrong", error.Message, StringComparison.Ordinal);
        Assert.False(refused.IsConnected);

        var good = Options(broker, version, "operator");
        good.UserName = "noc";
        good.Password = "correct horse";
        await using var accepted = new MqttClient(good);
        var result = await accepted.ConnectAsync(CancellationToken.None);
        Assert.Equal(MqttReasonCode.Success, result.ReasonCode);
        Assert.True(accepted.IsConnected);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Detects_a_broker_that_stops_answering_and_comes_back_when_it_does(MqttProtocolVersion version)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var options = Options(broker, version, "watchdog");
        options.KeepAlive = TimeSpan.FromSeconds(1);
        await using var client = new MqttClient(options);
        await client.ConnectAsync(CancellationToken.None);
        await client.SubscribeAsync("w", MqttQualityOfService.AtLeastOnce);

        broker.Pause();
        try
        {
            await WaitForAsync(() => !client.IsConnected, "keep-alive to declare the hung broker dead", TimeSpan.FromSeconds(10));
        }
        finally
        {
            broker.Resume();
        }

        await WaitForAsync(() => client.IsConnected && client.ConnectCount >= 2, "the client to reconnect once the broker answers");
        await broker.PublishWithToolAsync("-q", "1", "-t", "w", "-m", "alive");
        Assert.Equal("alive", Text(Assert.Single(await ReceiveAsync(client, 1))));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_shared_subscription_splits_the_messages_between_its_members(MqttProtocolVersion version)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var first = new MqttClient(Options(broker, version, "server-1"));
        await using var second = new MqttClient(Options(broker, version, "server-2"));
        await using var publisher = new MqttClient(Options(broker, version, "pub"));
        await first.ConnectAsync(CancellationToken.None);
        await second.ConnectAsync(CancellationToken.None);
        await publisher.ConnectAsync(CancellationToken.None);
        await first.SubscribeAsync("$share/servers/probes/#", MqttQualityOfService.AtLeastOnce);
        await second.SubscribeAsync("$share/servers/probes/#", MqttQualityOfService.AtLeastOnce);

        const int count = 100;
        for (var i = 0; i < count; i++)
        {
            await publisher.PublishAsync($"probes/{i}", Bytes($"{i}"), MqttQualityOfService.AtLeastOnce);
        }

        var a = await DrainAsync(first, TimeSpan.FromMilliseconds(500));
        var b = await DrainAsync(second, TimeSpan.FromMilliseconds(200));
        Assert.Equal(count, a.Count + b.Count);
        Assert.NotEmpty(a);
        Assert.NotEmpty(b);
        Assert.Equal(count, a.Concat(b).Select(Text).Distinct().Count());
    }

    [Fact]
    public async Task The_in_flight_window_caps_unacknowledged_publishes()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var options = Options(broker, MqttProtocolVersion.V500, "windowed");
        options.MaxInFlight = 3;
        await using var client = new MqttClient(options);
        await client.ConnectAsync(CancellationToken.None);
        var peak = 0;
        var sends = Enumerable.Range(0, 300).Select(i => client.PublishAsync("w/x", Bytes($"{i}"), MqttQualityOfService.ExactlyOnce)).ToList();
        while (sends.Any(t => !t.IsCompleted))
        {
            peak = Math.Max(peak, client.InFlight);
            await Task.Yield();
        }

        await Task.WhenAll(sends);
        Assert.InRange(peak, 1, 3);
        Assert.Equal(0, client.InFlight);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Connects_over_tls_to_mosquitto_and_checks_the_certificate(MqttProtocolVersion version)
    {
        var certDir = Directory.CreateTempSubdirectory("mqtt-tls-");
        try
        {
            using var certs = TestCertificates.Create(certDir.FullName);
            await using var broker = await MosquittoBroker.StartAsync(new MosquittoOptions { Tls = (certs.CertFile, certs.KeyFile, certs.CertFile) });
            var expected = certs.Certificate.GetCertHashString();

            var options = Options(broker, version, "tls-client");
            options.Port = broker.TlsPort!.Value;
            options.Tls = new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == expected,
            };
            await using var client = new MqttClient(options);
            await client.ConnectAsync(CancellationToken.None);
            await client.SubscribeAsync("secure/#", MqttQualityOfService.AtLeastOnce);
            await client.PublishAsync("secure/door", Bytes("closed"), MqttQualityOfService.AtLeastOnce);
            Assert.Equal("closed", Text(Assert.Single(await ReceiveAsync(client, 1))));

            // Without trusting the self-signed certificate the handshake must fail.
            var untrusting = Options(broker, version, "tls-untrusting");
            untrusting.Port = broker.TlsPort.Value;
            untrusting.Tls = new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" };
            await using var refused = new MqttClient(untrusting);
            await Assert.ThrowsAsync<System.Security.Authentication.AuthenticationException>(() => refused.ConnectAsync(CancellationToken.None));
        }
        finally
        {
            certDir.Delete(recursive: true);
        }
    }
}
