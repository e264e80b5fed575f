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
using Status = Monitoring.Core.Inventory.Status;

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
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- hub-traffic [RACKS] [RATE] [SECONDS] [RUNS] [json|messagepack|both]
/// <para>
/// With <c>both</c>, the same server and load serve JSON and MessagePack consoles in turn (json, messagepack, json, ...):
/// each window has only one protocol's four consoles connected, and the process's CPU time over the window is counted
/// beside the bytes (same load in both, so the difference is the hub's). Then each protocol of the server serializes
/// the same status push and panel message many times: bytes and CPU per message.
/// </para>
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
        var protocol = args.Length > 4 ? args[4] : "json";
        if (protocol == "both")
        {
            return await CompareProtocolsAsync(racks, rate, seconds, runs).ConfigureAwait(false);
        }

        var messagePack = protocol == "messagepack";

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

            var (values, ports) = Series(inventory, registry);
            var firstSwitch = inventory.Devices.First(d => d.Kind == DeviceKind.Switch);
            var oneRack = inventory.Devices.Where(d => d.RackId == firstSwitch.RackId).Select(d => d.Id).ToArray();
            await using var status = await CountingHub.ConnectAsync(baseAddress, session.Cookies, "demo-big", [], messagePack).ConfigureAwait(false);
            await using var panel = await CountingHub.ConnectAsync(baseAddress, session.Cookies, "demo-big", [firstSwitch.Id], messagePack).ConfigureAwait(false);
            await using var rack = await CountingHub.ConnectAsync(baseAddress, session.Cookies, "demo-big", oneRack, messagePack).ConfigureAwait(false);
            await using var everything = await CountingHub.ConnectAsync(baseAddress, session.Cookies, "demo-big", [.. inventory.Devices.Select(d => d.Id)], messagePack).ConfigureAwait(false);
            CountingHub[] clients = [status, panel, rack, everything];
            string[] names = ["status only", "panel (1 switch)", $"rack ({oneRack.Length} devices)", $"everything ({inventory.Devices.Count} devices)"];

            using var stop = new CancellationTokenSource();
            var load = Task.Run(() => LoadAsync(pipeline, values, ports, rate, stop.Token));
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
                $"hub traffic ({protocol}): {inventory.Devices.Count:N0} devices, {values.Length:N0} value series, {pushed.Rate:N0} samples/s pushed, {runs} runs of {seconds} s (KB/s received per console, min / median / max):"));
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

    /// <summary>JSON and MessagePack consoles in turn on one server under one load: bytes/s per console and the process's CPU, then per-message serialization.</summary>
    private static async Task<int> CompareProtocolsAsync(int racks, int rate, int seconds, int runs)
    {
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
            using var session = await Monitoring.Testing.TestSignIn.AsAsync(app, baseAddress, "bench", Monitoring.Server.Security.Role.Viewer).ConfigureAwait(false);
            var (values, ports) = Series(inventory, registry);
            var firstSwitch = inventory.Devices.First(d => d.Kind == DeviceKind.Switch);
            var oneRack = inventory.Devices.Where(d => d.RackId == firstSwitch.RackId).Select(d => d.Id).ToArray();
            string[][] subscriptions = [[], [firstSwitch.Id], oneRack, [.. inventory.Devices.Select(d => d.Id)]];
            string[] names = ["status only", "panel (1 switch)", $"rack ({oneRack.Length} devices)", $"everything ({inventory.Devices.Count} devices)"];
            string[] protocols = ["json", "messagepack"];

            using var stop = new CancellationTokenSource();
            var load = Task.Run(() => LoadAsync(pipeline, values, ports, rate, stop.Token));
            await Task.Delay(TimeSpan.FromSeconds(5)).ConfigureAwait(false); // warm-up: every series has a first value
            var rates = protocols.Select(_ => names.Select(_ => new List<double>()).ToArray()).ToArray();
            var cpu = protocols.Select(_ => new List<double>()).ToArray();
            var messages = new long[protocols.Length, names.Length];
            var bytes = new long[protocols.Length, names.Length];
            using var process = Process.GetCurrentProcess();
            for (var run = 0; run < runs; run++)
            {
                for (var p = 0; p < protocols.Length; p++)
                {
                    var clients = new List<CountingHub>();
                    try
                    {
                        foreach (var devices in subscriptions)
                        {
                            clients.Add(await CountingHub.ConnectAsync(baseAddress, session.Cookies, "demo-big", devices, p == 1).ConfigureAwait(false));
                        }

                        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false); // the subscriptions' first messages
                        var before = clients.Select(c => c.Bytes).ToArray();
                        var messagesBefore = clients.Select(c => c.Messages).ToArray();
                        process.Refresh();
                        var cpuBefore = process.TotalProcessorTime;
                        var started = Stopwatch.GetTimestamp();
                        await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
                        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
                        process.Refresh();
                        cpu[p].Add((process.TotalProcessorTime - cpuBefore).TotalSeconds / elapsed);
                        for (var c = 0; c < clients.Count; c++)
                        {
                            rates[p][c].Add((clients[c].Bytes - before[c]) / elapsed);
                            messages[p, c] += clients[c].Messages - messagesBefore[c];
                            bytes[p, c] += clients[c].Bytes - before[c];
                        }
                    }
                    finally
                    {
                        foreach (var client in clients)
                        {
                            await client.DisposeAsync().ConfigureAwait(false);
                        }
                    }
                }
            }

            await stop.CancelAsync().ConfigureAwait(false);
            var pushed = await load.ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hub protocols: {inventory.Devices.Count:N0} devices, {values.Length:N0} value series, {pushed.Rate:N0} samples/s pushed, {runs} windows of {seconds} s per protocol, alternating (min / median / max):"));
            for (var c = 0; c < names.Length; c++)
            {
                var json = rates[0][c].Order().ToList();
                var pack = rates[1][c].Order().ToList();
                var jsonPer = bytes[0, c] / (double)Math.Max(1, messages[0, c]);
                var packPer = bytes[1, c] / (double)Math.Max(1, messages[1, c]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {names[c],-28} json {Triple(json, 1024)} KB/s ({messages[0, c]:N0} msgs, {jsonPer:N0} B/msg), messagepack {Triple(pack, 1024)} KB/s ({messages[1, c]:N0} msgs, {packPer:N0} B/msg); ratio of medians {pack[pack.Count / 2] / json[json.Count / 2]:F2}, of bytes per message {packPer / jsonPer:F2}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  process CPU (server, load and the 4 consoles), CPU-s per s: json {Triple([.. cpu[0].Order()], 1)}, messagepack {Triple([.. cpu[1].Order()], 1)}"));
            Serialization(app.Services, inventory);
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

    private static string Triple(List<double> sorted, double divide) =>
        string.Create(CultureInfo.InvariantCulture, $"{sorted[0] / divide:F2} / {sorted[sorted.Count / 2] / divide:F2} / {sorted[^1] / divide:F2}");

    /// <summary>The server's own two hub protocols serialize a status push (6 devices, 20 ports) and a panel's values (one switch: 50 values): bytes and CPU per message, min / median / max of 5 rounds.</summary>
    private static void Serialization(IServiceProvider services, Inventory inventory)
    {
        var protocols = services.GetServices<Microsoft.AspNetCore.SignalR.Protocol.IHubProtocol>().ToList();
        var switches = inventory.Devices.Where(d => d.Kind == DeviceKind.Switch).Take(6).ToList();
        var at = DateTimeOffset.UtcNow;
        var status = new ChangesMessage("demo-big", [.. switches.Select(d => new DeviceChange(d.Id, Status.Warning))],
            [.. switches.SelectMany(d => d.Model.Ports.Take(4).Select(p => new PortChange(d.Id, p.Index, Status.Down)))], []);
        var panel = new ChangesMessage("demo-big", [], [],
            [new ValueChange(switches[0].Id, null, "cpu.usage", 37.5, at), new ValueChange(switches[0].Id, null, "memory.usage", 61.25, at),
             .. switches[0].Model.Ports.Select(p => new ValueChange(switches[0].Id, p.Index, "interface.in_bps", 123_456_789 + p.Index, at))]);
        const int Count = 20_000;
        foreach (var (name, message) in new[] { ("status push", status), ("panel values", panel) })
        {
            foreach (var protocol in protocols)
            {
                var invocation = new Microsoft.AspNetCore.SignalR.Protocol.InvocationMessage("changes", [message]);
                var bytes = protocol.GetMessageBytes(invocation).Length;
                var micros = new List<double>();
                for (var round = 0; round < 5; round++)
                {
                    var started = Stopwatch.GetTimestamp();
                    for (var i = 0; i < Count; i++)
                    {
                        // what the hub does per broadcast: one serialization per protocol of a fresh message
                        _ = new Microsoft.AspNetCore.SignalR.SerializedHubMessage(invocation).GetSerializedMessage(protocol);
                    }

                    micros.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds / Count);
                }

                micros.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  serialize {name,-13} {protocol.Name,-12} {bytes,6:N0} bytes, {micros[0]:F2} / {micros[2]:F2} / {micros[^1]:F2} us per message"));
            }
        }
    }

    private static (int[] Values, (int Admin, int Oper)[] Ports) Series(Inventory inventory, SeriesRegistry registry)
    {
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

        return ([.. values], [.. ports]);
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
        private static readonly Microsoft.AspNetCore.SignalR.Protocol.MessagePackHubProtocol MessagePackProtocol = new();
        private readonly ClientWebSocket _socket = new();
        private bool _messagePack;

        /// <summary>MessagePack: bytes still to come of the current message, and the length prefix (varint) being read.</summary>
        private long _remaining;
        private long _length;
        private int _shift;
        private bool _handshakeRead;
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        private long _bytes;
        private long _messages;
        private long _resyncs;

        public long Bytes => Interlocked.Read(ref _bytes);

        public long Messages => Interlocked.Read(ref _messages);

        public long Resyncs => Interlocked.Read(ref _resyncs);

        public static async Task<CountingHub> ConnectAsync(Uri server, System.Net.CookieContainer cookies, string room, string[] devices, bool messagePack = false)
        {
            var hub = new CountingHub { _messagePack = messagePack };
            hub._socket.Options.Cookies = cookies;
            await hub._socket.ConnectAsync(new UriBuilder(server) { Scheme = "ws", Path = "/hubs/live" }.Uri, CancellationToken.None).ConfigureAwait(false);
            await hub.SendAsync(messagePack ? "{\"protocol\":\"messagepack\",\"version\":1}" : "{\"protocol\":\"json\",\"version\":1}").ConfigureAwait(false);
            hub._loop = Task.Run(() => hub.ReceiveAsync(hub._stop.Token));
            await hub.InvokeAsync("JoinRoom", room).ConfigureAwait(false);
            // a hub message is at most 32 KB: the subscription goes in chunks
            foreach (var chunk in devices.Chunk(1000))
            {
                await hub.InvokeAsync("SubscribeDevices", chunk).ConfigureAwait(false);
            }

            return hub;
        }

        private Task InvokeAsync(string target, object argument)
        {
            if (!_messagePack)
            {
                return SendAsync(JsonSerializer.Serialize(new { type = 1, target, arguments = new[] { argument } }));
            }

            var bytes = MessagePackProtocol.GetMessageBytes(new Microsoft.AspNetCore.SignalR.Protocol.InvocationMessage(target, [argument]));
            return _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None).AsTask();
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

        /// <summary>MessagePack hub messages are each prefixed with their length (a varint): counts the messages that end in <paramref name="span"/>.</summary>
        private int CountFramed(ReadOnlySpan<byte> span)
        {
            var ended = 0;
            var i = 0;
            if (!_handshakeRead)
            {
                // the handshake's answer is JSON whatever the protocol ("{}" and the record separator)
                var separator = span.IndexOf((byte)0x1e);
                if (separator < 0)
                {
                    return 0;
                }

                _handshakeRead = true;
                i = separator + 1;
            }

            while (i < span.Length)
            {
                if (_remaining > 0)
                {
                    var take = (int)Math.Min(_remaining, span.Length - i);
                    i += take;
                    _remaining -= take;
                    if (_remaining == 0)
                    {
                        ended++;
                    }

                    continue;
                }

                var b = span[i++];
                _length |= (long)(b & 0x7f) << _shift;
                _shift += 7;
                if ((b & 0x80) == 0)
                {
                    _remaining = _length;
                    _length = 0;
                    _shift = 0;
                    if (_remaining == 0)
                    {
                        ended++;
                    }
                }
            }

            return ended;
        }

        private Task SendAsync(string json) =>
            _socket.SendAsync(Encoding.UTF8.GetBytes(json + '\u001e'), WebSocketMessageType.Text, true, CancellationToken.None);

        private async Task ReceiveAsync(CancellationToken cancellationToken)
        {
            var buffer = new byte[256 * 1024];
            var resync = _messagePack ? "resync"u8.ToArray() : "\"target\":\"resync\""u8.ToArray();
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                Interlocked.Add(ref _bytes, result.Count);
                var span = buffer.AsSpan(0, result.Count);
                Interlocked.Add(ref _messages, _messagePack ? CountFramed(span) : span.Count((byte)0x1e));
                if (span.IndexOf(resync) >= 0)
                {
                    Interlocked.Increment(ref _resyncs);
                }
            }
        }
    }
}
