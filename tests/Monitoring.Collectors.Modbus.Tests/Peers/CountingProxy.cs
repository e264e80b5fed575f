using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Monitoring.Collectors.Modbus.Tests.Peers;

/// <summary>
/// A TCP pass-through in front of a real server that records what crosses it: connections, and the unit id and quantity
/// of every request. Lets a test see how the client split and multiplexed its requests.
/// </summary>
public sealed class CountingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<int> _quantities = [];
    private readonly List<int> _units = [];
    private readonly List<IDisposable> _sockets = [];
    private readonly Task _acceptLoop;
    private int _connections;

    public CountingProxy(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int Connections => Volatile.Read(ref _connections);

    public IReadOnlyList<int> Quantities
    {
        get
        {
            lock (_quantities)
            {
                return [.. _quantities];
            }
        }
    }

    public IReadOnlyList<int> Units
    {
        get
        {
            lock (_quantities)
            {
                return [.. _units];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_sockets)
        {
            _sockets.ForEach(s => s.Dispose());
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

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            var upstream = new TcpClient();
            await upstream.ConnectAsync(_target, _stop.Token);
            lock (_sockets)
            {
                _sockets.Add(client);
                _sockets.Add(upstream);
            }

            _ = Task.Run(() => PumpRequestsAsync(client.GetStream(), upstream.GetStream()));
            _ = Task.Run(() => PumpAsync(upstream.GetStream(), client.GetStream()));
        }
    }

    private async Task PumpRequestsAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[260];
        try
        {
            while (true)
            {
                await from.ReadExactlyAsync(buffer.AsMemory(0, 7), _stop.Token);
                var length = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(4));
                await from.ReadExactlyAsync(buffer.AsMemory(7, length - 1), _stop.Token);
                lock (_quantities)
                {
                    _units.Add(buffer[6]);
                    _quantities.Add(BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(10)));
                }

                await to.WriteAsync(buffer.AsMemory(0, 6 + length), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or EndOfStreamException or SocketException)
        {
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }
}
