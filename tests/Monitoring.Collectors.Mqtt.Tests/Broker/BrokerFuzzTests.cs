using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Monitoring.Collectors.Mqtt.Protocol;
using Xunit.Abstractions;

namespace Monitoring.Collectors.Mqtt.Tests.Broker;

/// <summary>
/// Mutated and random packets over real sockets, while mosquitto_pub and mosquitto_sub keep talking through the broker.
/// </summary>
public class BrokerFuzzTests(ITestOutputHelper output)
{
    private const int MutatedPacketsToSend = 100_000;
    private const int Workers = 16;
    private const int MaxPacketSize = 16 * 1024;

    [Fact]
    public async Task Mutated_and_random_packets_close_their_connections_and_well_behaved_clients_keep_working()
    {
        await using var h = await BrokerHarness.StartAsync(o =>
        {
            o.AllowAnonymous = true;
            o.MaxPacketSize = MaxPacketSize;
            o.ConnectTimeout = TimeSpan.FromSeconds(5);
        });
        var unobserved = 0;
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, _) => Interlocked.Increment(ref unobserved);
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            // the well-behaved pair: a QoS 1 subscriber and a publisher fed line by line during the whole run
            using var sub = MosquittoTool.Start("mosquitto_sub", h.Args("mqttv5", "-i", "good-sub", "-t", "good/#", "-q", "1"));
            await h.WaitForAsync(s => s.Subscriptions == 1, "the good subscriber");
            using var pub = MosquittoTool.Start("mosquitto_pub", true, h.Args("mqttv311", "-i", "good-pub", "-t", "good/line", "-q", "1", "-l"));
            using var stopGood = new CancellationTokenSource();
            var sent = 0;
            var feeder = Task.Run(async () =>
            {
                while (!stopGood.IsCancellationRequested)
                {
                    await pub.Input.WriteLineAsync($"line-{sent}");
                    await pub.Input.FlushAsync();
                    sent++;
                    await Task.Delay(10);
                }
            });

            var seeds = new SeedPackets();
            var endPoint = h.Broker.LocalEndPoint!;
            var mutated = 0;
            var connections = 0;
            var hangs = 0;
            var clock = Stopwatch.StartNew();
            var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
            {
                var random = new Random(1000 + w);
                var buffer = new byte[4096];
                while (Volatile.Read(ref mutated) < MutatedPacketsToSend)
                {
                    var (stream, count) = BuildStream(random, seeds, w);
                    Interlocked.Add(ref mutated, count);
                    Interlocked.Increment(ref connections);
                    if (await ThrowAsync(endPoint, stream, buffer) == Outcome.Hung)
                    {
                        Interlocked.Increment(ref hangs);
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers);
            clock.Stop();

            await stopGood.CancelAsync();
            await feeder;
            var lastLines = sent;
            pub.Input.Close(); // mosquitto_pub -l publishes what is left and disconnects at end of input
            await pub.WaitAsync(TimeSpan.FromSeconds(10));
            await h.WaitForAsync(s => s.ConnectedClients <= 1, "the fuzz connections to close");
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (sub.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length < lastLines && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            var stats = h.Broker.GetStats();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var heap = GC.GetTotalMemory(true);
            output.WriteLine($"{connections} connections, {mutated} mutated/random packets in {clock.Elapsed.TotalSeconds:0.0} s; hangs: {hangs}");
            output.WriteLine($"broker: {stats}");
            output.WriteLine($"good publisher sent {lastLines} lines; managed heap after: {heap / 1048576.0:0.0} MiB");

            Assert.True(mutated >= MutatedPacketsToSend);
            Assert.Equal(0, hangs);

            // every fuzz connection ended on a packet the broker had to reject, and only there; every packet was read
            // (a fuzz client that subscribed to much and never acknowledges may be cut off first as a slow client)
            Assert.InRange(stats.ProtocolErrors, connections - stats.SlowClientDisconnects, connections);
            Assert.True(stats.PacketsReceived + stats.ProtocolErrors >= connections + mutated, $"the broker judged {stats.PacketsReceived + stats.ProtocolErrors} packets of {connections + mutated}");
            Assert.Empty(h.Logger.Errors);
            Assert.Equal(0, Volatile.Read(ref unobserved));
            Assert.True(heap < 256L * 1024 * 1024, $"managed heap {heap} bytes after the run");

            // the good subscriber got every line, in order (QoS 1 allows duplicates; there must be no gap)
            var received = sub.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
            Assert.Equal(Enumerable.Range(0, lastLines).Select(i => $"line-{i}"), received);

            // and the broker still serves newcomers
            using var late = MosquittoTool.Start("mosquitto_sub", h.Args("mqttv311", "-t", "after/fuzz", "-C", "1", "-W", "10"));
            await h.WaitForAsync(s => s.Subscriptions == 2, "a new subscriber");
            Assert.Equal(0, (await MosquittoTool.RunAsync("mosquitto_pub", h.Args("mqttv5", "-t", "after/fuzz", "-m", "still-here", "-q", "1"))).ExitCode);
            await late.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("still-here", late.Output.Trim());
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= onUnobserved;
        }
    }

    private enum Outcome
    {
        Closed,
        Hung,
    }

    /// <summary>Sends the bytes, then waits for the broker to close; if it waits for more, ends our side and waits again.</summary>
    private static async Task<Outcome> ThrowAsync(IPEndPoint endPoint, byte[] stream, byte[] buffer)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        await socket.ConnectAsync(endPoint);
        try
        {
            await socket.SendAsync(stream, SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
            return await DrainUntilClosedAsync(socket, buffer, TimeSpan.FromSeconds(10)) ? Outcome.Closed : Outcome.Hung;
        }
        catch (SocketException)
        {
            return Outcome.Closed; // reset by the broker while we were still sending
        }
    }

    private static async Task<bool> DrainUntilClosedAsync(Socket socket, byte[] buffer, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>
    /// A valid CONNECT, then mutated packets that still decode (each judged with the codec here first, so the broker
    /// reads every one of them), then one mutated or random packet that does not: the broker must close the
    /// connection on it. Returns the stream and how many mutated/random packets it holds.
    /// </summary>
    private static (byte[] Stream, int Mutated) BuildStream(Random random, SeedPackets seeds, int worker)
    {
        var version = random.Next(2) == 0 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500;
        var parts = new List<byte[]> { SeedPackets.Connect(version, $"fuzz-{worker}-{random.Next(4)}") };
        var stillValid = random.Next(0, 40);
        for (var attempts = 0; parts.Count - 1 < stillValid && attempts < 200; attempts++)
        {
            var candidate = Mutate(random, seeds.Any(random, version), seeds.Any(random, version));
            if (Judge(candidate, version) == Verdict.Harmless)
            {
                parts.Add(candidate);
            }
        }

        while (true)
        {
            var last = random.Next(10) == 0 ? RandomPacket(random) : Mutate(random, seeds.Any(random, version), seeds.Any(random, version));
            if (Judge(last, version) == Verdict.Invalid)
            {
                parts.Add(last);
                break;
            }
        }

        return ([.. parts.SelectMany(p => p)], parts.Count - 1);
    }

    private enum Verdict
    {
        Harmless,
        Closes,
        Invalid,
    }

    /// <summary>How the broker must take this packet after a CONNECT: go on, close for a protocol reason, or reject it as malformed.</summary>
    private static Verdict Judge(byte[] packet, MqttProtocolVersion version)
    {
        var sequence = new ReadOnlySequence<byte>(packet);
        if (MqttFrameReader.TryReadFrame(sequence, MaxPacketSize, out var frame, out _, out _) != MqttFrameStatus.Complete)
        {
            return Verdict.Invalid;
        }

        if (frame.Length != packet.Length)
        {
            return Verdict.Closes; // a whole packet with bytes after it: those would be the start of another one
        }

        var decoded = MqttPacketDecoder.Decode(frame, version);
        if (!decoded.IsSuccess)
        {
            return Verdict.Invalid;
        }

        return decoded.Packet switch
        {
            MqttPublishPacket p => p.Properties?.TopicAlias is null ? Verdict.Harmless : Verdict.Closes,
            MqttSubscribePacket or MqttUnsubscribePacket or MqttPingReqPacket => Verdict.Harmless,
            MqttPubAckPacket or MqttPubRecPacket or MqttPubRelPacket or MqttPubCompPacket => Verdict.Harmless,
            _ => Verdict.Closes, // CONNECT again, DISCONNECT, AUTH, packets only servers send
        };
    }

    private static byte[] RandomPacket(Random random)
    {
        var bytes = new byte[random.Next(1, 64)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] packet, byte[] other)
    {
        var bytes = (byte[])packet.Clone();
        switch (random.Next(6))
        {
            case 0: // bit flips
                for (var n = random.Next(1, 4); n > 0; n--)
                {
                    var at = random.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                }

                return bytes;
            case 1: // truncation (the remaining length now promises more than follows)
                return bytes[..random.Next(1, bytes.Length)];
            case 2: // remaining length corrupted, including continuation bits that never end
                if (bytes.Length > 1)
                {
                    bytes[1] = (byte)random.Next(256);
                }

                return random.Next(4) == 0 ? [bytes[0], 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, .. bytes[2..]] : bytes;
            case 3: // splice: the head of one packet with the tail of another
                var cut = random.Next(1, bytes.Length);
                var from = random.Next(other.Length);
                return [.. bytes[..cut], .. other[from..]];
            case 4: // fixed header flags and type
                bytes[0] = (byte)random.Next(256);
                return bytes;
            default: // a byte overwritten with an edge value
                bytes[random.Next(bytes.Length)] = (byte)(random.Next(2) == 0 ? 0x00 : 0xFF);
                return bytes;
        }
    }



    private sealed class SeedPackets
    {
        private readonly Dictionary<MqttProtocolVersion, byte[][]> _packets = [];

        public SeedPackets()
        {
            foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
            {
                var v5 = version == MqttProtocolVersion.V500;
                var props = v5 ? new MqttProperties { MessageExpiryInterval = 60, ContentType = "application/json", UserProperties = [new MqttUserProperty("site", "r1")] } : null;
                MqttPacket[] packets =
                [
                    new MqttPublishPacket { Topic = "site/r1/probe/leak1/state", Payload = "{\"wet\":false}"u8.ToArray() },
                    new MqttPublishPacket { Topic = "site/r1/probe/door1/state", Payload = "open"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 7, Properties = props },
                    new MqttPublishPacket { Topic = "fuzz/retained", Payload = "r"u8.ToArray(), QoS = MqttQualityOfService.ExactlyOnce, PacketId = 8, Retain = true },
                    new MqttPubRelPacket { PacketId = 8 },
                    new MqttPubAckPacket { PacketId = 3 },
                    new MqttPubRecPacket { PacketId = 4 },
                    new MqttPubCompPacket { PacketId = 4 },
                    new MqttSubscribePacket { PacketId = 9, Subscriptions = [new MqttTopicSubscription("fuzz/#", MqttQualityOfService.AtLeastOnce), new MqttTopicSubscription("$share/g/fuzz/+", MqttQualityOfService.ExactlyOnce)], Properties = v5 ? new MqttProperties { SubscriptionIdentifiers = [5] } : null },
                    new MqttUnsubscribePacket { PacketId = 10, TopicFilters = ["fuzz/#", "nothing"] },
                    MqttPingReqPacket.Instance,
                ];
                _packets[version] = [.. packets.Select(p => MqttPacketEncoder.ToArray(p, version))];
            }
        }

        public byte[] Any(Random random, MqttProtocolVersion version) => _packets[version][random.Next(_packets[version].Length)];

        public static byte[] Connect(MqttProtocolVersion version, string clientId) => MqttPacketEncoder.ToArray(
            new MqttConnectPacket
            {
                ProtocolVersion = version,
                ClientId = clientId,
                CleanStart = true,
                KeepAliveSeconds = 30,
                Will = new MqttWill { Topic = "fuzz/will", Payload = "gone"u8.ToArray() },
                Properties = version == MqttProtocolVersion.V500 ? new MqttProperties { ReceiveMaximum = 10, TopicAliasMaximum = 5 } : null,
            },
            version);
    }
}
