using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Monitoring.Collectors.Modbus.Tests.Peers;

/// <summary>
/// A real TCP server on loopback whose every byte the test writes by hand: the test accepts each connection, reads the
/// client's requests and answers with whatever bytes it likes (split, merged, late, unasked). Every wait is bounded.
/// </summary>
public sealed class ScriptedModbusPeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];

    public ScriptedModbusPeer() => _listener.Start();

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int Connections
    {
        get
        {
            lock (_accepted)
            {
                return _accepted.Count;
            }
        }
    }

    public static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    public async Task<ScriptedConnection> AcceptAsync()
    {
        var socket = await _listener.AcceptSocketAsync(Deadline());
        socket.NoDelay = true;
        lock (_accepted)
        {
            _accepted.Add(socket);
        }

        return new ScriptedConnection(socket);
    }

    /// <summary>True when the client opened no connection beyond the ones accepted (it is not waiting in the backlog).</summary>
    public bool NoConnectionWaiting() => !_listener.Pending();

    public ValueTask DisposeAsync()
    {
        _listener.Stop();
        lock (_accepted)
        {
            foreach (var socket in _accepted)
            {
                socket.Dispose();
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The response to a read of holding or input registers, with the request's transaction and unit id.</summary>
    public static byte[] RegistersResponse(byte[] request, params ushort[] values)
    {
        var adu = new byte[9 + (2 * values.Length)];
        request.AsSpan(0, 4).CopyTo(adu);
        BinaryPrimitives.WriteUInt16BigEndian(adu.AsSpan(4), (ushort)(3 + (2 * values.Length)));
        adu[6] = request[6];
        adu[7] = request[7];
        adu[8] = (byte)(2 * values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(adu.AsSpan(9 + (2 * i)), values[i]);
        }

        return adu;
    }

    /// <summary>An exception response (function code | 0x80, then the code) to the request.</summary>
    public static byte[] ExceptionResponse(byte[] request, byte exceptionCode)
    {
        var adu = new byte[9];
        request.AsSpan(0, 4).CopyTo(adu);
        BinaryPrimitives.WriteUInt16BigEndian(adu.AsSpan(4), 3);
        adu[6] = request[6];
        adu[7] = (byte)(request[7] | 0x80);
        adu[8] = exceptionCode;
        return adu;
    }

    public static ushort TransactionId(byte[] adu) => BinaryPrimitives.ReadUInt16BigEndian(adu);

    public static ushort Address(byte[] request) => BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(8));

    public static ushort Quantity(byte[] request) => BinaryPrimitives.ReadUInt16BigEndian(request.AsSpan(10));
}

public sealed class ScriptedConnection(Socket socket)
{
    /// <summary>Reads one whole request ADU (MBAP header, then as many bytes as its length field says).</summary>
    public async Task<byte[]> ReadRequestAsync()
    {
        var header = new byte[7];
        await ReadExactlyAsync(header);
        var length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4));
        var adu = new byte[6 + length];
        header.CopyTo(adu, 0);
        await ReadExactlyAsync(adu.AsMemory(7));
        return adu;
    }

    public async Task SendAsync(params byte[][] parts)
    {
        foreach (var part in parts)
        {
            await socket.SendAsync(part, SocketFlags.None, ScriptedModbusPeer.Deadline());
        }
    }

    /// <summary>True once the client has closed its end (a read returns end of stream).</summary>
    public async Task<bool> ClosedByClientAsync() => await socket.ReceiveAsync(new byte[1], SocketFlags.None, ScriptedModbusPeer.Deadline()) == 0;

    public void Close() => socket.Dispose();

    private async Task ReadExactlyAsync(Memory<byte> into)
    {
        while (!into.IsEmpty)
        {
            var read = await socket.ReceiveAsync(into, SocketFlags.None, ScriptedModbusPeer.Deadline());
            if (read == 0)
            {
                throw new EndOfStreamException("the client closed the connection");
            }

            into = into[read..];
        }
    }
}
