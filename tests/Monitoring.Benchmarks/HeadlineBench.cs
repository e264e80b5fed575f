using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Monitoring.Core.Inventory;
using Monitoring.Testing;

namespace Monitoring.Benchmarks;

/// <summary>
/// Issue 14's headline, end to end against the real server as a child process (dotnet monitoring.dll, as the kill -9
/// tests start it): a generated room of 500 racks (1,000 switches, 9,000 servers: 10,000 devices, ~120,000 value
/// series), RATE samples/s pushed as line protocol over HTTP with an API token for SECONDS, VictoriaMetrics attached as
/// the server's InfluxDB target, one console joined to the room on a real WebSocket (counting every byte it receives),
/// a port-down alarm raised over HTTP every few seconds (HTTP write to "alarm" at the console), and /api/series for
/// one hour of one series every few seconds. 429/503 with Retry-After are waited out and the body sent again (as
/// Telegraf does), and counted. At the end it waits until the history and the InfluxDB target have taken everything,
/// then prints: samples acknowledged, in the history, in VictoriaMetrics, the refusals, the latencies, the console's
/// bytes/s, the server's RSS and CPU (and VictoriaMetrics' CPU on the same data) and the history's bytes per sample.
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- headline [SECONDS] [RATE]
/// </summary>
public static class HeadlineBench
{
    private const string FirstPassword = "headline-first-0001";
    private const string Password = "headline-admin-0002";
    private const int LinesPerRequest = 5_000;
    private const int Senders = 4;
    private const double ClockTicksPerSecond = 100.0; // USER_HZ on Linux

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 600;
        var rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50_000;
        var racks = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 500;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"headline: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load average {LoadAverage()}; {racks} racks, {rate:N0} samples/s for {seconds} s"));

        var profiles = HubTrafficBench.Profiles(racks);
        var work = Directory.CreateTempSubdirectory("headline-").FullName;
        var data = Directory.CreateDirectory(Path.Combine(work, "data")).FullName;
        var rules = Directory.CreateDirectory(Path.Combine(work, "rules")).FullName;
        // one rule: the alarms this benchmark raises on purpose (the load itself stays healthy)
        await File.WriteAllTextAsync(Path.Combine(rules, "headline.yaml"), """
            rules:
              - id: port-down
                name: 端口中断
                nameEn: Port down
                severity: major
                down: true
                scope: { kind: [switch, server] }
                state:
                  metric: interface.oper_status
                  values: [2, 7]
                  while: { metric: interface.admin_status, in: [1] }
                message: "{deviceName} port {portName} down"
            """).ConfigureAwait(false);
        var inventory = InventoryLoader.Load(profiles);
        var series = Series(inventory);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  room: {inventory.Devices.Count:N0} devices, {series.Length:N0} series, one sample each every {series.Length / (double)rate:F1} s"));

        using var victoria = await PeerProcess.StartVictoriaMetricsAsync(Directory.CreateDirectory(Path.Combine(work, "victoria")).FullName, "-search.latencyOffset=0s").ConfigureAwait(false);
        using var server = ServerProcess.Start(data, [
            "--profiles", profiles, "--Monitoring:Alarms:RulesDirectory", rules, "--Logging:LogLevel:Default", "Warning",
            "--Monitoring:Ingest:MaxSeriesPerMeasurement", "1000000",
            "--Monitoring:Influx:Targets:0:Name", "victoria", "--Monitoring:Influx:Targets:0:Url", victoria.Url,
            "--Monitoring:Influx:Targets:0:Version", "1", "--Monitoring:Influx:Targets:0:Database", "noc"]);
        var exit = 1;
        try
        {
            await server.WaitReadyAsync().ConfigureAwait(false);
            var (admin, token) = await SignInAsync(server.Address).ConfigureAwait(false);
            using var adminClient = admin;
            await using var console = await CountingConsole.ConnectAsync(server.Address, admin.Cookies, "demo-big").ConfigureAwait(false);

            var serverCpu0 = CpuSeconds(server.Pid);
            var victoriaCpu0 = CpuSeconds(victoria.Pid);
            var load = new Load(server.Address, token, series, rate);
            using var stop = new CancellationTokenSource();
            var loadTask = load.RunAsync(stop.Token);
            var queries = QueryLoopAsync(admin.Http, inventory.Devices.First(d => d.Kind == DeviceKind.Server).Id, stop.Token);
            var probes = AlarmProbesAsync(server.Address, token, inventory, console, load, seconds, stop.Token);
            var rss = new RssSampler(server.Pid);
            var consoleBytes0 = console.Bytes;
            var started = Stopwatch.GetTimestamp();
            var progress = Stopwatch.GetTimestamp();
            long? consoleBytesHalf = null;
            var halfAt = 0.0;
            while (Stopwatch.GetElapsedTime(started).TotalSeconds < seconds && !server.HasExited)
            {
                await Task.Delay(1000).ConfigureAwait(false);
                rss.Sample();
                if (consoleBytesHalf is null && Stopwatch.GetElapsedTime(started).TotalSeconds >= seconds / 2.0)
                {
                    // the second half: the first sample of every series (each device from unknown to ok) is behind
                    consoleBytesHalf = console.Bytes;
                    halfAt = Stopwatch.GetElapsedTime(started).TotalSeconds;
                }

                if (Stopwatch.GetElapsedTime(progress).TotalSeconds >= 30)
                {
                    progress = Stopwatch.GetTimestamp();
                    var h = await HistoryAsync(server.Address).ConfigureAwait(false);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {Stopwatch.GetElapsedTime(started).TotalSeconds,4:F0} s: acknowledged {load.Acknowledged:N0}, history written {h.Written:N0} (pending {h.Pending:N0}), 429/503 {load.Refused}, 5xx {load.ServerErrors}, errors {load.Errors}, console {console.Bytes / 1024.0 / Stopwatch.GetElapsedTime(started).TotalSeconds:F1} KB/s, load average {LoadAverage()}"));
                }
            }

            var loadSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var consoleBytes = console.Bytes - consoleBytes0;
            var consoleSecondHalf = (console.Bytes - (consoleBytesHalf ?? consoleBytes0)) / Math.Max(1, loadSeconds - halfAt);
            await stop.CancelAsync().ConfigureAwait(false);
            await loadTask.ConfigureAwait(false);
            var seriesLatencies = await queries.ConfigureAwait(false);
            var alarmLatencies = await probes.ConfigureAwait(false);

            // everything acknowledged is flushed into the history and sent to VictoriaMetrics before the count
            var drained = await DrainAsync(server.Address).ConfigureAwait(false);
            rss.Sample();
            var serverCpu = CpuSeconds(server.Pid) - serverCpu0;
            using var vm = new HttpClient { BaseAddress = new Uri(victoria.Url), Timeout = TimeSpan.FromMinutes(5) };
            using (await vm.GetAsync(new Uri("/internal/force_flush", UriKind.Relative)).ConfigureAwait(false))
            {
            }

            var victoriaCpu = CpuSeconds(victoria.Pid) - victoriaCpu0;
            var inVictoria = await VictoriaCountAsync(vm, Stopwatch.GetElapsedTime(started).TotalSeconds + 120).ConfigureAwait(false);
            var history = await HistoryAsync(server.Address).ConfigureAwait(false);
            var historyFolder = Path.Combine(data, "history");
            var historyBytes = FolderBytes(data, "history.db") + (Directory.Exists(historyFolder) ? FolderBytes(historyFolder, string.Empty) : 0); // series catalog + the engine's segments, blocks and rollups
            var dataBytes = FolderBytes(data, string.Empty);
            var acknowledged = load.Acknowledged + load.ProbeSamples;
            var allEqual = acknowledged == history.Written && history.Written == inVictoria;
            var lost = server.Output.Count(l => l.Contains("lost", StringComparison.OrdinalIgnoreCase) || l.Contains("dropped", StringComparison.OrdinalIgnoreCase));

            var p = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(p, $"headline results ({loadSeconds:F0} s of load, {load.Acknowledged / loadSeconds:N0} samples/s acknowledged of {rate:N0} asked; drained in {drained.TotalSeconds:F0} s):"));
            Console.WriteLine(string.Create(p, $"  samples acknowledged (2xx)       {acknowledged:N0} ({load.Acknowledged:N0} load + {load.ProbeSamples} alarm probes; {load.Requests:N0} requests)"));
            Console.WriteLine(string.Create(p, $"  samples in the embedded history  {history.Written:N0} (pending {history.Pending:N0}, flushes {history.Flushes:N0}, flush failures {history.FlushFailures})"));
            Console.WriteLine(string.Create(p, $"  samples in VictoriaMetrics       {inVictoria:N0}"));
            Console.WriteLine(string.Create(p, $"  all three equal                  {(allEqual ? "yes" : "NO")}"));
            Console.WriteLine(string.Create(p, $"  answers 5xx (not 503)            {load.ServerErrors}; 429/503 waited out and re-sent {load.Refused}; transport errors re-sent {load.Errors}"));
            Console.WriteLine(string.Create(p, $"  alarm HTTP write -> console      {Describe(alarmLatencies.Latencies)} over {alarmLatencies.Latencies.Count} alarms, from the start of the POST that got the 2xx ({alarmLatencies.Missed} probes without an alarm in 30 s)"));
            Console.WriteLine(string.Create(p, $"    the same from the first attempt   {Describe(alarmLatencies.WithRetries ?? [])} (the probes got {alarmLatencies.Refused} 429/503 answers before their 2xx)"));
            Console.WriteLine(string.Create(p, $"  console (joined, no panel)       {consoleBytes / loadSeconds / 1024:F1} KB/s over the run ({consoleSecondHalf / 1024:F1} KB/s in its second half), {console.Messages:N0} messages, largest {console.LargestMessage:N0} bytes, dropped WebSockets {console.Drops}, resyncs {console.Resyncs}"));
            Console.WriteLine(string.Create(p, $"  server RSS max                   {rss.MaxBytes / 1048576.0:F0} MiB (VmHWM {rss.HighWaterMark() / 1048576.0:F0} MiB)"));
            Console.WriteLine(string.Create(p, $"  CPU-s per million samples        server {serverCpu / (acknowledged / 1e6):F2} ({serverCpu:F1} s), VictoriaMetrics {victoriaCpu / (acknowledged / 1e6):F2} ({victoriaCpu:F1} s): ratio {serverCpu / Math.Max(victoriaCpu, 0.01):F2}x"));
            Console.WriteLine(string.Create(p, $"  history disk                     {historyBytes / (double)Math.Max(1, history.Written):F1} bytes/sample ({historyBytes / 1048576.0:F0} MiB; whole data folder with the journal {dataBytes / 1048576.0:F0} MiB)"));
            Console.WriteLine(string.Create(p, $"  /api/series, 1 h of one series   {Describe(seriesLatencies.Latencies)} over {seriesLatencies.Latencies.Count} queries; non-200 answers {seriesLatencies.Failures}"));
            Console.WriteLine(string.Create(p, $"  server log lines naming a loss   {lost}; server exited early {(server.HasExited ? "YES" : "no")}"));
            foreach (var line in server.Output.Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("lost", StringComparison.OrdinalIgnoreCase)).Take(5))
            {
                Console.WriteLine("    " + line);
            }

            exit = allEqual && load.ServerErrors == 0 ? 0 : 1;
        }
        finally
        {
            await server.StopAsync().ConfigureAwait(false);
            TryDelete(work);
            TryDelete(profiles);
        }

        return exit;
    }

    /// <summary>Every value series of the room as a line-protocol prefix (measurement and tags, up to the field).</summary>
    private static string[] Series(Inventory inventory)
    {
        var lines = new List<string>();
        foreach (var device in inventory.Devices)
        {
            lines.Add($"cpu,device={device.Id} usage=");
            lines.Add($"memory,device={device.Id} usage=");
            foreach (var port in device.Model.Ports)
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"interface,device={device.Id},port={port.Index} in_bps="));
            }
        }

        return [.. lines];
    }

    private static async Task<(SignedInClient Admin, string Token)> SignInAsync(Uri address)
    {
        var admin = SignedInClient.Anonymous(address);
        await admin.SignInAsync("admin", FirstPassword).ConfigureAwait(false);
        using (var changed = await admin.Http.PostAsJsonAsync("/api/auth/password", new { current = FirstPassword, @new = Password }).ConfigureAwait(false))
        {
            changed.EnsureSuccessStatusCode();
            admin.Antiforgery = (await changed.Content.ReadFromJsonAsync<JsonElement>().ConfigureAwait(false)).GetProperty("antiforgery").GetString();
        }

        using var created = await admin.Http.PostAsJsonAsync("/api/tokens", new { name = "headline-writer", scopes = new[] { "samples:write" } }).ConfigureAwait(false);
        created.EnsureSuccessStatusCode();
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>().ConfigureAwait(false)).GetProperty("secret").GetString()!;
        return (admin, token);
    }

    private static HttpClient WriteClient(Uri address, string token)
    {
        var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", token);
        return http;
    }

    /// <summary>
    /// POSTs a body until it is acknowledged: 429/503 wait for Retry-After, other failures 1 s. Returns whether a 2xx came
    /// and when (Stopwatch timestamp) the attempt that got it started.
    /// </summary>
    private static async Task<(bool Acknowledged, long AttemptStarted)> SendAsync(HttpClient http, byte[] body, Load counters)
    {
        while (true)
        {
            TimeSpan wait;
            var attempt = Stopwatch.GetTimestamp();
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
                using var response = await http.PostAsync(new Uri("/write?db=noc&precision=ms", UriKind.Relative), content, CancellationToken.None).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    Interlocked.Increment(ref counters.Requests);
                    return (true, attempt);
                }

                if (status is 429 or 503)
                {
                    Interlocked.Increment(ref counters.Refused);
                    wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                }
                else if (status >= 500)
                {
                    Interlocked.Increment(ref counters.ServerErrors);
                    wait = TimeSpan.FromSeconds(1);
                }
                else
                {
                    counters.LastClientError = $"{status}: {await response.Content.ReadAsStringAsync(CancellationToken.None).ConfigureAwait(false)}";
                    Interlocked.Increment(ref counters.ClientErrors);
                    return (false, attempt); // a 4xx will not get better by sending it again
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref counters.Errors);
                wait = TimeSpan.FromSeconds(1);
            }

            await Task.Delay(wait, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The line-protocol load: a producer making LinesPerRequest-line bodies at the rate, Senders posting them.</summary>
    private sealed class Load(Uri address, string token, string[] series, int rate)
    {
        public long Requests;
        public long Refused;
        public long ServerErrors;
        public long ClientErrors;
        public long Errors;
        public long ProbeSamples;
        public string? LastClientError;
        private long _acknowledged;

        public long Acknowledged => Interlocked.Read(ref _acknowledged);

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var bodies = Channel.CreateBounded<(byte[] Body, int Lines)>(new BoundedChannelOptions(Senders * 2) { SingleWriter = true });
            var senders = Enumerable.Range(0, Senders).Select(_ => Task.Run(async () =>
            {
                using var http = WriteClient(address, token);
                await foreach (var (body, lines) in bodies.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    if ((await SendAsync(http, body, this).ConfigureAwait(false)).Acknowledged)
                    {
                        Interlocked.Add(ref _acknowledged, lines);
                    }
                }
            })).ToArray();

            var random = new Random(20261207);
            var text = new StringBuilder(LinesPerRequest * 64);
            var next = 0;
            long produced = 0;
            var started = Stopwatch.GetTimestamp();
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                {
                    // catch up when a tick was late or the senders held the producer back, so the average holds
                    var due = (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * rate) - produced;
                    while (due >= LinesPerRequest)
                    {
                        var n = (int)Math.Min(due, LinesPerRequest);
                        var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
                        text.Clear();
                        for (var i = 0; i < n; i++)
                        {
                            var prefix = series[next];
                            next = (next + 1) % series.Length;
                            text.Append(prefix).Append(prefix[0] == 'i' ? random.Next(0, 1_000_000_000) : random.Next(5, 60)).Append(prefix[0] == 'i' ? "i " : " ").Append(ms).Append('\n');
                        }

                        await bodies.Writer.WriteAsync((Encoding.UTF8.GetBytes(text.ToString()), n), cancellationToken).ConfigureAwait(false);
                        produced += n;
                        due -= n;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }

            bodies.Writer.Complete();
            await Task.WhenAll(senders).ConfigureAwait(false);
        }
    }

    private sealed record Timings(List<double> Latencies, int Missed, int Failures, List<double>? WithRetries = null, int Refused = 0);

    /// <summary>One hour of one series' raw samples from /api/series every 3 s while the load runs.</summary>
    private static async Task<Timings> QueryLoopAsync(HttpClient http, string device, CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var to = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                using var response = await http.GetAsync(new Uri($"/api/series?device={device}&metric=cpu.usage&from={to - 3_600_000}&to={to}", UriKind.Relative), CancellationToken.None).ConfigureAwait(false);
                _ = await response.Content.ReadAsByteArrayAsync(CancellationToken.None).ConfigureAwait(false);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures++;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                failures++;
            }

            try
            {
                await Task.Delay(3000, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return new Timings(latencies, 0, failures);
    }

    /// <summary>Every 10 s (at most 60 times) a different switch port goes down over HTTP; the time until the console gets its alarm.</summary>
    private static async Task<Timings> AlarmProbesAsync(Uri address, string token, Inventory inventory, CountingConsole console, Load load, int seconds, CancellationToken cancellationToken)
    {
        using var http = WriteClient(address, token);
        var ports = inventory.Devices.Where(d => d.Kind == DeviceKind.Switch).SelectMany(d => d.Model.Ports.Take(1).Select(p => (Device: d.Id, Port: p.Index))).ToList();
        var probes = Math.Clamp(seconds / 10, 1, 60);
        var latencies = new List<double>();
        var missed = 0;
        var pending = new List<(string Device, int Port, long Sent, long Accepted)>();
        var counters = new Load(address, token, [], 0);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < probes && !cancellationToken.IsCancellationRequested; i++)
            {
                var (device, port) = ports[(i * 37) % ports.Count];
                var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                    $"interface,device={device},port={port} admin_status=1i,oper_status=2i {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\n"));
                var sent = Stopwatch.GetTimestamp();
                var (acknowledged, accepted) = await SendAsync(http, body, counters).ConfigureAwait(false);
                if (acknowledged)
                {
                    Interlocked.Add(ref load.ProbeSamples, 2);
                    pending.Add((device, port, sent, accepted));
                }

                await Task.Delay(TimeSpan.FromSeconds(Math.Max(1.0, (seconds - 15.0) / probes)), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }

        var deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        var withRetries = new List<double>();
        foreach (var (device, port, sent, accepted) in pending)
        {
            var received = await console.WaitForAlarmAsync(device, port, deadline).ConfigureAwait(false);
            if (received is long at)
            {
                // from the start of the POST that got the 2xx; the wait through 503s before it is reported apart
                latencies.Add((at - accepted) * 1000.0 / Stopwatch.Frequency);
                withRetries.Add((at - sent) * 1000.0 / Stopwatch.Frequency);
            }
            else
            {
                missed++;
            }
        }

        return new Timings(latencies, missed, (int)(counters.ServerErrors + counters.ClientErrors), withRetries, (int)counters.Refused);
    }

    private static string Describe(List<double> values)
    {
        if (values.Count == 0)
        {
            return "no value";
        }

        var sorted = values.Order().ToList();
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"p50 {At(0.5):F1} ms, p99 {At(0.99):F1} ms, max {sorted[^1]:F1} ms");
    }

    private readonly record struct HistoryCounters(long Written, long Pending, long Flushing, long Flushes, long FlushFailures, long InfluxQueued, long InfluxBuffered);

    private static async Task<HistoryCounters> HistoryAsync(Uri address)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        var health = await http.GetFromJsonAsync<JsonElement>(new Uri("/healthz", UriKind.Relative)).ConfigureAwait(false);
        var components = health.GetProperty("components");
        var history = components.GetProperty("history");
        var influx = components.GetProperty("influx");
        var buffered = influx.TryGetProperty("targets", out var targets) ? targets.EnumerateArray().Sum(t => t.GetProperty("pointsBuffered").GetInt64()) : 0;
        return new HistoryCounters(
            history.GetProperty("samplesWritten").GetInt64(), history.GetProperty("pending").GetInt64(), history.GetProperty("flushing").GetInt64(),
            history.GetProperty("flushes").GetInt64(), history.GetProperty("flushFailures").GetInt64(),
            influx.TryGetProperty("queuedSamples", out var q) ? q.GetInt64() : 0, buffered);
    }

    /// <summary>Waits (up to 15 minutes) until the history's buffer is flushed and the InfluxDB target has nothing queued or buffered.</summary>
    private static async Task<TimeSpan> DrainAsync(Uri address)
    {
        var started = Stopwatch.GetTimestamp();
        var settled = 0;
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(15))
        {
            var h = await HistoryAsync(address).ConfigureAwait(false);
            settled = h.Pending == 0 && h.Flushing == 0 && h.InfluxQueued == 0 && h.InfluxBuffered == 0 ? settled + 1 : 0;
            if (settled >= 3)
            {
                return Stopwatch.GetElapsedTime(started);
            }

            await Task.Delay(1000).ConfigureAwait(false);
        }

        Console.WriteLine("  the history or the InfluxDB target did not drain within 15 minutes");
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Every sample VictoriaMetrics holds (all series) over the last <paramref name="windowSeconds"/>.</summary>
    private static async Task<long> VictoriaCountAsync(HttpClient vm, double windowSeconds)
    {
        var query = Uri.EscapeDataString($"sum(count_over_time({{__name__=~\".+\"}}[{(int)windowSeconds}s]))");
        var json = await vm.GetFromJsonAsync<JsonElement>(new Uri($"/api/v1/query?query={query}", UriKind.Relative)).ConfigureAwait(false);
        var result = json.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? 0 : long.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>utime + stime of a process, in seconds (/proc/PID/stat).</summary>
    internal static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static long FolderBytes(string folder, string prefix) =>
        Directory.EnumerateFiles(folder, prefix + "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class RssSampler(int pid)
    {
        public long MaxBytes { get; private set; }

        public void Sample()
        {
            var rss = Status("VmRSS:");
            MaxBytes = Math.Max(MaxBytes, rss);
        }

        public long HighWaterMark() => Status("VmHWM:");

        private long Status(string key)
        {
            try
            {
                var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
                return line is null ? 0 : long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
            catch (IOException)
            {
                return 0;
            }
        }
    }

    /// <summary>The real server as a child process (dotnet monitoring.dll) on a free loopback port.</summary>
    internal sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();

        private ServerProcess(Process process, Uri address)
        {
            _process = process;
            Address = address;
        }

        public Uri Address { get; }

        public int Pid => _process.Id;

        public bool HasExited => _process.HasExited;

        public IEnumerable<string> Output => _output;

        public static ServerProcess Start(string data, string[] args)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "monitoring.dll");
            if (!File.Exists(dll))
            {
                throw new InvalidOperationException($"{dll} is missing: build Monitoring.Server");
            }

            var port = PeerProcess.FreePort();
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { dll, "--urls", $"http://127.0.0.1:{port}", "--data", data, "--simulator", "false" }.Concat(args))
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["Monitoring__Auth__AdminPassword"] = FirstPassword;
            var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
            var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
            process.OutputDataReceived += (_, e) => server.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return server;
        }

        public async Task WaitReadyAsync()
        {
            using var probe = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(10) };
            var deadline = Stopwatch.GetTimestamp() + (300 * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"the server exited with {_process.ExitCode}: {string.Join('\n', _output.TakeLast(50))}");
                }

                try
                {
                    using var health = await probe.GetAsync(new Uri("/healthz", UriKind.Relative)).ConfigureAwait(false);
                    if (health.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable)
                    {
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }

                await Task.Delay(200).ConfigureAwait(false);
            }

            throw new TimeoutException($"the server did not answer /healthz in 300 s: {string.Join('\n', _output.TakeLast(50))}");
        }

        /// <summary>SIGTERM and wait for the graceful stop (up to 2 minutes), then kill.</summary>
        public async Task StopAsync()
        {
            if (_process.HasExited)
            {
                return;
            }

            using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture) } })!)
            {
                await kill.WaitForExitAsync().ConfigureAwait(false);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
        }

        private void Keep(string? line)
        {
            if (line is not null && _output.Count < 20_000)
            {
                _output.Enqueue(line);
            }
        }
    }

    /// <summary>A console on a raw WebSocket (SignalR JSON protocol) joined to a room: counts bytes, notes when each alarm arrives.</summary>
    private sealed class CountingConsole : IAsyncDisposable
    {
        private readonly Uri _server;
        private readonly CookieContainer _cookies;
        private readonly string _room;
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentDictionary<(string Device, int Port), long> _alarms = new();
        private ClientWebSocket _socket = new();
        private Task _loop = Task.CompletedTask;
        private long _bytes;
        private long _messages;
        private long _largest;

        private CountingConsole(Uri server, CookieContainer cookies, string room)
        {
            _server = server;
            _cookies = cookies;
            _room = room;
        }

        public long Bytes => Interlocked.Read(ref _bytes);

        public long Messages => Interlocked.Read(ref _messages);

        public long LargestMessage => Interlocked.Read(ref _largest);

        public int Drops { get; private set; }

        public int Resyncs { get; private set; }

        public static async Task<CountingConsole> ConnectAsync(Uri server, CookieContainer cookies, string room)
        {
            var console = new CountingConsole(server, cookies, room);
            await console.OpenAsync().ConfigureAwait(false);
            console._loop = Task.Run(() => console.ReceiveAsync(console._stop.Token));
            return console;
        }

        public async Task<long?> WaitForAlarmAsync(string device, int port, long deadline)
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                if (_alarms.TryGetValue((device, port), out var at))
                {
                    return at;
                }

                await Task.Delay(50).ConfigureAwait(false);
            }

            return _alarms.TryGetValue((device, port), out var last) ? last : null;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            _socket.Abort();
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

        private async Task OpenAsync()
        {
            _socket.Dispose();
            _socket = new ClientWebSocket();
            _socket.Options.Cookies = _cookies;
            await _socket.ConnectAsync(new UriBuilder(_server) { Scheme = "ws", Path = "/hubs/live" }.Uri, CancellationToken.None).ConfigureAwait(false);
            await SendAsync("{\"protocol\":\"json\",\"version\":1}").ConfigureAwait(false);
            await SendAsync(JsonSerializer.Serialize(new { type = 1, target = "JoinRoom", arguments = new object[] { _room } })).ConfigureAwait(false);
        }

        private Task SendAsync(string json) =>
            _socket.SendAsync(Encoding.UTF8.GetBytes(json + '\u001e'), WebSocketMessageType.Text, true, CancellationToken.None);

        private async Task ReceiveAsync(CancellationToken cancellationToken)
        {
            var chunk = new byte[256 * 1024];
            var message = new ArrayBufferWriter<byte>();
            var alarm = "\"target\":\"alarm\""u8.ToArray();
            var resync = "\"target\":\"resync\""u8.ToArray();
            while (!cancellationToken.IsCancellationRequested)
            {
                WebSocketReceiveResult result;
                try
                {
                    result = await _socket.ReceiveAsync(chunk, cancellationToken).ConfigureAwait(false);
                }
                catch (WebSocketException)
                {
                    result = new WebSocketReceiveResult(0, WebSocketMessageType.Close, true);
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }

                    Drops++;
                    message.Clear();
                    await OpenAsync().ConfigureAwait(false);
                    continue;
                }

                var at = Stopwatch.GetTimestamp();
                Interlocked.Add(ref _bytes, result.Count);
                message.Write(chunk.AsSpan(0, result.Count));
                if (!result.EndOfMessage)
                {
                    continue;
                }

                // a WebSocket message may carry several hub messages, each ended by 0x1e
                var span = message.WrittenSpan;
                while (span.Length > 0)
                {
                    var end = span.IndexOf((byte)0x1e);
                    var one = end < 0 ? span : span[..end];
                    Interlocked.Increment(ref _messages);
                    if (one.Length > Interlocked.Read(ref _largest))
                    {
                        Interlocked.Exchange(ref _largest, one.Length);
                    }

                    if (one.IndexOf(resync) >= 0)
                    {
                        Resyncs++;
                    }

                    if (one.IndexOf(alarm) >= 0)
                    {
                        NoteAlarm(one, at);
                    }

                    span = end < 0 ? [] : span[(end + 1)..];
                }

                message.Clear();
            }
        }

        private void NoteAlarm(ReadOnlySpan<byte> json, long at)
        {
            var reader = new Utf8JsonReader(json);
            if (!JsonDocument.TryParseValue(ref reader, out var document))
            {
                return;
            }

            using (document)
            {
                foreach (var argument in document.RootElement.GetProperty("arguments").EnumerateArray())
                {
                    if (argument.TryGetProperty("alarm", out var a) && a.TryGetProperty("target", out var target)
                        && target.TryGetProperty("deviceId", out var device) && target.TryGetProperty("port", out var port) && port.ValueKind == JsonValueKind.Number)
                    {
                        _alarms.TryAdd((device.GetString() ?? string.Empty, port.GetInt32()), at);
                    }
                }
            }
        }
    }
}
