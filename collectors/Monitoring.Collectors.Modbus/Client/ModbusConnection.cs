using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Monitoring.Collectors.Modbus.Protocol;

namespace Monitoring.Collectors.Modbus.Client;

/// <summary>
/// One TCP connection to a Modbus server: sends requests, and runs a receive loop that frames responses by their MBAP
/// length (into a fixed 260-byte buffer) and hands each to the request with the same transaction id. It validates only
/// the framing; the request validates the content against what it asked. Once broken it stays broken: the client opens
/// a new one.
/// </summary>
internal sealed class ModbusConnection : IAsyncDisposable
{
    private const int AbandonedMemory = 32;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly string _endPoint;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Dictionary<ushort, PendingResponse> _pending = [];
    private readonly ushort[] _abandoned = new ushort[AbandonedMemory];
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _receiveLoop;
    private int _abandonedCount;
    private int _abandonedNext;
    private ushort _nextTransactionId;
    private bool _broken;
    private int _failureCounted;

    public ModbusConnection(Socket socket, string endPoint, ILogger logger)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _endPoint = endPoint;
        _logger = logger;
        _nextTransactionId = (ushort)Random.Shared.Next(0, 0x10000);
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    public bool IsBroken
    {
        get
        {
            lock (_pending)
            {
                return _broken;
            }
        }
    }

    /// <summary>True the first time only: a drop counts once toward the backoff, however many requests it failed.</summary>
    public bool TryCountFailure() => Interlocked.Exchange(ref _failureCounted, 1) == 0;

    /// <summary>Reserves a transaction id for a request; null when the connection has broken.</summary>
    public PendingResponse? Register()
    {
        lock (_pending)
        {
            if (_broken)
            {
                return null;
            }

            var id = _nextTransactionId;
            while (_pending.ContainsKey(id) || IsAbandoned(id))
            {
                id++;
            }

            _nextTransactionId = (ushort)(id + 1);
            var pending = new PendingResponse(id);
            _pending.Add(id, pending);
            return pending;
        }
    }

    /// <summary>The request gave up (timeout, cancellation): a late response with its id is discarded, not a protocol error.</summary>
    public void Abandon(PendingResponse pending)
    {
        lock (_pending)
        {
            if (_pending.Remove(pending.TransactionId))
            {
                _abandoned[_abandonedNext] = pending.TransactionId;
                _abandonedNext = (_abandonedNext + 1) % AbandonedMemory;
                _abandonedCount = Math.Min(_abandonedCount + 1, AbandonedMemory);
            }
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> adu, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(adu, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Break(ModbusDecodeStatus.Ok, "send failed", ex);
            throw;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Break(ModbusDecodeStatus.Ok, "client closed", null);
        try
        {
            await _receiveLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _closing.Dispose();
        _sendLock.Dispose();
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

    private async Task ReceiveLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ModbusCodec.MaxAduLength);
        var token = _closing.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                await _stream.ReadExactlyAsync(buffer.AsMemory(0, ModbusCodec.MbapHeaderLength), token).ConfigureAwait(false);
                var framing = ModbusCodec.TryReadFrameLength(buffer.AsSpan(0, ModbusCodec.MbapHeaderLength), out var aduLength);
                if (framing != ModbusDecodeStatus.Ok)
                {
                    Break(framing, "response framing is invalid, the stream cannot be trusted", null);
                    return;
                }

                await _stream.ReadExactlyAsync(buffer.AsMemory(ModbusCodec.MbapHeaderLength, aduLength - ModbusCodec.MbapHeaderLength), token).ConfigureAwait(false);
                Dispatch(buffer.AsSpan(0, aduLength));
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or SocketException or EndOfStreamException or ObjectDisposedException)
        {
            Break(ModbusDecodeStatus.Ok, "connection closed by the server", ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> adu)
    {
        var transactionId = BinaryPrimitives.ReadUInt16BigEndian(adu);
        PendingResponse? pending;
        lock (_pending)
        {
            if (!_pending.Remove(transactionId, out pending))
            {
                if (IsAbandoned(transactionId))
                {
                    ModbusLog.LateResponse(_logger, _endPoint, transactionId);
                    return;
                }
            }
        }

        if (pending is null)
        {
            Break(ModbusDecodeStatus.TransactionIdMismatch, "response with a transaction id no request is waiting for", null);
            return;
        }

        pending.Complete(adu);
    }

    private void Break(ModbusDecodeStatus status, string reason, Exception? cause)
    {
        PendingResponse[] failed;
        lock (_pending)
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

        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _stream.Dispose();
        _socket.Dispose();
        foreach (var pending in failed)
        {
            pending.Fail(status, reason, cause);
        }
    }
}
