using System.Net;
using System.Net.Sockets;

namespace Monitoring.Simulator.Mqtt;

/// <summary>
/// A loopback TCP relay between a simulated probe and the broker: the probe's MQTT client connects here, and every
/// byte is copied both ways. <see cref="Cut"/> resets every connection (no DISCONNECT ever reaches the broker, as when a
/// probe loses power or its cable) and refuses new ones until <see cref="Restore"/>, so the broker publishes the
/// probe's last will and the client's reconnection waits.
/// </summary>
public sealed class CuttableLink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly DnsEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Socket> _open = [];
    private Task? _acceptLoop;
    private volatile bool _cut;
    private int _disposed;

    public CuttableLink(string upstreamHost, int upstreamPort)
    {
        _upstream = new DnsEndPoint(upstreamHost, upstreamPort);
    }

    /// <summary>Where the probe connects.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public bool IsCut => _cut;

    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    /// <summary>Drops every connection at once, with a reset, and refuses new ones.</summary>
    public void Cut()
    {
        _cut = true;
        Socket[] open;
        lock (_gate)
        {
            open = [.. _open];
            _open.Clear();
        }

        foreach (var socket in open)
        {
            Reset(socket);
        }
    }

    public void Restore() => _cut = false;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        Cut();
        if (_acceptLoop is not null)
        {
            try
            {
                await _acceptLoop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket downstream;
            try
            {
                downstream = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException) when (!cancellationToken.IsCancellationRequested)
            {
                // one failed accept (a connection reset before it was taken, as the probe's retries are while the
                // link is cut) must not end the link for good: the probe could never come back
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            if (_cut)
            {
                Reset(downstream);
                continue;
            }

            _ = RelayAsync(downstream, cancellationToken);
        }
    }

    private async Task RelayAsync(Socket downstream, CancellationToken cancellationToken)
    {
        var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        downstream.NoDelay = true;
        lock (_gate)
        {
            _open.Add(downstream);
            _open.Add(upstream);
        }

        try
        {
            await upstream.ConnectAsync(_upstream, cancellationToken).ConfigureAwait(false);
            using var down = new NetworkStream(downstream, ownsSocket: false);
            using var up = new NetworkStream(upstream, ownsSocket: false);
            var a = down.CopyToAsync(up, cancellationToken);
            var b = up.CopyToAsync(down, cancellationToken);
            await Task.WhenAny(a, b).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(downstream);
                _open.Remove(upstream);
            }

            // one side ended on its own (a clean close): pass the close on, without a reset
            downstream.Dispose();
            upstream.Dispose();
        }
    }
}
