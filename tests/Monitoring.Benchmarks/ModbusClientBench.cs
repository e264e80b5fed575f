using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Monitoring.Collectors.Modbus.Client;

namespace Monitoring.Benchmarks;

/// <summary>
/// This Modbus client and pymodbus's own client, side by side against the same pymodbus server, reading the same register
/// blocks (10 and 100 holding registers of unit 1), one request at a time, for a fixed number of requests. Reports
/// requests/s and client CPU per request (this process's CPU time for ours, Python's process_time for pymodbus's); the
/// server's CPU is the same for both and not counted. Then ours again with 8 requests in flight on the connection.
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- modbus-clients [REQUESTS]
/// Needs /usr/bin/python3 and python3-pymodbus.
/// </summary>
public static class ModbusClientBench
{
    private const string Python = "/usr/bin/python3";

    public static async Task<int> RunAsync(string[] args)
    {
        var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
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
            Console.WriteLine($"Modbus client comparison, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, nproc {Environment.ProcessorCount}, pymodbus server on 127.0.0.1:{port}, {requests} requests per row");
            Console.WriteLine("client                         registers  requests/s   CPU us/request");
            foreach (var count in new[] { 10, 100 })
            {
                var ours = await OursAsync(port, count, requests, inFlight: 1).ConfigureAwait(false);
                Console.WriteLine($"Monitoring ModbusTcpClient     {count,9}  {ours.Rate,10:0}   {ours.CpuUs,14:0.0}");
                var theirs = await PymodbusClientAsync(dir, port, count, requests).ConfigureAwait(false);
                Console.WriteLine($"pymodbus ModbusTcpClient (sync){count,9}  {theirs.Rate,10:0}   {theirs.CpuUs,14:0.0}");
                var pipelined = await OursAsync(port, count, requests, inFlight: 8).ConfigureAwait(false);
                Console.WriteLine($"Monitoring, 8 in flight        {count,9}  {pipelined.Rate,10:0}   {pipelined.CpuUs,14:0.0}");
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

    private static async Task<(double Rate, double CpuUs)> OursAsync(int port, int count, int requests, int inFlight)
    {
        await using var client = new ModbusTcpClient(new IPEndPoint(IPAddress.Loopback, port), new ModbusTcpClientOptions { MaxInFlight = inFlight });
        var buffers = Enumerable.Range(0, inFlight).Select(_ => new ushort[count]).ToArray();
        for (var i = 0; i < 200; i++)
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
            for _ in range(200):
                c.read_holding_registers(0, count, slave=1)
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(n):
                r = c.read_holding_registers(0, count, slave=1)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            assert r.registers[count - 1] == count - 1
            print(n / wall, cpu / n * 1e6)
            c.close()
            """).ConfigureAwait(false);
        using var client = StartPython(script, port.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture), requests.ToString(CultureInfo.InvariantCulture));
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
