using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Collectors.Mqtt.Protocol;
using Monitoring.Mqtt.Broker;

namespace Monitoring.Benchmarks;

/// <summary>
/// The embedded MQTT broker beside mosquitto, each in its own process, driven by the same raw-socket load generator
/// (on our codec) in this process: one publisher sending QoS 0 and QoS 1 publishes, fanned out to N subscribers.
/// Reports messages delivered per second and broker CPU-seconds per delivered message, both brokers' CPU read from
/// /proc/PID/stat. Then 10,000 connected probes each publishing every 10 s to the embedded broker (with an in-process
/// subscriber taking every message, as the server's collector does): its working set, GC heap and CPU share.
/// The embedded broker runs in a child process: this same program with the sub-verb <c>serve</c>.
///
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- mqtt-broker [MESSAGES] [SUBSCRIBERS] [PROBES] [SECONDS]
/// </summary>
public static class MqttBrokerBench
{
    private const int PayloadSize = 64;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "serve")
        {
            return await ServeAsync(args[1..]).ConfigureAwait(false);
        }

        var messages = Arg(args, 0, 200_000);
        var subscribers = Arg(args, 1, 4);
        var probes = Arg(args, 2, 10_000);
        var seconds = Arg(args, 3, 60);
        if (!File.Exists("/usr/sbin/mosquitto"))
        {
            Console.Error.WriteLine("/usr/sbin/mosquitto is missing: apt-get install -y mosquitto");
            return 2;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MQTT broker benchmark, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, nproc {Environment.ProcessorCount}; {messages} publishes of {PayloadSize} bytes per run, {subscribers} subscribers (QoS as published); each broker in its own process"));
        Console.WriteLine("broker      qos  delivered   wall s   msg/s delivered   broker CPU s   CPU us/msg   msg per CPU-s");
        foreach (var qos in messages > 0 ? new byte[] { 0, 1 } : [])
        {
            foreach (var kind in new[] { "mosquitto", "embedded" })
            {
                await using var broker = await BrokerProcess.StartAsync(kind).ConfigureAwait(false);
                var result = await FanOutAsync(broker.Port, qos, messages, subscribers).ConfigureAwait(false);
                var cpu = broker.CpuSeconds() - result.CpuBefore;
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{kind,-10} {qos,4} {result.Delivered,10} {result.Wall.TotalSeconds,8:0.00} {result.Delivered / result.Wall.TotalSeconds,17:0} {cpu,14:0.00} {1e6 * cpu / Math.Max(1, result.Delivered),12:0.00} {result.Delivered / Math.Max(cpu, 1e-6),15:0}"));
                result = default;
            }
        }

        await ProbesAsync(probes, seconds).ConfigureAwait(false);
        return 0;
    }

    private static int Arg(string[] args, int index, int fallback) =>
        args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

    private readonly record struct FanOutResult(long Delivered, TimeSpan Wall, double CpuBefore);

    /// <summary>Publishes <paramref name="count"/> messages, keeping the slowest subscriber at most a window behind.</summary>
    private static async Task<FanOutResult> FanOutAsync(int port, byte qos, int count, int subscriberCount)
    {
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        var subs = new List<RawClient>();
        for (var i = 0; i < subscriberCount; i++)
        {
            var sub = await RawClient.ConnectAsync(endPoint, $"sub-{i}", 0).ConfigureAwait(false);
            await sub.SubscribeAsync("bench/#", qos).ConfigureAwait(false);
            subs.Add(sub);
        }

        var pub = await RawClient.ConnectAsync(endPoint, "pub", 0).ConfigureAwait(false);
        var payload = new byte[PayloadSize];
        Random.Shared.NextBytes(payload);
        await BrokerProcess.SettleAsync().ConfigureAwait(false);
        var cpuBefore = BrokerProcess.Current!.CpuSeconds();
        var clock = Stopwatch.StartNew();
        const int Window = 500;
        var sent = 0;
        var batch = new ArrayBufferWriter<byte>(64 * 1024);
        ushort packetId = 0;
        while (sent < count)
        {
            var slowest = subs.Min(s => s.Received);
            if (sent - slowest > Window || (qos > 0 && sent - pub.Acked > Window))
            {
                await Task.Delay(1).ConfigureAwait(false);
                if (clock.Elapsed > TimeSpan.FromSeconds(120))
                {
                    break;
                }

                continue;
            }

            batch.ResetWrittenCount();
            var n = Math.Min(64, count - sent);
            for (var i = 0; i < n; i++)
            {
                packetId = packetId == ushort.MaxValue ? (ushort)1 : (ushort)(packetId + 1);
                MqttPacketEncoder.Encode(
                    new MqttPublishPacket { Topic = "bench/load", Payload = payload, QoS = (MqttQualityOfService)qos, PacketId = qos > 0 ? packetId : (ushort)0 },
                    MqttProtocolVersion.V311,
                    batch);
            }

            await pub.SendAsync(batch.WrittenMemory).ConfigureAwait(false);
            sent += n;
        }

        var deadline = clock.Elapsed + TimeSpan.FromSeconds(10);
        while (subs.Any(s => s.Received < sent) && clock.Elapsed < deadline)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }

        clock.Stop();
        var delivered = subs.Sum(s => s.Received);
        if (delivered < (long)sent * subscriberCount)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  (only {delivered} of {(long)sent * subscriberCount} delivered)"));
        }

        await pub.DisposeAsync().ConfigureAwait(false);
        foreach (var sub in subs)
        {
            await sub.DisposeAsync().ConfigureAwait(false);
        }

        return new FanOutResult(delivered, clock.Elapsed, cpuBefore);
    }

    /// <summary>10,000 probes (raw connections) each publishing a small QoS 0 reading every 10 s.</summary>
    private static async Task ProbesAsync(int probes, int seconds)
    {
        await using var broker = await BrokerProcess.StartAsync("embedded", "probes/#").ConfigureAwait(false);
        var endPoint = new IPEndPoint(IPAddress.Loopback, broker.Port);
        var idle = await broker.QueryAsync().ConfigureAwait(false);
        var clients = new RawClient[probes];
        var connectClock = Stopwatch.StartNew();
        for (var start = 0; start < probes; start += 200)
        {
            var batch = Enumerable.Range(start, Math.Min(200, probes - start)).Select(async i => clients[i] = await RawClient.ConnectAsync(endPoint, $"probe-{i}", 30, readAll: false).ConfigureAwait(false));
            await Task.WhenAll(batch).ConfigureAwait(false);
        }

        connectClock.Stop();
        var connected = await broker.QueryAsync().ConfigureAwait(false);
        var payloads = Enumerable.Range(0, probes).Select(i => MqttPacketEncoder.ToArray(
            new MqttPublishPacket { Topic = $"probes/room1/probe-{i}/state", Payload = "{\"temp\":23.5,\"leak\":false}"u8.ToArray() },
            MqttProtocolVersion.V311)).ToArray();

        // every probe publishes once per 10 s, spread over 100 ticks of 100 ms
        var cpuBefore = broker.CpuSeconds();
        var clock = Stopwatch.StartNew();
        var published = 0L;
        var tick = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds) && await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            var slot = tick++ % 100;
            for (var i = slot; i < probes; i += 100)
            {
                clients[i].SendNow(payloads[i]);
                published++;
            }
        }

        clock.Stop();
        var cpu = broker.CpuSeconds() - cpuBefore;
        var loaded = await broker.QueryAsync().ConfigureAwait(false);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{probes} probes, each publishing every 10 s, {clock.Elapsed.TotalSeconds:0} s, embedded broker in its own process with an in-process subscriber on probes/#"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  connected in {connectClock.Elapsed.TotalSeconds:0.0} s; published {published} ({published / clock.Elapsed.TotalSeconds:0} per s), taken in-process {loaded.LocalReceived}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  broker CPU {cpu:0.00} s over {clock.Elapsed.TotalSeconds:0.0} s = {100 * cpu / clock.Elapsed.TotalSeconds:0.00} % of one core"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  idle:      working set {idle.WorkingSet / 1048576.0,7:0.0} MiB, GC heap {idle.GcHeap / 1048576.0,7:0.0} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  connected: working set {connected.WorkingSet / 1048576.0,7:0.0} MiB, GC heap {connected.GcHeap / 1048576.0,7:0.0} MiB ({connected.Clients} clients)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  loaded:    working set {loaded.WorkingSet / 1048576.0,7:0.0} MiB, GC heap {loaded.GcHeap / 1048576.0,7:0.0} MiB ({loaded.Clients} clients)"));
        foreach (var client in clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The child process: the embedded broker on a free port; answers "stats" on stdin with one line.</summary>
    private static async Task<int> ServeAsync(string[] args)
    {
        var options = new MqttBrokerOptions { Port = 0, BindAddress = "127.0.0.1", MaxClients = 50_000, AllowAnonymous = true };
        await using var broker = new MqttBroker(options, NullLogger<MqttBroker>.Instance);
        await broker.StartAsync().ConfigureAwait(false);
        long localReceived = 0;
        using var local = args.Length > 0 ? broker.SubscribeLocal(args[0], _ => Interlocked.Increment(ref localReceived)) : null;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PORT {broker.LocalEndPoint!.Port}"));
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line == "stats")
            {
                GC.Collect();
                var process = Process.GetCurrentProcess();
                var stats = broker.GetStats();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"STATS {process.WorkingSet64} {GC.GetTotalMemory(false)} {stats.ConnectedClients} {Interlocked.Read(ref localReceived)}"));
            }
        }

        return 0;
    }

    private readonly record struct ServeStats(long WorkingSet, long GcHeap, int Clients, long LocalReceived);

    /// <summary>A broker in its own process: mosquitto, or this program's <c>serve</c> sub-verb.</summary>
    private sealed class BrokerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string? _dir;

        private BrokerProcess(Process process, int port, string? dir)
        {
            _process = process;
            Port = port;
            _dir = dir;
        }

        public static BrokerProcess? Current { get; private set; }

        public int Port { get; }

        public static async Task<BrokerProcess> StartAsync(string kind, string? localFilter = null)
        {
            BrokerProcess broker;
            if (kind == "mosquitto")
            {
                var port = FreePort();
                var dir = Path.Combine(Path.GetTempPath(), "mosq-bench-" + Guid.NewGuid().ToString("N")[..8]);
                Directory.CreateDirectory(dir);
                var conf = Path.Combine(dir, "mosquitto.conf");
                await File.WriteAllTextAsync(conf, string.Create(CultureInfo.InvariantCulture, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000\n")).ConfigureAwait(false);
                var start = new ProcessStartInfo("/usr/sbin/mosquitto") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add(conf);
                var process = Process.Start(start)!;
                process.OutputDataReceived += (_, _) => { };
                process.ErrorDataReceived += (_, _) => { };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                broker = new BrokerProcess(process, port, dir);
                await WaitForPortAsync(port).ConfigureAwait(false);
            }
            else
            {
                var self = Environment.GetCommandLineArgs();
                var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
                if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
                {
                    start.ArgumentList.Add(self[0]); // dotnet exec X.dll
                }

                if (self.Contains("mqtt-broker"))
                {
                    start.ArgumentList.Add("mqtt-broker");
                }

                start.ArgumentList.Add("serve");
                if (localFilter != null)
                {
                    start.ArgumentList.Add(localFilter);
                }

                var process = Process.Start(start)!;
                var first = await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) ?? throw new InvalidOperationException("the broker process said nothing");
                broker = new BrokerProcess(process, int.Parse(first["PORT ".Length..], CultureInfo.InvariantCulture), null);
            }

            Current = broker;
            return broker;
        }

        /// <summary>CPU seconds (user + system) of the broker process so far, from /proc/PID/stat.</summary>
        public double CpuSeconds()
        {
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / 100.0; // CLK_TCK is 100 on Linux
        }

        /// <summary>Lets start-up work (JIT, connects) finish before the CPU is read.</summary>
        public static async Task SettleAsync() => await Task.Delay(300).ConfigureAwait(false);

        public async Task<ServeStats> QueryAsync()
        {
            await _process.StandardInput.WriteLineAsync("stats").ConfigureAwait(false);
            await _process.StandardInput.FlushAsync().ConfigureAwait(false);
            var line = await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) ?? "";
            var f = line.Split(' ');
            return new ServeStats(long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture), long.Parse(f[4], CultureInfo.InvariantCulture));
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }

            _process.Dispose();
            if (_dir != null)
            {
                Directory.Delete(_dir, true);
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        private static async Task WaitForPortAsync(int port)
        {
            for (var i = 0; i < 100; i++)
            {
                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                    return;
                }
                catch (SocketException)
                {
                    await Task.Delay(50).ConfigureAwait(false);
                }
            }

            throw new InvalidOperationException($"mosquitto did not listen on {port}");
        }
    }

    /// <summary>A minimal MQTT 3.1.1 client on raw sockets and our codec: counts publishes, acknowledges QoS 1 in batches.</summary>
    private sealed class RawClient : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly TaskCompletionSource _subAck = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly byte[] _head = new byte[2];
        private Task? _reader;
        private long _received;
        private long _acked;

        private RawClient(Socket socket) => _socket = socket;

        public long Received => Interlocked.Read(ref _received);

        public long Acked => Interlocked.Read(ref _acked);

        public static async Task<RawClient> ConnectAsync(IPEndPoint endPoint, string clientId, ushort keepAlive, bool readAll = true)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(endPoint).ConfigureAwait(false);
            var client = new RawClient(socket);
            await client.SendAsync(MqttPacketEncoder.ToArray(new MqttConnectPacket { ClientId = clientId, CleanStart = true, KeepAliveSeconds = keepAlive }, MqttProtocolVersion.V311)).ConfigureAwait(false);
            var connAck = new byte[4];
            var got = 0;
            while (got < 4)
            {
                var n = await socket.ReceiveAsync(connAck.AsMemory(got), SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new InvalidOperationException("connection closed before CONNACK");
                }

                got += n;
            }

            if (connAck[0] != 0x20 || connAck[3] != 0)
            {
                throw new InvalidOperationException($"CONNACK refused: {Convert.ToHexString(connAck)}");
            }

            if (readAll)
            {
                client._reader = client.ReadLoopAsync();
            }

            return client;
        }

        public async Task SubscribeAsync(string filter, byte qos)
        {
            await SendAsync(MqttPacketEncoder.ToArray(new MqttSubscribePacket { PacketId = 1, Subscriptions = [new MqttTopicSubscription(filter, (MqttQualityOfService)qos)] }, MqttProtocolVersion.V311)).ConfigureAwait(false);
            await _subAck.Task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                var n = await _socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
                bytes = bytes[n..];
            }
        }

        public void SendNow(byte[] bytes) => _socket.Send(bytes);

        public async ValueTask DisposeAsync()
        {
            try
            {
                await SendAsync(MqttPacketEncoder.ToArray(new MqttDisconnectPacket(), MqttProtocolVersion.V311)).ConfigureAwait(false);
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }

            _socket.Dispose();
            if (_reader != null)
            {
                try
                {
                    await _reader.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
                {
                }
            }
        }

        private async Task ReadLoopAsync()
        {
            var pipe = PipeReader.Create(new NetworkStream(_socket, ownsSocket: false), new StreamPipeReaderOptions(bufferSize: 64 * 1024));
            var acks = new ArrayBufferWriter<byte>(4096);
            try
            {
                while (true)
                {
                    var result = await pipe.ReadAsync().ConfigureAwait(false);
                    var buffer = result.Buffer;
                    acks.ResetWrittenCount();
                    while (MqttFrameReader.TryReadFrame(buffer, 1 << 20, out var frame, out var header, out _) == MqttFrameStatus.Complete)
                    {
                        switch (header.Type)
                        {
                            case MqttPacketType.Publish:
                                Interlocked.Increment(ref _received);
                                if (((header.Flags >> 1) & 3) == 1)
                                {
                                    // the packet id follows the topic: read it without decoding the whole packet
                                    var body = frame.Slice(header.HeaderLength);
                                    var head = _head;
                                    body.Slice(0, 2).CopyTo(head);
                                    var topicLength = (head[0] << 8) | head[1];
                                    body.Slice(2 + topicLength, 2).CopyTo(head);
                                    var ack = acks.GetSpan(4);
                                    ack[0] = 0x40;
                                    ack[1] = 2;
                                    ack[2] = head[0];
                                    ack[3] = head[1];
                                    acks.Advance(4);
                                }

                                break;
                            case MqttPacketType.PubAck:
                                Interlocked.Increment(ref _acked);
                                break;
                            case MqttPacketType.SubAck:
                                _subAck.TrySetResult();
                                break;
                        }

                        buffer = buffer.Slice(frame.End);
                    }

                    pipe.AdvanceTo(buffer.Start, buffer.End);
                    if (acks.WrittenCount > 0)
                    {
                        await SendAsync(acks.WrittenMemory).ConfigureAwait(false);
                    }

                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
            }
            finally
            {
                await pipe.CompleteAsync().ConfigureAwait(false);
            }
        }
    }
}
