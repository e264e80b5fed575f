using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Server;
using Monitoring.Server.Live;

namespace Monitoring.Benchmarks;

/// <summary>
/// Issue 14's hub figure: bytes per second a console receives at scale. A generated room of RACKS racks (2 switches of
/// 48 ports and 18 servers each: 10,000 devices for 500 racks) takes RATE samples/s (cpu, memory, every port's
/// traffic) straight into the pipeline, with a few port status changes every second; four consoles on real WebSockets
/// count the bytes they receive:
/// <list type="bullet">
/// <item>status: shows the room, no panel open (what every console gets);</item>
/// <item>panel: one switch's panel open (subscribed to that device);</item>
/// <item>rack: subscribed to the 20 devices of one rack;</item>
/// <item>everything: subscribed to every device of the room, which is what every console received before values
/// went to subscribers only.</item>
/// </list>
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- hub-traffic [RACKS] [RATE] [SECONDS] [RUNS]
/// </summary>
public static class HubTrafficBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var racks = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
        var rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50_000;
        var seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20;
        var runs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;

        var profiles = Profiles(racks);
        var data = Directory.CreateTempSubdirectory("hub-bench-").FullName;
        var app = ServerHost.Build([
            "--urls", "http://127.0.0.1:0", "--data", data, "--simulator", "false", "--profiles", profiles, "--Logging:LogLevel:Default", "Warning",
            "--Monitoring:Alarms:Enabled", "false", "--Monitoring:History:Enabled", "false", "--Monitoring:Live:MaxSubscriptionsPerClient", "20000"]);
        await app.StartAsync().ConfigureAwait(false);
        try
        {
            var baseAddress = new Uri(app.Urls.First());
            var inventory = app.Services.GetRequiredService<Inventory>();
            var registry = app.Services.GetRequiredService<SeriesRegistry>();
            var pipeline = app.Services.GetRequiredService<SamplePipeline>();
            var hubs = app.Services.GetRequiredService<HubConnectionRegistry>();
            using var session = await Monitoring.Testing.TestSignIn.AsAsync(app, baseAddress, "bench", Monitoring.Server.Security.Role.Viewer).ConfigureAwait(false);

            var values = new List<int>();
            var ports = new List<(int Admin, int Oper)>();
            foreach (var device in inventory.Devices)
            {
                values.Add(registry.GetOrAdd(device.Index, "cpu.usage", -1));
                values.Add(registry.GetOrAdd(device.Index, "memory.usage", -1));
                foreach (var port in device.Model.Ports)
                {
                    values.Add(registry.GetOrAdd(device.Index, "interface.in_bps", port.Index));
                    if (device.Kind == DeviceKind.Switch)
                    {
                        ports.Add((registry.GetOrAdd(device.Index, "interface.admin_status", port.Index), registry.GetOrAdd(device.Index, "interface.oper_status", port.Index)));
                    }
                }
            }

            var firstSwitch = inventory.Devices.First(d => d.Kind == DeviceKind.Switch);
            var oneRack = inventory.Devices.Where(d => d.RackId == firstSwitch.RackId).Select(d => d.Id).ToArray();
            await using var status = await CountingHub.ConnectAsync(baseAddress, session.Cookies, "demo-big", []).ConfigureAwait(false);
            await using var panel = await CountingHub.ConnectAsync(baseAddress, session.Cookies, "demo-big", [firstSwitch.Id]).ConfigureAwait(false);
            await using var rack = await CountingHub.ConnectAsync(baseAddress, session.Cookies, "demo-big", oneRack).ConfigureAwait(false);
            await using var everything = await CountingHub.ConnectAsync(baseAddress, session.Cookies, "demo-big", [.. inventory.Devices.Select(d => d.Id)]).ConfigureAwait(false);
            CountingHub[] clients = [status, panel, rack, everything];
            string[] names = ["status only", "panel (1 switch)", $"rack ({oneRack.Length} devices)", $"everything ({inventory.Devices.Count} devices)"];

            using var stop = new CancellationTokenSource();
            var load = Task.Run(() => LoadAsync(pipeline, [.. values], [.. ports], rate, stop.Token));
            await Task.Delay(TimeSpan.FromSeconds(5)).ConfigureAwait(false); // warm-up: every series has a first value
            var rates = clients.Select(_ => new List<double>()).ToArray();
            for (var run = 0; run < runs; run++)
            {
                var before = clients.Select(c => c.Bytes).ToArray();
                var started = Stopwatch.GetTimestamp();
                await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
                for (var c = 0; c < clients.Length; c++)
                {
                    rates[c].Add((clients[c].Bytes - before[c]) / elapsed);
                }
            }

            await stop.CancelAsync().ConfigureAwait(false);
            var pushed = await load.ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hub traffic: {inventory.Devices.Count:N0} devices, {values.Count:N0} value series, {pushed.Rate:N0} samples/s pushed, {runs} runs of {seconds} s (KB/s received per console, min / median / max):"));
            for (var c = 0; c < clients.Length; c++)
            {
                var sorted = rates[c].Order().ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {names[c],-28} {sorted[0] / 1024:F1} / {sorted[sorted.Count / 2] / 1024:F1} / {sorted[^1] / 1024:F1} KB/s; messages {clients[c].Messages:N0}, resyncs {clients[c].Resyncs}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  server: resyncs {hubs.Resyncs}, dropped messages {hubs.DroppedMessages:N0} ({hubs.DroppedBytes:N0} bytes), peak queued for one connection {hubs.PeakQueuedBytes:N0} bytes (bound {hubs.MaxQueuedBytesPerClient:N0} plus one message; largest message {hubs.Connections.Select(c => c.LargestMessage).DefaultIfEmpty().Max():N0} bytes)"));
            return 0;
        }
        finally
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            TryDelete(data);
            TryDelete(profiles);
        }
    }

    private static async Task<(long Samples, double Rate)> LoadAsync(SamplePipeline pipeline, int[] values, (int Admin, int Oper)[] ports, int rate, CancellationToken cancellationToken)
    {
        const int TicksPerSecond = 20;
        var perTick = Math.Max(1, rate / TicksPerSecond);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1000.0 / TicksPerSecond));
        var random = new Random(20261206);
        var started = Stopwatch.GetTimestamp();
        long samples = 0;
        var next = 0;
        var tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                tick++;
                var now = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
                var batch = SampleBatch.Rent(perTick + 4);
                for (var i = 0; i < perTick; i++)
                {
                    batch.Add(values[next], now, random.Next(0, 100_000));
                    next = (next + 1) % values.Length;
                }

                // one port changes status per tick (20 a second across the room): the status traffic every console gets
                var (admin, oper) = ports[random.Next(ports.Length)];
                batch.Add(admin, now, 1);
                batch.Add(oper, now, tick % 2 == 0 ? 1 : 2);
                samples += perTick + 2;
                await pipeline.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return (samples, samples / Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    internal static string Profiles(int racks)
    {
        var source = FindProfiles();
        var target = Directory.CreateTempSubdirectory("hub-bench-profiles-").FullName;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(source, "models"), "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        const int RacksPerRow = 25;
        var rows = (racks + RacksPerRow - 1) / RacksPerRow;
        var room = new StringBuilder();
        room.AppendLine("id: demo-big").AppendLine("name: 大机房").AppendLine("nameEn: Big room")
            .AppendLine(CultureInfo.InvariantCulture, $"size: {{ width: {(RacksPerRow * 0.6) + 4:F1}, depth: {(rows * 2.4) + 4:F1}, height: 3.0 }}")
            .AppendLine("rows:");
        var n = 0;
        for (var row = 0; row < rows; row++)
        {
            room.AppendLine(CultureInfo.InvariantCulture, $"  - id: row-{row}").AppendLine(CultureInfo.InvariantCulture, $"    name: 第{row}列").AppendLine("    racks:");
            for (var r = 0; r < RacksPerRow && n < racks; r++, n++)
            {
                room.AppendLine(CultureInfo.InvariantCulture, $"      - id: r{n:D3}").AppendLine(CultureInfo.InvariantCulture, $"        name: R{n:D3}")
                    .AppendLine(CultureInfo.InvariantCulture, $"        x: {2.0 + (r * 0.6):F1}").AppendLine(CultureInfo.InvariantCulture, $"        z: {2.0 + (row * 2.4):F1}")
                    .AppendLine("        facing: south").AppendLine("        heightU: 42").AppendLine("        devices:")
                    .AppendLine(CultureInfo.InvariantCulture, $"          - {{ id: sw-{n:D3}-1, name: 交换机{n}-1, model: huawei-ce6881-48s6cq, u: 42 }}")
                    .AppendLine(CultureInfo.InvariantCulture, $"          - {{ id: sw-{n:D3}-2, name: 交换机{n}-2, model: huawei-ce6881-48s6cq, u: 41 }}");
                for (var s = 0; s < 18; s++)
                {
                    room.AppendLine(CultureInfo.InvariantCulture, $"          - {{ id: srv-{n:D3}-{s:D2}, name: 服务器{n}-{s}, model: huawei-2288h-v5, u: {1 + (s * 2)} }}");
                }
            }
        }

        Directory.CreateDirectory(Path.Combine(target, "rooms"));
        File.WriteAllText(Path.Combine(target, "rooms", "demo-big.yaml"), room.ToString());
        return target;
    }

    private static string FindProfiles()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
            {
                return Path.Combine(dir.FullName, "device-profiles");
            }
        }

        throw new InvalidOperationException("device-profiles not found above " + AppContext.BaseDirectory);
    }

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A console on a raw WebSocket (JSON hub protocol) that counts every byte and message it receives.</summary>
    private sealed class CountingHub : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        private long _bytes;
        private long _messages;
        private long _resyncs;

        public long Bytes => Interlocked.Read(ref _bytes);

        public long Messages => Interlocked.Read(ref _messages);

        public long Resyncs => Interlocked.Read(ref _resyncs);

        public static async Task<CountingHub> ConnectAsync(Uri server, System.Net.CookieContainer cookies, string room, string[] devices)
        {
            var hub = new CountingHub();
            hub._socket.Options.Cookies = cookies;
            await hub._socket.ConnectAsync(new UriBuilder(server) { Scheme = "ws", Path = "/hubs/live" }.Uri, CancellationToken.None).ConfigureAwait(false);
            await hub.SendAsync("{\"protocol\":\"json\",\"version\":1}").ConfigureAwait(false);
            hub._loop = Task.Run(() => hub.ReceiveAsync(hub._stop.Token));
            await hub.SendAsync(JsonSerializer.Serialize(new { type = 1, target = "JoinRoom", arguments = new object[] { room } })).ConfigureAwait(false);
            // a hub message is at most 32 KB: the subscription goes in chunks
            foreach (var chunk in devices.Chunk(1000))
            {
                await hub.SendAsync(JsonSerializer.Serialize(new { type = 1, target = "SubscribeDevices", arguments = new object[] { chunk } })).ConfigureAwait(false);
            }

            return hub;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            _socket.Abort();
            _socket.Dispose();
            _stop.Dispose();
        }

        private Task SendAsync(string json) =>
            _socket.SendAsync(Encoding.UTF8.GetBytes(json + '\u001e'), WebSocketMessageType.Text, true, CancellationToken.None);

        private async Task ReceiveAsync(CancellationToken cancellationToken)
        {
            var buffer = new byte[256 * 1024];
            var resync = "\"target\":\"resync\""u8.ToArray();
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                Interlocked.Add(ref _bytes, result.Count);
                var span = buffer.AsSpan(0, result.Count);
                Interlocked.Add(ref _messages, span.Count((byte)0x1e));
                if (span.IndexOf(resync) >= 0)
                {
                    Interlocked.Increment(ref _resyncs);
                }
            }
        }
    }
}
