using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Monitoring.Collectors.Modbus.Client;

namespace Monitoring.Benchmarks;

/// <summary>
/// This Modbus client and pymodbus's own client, side by side against the same pymodbus server (a separate Python
/// process, so its CPU is in neither figure), reading the same register blocks (10 and 100 holding registers of unit 1),
/// one request at a time, the same number of requests each, after the same number of warm-up requests. CPU per request
/// is the client process's own CPU time: this process's for ours (nothing else runs in it meanwhile), Python's
/// process_time for pymodbus's. Then ours again with 8 requests in flight on the connection. Every row is run ROUNDS
/// times after one unmeasured round (JIT tiering), interleaved so a change in machine load hits both clients; the
/// summary gives min/median/max per row and the ratio pymodbus/ours per round.
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- modbus-clients [REQUESTS] [ROUNDS]
/// Needs /usr/bin/python3 and python3-pymodbus.
/// </summary>
public static class ModbusClientBench
{
    private const string Python = "/usr/bin/python3";
    private const int WarmUp = 2000;

    public static async Task<int> RunAsync(string[] args)
    {
        var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10000;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        if (!File.Exists(Python))
        {
            await Console.Error.WriteLineAsync("needs /usr/bin/python3 with python3-pymodbus (apt-get install -y python3-pymodbus)").ConfigureAwait(false);
            return 2;
        }

        var dir = Directory.CreateTempSubdirectory("modbus-bench-").FullName;
        var port = FreePort();
        var serverScript = Path.Combine(dir, "server.py");
        await File.WriteAllTextAsync(serverScript, """
            import asyncio, logging, sys
            from pymodbus.server import StartAsyncTcpServer
            from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
            logging.basicConfig(level=logging.CRITICAL)
            block = lambda: ModbusSequentialDataBlock(0, [i & 0xFFFF for i in range(1000)])
            unit = ModbusSlaveContext(di=block(), co=block(), hr=block(), ir=block(), zero_mode=True)
            asyncio.run(StartAsyncTcpServer(context=ModbusServerContext(slaves={1: unit}, single=False), address=('127.0.0.1', int(sys.argv[1]))))
            """).ConfigureAwait(false);
        using var server = StartPython(serverScript, port.ToString(CultureInfo.InvariantCulture));
        try
        {
            await WaitForPortAsync(port).ConfigureAwait(false);
            Console.WriteLine($"Modbus client comparison, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, nproc {Environment.ProcessorCount}, load average {LoadAverage()}, "
                + $"pymodbus server on 127.0.0.1:{port}, {requests} requests per row after {WarmUp} warm-up requests, {rounds} rounds after one unmeasured");
            Console.WriteLine("round client                          registers  requests/s   CPU us/request");
            var rows = new Dictionary<string, List<(double Rate, double CpuUs)>>(StringComparer.Ordinal);
            for (var round = 0; round <= rounds; round++)
            {
                foreach (var count in new[] { 10, 100 })
                {
                    await RowAsync(round, "Monitoring ModbusTcpClient", count, () => OursAsync(port, count, requests, inFlight: 1)).ConfigureAwait(false);
                    await RowAsync(round, "pymodbus ModbusTcpClient (sync)", count, () => PymodbusClientAsync(dir, port, count, requests)).ConfigureAwait(false);
                    await RowAsync(round, "Monitoring, 8 in flight", count, () => OursAsync(port, count, requests, inFlight: 8)).ConfigureAwait(false);
                }
            }

            Console.WriteLine($"summary over {rounds} rounds, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}: CPU us/request min / median / max; requests/s median");
            foreach (var (name, results) in rows)
            {
                var cpu = results.Select(r => r.CpuUs).Order().ToArray();
                Console.WriteLine($"{name,-44} {cpu[0],7:0.0} / {Median(cpu),7:0.0} / {cpu[^1],7:0.0}   {Median([.. results.Select(r => r.Rate).Order()]),8:0}");
            }

            foreach (var count in new[] { 10, 100 })
            {
                var ratios = rows[$"pymodbus ModbusTcpClient (sync) {count,3} regs"].Zip(rows[$"Monitoring ModbusTcpClient {count,3} regs"], (theirs, ours) => theirs.CpuUs / ours.CpuUs).Order().ToArray();
                Console.WriteLine($"pymodbus CPU / ours, one at a time, {count,3} registers, per round: min {ratios[0]:0.00}x, median {Median(ratios):0.00}x, max {ratios[^1]:0.00}x");
            }

            async Task RowAsync(int round, string client, int count, Func<Task<(double Rate, double CpuUs)>> measure)
            {
                var result = await measure().ConfigureAwait(false);
                Console.WriteLine($"{(round == 0 ? "warm" : round.ToString(CultureInfo.InvariantCulture)),5} {client,-32} {count,9}  {result.Rate,10:0}   {result.CpuUs,14:0.0}");
                if (round > 0)
                {
                    var key = $"{client} {count,3} regs";
                    if (!rows.TryGetValue(key, out var list))
                    {
                        rows[key] = list = [];
                    }

                    list.Add(result);
                }
            }
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync().ConfigureAwait(false);
            Directory.Delete(dir, recursive: true);
        }

        return 0;
    }

    private static double Median(double[] sorted) => sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static async Task<(double Rate, double CpuUs)> OursAsync(int port, int count, int requests, int inFlight)
    {
        await using var client = new ModbusTcpClient(new IPEndPoint(IPAddress.Loopback, port), new ModbusTcpClientOptions { MaxInFlight = inFlight });
        var buffers = Enumerable.Range(0, inFlight).Select(_ => new ushort[count]).ToArray();
        for (var i = 0; i < WarmUp; i++)
        {
            await client.ReadHoldingRegistersAsync(1, 0, buffers[0]).ConfigureAwait(false); // warm up: JIT, connection
        }

        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var perWorker = requests / inFlight;
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async w =>
        {
            for (var i = 0; i < perWorker; i++)
            {
                await client.ReadHoldingRegistersAsync(1, 0, buffers[w]).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        clock.Stop();
        process.Refresh();
        var done = perWorker * inFlight;
        if (buffers[0][count - 1] != count - 1)
        {
            throw new InvalidOperationException("wrong data read");
        }

        return (done / clock.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalMicroseconds / done);
    }

    private static async Task<(double Rate, double CpuUs)> PymodbusClientAsync(string dir, int port, int count, int requests)
    {
        var script = Path.Combine(dir, "client.py");
        await File.WriteAllTextAsync(script, """
            import logging, sys, time
            from pymodbus.client import ModbusTcpClient
            logging.basicConfig(level=logging.CRITICAL)
            port, count, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
            c = ModbusTcpClient('127.0.0.1', port=port)
            c.connect()
            for _ in range(int(sys.argv[4])):
                c.read_holding_registers(0, count, slave=1)
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(n):
                r = c.read_holding_registers(0, count, slave=1)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            assert r.registers[count - 1] == count - 1
            print(n / wall, cpu / n * 1e6)
            c.close()
            """).ConfigureAwait(false);
        using var client = StartPython(script, port.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture), requests.ToString(CultureInfo.InvariantCulture), WarmUp.ToString(CultureInfo.InvariantCulture));
        var output = await client.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await client.WaitForExitAsync().ConfigureAwait(false);
        var parts = output.Trim().Split(' ');
        if (client.ExitCode != 0 || parts.Length != 2)
        {
            throw new InvalidOperationException($"pymodbus client failed ({client.ExitCode}): {output} {await client.StandardError.ReadToEndAsync().ConfigureAwait(false)}");
        }

        return (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static Process StartPython(string script, params string[] args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start python3");
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException("the pymodbus server did not start");
    }
}
