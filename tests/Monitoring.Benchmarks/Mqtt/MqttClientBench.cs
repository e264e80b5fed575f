using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Monitoring.Collectors.Mqtt.Client;
using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Benchmarks;

/// <summary>
/// Our MQTT client subscribed to mosquitto, against mosquitto_sub on the same stream, in one run.
/// 1. Live stream, QoS 0: both subscribe to bench/#, then an external mosquitto_pub -l publishes N messages as fast
///    as it can; each subscriber's rate is measured from its first to its last message. Ours hands each message to a
///    no-op sink (standing in for the pipeline); mosquitto_sub prints each to a pipe this process counts.
/// 2. Backlog drain, QoS 1: each subscriber has a persistent session that mosquitto filled with N messages while it
///    was away; it reconnects and drains them (one after the other, so neither competes with the other for CPU).
///    This is "how fast can it take messages in", not bounded by the publisher.
/// CPU per message: this process's CPU time for ours (nothing else runs in it during the measurement), /proc/PID/stat
/// utime+stime for mosquitto_sub. The broker's own CPU is the same for both and not counted.
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- mqtt-client [LIVE_MESSAGES] [PAYLOAD_BYTES] [BACKLOG_MESSAGES]
/// Needs mosquitto and mosquitto-clients.
/// </summary>
public static class MqttClientBench
{
    private const string Mosquitto = "/usr/sbin/mosquitto";
    private const string MosquittoSub = "/usr/bin/mosquitto_sub";
    private const string MosquittoPub = "/usr/bin/mosquitto_pub";

    public static async Task<int> RunAsync(string[] args)
    {
        var messages = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
        var payloadBytes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        var backlog = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 50_000;
        foreach (var tool in new[] { Mosquitto, MosquittoSub, MosquittoPub })
        {
            if (!File.Exists(tool))
            {
                await Console.Error.WriteLineAsync($"needs {tool} (apt-get install -y mosquitto mosquitto-clients)").ConfigureAwait(false);
                return 2;
            }
        }

        var dir = Directory.CreateTempSubdirectory("mqtt-client-bench-").FullName;
        var port = FreePort();
        var conf = Path.Combine(dir, "mosquitto.conf");
        var user = Environment.UserName == "root" ? "user root\n" : string.Empty;
        await File.WriteAllTextAsync(conf, $"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\nlog_type error\n{user}").ConfigureAwait(false);
        var lines = Path.Combine(dir, "lines.txt");
        await WritePayloadFileAsync(lines, messages, payloadBytes).ConfigureAwait(false);
        var backlogLines = Path.Combine(dir, "backlog.txt");
        await WritePayloadFileAsync(backlogLines, backlog, payloadBytes).ConfigureAwait(false);
        using var broker = Start(Mosquitto, "-c", conf);
        try
        {
            await WaitForPortAsync(port).ConfigureAwait(false);
            Console.WriteLine($"MQTT client intake, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, nproc {Environment.ProcessorCount}, mosquitto 127.0.0.1:{port}, {payloadBytes}-byte payloads, {messages} live, {backlog} backlog");
            Console.WriteLine("phase                    subscriber               received   seconds    msgs/s   CPU s   CPU us/msg");

            // 1. Live stream at QoS 0, both subscribers on it at once.
            await using (var ours = await ConnectAsync(port, "bench-live", cleanStart: true).ConfigureAwait(false))
            {
                await ours.SubscribeAsync("bench/#", MqttQualityOfService.AtMostOnce).ConfigureAwait(false);
                var theirs = new ToolSubscriber(port, ["-t", "bench/#", "-q", "0"]);
                await Task.Delay(500).ConfigureAwait(false);
                var cpu0 = CpuNow();
                var oursTask = DrainAsync(ours, messages, TimeSpan.FromSeconds(60));
                var theirsTask = theirs.CountAsync(messages, TimeSpan.FromSeconds(60));
                await PublishFileAsync(port, lines, qos: 0).ConfigureAwait(false);
                var oursResult = await oursTask.ConfigureAwait(false);
                var cpu = CpuNow() - cpu0;
                var theirsResult = await theirsTask.ConfigureAwait(false);
                Print("live, QoS 0", "Monitoring MqttClient", oursResult, cpu.TotalSeconds);
                Print("live, QoS 0", "mosquitto_sub", theirsResult, theirs.CpuSeconds());
                theirs.Stop();
            }

            // 2. Backlog drain at QoS 1 from persistent sessions.
            var oursOptions = Options(port, "bench-backlog-ours", cleanStart: false);
            await using (var ours = new MqttClient(oursOptions))
            {
                await ours.ConnectAsync(CancellationToken.None).ConfigureAwait(false);
                await ours.SubscribeAsync("backlog/#", MqttQualityOfService.AtLeastOnce).ConfigureAwait(false);
                await ours.DisconnectAsync(CancellationToken.None).ConfigureAwait(false);
                var prime = new ToolSubscriber(port, ["-t", "backlog/#", "-q", "1", "-c", "-i", "bench-backlog-theirs", "-E"]);
                await prime.WaitForExitAsync().ConfigureAwait(false);

                await PublishFileAsync(port, backlogLines, qos: 1, topic: "backlog/x").ConfigureAwait(false);

                var cpu0 = CpuNow();
                var connected = ours.ConnectAsync(CancellationToken.None);
                var oursResult = await DrainAsync(ours, backlog, TimeSpan.FromSeconds(120)).ConfigureAwait(false);
                var cpu = CpuNow() - cpu0;
                await connected.ConfigureAwait(false);
                Print("backlog, QoS 1", "Monitoring MqttClient", oursResult, cpu.TotalSeconds);

                var theirs = new ToolSubscriber(port, ["-t", "backlog/#", "-q", "1", "-c", "-i", "bench-backlog-theirs"]);
                var theirsResult = await theirs.CountAsync(backlog, TimeSpan.FromSeconds(120)).ConfigureAwait(false);
                Print("backlog, QoS 1", "mosquitto_sub", theirsResult, theirs.CpuSeconds());
                theirs.Stop();
            }
        }
        finally
        {
            broker.Kill(entireProcessTree: true);
            await broker.WaitForExitAsync().ConfigureAwait(false);
            Directory.Delete(dir, recursive: true);
        }

        return 0;
    }

    private static MqttClientOptions Options(int port, string clientId, bool cleanStart) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        ProtocolVersion = MqttProtocolVersion.V500,
        ClientId = clientId,
        CleanStart = cleanStart,
        SessionExpiryInterval = cleanStart ? 0u : 3600u,
        ReceiveMaximum = 1000,
        InboundCapacity = 10_000,
    };

    private static async Task<MqttClient> ConnectAsync(int port, string clientId, bool cleanStart)
    {
        var client = new MqttClient(Options(port, clientId, cleanStart));
        await client.ConnectAsync(CancellationToken.None).ConfigureAwait(false);
        return client;
    }

    /// <summary>The no-op sink: reads every message, touches its payload, keeps nothing.</summary>
    private static async Task<Intake> DrainAsync(MqttClient client, int expected, TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        var count = 0;
        long checksum = 0;
        var first = 0L;
        var last = 0L;
        try
        {
            while (count < expected && await client.Messages.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
            {
                while (count < expected && client.Messages.TryRead(out var message))
                {
                    if (count == 0)
                    {
                        first = Stopwatch.GetTimestamp();
                    }

                    checksum += message.Payload.Length + message.Topic.Length;
                    count++;
                }

                last = Stopwatch.GetTimestamp();
            }
        }
        catch (OperationCanceledException)
        {
        }

        GC.KeepAlive(checksum);
        return new Intake(count, Stopwatch.GetElapsedTime(first, last).TotalSeconds);
    }

    private static void Print(string phase, string subscriber, Intake intake, double cpuSeconds)
    {
        var rate = intake.Seconds > 0 ? intake.Count / intake.Seconds : 0;
        var perMessage = intake.Count > 0 ? cpuSeconds / intake.Count * 1e6 : 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{phase,-24} {subscriber,-24} {intake.Count,8} {intake.Seconds,9:0.000} {rate,9:0} {cpuSeconds,7:0.00} {perMessage,12:0.00}"));
    }

    private static TimeSpan CpuNow()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static async Task PublishFileAsync(int port, string lines, int qos, string topic = "bench/x")
    {
        using var publisher = Start("/bin/sh", "-c", $"{MosquittoPub} -h 127.0.0.1 -p {port} -V mqttv5 -q {qos} -t {topic} -l < {lines}");
        await publisher.WaitForExitAsync().ConfigureAwait(false);
        if (publisher.ExitCode != 0)
        {
            throw new InvalidOperationException($"mosquitto_pub exited with {publisher.ExitCode}");
        }
    }

    private static async Task WritePayloadFileAsync(string path, int messages, int payloadBytes)
    {
        var body = new string('x', Math.Max(0, payloadBytes - 10));
        await using var writer = new StreamWriter(path, false, Encoding.ASCII);
        for (var i = 0; i < messages; i++)
        {
            await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{i:D9}{body}")).ConfigureAwait(false);
        }
    }

    private static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 200; i++)
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(25).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException($"mosquitto did not listen on {port}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private readonly record struct Intake(int Count, double Seconds);

    /// <summary>mosquitto_sub printing one line per message into a pipe that this class counts.</summary>
    private sealed class ToolSubscriber
    {
        private readonly Process _process;

        public ToolSubscriber(int port, string[] args)
        {
            _process = Start(MosquittoSub, ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-V", "mqttv5", .. args]);
        }

        public Task WaitForExitAsync() => _process.WaitForExitAsync();

        public async Task<Intake> CountAsync(int expected, TimeSpan patience)
        {
            using var timeout = new CancellationTokenSource(patience);
            var stream = _process.StandardOutput.BaseStream;
            var buffer = new byte[64 * 1024];
            var count = 0;
            var first = 0L;
            var last = 0L;
            try
            {
                while (count < expected)
                {
                    var n = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    if (first == 0)
                    {
                        first = Stopwatch.GetTimestamp();
                    }

                    count += buffer.AsSpan(0, n).Count((byte)'\n');
                    last = Stopwatch.GetTimestamp();
                }
            }
            catch (OperationCanceledException)
            {
            }

            return new Intake(count, Stopwatch.GetElapsedTime(first, last).TotalSeconds);
        }

        /// <summary>utime + stime from /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s).</summary>
        public double CpuSeconds()
        {
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / 100.0;
        }

        public void Stop()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
