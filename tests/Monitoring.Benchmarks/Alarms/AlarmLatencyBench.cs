using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Server;

namespace Monitoring.Benchmarks.Alarms;

/// <summary>
/// Issue 7's latency and storm figures against the real server (Kestrel on loopback, the hub over a real WebSocket):
/// <list type="number">
/// <item>Latency: a UPS sample that trips (or clears) the ups-on-battery state rule is written into the pipeline while a
/// background load of 100,000 healthy samples/s flows; the time until the hub client receives the "alarm" message,
/// p50/p99 over the probes (goal p99 &lt; 100 ms).</item>
/// <item>Storm: a generated room of one core switch and 1,000 servers that depend on it (in a temp folder) reports for a
/// few seconds, then everything goes silent at once; absence rules (3 poll intervals of 1 s) fire; the time from the
/// silence until a console sees the switch's alarm as the root cause suppressing the 1,000 server alarms, and that only
/// one alarm alerts.</item>
/// </list>
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- alarm-latency [PROBES] [SAMPLES_PER_SECOND]
/// </summary>
public static class AlarmLatencyBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var probes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        var rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        // "no-history": the same run without the embedded history store, to see what its flushes cost the tail
        var history = !args.Contains("no-history", StringComparer.Ordinal);
        var ok = await LatencyAsync(probes, rate, history).ConfigureAwait(false);
        ok &= await StormAsync(1_000).ConfigureAwait(false);
        return ok ? 0 : 1;
    }

    private static async Task<bool> LatencyAsync(int probes, int rate, bool history)
    {
        var data = Directory.CreateTempSubdirectory("alarm-bench-").FullName;
        var app = ServerHost.Build([
            "--urls", "http://127.0.0.1:0", "--data", data, "--simulator", "false", "--Logging:LogLevel:Default", "Warning",
            "--Monitoring:History:Enabled", history ? "true" : "false"]);
        await app.StartAsync().ConfigureAwait(false);
        try
        {
            var inventory = app.Services.GetRequiredService<Inventory>();
            var registry = app.Services.GetRequiredService<SeriesRegistry>();
            var pipeline = app.Services.GetRequiredService<SamplePipeline>();
            using var console = await Monitoring.Testing.TestSignIn.AsAsync(app, new Uri(app.Urls.First()), "bench", Monitoring.Server.Security.Role.Viewer).ConfigureAwait(false);
            await using var hub = await BenchHub.ConnectAsync(new Uri(app.Urls.First()), console.Cookies).ConfigureAwait(false);

            // every probe downs a different switch port (admin up, oper down): a new alarm each time, never a flapping one
            var ports = inventory.Devices.Where(d => d.Kind == DeviceKind.Switch)
                .SelectMany(d => d.Model.Ports.Select(p => (Device: d, Port: p.Index))).ToList();
            var load = inventory.Devices.Where(d => d.Model.FindMetric("cpu.usage") is not null)
                .Select(d => registry.GetOrAdd(d.Index, "cpu.usage", -1)).ToArray();
            using var stop = new CancellationTokenSource();
            var background = Task.Run(() => BackgroundLoadAsync(pipeline, load, rate, stop.Token));

            var latencies = new List<double>(probes);
            var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
            var missed = 0;
            await Task.Delay(1000).ConfigureAwait(false); // the load settles
            for (var i = 0; i < probes; i++)
            {
                var (device, port) = ports[i % ports.Count];
                var started = Stopwatch.GetTimestamp();
                var batch = SampleBatch.Rent(2);
                var now = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
                batch.Add(registry.GetOrAdd(device.Index, "interface.admin_status", port), now, 1);
                batch.Add(registry.GetOrAdd(device.Index, "interface.oper_status", port), now, 2);
                await pipeline.WriteAsync(batch, CancellationToken.None).ConfigureAwait(false);
                try
                {
                    var message = await hub.WaitForAlarmAsync(
                        a => a.GetProperty("alarm").GetProperty("target").GetProperty("deviceId").GetString() == device.Id
                            && a.GetProperty("alarm").GetProperty("target").GetProperty("port") is { ValueKind: JsonValueKind.Number } p && p.GetInt32() == port,
                        TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    kinds[message.GetProperty("kind").GetString() ?? "?"] = kinds.GetValueOrDefault(message.GetProperty("kind").GetString() ?? "?") + 1;
                }
                catch (OperationCanceledException)
                {
                    missed++;
                }

                await Task.Delay(20).ConfigureAwait(false);
            }

            await stop.CancelAsync().ConfigureAwait(false);
            var sent = await background.ConfigureAwait(false);
            if (latencies.Count == 0)
            {
                Console.WriteLine($"alarm latency: no probe reached the console ({missed} missed)");
                return false;
            }

            latencies.Sort();
            var p50 = Percentile(latencies, 0.50);
            var p99 = Percentile(latencies, 0.99);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"alarm latency (sample into the pipeline -> 'alarm' at a SignalR client over WebSocket{(history ? string.Empty : ", history store off")}), {probes} probes under {sent.Rate:N0} samples/s background load: p50 {p50:F2} ms, p99 {p99:F2} ms, max {latencies[^1]:F2} ms (goal p99 < 100 ms){(p99 < 100 ? string.Empty : "  MISSED")}; events {string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"))}; probes without an event {missed}"));
            return true;
        }
        finally
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            TryDelete(data);
        }
    }

    private static async Task<(long Samples, double Rate)> BackgroundLoadAsync(SamplePipeline pipeline, int[] series, int rate, CancellationToken cancellationToken)
    {
        const int TicksPerSecond = 100;
        var perTick = Math.Max(1, rate / TicksPerSecond);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1000.0 / TicksPerSecond));
        var started = Stopwatch.GetTimestamp();
        long samples = 0;
        var k = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                // catch up when a tick was late, so the average holds
                var due = (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * rate) - samples;
                while (due > 0)
                {
                    var n = (int)Math.Min(due, perTick);
                    var batch = SampleBatch.Rent(n);
                    var ns = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
                    for (var i = 0; i < n; i++)
                    {
                        batch.Add(series[k++ % series.Length], ns, 30 + (k % 20));
                    }

                    await pipeline.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                    samples += n;
                    due -= n;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return (samples, samples / Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private static async Task<bool> StormAsync(int servers)
    {
        var profiles = StormProfiles(servers);
        var data = Directory.CreateTempSubdirectory("alarm-storm-").FullName;
        var app = ServerHost.Build([
            "--urls", "http://127.0.0.1:0", "--data", data, "--simulator", "false", "--profiles", profiles,
            "--Monitoring:Alarms:Engine:PollInterval", "00:00:01", "--Monitoring:Alarms:Engine:TicketAfter", "00:00:02", "--Logging:LogLevel:Default", "Warning"]);
        await app.StartAsync().ConfigureAwait(false);
        try
        {
            var inventory = app.Services.GetRequiredService<Inventory>();
            var registry = app.Services.GetRequiredService<SeriesRegistry>();
            var pipeline = app.Services.GetRequiredService<SamplePipeline>();
            using var console = await Monitoring.Testing.TestSignIn.AsAsync(app, new Uri(app.Urls.First()), "bench", Monitoring.Server.Security.Role.Viewer).ConfigureAwait(false);
            await using var hub = await BenchHub.ConnectAsync(new Uri(app.Urls.First()), console.Cookies).ConfigureAwait(false);
            var series = inventory.Devices.Where(d => d.Model.FindMetric("cpu.usage") is not null)
                .Select(d => registry.GetOrAdd(d.Index, "cpu.usage", -1)).ToArray();
            if (series.Length != servers + 1)
            {
                throw new InvalidOperationException($"expected {servers + 1} reporting devices, found {series.Length}");
            }

            for (var round = 0; round < 4; round++)
            {
                var batch = SampleBatch.Rent(series.Length);
                var ns = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
                foreach (var id in series)
                {
                    batch.Add(id, ns, 25);
                }

                await pipeline.WriteAsync(batch, CancellationToken.None).ConfigureAwait(false);
                await Task.Delay(500).ConfigureAwait(false);
            }

            // On a loaded box the warm-up can outlast the absence rule, so devices alarm and clear before the silence
            // starts: drain those messages, or the loop below would take an old root-cause message for the storm's.
            while (await hub.TryNextAlarmAsync(TimeSpan.FromMilliseconds(300)).ConfigureAwait(false) is not null)
            {
            }

            var silent = Stopwatch.GetTimestamp();
            var messages = 0;
            double? firstAlarmMs = null;
            double? rootCauseMs = null;
            while (Stopwatch.GetElapsedTime(silent) < TimeSpan.FromSeconds(60))
            {
                var message = await hub.TryNextAlarmAsync(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
                if (message is { } m)
                {
                    messages++;
                    firstAlarmMs ??= Stopwatch.GetElapsedTime(silent).TotalMilliseconds;
                    var alarm = m.GetProperty("alarm");
                    if (alarm.GetProperty("target").GetProperty("deviceId").GetString() == "core-1" && alarm.GetProperty("suppresses").GetArrayLength() >= servers)
                    {
                        rootCauseMs = Stopwatch.GetElapsedTime(silent).TotalMilliseconds;
                        break;
                    }
                }
            }

            // what a console that connects now is shown, and how fast it is answered; asked again (up to 30 s) while
            // the engine still settles the storm on a loaded box
            double answerMs;
            List<JsonElement> alarms;
            List<JsonElement> down;
            int alerting;
            int suppressed;
            var settle = Stopwatch.GetTimestamp();
            while (true)
            {
                var asked = Stopwatch.GetTimestamp();
                var list = await hub.GetAlarmsAsync().ConfigureAwait(false);
                answerMs = Stopwatch.GetElapsedTime(asked).TotalMilliseconds;
                alarms = list.GetProperty("alarms").EnumerateArray().ToList();
                down = alarms.Where(a => a.GetProperty("ruleId").GetString() == "device-unreachable").ToList();
                alerting = down.Count(a => !a.GetProperty("silent").GetBoolean());
                suppressed = down.Count(a => a.GetProperty("suppressedBy").ValueKind == JsonValueKind.Number);
                if ((alerting == 1 && suppressed == servers) || Stopwatch.GetElapsedTime(settle) > TimeSpan.FromSeconds(30))
                {
                    break;
                }

                await Task.Delay(250).ConfigureAwait(false);
            }

            // issue 19: the storm is one incident (core-1 and the 1,000 it suppresses) with one ticket (asked for 2 s after the raise)
            var incidents = app.Services.GetRequiredService<IIncidentService>();
            var tickets = app.Services.GetRequiredService<Monitoring.Server.Tickets.TicketService>();
            IReadOnlyList<IncidentSnapshot> open;
            int alarmTickets;
            var ticketWait = Stopwatch.GetTimestamp();
            while (true)
            {
                open = incidents.Incidents(open: true);
                alarmTickets = tickets.Live.Count(t => t.Channel == Monitoring.Core.Tickets.TicketChannel.Alarm);
                if ((open.Count == 1 && alarmTickets == 1 && open[0].TicketId is not null) || Stopwatch.GetElapsedTime(ticketWait) > TimeSpan.FromSeconds(30))
                {
                    break;
                }

                await Task.Delay(250).ConfigureAwait(false);
            }

            var members = open.Count == 1 ? open[0].AlarmIds.Count : 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"storm: {servers} servers behind core-1 silent at once (absence after 3 x 1 s): first alarm at the console after {firstAlarmMs:F0} ms, root cause shown (core-1 suppressing {servers}) after {rootCauseMs?.ToString("F0", CultureInfo.InvariantCulture) ?? "never"} ms, {messages} alarm messages up to then; unreachable alarms {down.Count}: {alerting} alerting, {suppressed} suppressed; GetAlarms with {alarms.Count} alarms answered in {answerMs:F1} ms; open incidents {open.Count} ({members} alarms), alarm tickets {alarmTickets}"));
            return rootCauseMs is not null && alerting == 1 && suppressed == servers && open.Count == 1 && members == servers + 1 && alarmTickets == 1;
        }
        finally
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            TryDelete(data);
            TryDelete(profiles);
        }
    }

    /// <summary>The shipped models and rules, and a room with a core switch and <paramref name="servers"/> servers that depend on it.</summary>
    private static string StormProfiles(int servers)
    {
        var source = FindProfiles();
        var target = Directory.CreateTempSubdirectory("alarm-storm-profiles-").FullName;
        foreach (var folder in new[] { "models" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(source, folder), "*", SearchOption.AllDirectories))
            {
                var to = Path.Combine(target, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(file, to);
            }
        }

        const int PerRack = 20;
        const int RacksPerRow = 10;
        var racks = (servers + PerRack - 1) / PerRack;
        var rows = (racks + RacksPerRow - 1) / RacksPerRow;
        var room = new StringBuilder();
        room.AppendLine("id: storm").AppendLine("name: 风暴机房").AppendLine("nameEn: Storm room")
            .AppendLine(CultureInfo.InvariantCulture, $"size: {{ width: {RacksPerRow * 0.6 + 4:F1}, depth: {rows * 2.4 + 4:F1}, height: 3.0 }}")
            .AppendLine("rows:")
            .AppendLine("  - id: row-core").AppendLine("    name: 核心列").AppendLine("    racks:")
            .AppendLine("      - id: core").AppendLine("        name: CORE").AppendLine("        x: 2.0").AppendLine("        z: 1.5").AppendLine("        facing: south").AppendLine("        heightU: 42")
            .AppendLine("        devices:")
            .AppendLine("          - { id: core-1, name: 核心交换机, model: huawei-ce6881-48s6cq, u: 40 }");
        var n = 0;
        for (var row = 0; row < rows; row++)
        {
            room.AppendLine(CultureInfo.InvariantCulture, $"  - id: row-{row}").AppendLine(CultureInfo.InvariantCulture, $"    name: 第{row}列").AppendLine("    racks:");
            for (var r = 0; r < RacksPerRow && n < servers; r++)
            {
                room.AppendLine(CultureInfo.InvariantCulture, $"      - id: r{row}-{r}").AppendLine(CultureInfo.InvariantCulture, $"        name: R{row}-{r}")
                    .AppendLine(CultureInfo.InvariantCulture, $"        x: {2.0 + (r * 0.6):F1}").AppendLine(CultureInfo.InvariantCulture, $"        z: {4.0 + (row * 2.4):F1}")
                    .AppendLine("        facing: south").AppendLine("        heightU: 42").AppendLine("        devices:");
                for (var u = 1; u <= PerRack * 2 && n < servers; u += 2)
                {
                    n++;
                    room.AppendLine(CultureInfo.InvariantCulture, $"          - {{ id: srv-{n:D4}, name: 服务器{n}, model: huawei-2288h-v5, u: {u}, dependsOn: core-1 }}");
                }
            }
        }

        Directory.CreateDirectory(Path.Combine(target, "rules"));
        File.WriteAllText(Path.Combine(target, "rules", "storm.yaml"), """
            rules:
              - id: device-unreachable
                name: 设备不可达
                severity: critical
                down: true
                scope: { kind: [switch, server] }
                absence: { intervals: 3 }
                message: "{deviceName} unreachable for {for}"
            """);
        Directory.CreateDirectory(Path.Combine(target, "rooms"));
        File.WriteAllText(Path.Combine(target, "rooms", "storm.yaml"), room.ToString());
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

        throw new InvalidOperationException("repository root not found");
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A minimal SignalR JSON-protocol client over a raw WebSocket: "alarm" messages and the GetAlarms call.</summary>
    private sealed class BenchHub : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly Channel<JsonElement> _alarms = Channel.CreateUnbounded<JsonElement>();
        private readonly Channel<JsonElement> _completions = Channel.CreateUnbounded<JsonElement>();
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        private int _id;

        public static async Task<BenchHub> ConnectAsync(Uri server, System.Net.CookieContainer cookies)
        {
            var hub = new BenchHub();
            hub._socket.Options.Cookies = cookies;
            await hub._socket.ConnectAsync(new UriBuilder(server) { Scheme = "ws", Path = "/hubs/live" }.Uri, CancellationToken.None).ConfigureAwait(false);
            await hub.SendAsync("{\"protocol\":\"json\",\"version\":1}").ConfigureAwait(false);
            hub._loop = Task.Run(() => hub.ReceiveAsync(hub._stop.Token));
            await hub.GetAlarmsAsync().ConfigureAwait(false);
            return hub;
        }

        public async Task<JsonElement> GetAlarmsAsync()
        {
            var id = Interlocked.Increment(ref _id).ToString(CultureInfo.InvariantCulture);
            await SendAsync($"{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"GetAlarms\",\"arguments\":[]}}").ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var completion = await _completions.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
                if (completion.GetProperty("invocationId").GetString() == id)
                {
                    return completion.GetProperty("result");
                }
            }
        }

        public async Task<JsonElement> WaitForAlarmAsync(Func<JsonElement, bool> match, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (true)
            {
                var message = await _alarms.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
                if (match(message))
                {
                    return message;
                }
            }
        }

        public async Task<JsonElement?> TryNextAlarmAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                return await _alarms.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).ConfigureAwait(false);
            }
            catch (WebSocketException)
            {
            }

            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            _socket.Dispose();
            _stop.Dispose();
        }

        private Task SendAsync(string json) =>
            _socket.SendAsync(Encoding.UTF8.GetBytes(json + "\u001e"), WebSocketMessageType.Text, true, CancellationToken.None);

        private async Task ReceiveAsync(CancellationToken cancellationToken)
        {
            var buffer = new ArrayBufferWriter<byte>();
            var chunk = new byte[64 * 1024];
            while (!cancellationToken.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                WebSocketReceiveResult result;
                try
                {
                    result = await _socket.ReceiveAsync(chunk, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                {
                    break;
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                buffer.Write(chunk.AsSpan(0, result.Count));
                var span = buffer.WrittenSpan;
                var last = span.LastIndexOf((byte)0x1e);
                if (last < 0)
                {
                    continue;
                }

                var start = 0;
                while (start < last)
                {
                    var end = span[start..].IndexOf((byte)0x1e) + start;
                    using var document = JsonDocument.Parse(buffer.WrittenMemory[start..end]);
                    var root = document.RootElement;
                    var type = root.TryGetProperty("type", out var t) ? t.GetInt32() : 0;
                    if (type == 1 && root.GetProperty("target").GetString() == "alarm")
                    {
                        _alarms.Writer.TryWrite(root.GetProperty("arguments")[0].Clone());
                    }
                    else if (type == 3)
                    {
                        _completions.Writer.TryWrite(root.Clone());
                    }

                    start = end + 1;
                }

                var rest = span[(last + 1)..].ToArray();
                buffer.Clear();
                buffer.Write(rest);
            }
        }
    }
}
