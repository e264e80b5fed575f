using System.Buffers;
using System.Net.Sockets;
using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Tests.Broker;

/// <summary>What the broker answers on the wire to bad input and silence (raw sockets, packets from our codec).</summary>
public class BrokerProtocolTests
{
    [Fact]
    public async Task A_malformed_packet_from_a_50_client_gets_disconnect_0x81_and_the_connection_closed()
    {
        await using var h = await BrokerHarness.StartAsync(o => o.AllowAnonymous = true);
        using var socket = await ConnectAsync(h, MqttProtocolVersion.V500);
        await socket.SendAsync(new byte[] { 0x36, 0x03, 0x00, 0x01, 0x61 }, SocketFlags.None); // PUBLISH with QoS 3
        var (packets, closed) = await ReadUntilClosedAsync(socket, MqttProtocolVersion.V500);
        var disconnect = Assert.IsType<MqttDisconnectPacket>(Assert.Single(packets));
        Assert.Equal(MqttReasonCode.MalformedPacket, disconnect.ReasonCode);
        Assert.True(closed);
        Assert.Equal(1, h.Broker.GetStats().ProtocolErrors);
    }

    [Fact]
    public async Task A_packet_over_the_maximum_size_gets_disconnect_0x95_before_its_body_is_read()
    {
        await using var h = await BrokerHarness.StartAsync(o =>
        {
            o.AllowAnonymous = true;
            o.MaxPacketSize = 1024;
        });
        using var socket = await ConnectAsync(h, MqttProtocolVersion.V500);
        await socket.SendAsync(new byte[] { 0x30, 0xFF, 0xFF, 0x7F }, SocketFlags.None); // PUBLISH announcing ~2 MiB
        var (packets, closed) = await ReadUntilClosedAsync(socket, MqttProtocolVersion.V500);
        Assert.Equal(MqttReasonCode.PacketTooLarge, Assert.IsType<MqttDisconnectPacket>(Assert.Single(packets)).ReasonCode);
        Assert.True(closed);
    }

    [Fact]
    public async Task An_unknown_protocol_level_gets_connack_return_code_1()
    {
        await using var h = await BrokerHarness.StartAsync(o => o.AllowAnonymous = true);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(h.Broker.LocalEndPoint!);
        var connect = MqttPacketEncoder.ToArray(new MqttConnectPacket { ClientId = "old", ProtocolVersion = MqttProtocolVersion.V311 }, MqttProtocolVersion.V311);
        connect[8] = 3; // MQTT 3.1's level, with the 3.1.1 protocol name
        await socket.SendAsync(connect, SocketFlags.None);
        var (packets, closed) = await ReadUntilClosedAsync(socket, MqttProtocolVersion.V311);
        Assert.Equal(MqttConnectReturnCode.UnacceptableProtocolVersion, Assert.IsType<MqttConnAckPacket>(Assert.Single(packets)).ReturnCode);
        Assert.True(closed);
    }

    [Fact]
    public async Task A_client_silent_for_one_and_a_half_keep_alives_is_closed_and_its_will_published()
    {
        await using var h = await BrokerHarness.StartAsync(o => o.AllowAnonymous = true);
        var wills = 0;
        using var sub = h.Broker.SubscribeLocal("probes/+/status", _ => Interlocked.Increment(ref wills));
        using var socket = await ConnectAsync(h, MqttProtocolVersion.V311, keepAlive: 1, will: new MqttWill { Topic = "probes/quiet/status", Payload = "offline"u8.ToArray() });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (_, closed) = await ReadUntilClosedAsync(socket, MqttProtocolVersion.V311);
        Assert.True(closed);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.4), $"closed after {clock.Elapsed}");

        // the counters and the local subscriber are updated by the broker's own tasks, a moment after the close
        await h.WaitForAsync(s => s.KeepAliveTimeouts >= 1 && s.WillsPublished >= 1, "the keep-alive timeout and the will");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref wills) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal((1L, 1L), (h.Broker.GetStats().KeepAliveTimeouts, h.Broker.GetStats().WillsPublished));
        Assert.Equal(1, Volatile.Read(ref wills));
    }

    [Fact]
    public async Task Topic_aliases_of_a_50_client_are_resolved()
    {
        await using var h = await BrokerHarness.StartAsync(o => o.AllowAnonymous = true);
        var topics = new List<string>();
        using var sub = h.Broker.SubscribeLocal("#", m =>
        {
            lock (topics)
            {
                topics.Add(m.Topic);
            }
        });
        using var socket = await ConnectAsync(h, MqttProtocolVersion.V500);
        var first = new MqttPublishPacket { Topic = "site/r1/probe/leak1/state", Payload = "dry"u8.ToArray(), Properties = new MqttProperties { TopicAlias = 3 } };
        var second = new MqttPublishPacket { Topic = "", Payload = "wet"u8.ToArray(), Properties = new MqttProperties { TopicAlias = 3 } };
        byte[] both = [.. MqttPacketEncoder.ToArray(first, MqttProtocolVersion.V500), .. MqttPacketEncoder.ToArray(second, MqttProtocolVersion.V500)];
        await socket.SendAsync(both, SocketFlags.None);
        await h.WaitForAsync(s => s.MessagesIn == 2, "two publishes");
        lock (topics)
        {
            Assert.Equal(["site/r1/probe/leak1/state", "site/r1/probe/leak1/state"], topics);
        }
    }

    private static async Task<Socket> ConnectAsync(BrokerHarness h, MqttProtocolVersion version, ushort keepAlive = 60, MqttWill? will = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(h.Broker.LocalEndPoint!);
        await socket.SendAsync(MqttPacketEncoder.ToArray(new MqttConnectPacket { ClientId = "raw", ProtocolVersion = version, KeepAliveSeconds = keepAlive, Will = will }, version), SocketFlags.None);
        var buffer = new byte[256];
        var n = await socket.ReceiveAsync(buffer, SocketFlags.None);
        var decoded = MqttPacketDecoder.Decode(buffer.AsSpan(0, n), version);
        Assert.Equal(MqttReasonCode.Success, Assert.IsType<MqttConnAckPacket>(decoded.Packet).ReasonCode);
        return socket;
    }

    private static async Task<(List<MqttPacket> Packets, bool Closed)> ReadUntilClosedAsync(Socket socket, MqttProtocolVersion version)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var closed = false;
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, n));
            }

            closed = true;
        }
        catch (SocketException)
        {
            closed = true;
        }
        catch (OperationCanceledException)
        {
        }

        var packets = new List<MqttPacket>();
        var sequence = new ReadOnlySequence<byte>(received.ToArray());
        while (MqttFrameReader.TryReadFrame(sequence, 1 << 20, out var frame, out _, out _) == MqttFrameStatus.Complete)
        {
            packets.Add(MqttPacketDecoder.Decode(frame, version).Packet!);
            sequence = sequence.Slice(frame.End);
        }

        return (packets, closed);
    }
}
