using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Monitoring.Collectors.Modbus.Protocol;

namespace Monitoring.Simulator.Modbus;

/// <summary>
/// The server side of Modbus TCP (Modbus Application Protocol v1.1b3, Messaging on TCP/IP guide) on a loopback port:
/// FC 1, 2, 3, 4, 5, 6, 15, 16 on any number of unit ids behind one port (a gateway), exception 1 for other functions,
/// 2 for addresses outside a table, 3 for bad quantities or values, 0x0B for a unit id nobody serves. Several clients may
/// connect; each connection is served in order, one request at a time, which every Modbus client expects.
/// </summary>
public sealed class ModbusTcpServer : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<byte, SimulatedUnit> _units;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private Task? _accepting;

    public ModbusTcpServer(IReadOnlyDictionary<byte, SimulatedUnit> units, int port = 0)
    {
        ArgumentNullException.ThrowIfNull(units);
        _units = units;
        _listener = new TcpListener(IPAddress.Loopback, port);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public IReadOnlyDictionary<byte, SimulatedUnit> Units => _units;

    private readonly bool[] _silent = new bool[256];

    /// <summary>A silent unit gets no answer at all to its requests (a dead device behind the gateway). Thread-safe.</summary>
    public void SetSilent(byte unitId, bool silent) => Volatile.Write(ref _silent[unitId], silent);

    public bool IsSilent(byte unitId) => Volatile.Read(ref _silent[unitId]);

    public void Start()
    {
        _listener.Start();
        _accepting = AcceptAsync(_stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_accepting is not null)
        {
            await _accepting.ConfigureAwait(false);
        }

        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            socket.NoDelay = true;
            var task = ServeAsync(socket, cancellationToken);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        var request = new byte[ModbusCodec.MaxAduLength];
        var response = new byte[ModbusCodec.MaxAduLength];
        try
        {
            using (socket)
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    if (!await ReceiveExactlyAsync(socket, request.AsMemory(0, ModbusCodec.MbapHeaderLength), cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    if (ModbusCodec.TryReadFrameLength(request, out var length) != ModbusDecodeStatus.Ok)
                    {
                        return; // not Modbus, or a stream we can no longer frame: drop the connection
                    }

                    if (!await ReceiveExactlyAsync(socket, request.AsMemory(ModbusCodec.MbapHeaderLength, length - ModbusCodec.MbapHeaderLength), cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    var written = Handle(request.AsSpan(0, length), response);
                    if (written > 0)
                    {
                        await socket.SendAsync(response.AsMemory(0, written), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static async ValueTask<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    /// <summary>Serves one request ADU into <paramref name="response"/>; returns the response length, 0 for no answer.</summary>
    internal int Handle(ReadOnlySpan<byte> adu, Span<byte> response)
    {
        var transaction = BinaryPrimitives.ReadUInt16BigEndian(adu);
        var unitId = adu[6];
        var pdu = adu[ModbusCodec.MbapHeaderLength..];
        var function = pdu[0];
        if (IsSilent(unitId))
        {
            return 0;
        }

        if (!_units.TryGetValue(unitId, out var unit))
        {
            return Exception(response, transaction, unitId, function, ModbusExceptionCode.GatewayTargetDeviceFailedToRespond);
        }

        lock (unit.Gate)
        {
            unit.Requests++;
            unit.Refresh?.Invoke(unit);
            var body = response[(ModbusCodec.MbapHeaderLength + 1)..];
            var (bodyLength, error) = Execute(unit, function, pdu[1..], body);
            if (error != ModbusExceptionCode.None)
            {
                return Exception(response, transaction, unitId, function, error);
            }

            return Frame(response, transaction, unitId, function, bodyLength);
        }
    }

    private static (int Length, ModbusExceptionCode Error) Execute(SimulatedUnit unit, byte function, ReadOnlySpan<byte> data, Span<byte> body)
    {
        switch ((ModbusFunctionCode)function)
        {
            case ModbusFunctionCode.ReadCoils:
            case ModbusFunctionCode.ReadDiscreteInputs:
                {
                    if (data.Length != 4)
                    {
                        return (0, ModbusExceptionCode.IllegalDataValue);
                    }

                    var table = function == (byte)ModbusFunctionCode.ReadCoils ? unit.Coils : unit.DiscreteInputs;
                    int address = BinaryPrimitives.ReadUInt16BigEndian(data);
                    int quantity = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                    if (quantity is < 1 or > ModbusCodec.MaxReadBits)
                    {
                        return (0, ModbusExceptionCode.IllegalDataValue);
                    }

                    if (address + quantity > table.Length)
                    {
                        return (0, ModbusExceptionCode.IllegalDataAddress);
                    }

                    var bytes = (quantity + 7) / 8;
                    body[0] = (byte)bytes;
                    ModbusCodec.PackBits(table.AsSpan(address, quantity), body[1..]);
                    return (1 + bytes, ModbusExceptionCode.None);
                }

            case ModbusFunctionCode.ReadHoldingRegisters:
            case ModbusFunctionCode.ReadInputRegisters:
                {
                    if (data.Length != 4)
                    {
                        return (0, ModbusExceptionCode.IllegalDataValue);
                    }

                    var table = function == (byte)ModbusFunctionCode.ReadHoldingRegisters ? unit.HoldingRegisters : unit.InputRegisters;
                    int address = BinaryPrimitives.ReadUInt16BigEndian(data);
                    int quantity = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                    if (quantity is < 1 or > ModbusCodec.MaxReadRegisters)
                    {
                        return (0, ModbusExceptionCode.IllegalDataValue);
                    }

                    if (address + quantity > table.Length)
                    {
                        return (0, ModbusExceptionCode.IllegalDataAddress);
                    }

                    body[0] = (byte)(quantity * 2);
                    for (var i = 0; i < quantity; i++)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(body[(1 + (2 * i))..], table[address + i]);
                    }

                    return (1 + (quantity * 2), ModbusExceptionCode.None);
                }

            case ModbusFunctionCode.WriteSingleCoil:
                {
                    if (data.Length != 4)
                    {
                        return (0, ModbusExceptionCode.IllegalDataValue);
                    }

                    int address = BinaryPrimitives.ReadUInt16BigEndian(data);
                    var value = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                    if (value is not ModbusCodec.CoilOn and not ModbusCodec.CoilOff)
                    {
                        return (0, ModbusExceptionCode.IllegalDataValue);
                    }

                    if (address >= unit.Coils.Length)
                    {
                        return (0, ModbusExceptionCode.IllegalDataAddress);
                    }

                    unit.Coils[address] = value == ModbusCodec.CoilOn;
                    data.CopyTo(body);
                    return (4, ModbusExceptionCode.None);
                }

            case ModbusFunctionCode.WriteSingleRegister:
                {
                    if (data.Length != 4)
                    {
                        return (0, ModbusExceptionCode.IllegalDataValue);
                    }

                    int address = BinaryPrimitives.ReadUInt16BigEndian(data);
                    if (address >= unit.HoldingRegisters.Length)
                    {
                        return (0, ModbusExceptionCode.IllegalDataAddress);
                    }

                    unit.HoldingRegisters[address] = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                    data.CopyTo(body);
                    return (4, ModbusExceptionCode.None);
                }

            case ModbusFunctionCode.WriteMultipleCoils:
                {
                    if (data.Length < 5)
                    {
                        return (0, ModbusExceptionCode.IllegalDataValue);
                    }

                    int address = BinaryPrimitives.ReadUInt16BigEndian(data);
                    int quantity = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                    var bytes = data[4];
                    if (quantity is < 1 or > ModbusCodec.MaxWriteCoils || bytes != (quantity + 7) / 8 || data.Length != 5 + bytes)
                    {
                        return (0, ModbusExceptionCode.IllegalDataValue);
                    }

                    if (address + quantity > unit.Coils.Length)
                    {
                        return (0, ModbusExceptionCode.IllegalDataAddress);
                    }

                    ModbusCodec.UnpackBits(data.Slice(5, bytes), unit.Coils.AsSpan(address, quantity));
                    data[..4].CopyTo(body);
                    return (4, ModbusExceptionCode.None);
                }

            case ModbusFunctionCode.WriteMultipleRegisters:
                {
                    if (data.Length < 5)
                    {
                        return (0, ModbusExceptionCode.IllegalDataValue);
                    }

                    int address = BinaryPrimitives.ReadUInt16BigEndian(data);
                    int quantity = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                    var bytes = data[4];
                    if (quantity is < 1 or > ModbusCodec.MaxWriteRegisters || bytes != quantity * 2 || data.Length != 5 + bytes)
                    {
                        return (0, ModbusExceptionCode.IllegalDataValue);
                    }

                    if (address + quantity > unit.HoldingRegisters.Length)
                    {
                        return (0, ModbusExceptionCode.IllegalDataAddress);
                    }

                    for (var i = 0; i < quantity; i++)
                    {
                        unit.HoldingRegisters[address + i] = BinaryPrimitives.ReadUInt16BigEndian(data[(5 + (2 * i))..]);
                    }

                    data[..4].CopyTo(body);
                    return (4, ModbusExceptionCode.None);
                }

            default:
                return (0, ModbusExceptionCode.IllegalFunction);
        }
    }

    private static int Frame(Span<byte> response, ushort transaction, byte unitId, byte function, int bodyLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(response, transaction);
        BinaryPrimitives.WriteUInt16BigEndian(response[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(response[4..], (ushort)(2 + bodyLength));
        response[6] = unitId;
        response[7] = function;
        return ModbusCodec.MbapHeaderLength + 1 + bodyLength;
    }

    private static int Exception(Span<byte> response, ushort transaction, byte unitId, byte function, ModbusExceptionCode code)
    {
        response[ModbusCodec.MbapHeaderLength + 1] = (byte)code;
        return Frame(response, transaction, unitId, (byte)(function | 0x80), 1);
    }
}
