using System.Net;
using System.Net.Sockets;

namespace Monitoring.Collectors.Snmp.Tests;

/// <summary>
/// A loopback UDP relay in front of a real agent that forwards the first <c>forwardCount</c> requests and then
/// drops everything: an agent that stops answering part-way, made deterministic.
/// </summary>
internal sealed class UdpDroppingRelay : IDisposable
{
    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _back = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly IPEndPoint _agent;
    private readonly int _forwardCount;
    private int _forwarded;
    private EndPoint? _client;

    public UdpDroppingRelay(IPEndPoint agent, int forwardCount)
    {
        _agent = agent;
        _forwardCount = forwardCount;
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _ = Task.Run(() => PumpRequestsAsync(_stop.Token));
        _ = Task.Run(() => PumpResponsesAsync(_stop.Token));
    }

    public IPEndPoint EndPoint => (IPEndPoint)_front.LocalEndPoint!;

    public int Forwarded => Volatile.Read(ref _forwarded);

    private async Task PumpRequestsAsync(CancellationToken ct)
    {
        var buffer = new byte[65536];
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var r = await _front.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), ct);
                if (r.ReceivedBytes == 0)
                {
                    continue; // not a request: the client's empty "is anything listening?" probe after a timeout
                }

                _client = r.RemoteEndPoint;
                if (Interlocked.Increment(ref _forwarded) <= _forwardCount)
                {
                    await _back.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, _agent, ct);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task PumpResponsesAsync(CancellationToken ct)
    {
        var buffer = new byte[65536];
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var r = await _back.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), ct);
                if (_client is { } client)
                {
                    await _front.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, client, ct);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _front.Dispose();
        _back.Dispose();
        _stop.Dispose();
    }
}
