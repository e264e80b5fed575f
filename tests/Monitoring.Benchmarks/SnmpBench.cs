using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Collectors;
using Monitoring.Collectors.Snmp;
using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Simulator.Snmp;

namespace Monitoring.Benchmarks;

/// <summary>
/// SNMP benchmarks. The agents (the simulator's <see cref="SnmpAgent"/>: a host with 10 NICs) run in a child process,
/// so each measured poller's CPU is its own.
/// <list type="bullet">
/// <item><c>snmp-compare [ROUNDS] [AGENTS]</c>: this poller, prometheus-snmp-exporter (Debian package, hand-written
/// snmp.yml for the same OIDs) and net-snmp's snmpbulkget, each collecting the same 61 varbinds per device (sysUpTime.0
/// and six ifTable/ifXTable columns of 10 ports) from the same agents: varbinds/s and CPU-seconds per 100,000 varbinds.</item>
/// <item><c>snmp-scale [SECONDS] [DEVICES]</c>: 5,000 simulated devices × 61 OIDs every 60 s, 5 % never answering:
/// the poller's CPU share, memory and schedule slip.</item>
/// </list>
/// </summary>
public static class SnmpBench
{
    public const string Community = "bench-community";
    private const int Ports = 10;

    private static readonly string[] Columns =
    [
        "1.3.6.1.2.1.2.2.1.8",      // ifOperStatus
        "1.3.6.1.2.1.31.1.1.1.6",   // ifHCInOctets
        "1.3.6.1.2.1.31.1.1.1.10",  // ifHCOutOctets
        "1.3.6.1.2.1.2.2.1.14",     // ifInErrors
        "1.3.6.1.2.1.2.2.1.20",     // ifOutErrors
        "1.3.6.1.2.1.31.1.1.1.15",  // ifHighSpeed
    ];

    /// <summary>The child process: serves COUNT agents on 127.0.0.1, every SILENT-th one silent; prints their ports; stops when stdin closes.</summary>
    public static async Task<int> AgentsAsync(string[] args)
    {
        var count = int.Parse(args[0], CultureInfo.InvariantCulture);
        var silentEvery = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
        var (inventory, _) = Inventory(1);
        var device = inventory.Devices[0];
        var simulated = new SimulatedSnmpDevice(device, SimulatedAgentKind.Server, device.Model.Ports.Select(p => p.Index), _ => -1, DateTimeOffset.UtcNow.AddDays(-1));
        var cache = new CachedView(0, simulated.ViewAt(DateTimeOffset.UtcNow));
        MibView View()
        {
            // one view per second for all agents: the agents' cost stays small next to the pollers'
            var now = Environment.TickCount64 / 1000;
            var c = Volatile.Read(ref cache);
            if (c.At != now)
            {
                c = new CachedView(now, simulated.ViewAt(DateTimeOffset.UtcNow));
                Volatile.Write(ref cache, c);
            }

            return c.View;
        }

        var agents = new List<SnmpAgent>(count);
        for (var i = 0; i < count; i++)
        {
            var silent = silentEvery > 0 && (i + 1) % silentEvery == 0;
            agents.Add(new SnmpAgent(View, silent ? null : Community));
        }

        Console.WriteLine("PORTS " + string.Join(' ', agents.Select(a => a.EndPoint.Port.ToString(CultureInfo.InvariantCulture))));
        await Console.Out.FlushAsync().ConfigureAwait(false);
        await Console.In.ReadToEndAsync().ConfigureAwait(false);
        foreach (var agent in agents)
        {
            await agent.DisposeAsync().ConfigureAwait(false);
        }

        return 0;
    }

    public static async Task<int> CompareAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
        var agentCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        using var agents = await AgentProcess.StartAsync(agentCount, 0).ConfigureAwait(false);
        Header($"SNMP pollers side by side: {agentCount} agents × {rounds} rounds, 61 varbinds per device");
        Console.WriteLine("| poller | varbinds | wall s | varbinds/s | CPU s | CPU s per 100,000 varbinds |");
        Console.WriteLine("|---|---|---|---|---|---|");
        await OursAsync(agents.Ports, rounds).ConfigureAwait(false);
        await BulkGetAsync(agents.Ports, Math.Max(1, rounds / 5)).ConfigureAwait(false);
        await ExporterAsync(agents.Ports, Math.Max(1, rounds / 2)).ConfigureAwait(false);
        return 0;
    }

    public static async Task<int> ScaleAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 150;
        var devices = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5000;
        var interval = TimeSpan.FromSeconds(60);
        using var agents = await AgentProcess.StartAsync(devices, 20).ConfigureAwait(false);
        var (inventory, profile) = Inventory(devices);
        profile = profile with { Interval = interval, Timeout = TimeSpan.FromSeconds(2), Retries = 1 };
        var registry = new SeriesRegistry(inventory);
        await using var client = new SnmpClient(new SnmpClientOptions { MaxOutstandingRequests = 512 });
        var pollers = new List<IDevicePoller>(devices);
        for (var i = 0; i < devices; i++)
        {
            var target = new SnmpTarget(new IPEndPoint(IPAddress.Loopback, agents.Ports[i]), SnmpVersion.V2c, Community) { Timeout = profile.Timeout, Retries = profile.Retries };
            pollers.Add(new SnmpDevicePoller(inventory.Devices[i], profile, target, client, registry));
        }

        var health = new PollHealth();
        var sink = new CountingSink();
        using var scheduler = new PollScheduler(TimeProvider.System, health, sink, NullLogger<PollScheduler>.Instance, maxConcurrentPolls: 512);
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var run = scheduler.RunAsync(pollers, stop.Token);
        long peakWorkingSet = 0;
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(1000)).ConfigureAwait(false);
            process.Refresh();
            peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
        }

        await run.ConfigureAwait(false);
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        var states = health.Snapshot();
        var ok = states.Count(s => s.LastOutcome == PollOutcome.Ok);
        var slips = states.Where(s => s.Polls > 1).Select(s => s.LastSlip.TotalMilliseconds).Order().ToArray();
        Header($"SNMP scale: {devices} devices × 61 OIDs every {interval.TotalSeconds:0} s, 5 % never answering, {seconds} s");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"polls: {states.Sum(s => s.Polls)}, devices ok at their last poll: {ok}, failing: {states.Count - ok}, samples: {sink.Samples}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"poller CPU: {cpu:0.00} s over {wall.Elapsed.TotalSeconds:0} s = {100 * cpu / wall.Elapsed.TotalSeconds:0.00} % of one core ({100 * cpu / wall.Elapsed.TotalSeconds / Environment.ProcessorCount:0.00} % of {Environment.ProcessorCount} cores)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"memory: managed heap {GC.GetTotalMemory(false) / 1048576.0:0} MiB, peak working set {peakWorkingSet / 1048576.0:0} MiB"));
        if (slips.Length > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"schedule slip of devices polled more than once (n={slips.Length}): median {slips[slips.Length / 2]:0.0} ms, p99 {slips[(int)(slips.Length * 0.99)]:0.0} ms, max {slips[^1]:0.0} ms"));
        }

        return 0;
    }

    private static async Task OursAsync(int[] ports, int rounds)
    {
        var (inventory, profile) = Inventory(ports.Length);
        var registry = new SeriesRegistry(inventory);
        await using var client = new SnmpClient();
        var pollers = ports.Select((p, i) => new SnmpDevicePoller(inventory.Devices[i], profile, new SnmpTarget(new IPEndPoint(IPAddress.Loopback, p), SnmpVersion.V2c, Community), client, registry)).ToArray();
        var sink = new CountingSink();
        foreach (var poller in pollers)
        {
            await poller.PollAsync(sink, CancellationToken.None).ConfigureAwait(false); // warm-up: JIT, port maps
        }

        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long varbinds = 0;
        for (var r = 0; r < rounds; r++)
        {
            var results = await Task.WhenAll(pollers.Select(p => p.PollAsync(sink, CancellationToken.None).AsTask())).ConfigureAwait(false);
            varbinds += results.Count(x => x.Outcome == PollOutcome.Ok) * 61L;
        }

        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        Row("this poller (SnmpDevicePoller)", varbinds, wall.Elapsed.TotalSeconds, cpu);
    }

    private static async Task BulkGetAsync(int[] ports, int rounds)
    {
        if (!File.Exists("/usr/bin/snmpbulkget"))
        {
            Console.WriteLine("| snmpbulkget | missing: apt-get install -y snmp | | | | |");
            return;
        }

        var cpu0 = ChildrenCpuSeconds();
        var wall = Stopwatch.StartNew();
        long varbinds = 0;
        for (var r = 0; r < rounds; r++)
        {
            var runs = ports.Select(async port =>
            {
                var start = new ProcessStartInfo("/usr/bin/snmpbulkget") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in new[] { "-v2c", "-c", Community, "-On", "-Cn1", "-Cr" + Ports.ToString(CultureInfo.InvariantCulture), $"127.0.0.1:{port}", "1.3.6.1.2.1.1.3.0" }.Concat(Columns))
                {
                    start.ArgumentList.Add(a);
                }

                start.Environment["MIBS"] = string.Empty;
                start.Environment["MIBDIRS"] = "/nonexistent";
                using var process = Process.Start(start)!;
                var output = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
                await process.WaitForExitAsync().ConfigureAwait(false);
                return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            });
            foreach (var n in await Task.WhenAll(runs).ConfigureAwait(false))
            {
                varbinds += n;
            }
        }

        Row("net-snmp snmpbulkget (a process per device poll)", varbinds, wall.Elapsed.TotalSeconds, ChildrenCpuSeconds() - cpu0);
    }

    private static async Task ExporterAsync(int[] ports, int rounds)
    {
        const string exe = "/usr/bin/prometheus-snmp-exporter";
        if (!File.Exists(exe))
        {
            Console.WriteLine("| prometheus-snmp-exporter | missing: apt-get install -y prometheus-snmp-exporter | | | | |");
            return;
        }

        var dir = Directory.CreateTempSubdirectory("snmp-exporter-bench-").FullName;
        var config = Path.Combine(dir, "snmp.yml");
        await File.WriteAllTextAsync(config, ExporterConfig()).ConfigureAwait(false);
        var httpPort = FreeTcpPort();
        var start = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--config.file=" + config);
        start.ArgumentList.Add($"--web.listen-address=127.0.0.1:{httpPort}");
        using var exporter = Process.Start(start)!;
        exporter.OutputDataReceived += (_, _) => { };
        exporter.ErrorDataReceived += (_, _) => { };
        exporter.BeginOutputReadLine();
        exporter.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var ready = false;
            for (var i = 0; i < 100 && !ready; i++)
            {
                try
                {
                    ready = (await http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/")).ConfigureAwait(false)).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(100).ConfigureAwait(false);
                }
            }

            async Task<int> ScrapeAsync(int port)
            {
                var body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/snmp?target=127.0.0.1:{port}&module=bench")).ConfigureAwait(false);
                return body.Split('\n').Count(l => l.StartsWith("if", StringComparison.Ordinal) || l.StartsWith("sysUpTime", StringComparison.Ordinal));
            }

            var check = await ScrapeAsync(ports[0]).ConfigureAwait(false);
            if (check != 61)
            {
                Console.WriteLine($"| prometheus-snmp-exporter | returned {check} values, expected 61: check snmp.yml in {dir} | | | | |");
                return;
            }

            var cpu0 = ProcessCpuSeconds(exporter.Id);
            var ourCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            long varbinds = 0;
            for (var r = 0; r < rounds; r++)
            {
                foreach (var n in await Task.WhenAll(ports.Select(ScrapeAsync)).ConfigureAwait(false))
                {
                    varbinds += n;
                }
            }

            var exporterCpu = ProcessCpuSeconds(exporter.Id) - cpu0;
            Row("prometheus-snmp-exporter 0.21 (its CPU only; HTTP scrapes)", varbinds, wall.Elapsed.TotalSeconds, exporterCpu);
            _ = ourCpu0;
        }
        finally
        {
            exporter.Kill();
            await exporter.WaitForExitAsync().ConfigureAwait(false);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The exporter's module for the same OIDs, written by hand (the generator needs MIB files Debian does not ship).</summary>
    private static string ExporterConfig()
    {
        var text = new StringBuilder();
        text.Append("bench:\n  version: 2\n  auth:\n    community: ").Append(Community).Append('\n');
        text.Append("  max_repetitions: 25\n  retries: 1\n  timeout: 2s\n  get:\n    - 1.3.6.1.2.1.1.3.0\n  walk:\n");
        foreach (var c in Columns)
        {
            text.Append("    - ").Append(c).Append('\n');
        }

        text.Append("  metrics:\n    - name: sysUpTime\n      oid: 1.3.6.1.2.1.1.3\n      type: gauge\n");
        string[] names = ["ifOperStatus", "ifHCInOctets", "ifHCOutOctets", "ifInErrors", "ifOutErrors", "ifHighSpeed"];
        string[] types = ["gauge", "counter", "counter", "counter", "counter", "gauge"];
        for (var i = 0; i < Columns.Length; i++)
        {
            text.Append("    - name: ").Append(names[i]).Append("\n      oid: ").Append(Columns[i]).Append("\n      type: ").Append(types[i])
                .Append("\n      indexes:\n        - labelname: ifIndex\n          type: gauge\n");
        }

        return text.ToString();
    }

    private static (Inventory Inventory, SnmpProfile Profile) Inventory(int devices)
    {
        var model = new DeviceModel
        {
            Id = "bench-host",
            Name = "Bench host",
            Vendor = "Bench",
            Kind = DeviceKind.Server,
            HeightU = 1,
            Ports = Enumerable.Range(1, Ports).Select(i => new PortDefinition(i, $"eth{i - 1}", PortKind.Nic, 0, 0, 0, i)).ToArray(),
            Metrics = [],
        };
        var list = Enumerable.Range(0, devices).Select(i => new Device { Id = $"bench-{i}", Name = $"bench {i}", Model = model, RoomId = "bench", Index = i, Profile = "snmp/bench" }).ToArray();
        var room = new Room { Id = "bench", Name = "bench", Size = new RoomSize(1, 1, 1), Devices = list };
        var profile = new SnmpProfile
        {
            Id = "snmp/bench",
            Name = "bench",
            PortMatch = SnmpPortMatch.IfIndex,
            PortMetrics =
            [
                new SnmpPortMetric { Metric = "interface.oper_status", Compute = SnmpPortCompute.Value, Column = Oid.Parse(Columns[0]) },
                new SnmpPortMetric { Metric = "interface.in_bps", Compute = SnmpPortCompute.BitRate, Column = Oid.Parse(Columns[1]) },
                new SnmpPortMetric { Metric = "interface.out_bps", Compute = SnmpPortCompute.BitRate, Column = Oid.Parse(Columns[2]) },
                new SnmpPortMetric { Metric = "interface.in_errors", Compute = SnmpPortCompute.Rate, Column = Oid.Parse(Columns[3]) },
                new SnmpPortMetric { Metric = "interface.out_errors", Compute = SnmpPortCompute.Rate, Column = Oid.Parse(Columns[4]) },
                new SnmpPortMetric { Metric = "interface.speed", Compute = SnmpPortCompute.Value, Column = Oid.Parse(Columns[5]) },
            ],
        };
        return (new Inventory([model], [room]), profile);
    }

    private static void Header(string title)
    {
        Console.WriteLine();
        Console.WriteLine($"## {title}");
        Console.WriteLine($"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, nproc {Environment.ProcessorCount}, {CpuModel()}");
        Console.WriteLine();
    }

    private static void Row(string name, long varbinds, double wall, double cpu) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {varbinds} | {wall:0.00} | {varbinds / wall:0} | {cpu:0.00} | {(varbinds == 0 ? 0 : cpu * 100_000 / varbinds):0.000} |"));

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    /// <summary>User + system CPU of the children this process has waited for (/proc/self/stat cutime + cstime).</summary>
    private static double ChildrenCpuSeconds()
    {
        var fields = StatFields("/proc/self/stat");
        return (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static double ProcessCpuSeconds(int pid)
    {
        var fields = StatFields($"/proc/{pid}/stat");
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>The fields after "(comm) ": index 0 is the state (field 3 of proc(5)); utime is 11, stime 12, cutime 13, cstime 14.</summary>
    private static string[] StatFields(string path)
    {
        var text = File.ReadAllText(path);
        return text[(text.LastIndexOf(')') + 2)..].Split(' ');
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record CachedView(long At, MibView View);

    private sealed class CountingSink : ISampleSink
    {
        private long _samples;

        public long Samples => Interlocked.Read(ref _samples);

        public ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref _samples, batch.Count);
            batch.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>This executable run as <c>snmp-agents COUNT SILENT_EVERY</c>.</summary>
    private sealed class AgentProcess : IDisposable
    {
        private readonly Process _process;

        private AgentProcess(Process process, int[] ports)
        {
            _process = process;
            Ports = ports;
        }

        public int[] Ports { get; }

        public static async Task<AgentProcess> StartAsync(int count, int silentEvery)
        {
            var self = Environment.ProcessPath!;
            var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                start.ArgumentList.Add(typeof(SnmpBench).Assembly.Location);
            }

            start.ArgumentList.Add("snmp-agents");
            start.ArgumentList.Add(count.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add(silentEvery.ToString(CultureInfo.InvariantCulture));
            var process = Process.Start(start)!;
            while (await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("PORTS ", StringComparison.Ordinal))
                {
                    return new AgentProcess(process, line[6..].Split(' ').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray());
                }
            }

            throw new InvalidOperationException("the agent process ended without listing its ports");
        }

        public void Dispose()
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill();
            }

            _process.Dispose();
        }
    }
}
