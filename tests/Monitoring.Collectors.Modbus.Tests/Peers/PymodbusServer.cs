using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Monitoring.Collectors.Modbus.Tests.Peers;

/// <summary>
/// A real pymodbus TCP server (Debian's python3-pymodbus, run by /usr/bin/python3) on a free loopback port, started in a
/// temp dir and killed on dispose. Units 1, 2 and 3 each hold a known data set (see the script); unit 1 also holds
/// <see cref="Cases"/>, encoded by Python's struct.pack, in its holding and input registers.
/// </summary>
public sealed class PymodbusServer : IAsyncLifetime
{
    public const string Python = "/usr/bin/python3";
    public const ushort CasesAddress = 1000;
    public const ushort BitRegisterAddress = 2000;
    public const ushort BitRegisterValue = 0xA005;
    public const int TableSize = 3000;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "modbus-tests-" + Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _output = new();
    private Process? _process;

    public int Port { get; private set; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public IReadOnlyList<TypedValueCase> Cases { get; } = TypedValueCase.All(CasesAddress);

    /// <summary>The holding register the script stores at <paramref name="address"/> (below 1000) of a unit.</summary>
    public static ushort HoldingValue(byte unit, int address) => (ushort)((unit * 1000) + address);

    /// <summary>The input register the script stores at <paramref name="address"/> (below 1000) of a unit.</summary>
    public static ushort InputValue(byte unit, int address) => (ushort)((unit * 100) + (address * 3));

    /// <summary>The discrete input the script stores at <paramref name="address"/> of a unit.</summary>
    public static bool DiscreteValue(byte unit, int address) => (address + unit) % 3 == 0;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is missing: install the Debian packages python3 and python3-pymodbus (apt-get install -y python3-pymodbus)");
        }

        Directory.CreateDirectory(_directory);
        var script = Path.Combine(_directory, "server.py");
        await File.WriteAllTextAsync(script, Script());
        Port = FreePort.Next();
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(Port.ToString(CultureInfo.InvariantCulture));
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start python3");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"the pymodbus server exited with code {_process.ExitCode} (is python3-pymodbus installed? apt-get install -y python3-pymodbus):\n{Output}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private string Script()
    {
        var cases = string.Join("\n    ", Cases.Select(c => c.ToPython()));
        return $$"""
            import asyncio, logging, struct, sys
            from pymodbus.server import StartAsyncTcpServer
            from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext
            try:
                from pymodbus.datastore import ModbusSlaveContext as UnitContext
            except ImportError:
                from pymodbus.datastore import ModbusDeviceContext as UnitContext

            logging.basicConfig(level=logging.CRITICAL)
            port = int(sys.argv[1])
            SIZE = {{TableSize}}

            # (address, struct format, byte/word order, value): encoded here, independently of the C# decoder.
            CASES = [
                {{cases}}
            ]

            def encode(fmt, order, value):
                raw = struct.pack('>' + fmt, value)  # big endian: A B C D ...
                if order == 'DCBA':
                    raw = raw[::-1]
                elif order == 'BADC':
                    raw = b''.join(raw[i + 1:i + 2] + raw[i:i + 1] for i in range(0, len(raw), 2))
                elif order == 'CDAB':
                    raw = b''.join(raw[i:i + 2] for i in reversed(range(0, len(raw), 2)))
                return list(struct.unpack('>%dH' % (len(raw) // 2), raw))

            def unit(seed):
                hr = [(seed * 1000 + i) & 0xFFFF if i < 1000 else 0 for i in range(SIZE)]
                ir = [(seed * 100 + i * 3) & 0xFFFF if i < 1000 else 0 for i in range(SIZE)]
                di = [(i + seed) % 3 == 0 for i in range(SIZE)]
                if seed == 1:
                    for address, fmt, order, value in CASES:
                        words = encode(fmt, order, value)
                        hr[address:address + len(words)] = words
                        ir[address:address + len(words)] = words
                    hr[{{BitRegisterAddress}}] = {{BitRegisterValue}}
                blocks = dict(di=ModbusSequentialDataBlock(0, di), co=ModbusSequentialDataBlock(0, [False] * SIZE),
                              hr=ModbusSequentialDataBlock(0, hr), ir=ModbusSequentialDataBlock(0, ir))
                try:
                    return UnitContext(zero_mode=True, **blocks)
                except TypeError:
                    return UnitContext(**blocks)

            units = {1: unit(1), 2: unit(2), 3: unit(3)}
            try:
                context = ModbusServerContext(slaves=units, single=False)
            except TypeError:
                context = ModbusServerContext(devices=units, single=False)
            asyncio.run(StartAsyncTcpServer(context=context, address=('127.0.0.1', port)))
            """;
    }
}
