using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Monitoring.Collectors.Modbus.Tests.Peers;

/// <summary>What the fake server does with one request.</summary>
public enum FakeBehaviour
{
    /// <summary>Answer correctly (registers hold address + i, writes are echoed).</summary>
    Answer,

    /// <summary>Read the request and close the connection.</summary>
    Close,

    /// <summary>Read the request and never answer.</summary>
    Silent,

    /// <summary>Answer with the transaction id + 1.</summary>
    WrongTransactionId,

    /// <summary>Answer with the unit id + 1.</summary>
    WrongUnitId,

    /// <summary>Answer with function code + 1.</summary>
    WrongFunction,

    /// <summary>Byte count one more than the quantity asks for, length field consistent with the bytes sent.</summary>
    WrongByteCount,

    /// <summary>Byte count right, but the PDU (and length field) one register short.</summary>
    ShortPdu,

    /// <summary>Protocol id 1 in the MBAP header.</summary>
    WrongProtocolId,

    /// <summary>Length field larger than the largest ADU allows.</summary>
    OversizedLength,

    /// <summary>Random bytes of random length.</summary>
    Garbage,
}

/// <summary>
/// A tiny Modbus TCP server written here to misbehave on purpose: each request takes the next behaviour from a script
/// (the last one repeats). Not a reference implementation: it only exists to break the client.
/// </summary>
public sealed class FakeModbusServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Queue<FakeBehaviour> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Task _acceptLoop;
    private readonly Random _random = new(1234);
    private FakeBehaviour _last;
    private int _connections;
    private int _requests;

    public FakeModbusServer(params FakeBehaviour[] script)
    {
        _script = new Queue<FakeBehaviour>(script);
        _last = script.Length > 0 ? script[^1] : FakeBehaviour.Answer;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int Connections => Volatile.Read(ref _connections);

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>A unit id this server never answers for, whatever the script says: a dead device behind a gateway.</summary>
    public byte? SilentUnit { get; init; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private FakeBehaviour Next()
    {
        lock (_script)
        {
            return _script.Count > 0 ? _script.Dequeue() : _last;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            lock (_clients)
            {
                _clients.Add(client);
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        var request = new byte[260];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await stream.ReadExactlyAsync(request.AsMemory(0, 7), _stop.Token);
                var length = BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(4));
                await stream.ReadExactlyAsync(request.AsMemory(7, length - 1), _stop.Token);
                Interlocked.Increment(ref _requests);
                var behaviour = request[6] == SilentUnit ? FakeBehaviour.Silent : Next();
                switch (behaviour)
                {
                    case FakeBehaviour.Close:
                        client.Dispose();
                        return;
                    case FakeBehaviour.Silent:
                        continue;
                    default:
                        var response = Respond(request.AsSpan(0, 6 + length), behaviour);
                        await stream.WriteAsync(response, _stop.Token);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or EndOfStreamException or SocketException)
        {
        }
    }

    private byte[] Respond(ReadOnlySpan<byte> request, FakeBehaviour behaviour)
    {
        if (behaviour == FakeBehaviour.Garbage)
        {
            byte[] garbage;
            lock (_random)
            {
                garbage = new byte[_random.Next(0, 20)];
                _random.NextBytes(garbage);
            }

            return garbage;
        }

        var function = request[7];
        var address = BinaryPrimitives.ReadUInt16BigEndian(request[8..]);
        var quantity = BinaryPrimitives.ReadUInt16BigEndian(request[10..]);
        var pdu = new List<byte> { function };
        switch (function)
        {
            case 3:
            case 4:
                var count = behaviour == FakeBehaviour.ShortPdu ? quantity - 1 : quantity;
                pdu.Add((byte)((quantity * 2) + (behaviour == FakeBehaviour.WrongByteCount ? 1 : 0)));
                for (var i = 0; i < count; i++)
                {
                    var value = (ushort)(address + i);
                    pdu.Add((byte)(value >> 8));
                    pdu.Add((byte)value);
                }

                if (behaviour == FakeBehaviour.WrongByteCount)
                {
                    pdu.Add(0);
                }

                break;
            default:
                pdu.AddRange(request[8..12].ToArray());
                break;
        }

        if (behaviour == FakeBehaviour.WrongFunction)
        {
            pdu[0]++;
        }

        var adu = new byte[7 + pdu.Count];
        request[..7].CopyTo(adu);
        BinaryPrimitives.WriteUInt16BigEndian(adu.AsSpan(4), (ushort)(pdu.Count + 1));
        pdu.CopyTo(adu, 7);
        switch (behaviour)
        {
            case FakeBehaviour.WrongTransactionId:
                BinaryPrimitives.WriteUInt16BigEndian(adu, (ushort)(BinaryPrimitives.ReadUInt16BigEndian(adu) + 1));
                break;
            case FakeBehaviour.WrongUnitId:
                adu[6]++;
                break;
            case FakeBehaviour.WrongProtocolId:
                adu[3] = 1;
                break;
            case FakeBehaviour.OversizedLength:
                BinaryPrimitives.WriteUInt16BigEndian(adu.AsSpan(4), 0xFFFF);
                break;
            default:
                break;
        }

        return adu;
    }
}
