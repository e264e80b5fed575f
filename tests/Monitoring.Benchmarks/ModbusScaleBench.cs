using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Collectors;
using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Polling;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Modbus.Registers;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Simulator.Modbus;

namespace Monitoring.Benchmarks;

/// <summary>
/// Scale: 2,000 simulated Modbus devices (the generic UPS map: 6 points, one 11-register read each) behind 40 simulated
/// gateways of 50 unit ids, polled every 10 s by the <see cref="PollScheduler"/>, with 5 % of the units never answering
/// (1 s timeout, 8 requests in flight per gateway connection). Runs for a few intervals and reports CPU share of this
/// process (collector and simulated servers together, on all cores), managed heap and working set, and schedule slip
/// (<see cref="PollHealth"/>'s LastSlip) over all devices.
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- modbus-scale [SECONDS]
/// </summary>
public static class ModbusScaleBench
{
    private const int Gateways = 40;
    private const int UnitsPerGateway = 50;

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
        var interval = TimeSpan.FromSeconds(10);
        var profile = new ModbusProfile(
            "modbus/bench-ups",
            "bench UPS",
            new RegisterMap(
            [
                new RegisterPoint("ups.input_voltage", RegisterType.InputRegister, 0, ModbusDataType.UInt16) { Scale = 0.1 },
                new RegisterPoint("ups.output_voltage", RegisterType.InputRegister, 1, ModbusDataType.UInt16) { Scale = 0.1 },
                new RegisterPoint("ups.load", RegisterType.InputRegister, 2, ModbusDataType.UInt16) { Scale = 0.1 },
                new RegisterPoint("ups.battery", RegisterType.InputRegister, 3, ModbusDataType.UInt16) { Scale = 0.1 },
                new RegisterPoint("ups.runtime", RegisterType.InputRegister, 4, ModbusDataType.UInt16),
                new RegisterPoint("ups.mode", RegisterType.InputRegister, 10, ModbusDataType.UInt16),
            ]),
            interval,
            TimeSpan.FromSeconds(1),
            null,
            default);

        var servers = new List<ModbusTcpServer>();
        for (var g = 0; g < Gateways; g++)
        {
            var units = new Dictionary<byte, SimulatedUnit>();
            for (var u = 1; u <= UnitsPerGateway; u++)
            {
                var unit = new SimulatedUnit(16, 16, 16, 16);
                unit.InputRegisters[0] = 2200;
                unit.InputRegisters[10] = 1;
                units[(byte)u] = unit;
            }

            var server = new ModbusTcpServer(units);
            for (var u = 1; u <= UnitsPerGateway; u++)
            {
                if (((g * UnitsPerGateway) + u) % 20 == 0)
                {
                    server.SetSilent((byte)u, true); // 5 % never answer
                }
            }

            server.Start();
            servers.Add(server);
        }

        var pool = new ModbusTcpClientPool(_ => new ModbusTcpClientOptions { MaxInFlight = 8, RequestTimeout = TimeSpan.FromSeconds(1) });
        var registry = new SeriesRegistry();
        var pollers = new List<IDevicePoller>();
        for (var g = 0; g < Gateways; g++)
        {
            for (var u = 1; u <= UnitsPerGateway; u++)
            {
                var index = (g * UnitsPerGateway) + u - 1;
                pollers.Add(new ModbusDevicePoller($"ups-{index}", index, pool.GetClient(servers[g].EndPoint), (byte)u, profile, registry, interval));
            }
        }

        var health = new PollHealth();
        var sink = new CountingSink();
        using var scheduler = new PollScheduler(TimeProvider.System, health, sink, NullLogger<PollScheduler>.Instance, maxConcurrentPolls: 512);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        GC.Collect();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await scheduler.RunAsync(pollers, stop.Token).ConfigureAwait(false);
        wall.Stop();
        process.Refresh();
        var used = process.TotalProcessorTime - cpu;

        var states = health.Snapshot();
        var slips = states.Select(s => s.LastSlip.TotalMilliseconds).Order().ToArray();
        var polls = states.Sum(s => s.Polls);
        var failures = states.Sum(s => s.Failures);
        Console.WriteLine($"Modbus scale, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, nproc {Environment.ProcessorCount}: {pollers.Count} devices on {Gateways} gateways, every {interval.TotalSeconds:0} s, {seconds} s run");
        Console.WriteLine($"  polls {polls} ({polls / wall.Elapsed.TotalSeconds:0} per s), failed {failures} ({100.0 * failures / Math.Max(1, polls):0.0} %), samples {sink.Samples}");
        Console.WriteLine($"  CPU {used.TotalSeconds:0.00} s over {wall.Elapsed.TotalSeconds:0.0} s = {100 * used.TotalSeconds / wall.Elapsed.TotalSeconds:0.0} % of one core ({100 * used.TotalSeconds / wall.Elapsed.TotalSeconds / Environment.ProcessorCount:0.0} % of the box), {used.TotalMicroseconds / Math.Max(1, polls):0} us per poll (collector + simulated servers)");
        Console.WriteLine($"  managed heap {GC.GetTotalMemory(false) / 1048576.0:0.0} MiB, working set {process.WorkingSet64 / 1048576.0:0.0} MiB, allocated {GC.GetTotalAllocatedBytes() / 1048576.0:0} MiB in total");
        Console.WriteLine($"  last slip ms: median {Percentile(slips, 0.5):0.0}, p99 {Percentile(slips, 0.99):0.0}, max {(slips.Length > 0 ? slips[^1] : 0):0.0}");
        Console.WriteLine($"  devices failing now: {states.Count(s => s.LastOutcome != PollOutcome.Ok)}; outcomes: {string.Join(", ", states.GroupBy(s => s.LastOutcome).Select(g => $"{g.Key} {g.Count()}"))}");

        await pool.DisposeAsync().ConfigureAwait(false);
        foreach (var server in servers)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        return 0;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

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
}
