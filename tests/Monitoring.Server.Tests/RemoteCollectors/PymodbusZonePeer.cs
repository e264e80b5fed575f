using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Monitoring.Server.Tests.RemoteCollectors;

/// <summary>
/// A real pymodbus TCP server (Debian's python3-pymodbus, run by /usr/bin/python3) on a free loopback port for
/// <see cref="ZoneRoom.Create(string)"/>: units 1, 2 and 3, holding registers 0 and 1 = 450 + unit and 220 + unit (as
/// the simulator's units of <see cref="ZoneRoom.Create()"/>). Missing python3-pymodbus fails the test, never skips it.
/// </summary>
internal sealed class PymodbusZonePeer : IDisposable
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import asyncio, logging, sys
        from pymodbus.server import StartAsyncTcpServer
        from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext
        try:
            from pymodbus.datastore import ModbusSlaveContext as UnitContext
        except ImportError:
            from pymodbus.datastore import ModbusDeviceContext as UnitContext

        logging.basicConfig(level=logging.CRITICAL)

        def unit(n):
            blocks = dict(di=ModbusSequentialDataBlock(0, [False] * 4), co=ModbusSequentialDataBlock(0, [False] * 4),
                          hr=ModbusSequentialDataBlock(0, [450 + n, 220 + n, 0, 0]), ir=ModbusSequentialDataBlock(0, [0] * 4))
            try:
                return UnitContext(zero_mode=True, **blocks)
            except TypeError:
                return UnitContext(**blocks)

        units = {n: unit(n) for n in (1, 2, 3)}
        try:
            context = ModbusServerContext(slaves=units, single=False)
        except TypeError:
            context = ModbusServerContext(devices=units, single=False)
        asyncio.run(StartAsyncTcpServer(context=context, address=('127.0.0.1', int(sys.argv[1]))))
        """;

    private readonly string _directory;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private PymodbusZonePeer(string directory, Process process, int port)
    {
        _directory = directory;
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public static async Task<PymodbusZonePeer> StartAsync()
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is missing: apt-get install -y python3-pymodbus");
        }

        var directory = Directory.CreateTempSubdirectory("pymodbus-zone-").FullName;
        var script = Path.Combine(directory, "server.py");
        await File.WriteAllTextAsync(script, Script);
        var port = ChildServer.FreePort();
        var start = new ProcessStartInfo(Python) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        var peer = new PymodbusZonePeer(directory, Process.Start(start)!, port);
        peer._process.OutputDataReceived += (_, e) => peer.Keep(e.Data);
        peer._process.ErrorDataReceived += (_, e) => peer.Keep(e.Data);
        peer._process.BeginOutputReadLine();
        peer._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (peer._process.HasExited)
            {
                var output = string.Join('\n', peer._output);
                peer.Dispose();
                throw new InvalidOperationException($"the pymodbus server exited (apt-get install -y python3-pymodbus): {output}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return peer;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Changes a holding register, as a technician's tool would (Modbus TCP function 6, Write Single Register); throws on an exception answer.</summary>
    public async Task WriteRegisterAsync(byte unit, ushort address, ushort value)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        var stream = client.GetStream();
        // MBAP: transaction 1, protocol 0, length 6, unit; PDU: function 6, address, value
        byte[] request = [0, 1, 0, 0, 0, 6, unit, 6, (byte)(address >> 8), (byte)address, (byte)(value >> 8), (byte)value];
        await stream.WriteAsync(request);
        var answer = new byte[12];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (read < 9)
        {
            var n = await stream.ReadAsync(answer.AsMemory(read), timeout.Token);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        if (read < 9 || answer[7] != 6)
        {
            throw new InvalidOperationException($"pymodbus refused the write of register {address} on unit {unit}: {Convert.ToHexString(answer, 0, read)}");
        }
    }

    /// <summary>SIGKILL: the devices are gone; every poll fails from now on.</summary>
    public void Stop()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
