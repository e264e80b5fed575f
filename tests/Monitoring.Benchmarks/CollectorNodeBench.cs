using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Monitoring.Server.Hosting;
using Monitoring.Simulator.Modbus;
using Monitoring.Testing;

namespace Monitoring.Benchmarks;

/// <summary>
/// A remote collector node's capacity (issue 22): the real server and a real <c>monitoring collector</c> as child
/// processes; DEVICES temperature/humidity sensors (2 holding registers, one read each, every second) of zone "bench"
/// behind simulated Modbus gateways of 50 unit ids in this process. After a warm-up, RUNS windows of SECONDS each report
/// the samples/s the node polled and pushed (its heartbeats' samplesPolled), polls, failures, its backlog at the end
/// (0: the server keeps up), the node's and the server's CPU (cores) and the node's peak RSS.
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- collector-node [DEVICES] [SECONDS] [RUNS]
/// </summary>
public static class CollectorNodeBench
{
    private const int UnitsPerGateway = 50;
    private const string FirstPassword = "headline-first-0001";
    private const string Password = "collector-bench-0002";

    public static async Task<int> RunAsync(string[] args)
    {
        var devices = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
        var runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var root = Directory.CreateTempSubdirectory("collector-bench-").FullName;
        var gateways = new List<ModbusTcpServer>();
        HeadlineBench.ServerProcess? server = null;
        Process? node = null;
        try
        {
            for (var g = 0; g * UnitsPerGateway < devices; g++)
            {
                var units = new Dictionary<byte, SimulatedUnit>();
                for (var u = 1; u <= UnitsPerGateway; u++)
                {
                    var unit = new SimulatedUnit(4, 4, 4, 4);
                    unit.HoldingRegisters[0] = 450;
                    unit.HoldingRegisters[1] = 221;
                    units[(byte)u] = unit;
                }

                var gateway = new ModbusTcpServer(units);
                gateway.Start();
                gateways.Add(gateway);
            }

            var profiles = WriteProfiles(Path.Combine(root, "profiles"), devices, gateways);
            server = HeadlineBench.ServerProcess.Start(Path.Combine(root, "server"), [
                "--profiles", profiles, "--Monitoring:Collectors:RemoteZones:0", "bench", "--Monitoring:Collectors:HeartbeatSeconds", "2"]);
            await server.WaitReadyAsync().ConfigureAwait(false);
            using var admin = SignedInClient.Anonymous(server.Address);
            await admin.SignInAsync("admin", FirstPassword).ConfigureAwait(false);
            using (var changed = await admin.Http.PostAsJsonAsync("/api/auth/password", new { current = FirstPassword, @new = Password }).ConfigureAwait(false))
            {
                changed.EnsureSuccessStatusCode();
                admin.Antiforgery = (await changed.Content.ReadFromJsonAsync<JsonElement>().ConfigureAwait(false)).GetProperty("antiforgery").GetString();
            }

            using var created = await admin.Http.PostAsJsonAsync("/api/tokens", new { name = "bench node", scopes = new[] { "collector" }, zone = "bench" }).ConfigureAwait(false);
            created.EnsureSuccessStatusCode();
            var token = (await created.Content.ReadFromJsonAsync<JsonElement>().ConfigureAwait(false)).GetProperty("secret").GetString()!;
            node = StartNode(server.Address, token, Path.Combine(root, "node"));

            // warm-up: every device polled at least once and a heartbeat past it
            var warm = await WaitAsync(admin, z => z.GetProperty("polls").GetInt64() >= devices * 3L, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"collector-node: {devices} devices x 2 points every 1 s ({devices * 2} samples/s asked), {gateways.Count} gateways, {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
            Console.WriteLine("run  seconds  samples/s  polls/s  failures  backlog_bytes  node_cpu_cores  server_cpu_cores  node_rss_mb");
            var results = new List<double>();
            for (var run = 1; run <= runs; run++)
            {
                var before = warm;
                var clock = Stopwatch.StartNew();
                var nodeCpu = HeadlineBench.CpuSeconds(node.Id);
                var serverCpu = HeadlineBench.CpuSeconds(server.Pid);
                var target = before.GetProperty("lastContact").GetDateTimeOffset().AddSeconds(seconds);
                var after = await WaitAsync(admin, z => z.GetProperty("lastContact").GetDateTimeOffset() >= target, TimeSpan.FromSeconds(seconds + 120)).ConfigureAwait(false);
                var elapsed = (after.GetProperty("lastContact").GetDateTimeOffset() - before.GetProperty("lastContact").GetDateTimeOffset()).TotalSeconds;
                var samples = (after.GetProperty("samplesPolled").GetInt64() - before.GetProperty("samplesPolled").GetInt64()) / elapsed;
                var polls = (after.GetProperty("polls").GetInt64() - before.GetProperty("polls").GetInt64()) / elapsed;
                var failures = after.GetProperty("failures").GetInt64() - before.GetProperty("failures").GetInt64();
                var wall = clock.Elapsed.TotalSeconds;
                var rss = File.ReadLines($"/proc/{node.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))["VmHWM:".Length..].Trim().Split(' ')[0];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{run,3}  {elapsed,7:F1}  {samples,9:F0}  {polls,7:F0}  {failures,8}  {after.GetProperty("backlogBytes").GetInt64(),13}  {(HeadlineBench.CpuSeconds(node.Id) - nodeCpu) / wall,14:F2}  {(HeadlineBench.CpuSeconds(server.Pid) - serverCpu) / wall,16:F2}  {long.Parse(rss, CultureInfo.InvariantCulture) / 1024,11}"));
                results.Add(samples);
                warm = after;
            }

            results.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"samples/s min {results[0]:F0} median {results[results.Count / 2]:F0} max {results[^1]:F0} ({devices} devices, {devices * 2} asked)"));
            return 0;
        }
        finally
        {
            if (node is { HasExited: false })
            {
                node.Kill(entireProcessTree: true);
                await node.WaitForExitAsync().ConfigureAwait(false);
            }

            node?.Dispose();
            if (server is not null)
            {
                await server.StopAsync().ConfigureAwait(false);
                server.Dispose();
            }

            foreach (var gateway in gateways)
            {
                await gateway.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string WriteProfiles(string directory, int devices, List<ModbusTcpServer> gateways)
    {
        var from = PathResolver.ProfilesDirectory(new MonitoringOptions());
        foreach (var folder in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(directory, Path.GetRelativePath(from, folder)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(directory, Path.GetRelativePath(from, file)));
        }

        File.WriteAllText(Path.Combine(directory, "modbus", "th-bench.yaml"), """
            name: temperature/humidity transmitter polled every second (benchmark)
            pollIntervalSeconds: 1
            timeoutMs: 1000
            points:
              - { metric: environment.humidity, table: holding, address: 0, type: int16, scale: 0.1 }
              - { metric: environment.temperature, table: holding, address: 1, type: int16, scale: 0.1 }
            """);
        var room = new StringBuilder("id: bench\nname: Collector bench\nsize: { width: 40, depth: 40, height: 3 }\nzone: bench\nsensors:\n");
        for (var i = 0; i < devices; i++)
        {
            var gateway = gateways[i / UnitsPerGateway].EndPoint.Port;
            room.Append(CultureInfo.InvariantCulture,
                $"  - {{ id: th-{i}, name: Sensor {i}, model: rs485-th-sensor, x: {1 + (i % 38)}, y: 1, z: {1 + (i / 38 % 38)}, address: \"127.0.0.1:{gateway}\", unitId: {1 + (i % UnitsPerGateway)}, profile: modbus/th-bench }}\n");
        }

        File.WriteAllText(Path.Combine(directory, "rooms", "bench.yaml"), room.ToString());
        return directory;
    }

    private static Process StartNode(Uri server, string token, string data)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "monitoring.dll"), "collector", "--server", server.ToString(), "--zone", "bench", "--data", data, "--heartbeat-seconds", "2" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["MONITORING_COLLECTOR_TOKEN"] = token;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the collector node");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<JsonElement> WaitAsync(SignedInClient admin, Func<JsonElement, bool> done, TimeSpan within)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(within.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            // a degraded server answers 503 with the same body
            using var answer = await admin.Http.GetAsync(new Uri("/healthz", UriKind.Relative)).ConfigureAwait(false);
            var health = await answer.Content.ReadFromJsonAsync<JsonElement>().ConfigureAwait(false);
            if (health.GetProperty("components").GetProperty("collectors").GetProperty("zones").TryGetProperty("bench", out var zone)
                && zone.TryGetProperty("polls", out _) && zone.GetProperty("lastContact").ValueKind == JsonValueKind.String && done(zone))
            {
                return zone;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"zone bench: {health.GetProperty("components").GetProperty("collectors")}");
            }

            await Task.Delay(500).ConfigureAwait(false);
        }
    }
}
