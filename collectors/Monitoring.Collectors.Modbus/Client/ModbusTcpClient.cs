using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Collectors.Modbus.Protocol;

namespace Monitoring.Collectors.Modbus.Client;

/// <summary>
/// A Modbus TCP client for one server address: one connection, shared by every unit id behind it (a gateway's serial
/// devices, or a single device). Requests longer than the standard allows are split. Up to
/// <see cref="ModbusTcpClientOptions.MaxInFlight"/> requests are outstanding at once, matched by transaction id. A
/// broken connection fails the requests on it; the next request reconnects, after an exponential backoff with jitter
/// while failures repeat. Every failure is a <see cref="ModbusRequestException"/> that names the unit and why.
/// A request allocates nothing when it succeeds: its frame and response live in a pooled slot, its timeout is the
/// connection's one deadline timer, and the response is handed over on the connection's receiving thread
/// (see <see cref="ModbusConnection"/>).
/// </summary>
public sealed class ModbusTcpClient : IAsyncDisposable
{
    private readonly EndPoint _endPoint;
    private readonly string _endPointText;
    private readonly ModbusTcpClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _inFlight;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly Lock _freeLock = new();
    private readonly PendingResponse?[] _free;
    private int _freeCount;
    private ModbusConnection? _connection;
    private int _consecutiveFailures;
    private long _nextAttemptTimestamp;
    private bool _disposed;

    public ModbusTcpClient(EndPoint endPoint, ModbusTcpClientOptions? options = null, TimeProvider? timeProvider = null, ILogger<ModbusTcpClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        _options = options ?? new ModbusTcpClientOptions();
        _options.Validate();
        _endPoint = endPoint;
        _endPointText = endPoint.ToString() ?? "?";
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _inFlight = new SemaphoreSlim(_options.MaxInFlight, _options.MaxInFlight);
        _free = new PendingResponse?[_options.MaxInFlight];
    }

    public EndPoint EndPoint => _endPoint;

    public bool IsConnected => _connection is { IsBroken: false };

    /// <summary>Failures (connects, drops) since the last successful response: what the reconnect backoff grows with.</summary>
    public int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>FC 1, split into requests of at most 2000 coils.</summary>
    public ValueTask ReadCoilsAsync(byte unitId, ushort address, Memory<bool> destination, CancellationToken cancellationToken = default) =>
        ReadBitsAsync(ModbusFunctionCode.ReadCoils, unitId, address, destination, cancellationToken);

    /// <summary>FC 2, split into requests of at most 2000 inputs.</summary>
    public ValueTask ReadDiscreteInputsAsync(byte unitId, ushort address, Memory<bool> destination, CancellationToken cancellationToken = default) =>
        ReadBitsAsync(ModbusFunctionCode.ReadDiscreteInputs, unitId, address, destination, cancellationToken);

    /// <summary>FC 3, split into requests of at most 125 registers.</summary>
    public ValueTask ReadHoldingRegistersAsync(byte unitId, ushort address, Memory<ushort> destination, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(ModbusFunctionCode.ReadHoldingRegisters, unitId, address, destination, cancellationToken);

    /// <summary>FC 4, split into requests of at most 125 registers.</summary>
    public ValueTask ReadInputRegistersAsync(byte unitId, ushort address, Memory<ushort> destination, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(ModbusFunctionCode.ReadInputRegisters, unitId, address, destination, cancellationToken);

    /// <summary>FC 5.</summary>
    public ValueTask WriteSingleCoilAsync(byte unitId, ushort address, bool on, CancellationToken cancellationToken = default)
    {
        var pending = RentPending();
        var length = ModbusCodec.EncodeWriteSingleCoil(pending.Frame, 0, unitId, address, on);
        return ExchangeAsync(pending, length, ModbusRequest.WriteSingleCoil(unitId, address, on), default, cancellationToken);
    }

    /// <summary>FC 6.</summary>
    public ValueTask WriteSingleRegisterAsync(byte unitId, ushort address, ushort value, CancellationToken cancellationToken = default)
    {
        var pending = RentPending();
        var length = ModbusCodec.EncodeWriteSingleRegister(pending.Frame, 0, unitId, address, value);
        return ExchangeAsync(pending, length, ModbusRequest.WriteSingleRegister(unitId, address, value), default, cancellationToken);
    }

    /// <summary>FC 15, split into requests of at most 1968 coils.</summary>
    public async ValueTask WriteMultipleCoilsAsync(byte unitId, ushort address, ReadOnlyMemory<bool> values, CancellationToken cancellationToken = default)
    {
        CheckRange(address, values.Length);
        for (var done = 0; done < values.Length;)
        {
            var count = Math.Min(ModbusCodec.MaxWriteCoils, values.Length - done);
            var start = (ushort)(address + done);
            var pending = RentPending();
            var length = ModbusCodec.EncodeWriteMultipleCoils(pending.Frame, 0, unitId, start, values.Span.Slice(done, count));
            await ExchangeAsync(pending, length, ModbusRequest.WriteMultipleCoils(unitId, start, count), default, cancellationToken).ConfigureAwait(false);
            done += count;
        }
    }

    /// <summary>FC 16, split into requests of at most 123 registers.</summary>
    public async ValueTask WriteMultipleRegistersAsync(byte unitId, ushort address, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        CheckRange(address, values.Length);
        for (var done = 0; done < values.Length;)
        {
            var count = Math.Min(ModbusCodec.MaxWriteRegisters, values.Length - done);
            var start = (ushort)(address + done);
            var pending = RentPending();
            var length = ModbusCodec.EncodeWriteMultipleRegisters(pending.Frame, 0, unitId, start, values.Span.Slice(done, count));
            await ExchangeAsync(pending, length, ModbusRequest.WriteMultipleRegisters(unitId, start, count), default, cancellationToken).ConfigureAwait(false);
            done += count;
        }
    }

    /// <summary>Any function code with an opaque body; returns the response body after the function code.</summary>
    public async ValueTask<byte[]> ExecuteRawAsync(byte unitId, byte functionCode, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var pending = RentPending();
        var length = ModbusCodec.EncodeRaw(pending.Frame, 0, unitId, functionCode, body.Span);
        var result = new RawResult();
        await ExchangeAsync(pending, length, new ModbusRequest(unitId, functionCode, 0, 0), new ResponseSink(result), cancellationToken).ConfigureAwait(false);
        return result.Body;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var connection = Interlocked.Exchange(ref _connection, null);
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private ValueTask ReadBitsAsync(ModbusFunctionCode function, byte unitId, ushort address, Memory<bool> destination, CancellationToken cancellationToken)
    {
        CheckRange(address, destination.Length);
        return destination.Length <= ModbusCodec.MaxReadBits
            ? ReadAsync(function, unitId, address, (ushort)destination.Length, new ResponseSink(destination), cancellationToken)
            : ReadBitsInPartsAsync(function, unitId, address, destination, cancellationToken);
    }

    private async ValueTask ReadBitsInPartsAsync(ModbusFunctionCode function, byte unitId, ushort address, Memory<bool> destination, CancellationToken cancellationToken)
    {
        for (var done = 0; done < destination.Length;)
        {
            var count = Math.Min(ModbusCodec.MaxReadBits, destination.Length - done);
            await ReadAsync(function, unitId, (ushort)(address + done), (ushort)count, new ResponseSink(destination.Slice(done, count)), cancellationToken).ConfigureAwait(false);
            done += count;
        }
    }

    private ValueTask ReadRegistersAsync(ModbusFunctionCode function, byte unitId, ushort address, Memory<ushort> destination, CancellationToken cancellationToken)
    {
        CheckRange(address, destination.Length);
        return destination.Length <= ModbusCodec.MaxReadRegisters
            ? ReadAsync(function, unitId, address, (ushort)destination.Length, new ResponseSink(destination), cancellationToken)
            : ReadRegistersInPartsAsync(function, unitId, address, destination, cancellationToken);
    }

    private async ValueTask ReadRegistersInPartsAsync(ModbusFunctionCode function, byte unitId, ushort address, Memory<ushort> destination, CancellationToken cancellationToken)
    {
        for (var done = 0; done < destination.Length;)
        {
            var count = Math.Min(ModbusCodec.MaxReadRegisters, destination.Length - done);
            await ReadAsync(function, unitId, (ushort)(address + done), (ushort)count, new ResponseSink(destination.Slice(done, count)), cancellationToken).ConfigureAwait(false);
            done += count;
        }
    }

    /// <summary>One read request: encoded into a pooled request slot, no state machine of its own.</summary>
    private ValueTask ReadAsync(ModbusFunctionCode function, byte unitId, ushort address, ushort count, ResponseSink sink, CancellationToken cancellationToken)
    {
        var pending = RentPending();
        var length = ModbusCodec.EncodeRead(pending.Frame, 0, unitId, function, address, count);
        return ExchangeAsync(pending, length, ModbusRequest.Read(unitId, function, address, count), sink, cancellationToken);
    }

    private static void CheckRange(ushort address, int count)
    {
        if (count < 1 || address + count > 0x10000)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "need 1 or more values, and address + count within 65536");
        }
    }

    private PendingResponse RentPending()
    {
        lock (_freeLock)
        {
            if (_freeCount > 0)
            {
                var pending = _free[--_freeCount]!;
                _free[_freeCount] = null;
                return pending;
            }
        }

        return new PendingResponse();
    }

    private void ReturnPending(PendingResponse pending)
    {
        pending.Reset();
        lock (_freeLock)
        {
            if (_freeCount < _free.Length)
            {
                _free[_freeCount++] = pending;
            }
        }
    }

    /// <summary>
    /// Sends the request ADU in <paramref name="pending"/>'s frame (its transaction id is patched in here), waits for its
    /// response and validates it; the slot goes back to the pool at the end. Allocates nothing when all goes well (the
    /// state machine box is pooled).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ExchangeAsync(PendingResponse pending, int length, ModbusRequest request, ResponseSink sink, CancellationToken cancellationToken)
    {
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var connection = _connection;
                if (connection is null || connection.IsBroken)
                {
                    connection = await ConnectAsync(request, cancellationToken).ConfigureAwait(false);
                }

                int result;
                var cancellation = cancellationToken.CanBeCanceled
                    ? cancellationToken.UnsafeRegister(static state => ((PendingResponse)state!).Connection?.Cancel((PendingResponse)state!), pending)
                    : default;
                try
                {
                    if (!connection.Register(pending))
                    {
                        throw Error(ModbusErrorKind.ConnectionClosed, request, "the connection closed before the request was sent");
                    }

                    if (cancellationToken.IsCancellationRequested)
                    {
                        connection.Cancel(pending); // cancelled before the registration could see the connection: not sent
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(pending.Frame, pending.TransactionId);
                        connection.Send(pending.Frame.AsSpan(0, length));
                    }

                    result = await pending.WaitAsync().ConfigureAwait(false);
                }
                finally
                {
                    cancellation.Dispose();
                }

                if (result >= 0)
                {
                    Validate(pending.Response.AsSpan(0, result), pending.TransactionId, request, sink);
                    return;
                }

                switch (result)
                {
                    case PendingResponse.TimedOut:
                        throw Error(ModbusErrorKind.Timeout, request, $"no response within {_options.RequestTimeout.TotalMilliseconds:0} ms");
                    case PendingResponse.Cancelled:
                        throw new OperationCanceledException(cancellationToken);
                    default:
                        if (connection.TryCountFailure())
                        {
                            NoteFailure();
                        }

                        throw pending.FailureStatus == ModbusDecodeStatus.Ok
                            ? Error(ModbusErrorKind.ConnectionClosed, request, "the connection closed while the request was outstanding", inner: pending.FailureCause)
                            : Error(ModbusErrorKind.InvalidResponse, request, $"invalid response ({pending.FailureStatus}), connection dropped", pending.FailureStatus, inner: pending.FailureCause);
                }
            }
            finally
            {
                _inFlight.Release();
            }
        }
        finally
        {
            ReturnPending(pending);
        }
    }

    private void Validate(ReadOnlySpan<byte> adu, ushort transactionId, in ModbusRequest request, ResponseSink sink)
    {
        var status = ModbusCodec.DecodeResponse(adu, transactionId, request, out var data, out var exceptionCode);
        switch (status)
        {
            case ModbusDecodeStatus.Ok:
                Volatile.Write(ref _consecutiveFailures, 0);
                sink.Accept(data);
                return;
            case ModbusDecodeStatus.ExceptionResponse:
                Volatile.Write(ref _consecutiveFailures, 0);
                throw new ModbusRequestException(
                    ModbusErrorKind.DeviceException, _endPointText, request.UnitId, request.FunctionCode, exceptionCode.Describe(), exceptionCode);
            default:
                ModbusLog.Rejected(_logger, _endPointText, request.UnitId, request.FunctionCode, status);
                throw Error(ModbusErrorKind.InvalidResponse, request, $"response rejected: {status}", status);
        }
    }

    /// <summary>The slow path, when there is no open connection: connecting counts against the request timeout too.</summary>
    private async ValueTask<ModbusConnection> ConnectAsync(ModbusRequest request, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await GetConnectionAsync(request, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw Error(ModbusErrorKind.Timeout, request, $"could not connect within the request timeout of {_options.RequestTimeout.TotalMilliseconds:0} ms");
        }
    }

    private async ValueTask<ModbusConnection> GetConnectionAsync(ModbusRequest request, CancellationToken cancellationToken)
    {
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = _connection;
            if (current is { IsBroken: false })
            {
                return current;
            }

            if (current is not null)
            {
                _connection = null;
                await current.DisposeAsync().ConfigureAwait(false);
            }

            var wait = _time.GetElapsedTime(_time.GetTimestamp(), Volatile.Read(ref _nextAttemptTimestamp));
            if (wait > TimeSpan.Zero)
            {
                if (wait >= _options.RequestTimeout)
                {
                    throw Error(ModbusErrorKind.BackingOff, request, $"reconnect backing off for {wait.TotalMilliseconds:0} ms after {ConsecutiveFailures} failures");
                }

                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }

            var connection = new ModbusConnection(_endPoint, _endPointText, _options.RequestTimeout, _time, _logger);
            try
            {
                using var connectTimeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connectTimeout.Token);
                using var abort = linked.Token.UnsafeRegister(static state => ((ModbusConnection)state!).AbortConnect(), connection);
                await connection.Connected.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                NoteFailure();
                ModbusLog.ConnectFailed(_logger, _endPointText, ConsecutiveFailures, ex.Message);
                throw Error(ModbusErrorKind.ConnectFailed, request, $"connect failed: {ex.Message}", inner: ex);
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            ModbusLog.Connected(_logger, _endPointText);
            _connection = connection;
            return connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>A connect failed or a connection dropped: the next connect waits ReconnectDelay * 2^(failures-1), with jitter.</summary>
    private void NoteFailure()
    {
        var failures = Interlocked.Increment(ref _consecutiveFailures);
        var delay = ReconnectDelay(failures, _options, Random.Shared.NextDouble());
        Volatile.Write(ref _nextAttemptTimestamp, _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency));
    }

    internal static TimeSpan ReconnectDelay(int failures, ModbusTcpClientOptions options, double random)
    {
        if (failures <= 0)
        {
            return TimeSpan.Zero;
        }

        var exponent = Math.Min(failures - 1, 30);
        var baseMs = Math.Min(options.MaxReconnectDelay.TotalMilliseconds, options.ReconnectDelay.TotalMilliseconds * Math.Pow(2, exponent));
        var jittered = baseMs * (1 + (options.ReconnectJitter * ((2 * random) - 1)));
        return TimeSpan.FromMilliseconds(Math.Max(0, jittered));
    }

    private ModbusRequestException Error(ModbusErrorKind kind, in ModbusRequest request, string detail, ModbusDecodeStatus status = ModbusDecodeStatus.Ok, Exception? inner = null) =>
        new(kind, _endPointText, request.UnitId, request.FunctionCode, detail, decodeStatus: status, innerException: inner);

    private sealed class RawResult
    {
        public byte[] Body { get; set; } = [];
    }

    /// <summary>Where a validated response's data goes: bits, registers, a raw body, or nowhere (writes).</summary>
    private readonly struct ResponseSink
    {
        private readonly Memory<bool> _bits;
        private readonly Memory<ushort> _registers;
        private readonly RawResult? _raw;
        private readonly byte _kind;

        public ResponseSink(Memory<bool> bits)
        {
            _bits = bits;
            _kind = 1;
        }

        public ResponseSink(Memory<ushort> registers)
        {
            _registers = registers;
            _kind = 2;
        }

        public ResponseSink(RawResult raw)
        {
            _raw = raw;
            _kind = 3;
        }

        public void Accept(ReadOnlySpan<byte> data)
        {
            switch (_kind)
            {
                case 1:
                    ModbusCodec.UnpackBits(data, _bits.Span);
                    break;
                case 2:
                    ModbusCodec.ReadRegisters(data, _registers.Span);
                    break;
                case 3:
                    _raw!.Body = data.ToArray();
                    break;
                default:
                    break;
            }
        }
    }
}
