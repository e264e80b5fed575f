using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Monitoring.Collectors.Modbus.Protocol;

namespace Monitoring.Collectors.Modbus.Client;

/// <summary>
/// One TCP connection to a Modbus server. Its own thread connects, then sits in a blocking receive: whatever arrives
/// goes into one 4 KiB buffer, complete responses are cut from it by their MBAP length (several per read, or one
/// across several reads) and each is handed to the request with the same transaction id, whose continuation runs right
/// there. So a response costs the kernel waking one thread and nothing else: no thread-pool hop, no epoll thread, no
/// allocation (measured: the thread-pool path cost 3-10x the CPU per request on a loaded 2-core box). Requests are sent
/// from the caller's thread with one blocking send (bounded by the request timeout). One timer per connection, ticking
/// only while requests are outstanding, fails those that ran past the timeout. It validates only the framing; the
/// request validates the content against what it asked. Once broken it stays broken: the client opens a new one.
/// </summary>
/// <remarks>
/// A caller's continuation runs on this connection's thread until it next awaits something unfinished: code after an
/// await of a request should not block on another request of the same connection (it would wait for the timeout).
/// </remarks>
internal sealed class ModbusConnection : IAsyncDisposable
{
    private const int AbandonedMemory = 32;
    private const int ReceiveBufferLength = 4096;

    /// <summary>Deadline timer ticks per request timeout: a request fails between 1 and 1.125 timeouts after it was sent.</summary>
    private const int TicksPerTimeout = 8;

    private const int Connecting = 0;
    private const int ConnectDone = 1;
    private const int ConnectAborted = 2;

    private readonly Socket _socket;
    private readonly EndPoint _remote;
    private readonly string _endPoint;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Lock _sendLock = new();
    private readonly Dictionary<ushort, PendingResponse> _pending = [];
    private readonly ushort[] _abandoned = new ushort[AbandonedMemory];
    private readonly ITimer _deadlineTimer;
    private readonly TimeSpan _tickPeriod;
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _tick;
    private bool _timerArmed;
    private int _abandonedCount;
    private int _abandonedNext;
    private ushort _nextTransactionId;
    private volatile bool _broken;
    private int _connectState;
    private int _failureCounted;

    /// <summary>Starts connecting at once, on the connection's own thread; <see cref="Connected"/> says how it went.</summary>
    public ModbusConnection(EndPoint remote, string endPoint, TimeSpan requestTimeout, TimeProvider time, ILogger logger)
    {
        _remote = remote;
        _endPoint = endPoint;
        _logger = logger;
        _nextTransactionId = (ushort)Random.Shared.Next(0, 0x10000);
        _tickPeriod = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, requestTimeout.Ticks / TicksPerTimeout));
        _socket = new Socket(SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            SendTimeout = (int)Math.Clamp(requestTimeout.TotalMilliseconds, 1, int.MaxValue),
        };
        _deadlineTimer = time.CreateTimer(static state => ((ModbusConnection)state!).OnTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var thread = new Thread(static state => ((ModbusConnection)state!).Run()) { IsBackground = true, Name = $"Modbus {endPoint}" };
        thread.UnsafeStart(this);
    }

    /// <summary>Completes when connected; faults with the <see cref="SocketException"/>, or an <see cref="OperationCanceledException"/> after <see cref="AbortConnect"/>.</summary>
    public Task Connected => _connected.Task;

    public bool IsBroken => _broken;

    /// <summary>True the first time only: a drop counts once toward the backoff, however many requests it failed.</summary>
    public bool TryCountFailure() => Interlocked.Exchange(ref _failureCounted, 1) == 0;

    /// <summary>Gives up a connect still in progress (timeout, cancellation); no effect once connected.</summary>
    public void AbortConnect()
    {
        if (Interlocked.CompareExchange(ref _connectState, ConnectAborted, Connecting) == Connecting)
        {
            _socket.Dispose();
        }
    }

    /// <summary>Gives the request a transaction id and a deadline; false when the connection has broken.</summary>
    public bool Register(PendingResponse pending)
    {
        lock (_lock)
        {
            if (_broken)
            {
                return false;
            }

            var id = _nextTransactionId;
            while (_pending.ContainsKey(id) || IsAbandoned(id))
            {
                id++;
            }

            _nextTransactionId = (ushort)(id + 1);
            pending.TransactionId = id;
            pending.Connection = this;
            if (_timerArmed)
            {
                // The next tick is anywhere within one period: one more tick keeps the request its whole timeout.
                pending.ExpiresAtTick = _tick + TicksPerTimeout + 1;
            }
            else
            {
                _timerArmed = true;
                pending.ExpiresAtTick = _tick + TicksPerTimeout;
                _deadlineTimer.Change(_tickPeriod, Timeout.InfiniteTimeSpan);
            }

            _pending.Add(id, pending);
            return true;
        }
    }

    /// <summary>Sends a whole request ADU; on failure the connection breaks, which fails every outstanding request.</summary>
    public void Send(ReadOnlySpan<byte> adu)
    {
        try
        {
            lock (_sendLock)
            {
                while (!adu.IsEmpty)
                {
                    adu = adu[_socket.Send(adu)..];
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Break(ModbusDecodeStatus.Ok, "send failed", ex);
        }
    }

    /// <summary>The caller gave up on the request: it fails as cancelled, and a late response with its id is discarded.</summary>
    public void Cancel(PendingResponse pending)
    {
        if (Remove(pending))
        {
            pending.Fail(PendingResponse.Cancelled);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Break(ModbusDecodeStatus.Ok, "client closed", null);
        await _exited.Task.ConfigureAwait(false);
    }

    private bool Remove(PendingResponse pending)
    {
        lock (_lock)
        {
            if (!_pending.TryGetValue(pending.TransactionId, out var registered) || !ReferenceEquals(registered, pending))
            {
                return false;
            }

            _pending.Remove(pending.TransactionId);
            RememberAbandoned(pending.TransactionId);
            return true;
        }
    }

    private void RememberAbandoned(ushort id)
    {
        _abandoned[_abandonedNext] = id;
        _abandonedNext = (_abandonedNext + 1) % AbandonedMemory;
        _abandonedCount = Math.Min(_abandonedCount + 1, AbandonedMemory);
    }

    private bool IsAbandoned(ushort id)
    {
        for (var i = 0; i < _abandonedCount; i++)
        {
            if (_abandoned[i] == id)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The deadline timer: one shot, re-armed from here while requests are outstanding, so a tick never arrives stale.</summary>
    private void OnTick()
    {
        List<PendingResponse>? expired = null;
        lock (_lock)
        {
            if (_broken)
            {
                return;
            }

            var tick = ++_tick;
            foreach (var entry in _pending)
            {
                if (entry.Value.ExpiresAtTick <= tick)
                {
                    (expired ??= []).Add(entry.Value);
                }
            }

            if (expired is not null)
            {
                foreach (var pending in expired)
                {
                    _pending.Remove(pending.TransactionId);
                    RememberAbandoned(pending.TransactionId);
                }
            }

            if (_pending.Count > 0)
            {
                _deadlineTimer.Change(_tickPeriod, Timeout.InfiniteTimeSpan);
            }
            else
            {
                _timerArmed = false;
            }
        }

        if (expired is not null)
        {
            foreach (var pending in expired)
            {
                pending.Fail(PendingResponse.TimedOut);
            }
        }
    }

    /// <summary>The connection's thread: connect, then receive until the connection breaks. Nothing escapes it.</summary>
    private void Run()
    {
        try
        {
            if (!Connect())
            {
                return;
            }

            ReceiveLoop();
        }
#pragma warning disable CA1031 // the top of a thread: an exception here would end the process; it breaks the connection instead
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Break(ModbusDecodeStatus.Ok, "receive failed", ex);
        }
        finally
        {
            _exited.TrySetResult();
        }
    }

    private bool Connect()
    {
        Exception? failure = null;
        try
        {
            _socket.Connect(_remote);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            failure = ex;
        }

        if (Interlocked.CompareExchange(ref _connectState, ConnectDone, Connecting) != Connecting)
        {
            failure = new OperationCanceledException("the connect was abandoned", failure);
        }

        if (failure is null)
        {
            _connected.TrySetResult();
            return true;
        }

        lock (_lock)
        {
            _broken = true;
        }

        _deadlineTimer.Dispose();
        _socket.Dispose();
        _connected.TrySetException(failure);
        return false;
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[ReceiveBufferLength];
        int start = 0, end = 0;
        while (true)
        {
            int received;
            try
            {
                received = _socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Break(ModbusDecodeStatus.Ok, "connection closed", ex);
                return;
            }

            if (received == 0)
            {
                Break(ModbusDecodeStatus.Ok, "connection closed by the server", null);
                return;
            }

            end += received;
            while (end - start >= ModbusCodec.MbapHeaderLength)
            {
                var framing = ModbusCodec.TryReadFrameLength(buffer.AsSpan(start, ModbusCodec.MbapHeaderLength), out var aduLength);
                if (framing != ModbusDecodeStatus.Ok)
                {
                    Break(framing, "response framing is invalid, the stream cannot be trusted", null);
                    return;
                }

                if (end - start < aduLength)
                {
                    break;
                }

                if (!Dispatch(buffer.AsSpan(start, aduLength)))
                {
                    return;
                }

                start += aduLength;
            }

            if (start == end)
            {
                start = end = 0;
            }
            else if (buffer.Length - end < ModbusCodec.MaxAduLength)
            {
                // Less than one ADU is left over: move it to the front so the rest of it always fits.
                buffer.AsSpan(start, end - start).CopyTo(buffer);
                end -= start;
                start = 0;
            }
        }
    }

    /// <summary>Hands a response to its request (whose continuation runs here); false when the connection broke.</summary>
    private bool Dispatch(ReadOnlySpan<byte> adu)
    {
        var transactionId = BinaryPrimitives.ReadUInt16BigEndian(adu);
        PendingResponse? pending;
        bool late;
        lock (_lock)
        {
            if (_broken)
            {
                return false;
            }

            late = !_pending.Remove(transactionId, out pending) && IsAbandoned(transactionId);
        }

        if (pending is not null)
        {
            pending.Complete(adu);
            return true;
        }

        if (late)
        {
            ModbusLog.LateResponse(_logger, _endPoint, transactionId);
            return true;
        }

        Break(ModbusDecodeStatus.TransactionIdMismatch, "response with a transaction id no request is waiting for", null);
        return false;
    }

    private void Break(ModbusDecodeStatus status, string reason, Exception? cause)
    {
        PendingResponse[] failed;
        lock (_lock)
        {
            if (_broken)
            {
                return;
            }

            _broken = true;
            failed = [.. _pending.Values];
            _pending.Clear();
        }

        if (status == ModbusDecodeStatus.Ok)
        {
            ModbusLog.Closed(_logger, _endPoint, reason);
        }
        else
        {
            ModbusLog.Dropped(_logger, _endPoint, status, reason);
        }

        _deadlineTimer.Dispose();
        CloseGracefully();
        foreach (var pending in failed)
        {
            pending.Fail(status, new IOException(reason, cause));
        }
    }

    /// <summary>
    /// Ends the connection with a FIN before the socket is released. Disposing a socket whose receiving thread is still
    /// blocked in <c>recv</c> makes the runtime disconnect it abortively (a RST), which a device may log as an error or
    /// count against its few connection slots; the shutdown sends the FIN first and wakes that thread with end of stream.
    /// </summary>
    private void CloseGracefully()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // never connected, or already gone: nothing to say goodbye to
        }

        _socket.Dispose();
    }
}
