using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
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
    public async ValueTask WriteSingleCoilAsync(byte unitId, ushort address, bool on, CancellationToken cancellationToken = default)
    {
        var frame = ArrayPool<byte>.Shared.Rent(ModbusCodec.MaxAduLength);
        try
        {
            var length = ModbusCodec.EncodeWriteSingleCoil(frame, 0, unitId, address, on);
            await ExchangeAsync(frame, length, ModbusRequest.WriteSingleCoil(unitId, address, on), default, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>FC 6.</summary>
    public async ValueTask WriteSingleRegisterAsync(byte unitId, ushort address, ushort value, CancellationToken cancellationToken = default)
    {
        var frame = ArrayPool<byte>.Shared.Rent(ModbusCodec.MaxAduLength);
        try
        {
            var length = ModbusCodec.EncodeWriteSingleRegister(frame, 0, unitId, address, value);
            await ExchangeAsync(frame, length, ModbusRequest.WriteSingleRegister(unitId, address, value), default, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>FC 15, split into requests of at most 1968 coils.</summary>
    public async ValueTask WriteMultipleCoilsAsync(byte unitId, ushort address, ReadOnlyMemory<bool> values, CancellationToken cancellationToken = default)
    {
        CheckRange(address, values.Length);
        var frame = ArrayPool<byte>.Shared.Rent(ModbusCodec.MaxAduLength);
        try
        {
            for (var done = 0; done < values.Length;)
            {
                var count = Math.Min(ModbusCodec.MaxWriteCoils, values.Length - done);
                var start = (ushort)(address + done);
                var length = ModbusCodec.EncodeWriteMultipleCoils(frame, 0, unitId, start, values.Span.Slice(done, count));
                await ExchangeAsync(frame, length, ModbusRequest.WriteMultipleCoils(unitId, start, count), default, cancellationToken).ConfigureAwait(false);
                done += count;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>FC 16, split into requests of at most 123 registers.</summary>
    public async ValueTask WriteMultipleRegistersAsync(byte unitId, ushort address, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        CheckRange(address, values.Length);
        var frame = ArrayPool<byte>.Shared.Rent(ModbusCodec.MaxAduLength);
        try
        {
            for (var done = 0; done < values.Length;)
            {
                var count = Math.Min(ModbusCodec.MaxWriteRegisters, values.Length - done);
                var start = (ushort)(address + done);
                var length = ModbusCodec.EncodeWriteMultipleRegisters(frame, 0, unitId, start, values.Span.Slice(done, count));
                await ExchangeAsync(frame, length, ModbusRequest.WriteMultipleRegisters(unitId, start, count), default, cancellationToken).ConfigureAwait(false);
                done += count;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Any function code with an opaque body; returns the response body after the function code.</summary>
    public async ValueTask<byte[]> ExecuteRawAsync(byte unitId, byte functionCode, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var frame = ArrayPool<byte>.Shared.Rent(ModbusCodec.MaxAduLength);
        try
        {
            var length = ModbusCodec.EncodeRaw(frame, 0, unitId, functionCode, body.Span);
            var result = new RawResult();
            await ExchangeAsync(frame, length, new ModbusRequest(unitId, functionCode, 0, 0), new ResponseSink(result), cancellationToken).ConfigureAwait(false);
            return result.Body;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
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

    private async ValueTask ReadBitsAsync(ModbusFunctionCode function, byte unitId, ushort address, Memory<bool> destination, CancellationToken cancellationToken)
    {
        CheckRange(address, destination.Length);
        var frame = ArrayPool<byte>.Shared.Rent(ModbusCodec.MaxAduLength);
        try
        {
            for (var done = 0; done < destination.Length;)
            {
                var count = Math.Min(ModbusCodec.MaxReadBits, destination.Length - done);
                var start = (ushort)(address + done);
                var length = ModbusCodec.EncodeRead(frame, 0, unitId, function, start, (ushort)count);
                var sink = new ResponseSink(destination.Slice(done, count));
                await ExchangeAsync(frame, length, ModbusRequest.Read(unitId, function, start, (ushort)count), sink, cancellationToken).ConfigureAwait(false);
                done += count;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private async ValueTask ReadRegistersAsync(ModbusFunctionCode function, byte unitId, ushort address, Memory<ushort> destination, CancellationToken cancellationToken)
    {
        CheckRange(address, destination.Length);
        var frame = ArrayPool<byte>.Shared.Rent(ModbusCodec.MaxAduLength);
        try
        {
            for (var done = 0; done < destination.Length;)
            {
                var count = Math.Min(ModbusCodec.MaxReadRegisters, destination.Length - done);
                var start = (ushort)(address + done);
                var length = ModbusCodec.EncodeRead(frame, 0, unitId, function, start, (ushort)count);
                var sink = new ResponseSink(destination.Slice(done, count));
                await ExchangeAsync(frame, length, ModbusRequest.Read(unitId, function, start, (ushort)count), sink, cancellationToken).ConfigureAwait(false);
                done += count;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private static void CheckRange(ushort address, int count)
    {
        if (count < 1 || address + count > 0x10000)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "need 1 or more values, and address + count within 65536");
        }
    }

    /// <summary>Sends one request ADU (its transaction id is patched in here), waits for its response and validates it.</summary>
    private async ValueTask ExchangeAsync(byte[] frame, int length, ModbusRequest request, ResponseSink sink, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            ModbusConnection connection;
            try
            {
                connection = await GetConnectionAsync(request, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
            {
                throw Error(ModbusErrorKind.Timeout, request, $"could not connect within the request timeout of {_options.RequestTimeout.TotalMilliseconds:0} ms");
            }

            var pending = connection.Register() ?? throw Error(ModbusErrorKind.ConnectionClosed, request, "the connection closed before the request was sent");
            BinaryPrimitives.WriteUInt16BigEndian(frame, pending.TransactionId);
            int responseLength;
            try
            {
                await connection.SendAsync(frame.AsMemory(0, length), linked.Token).ConfigureAwait(false);
                responseLength = await pending.Response.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
            {
                connection.Abandon(pending);
                throw Error(ModbusErrorKind.Timeout, request, $"no response within {_options.RequestTimeout.TotalMilliseconds:0} ms");
            }
            catch (OperationCanceledException)
            {
                connection.Abandon(pending);
                throw;
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                if (connection.TryCountFailure())
                {
                    NoteFailure();
                }

                throw pending.FailureStatus == ModbusDecodeStatus.Ok
                    ? Error(ModbusErrorKind.ConnectionClosed, request, "the connection closed while the request was outstanding", inner: ex)
                    : Error(ModbusErrorKind.InvalidResponse, request, $"invalid response ({pending.FailureStatus}), connection dropped", pending.FailureStatus, inner: ex);
            }

            try
            {
                Validate(pending.Adu(responseLength), pending.TransactionId, request, sink);
            }
            finally
            {
                pending.ReleaseBuffer();
            }
        }
        finally
        {
            _inFlight.Release();
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

    private async ValueTask<ModbusConnection> GetConnectionAsync(ModbusRequest request, CancellationToken cancellationToken)
    {
        var current = _connection;
        if (current is { IsBroken: false })
        {
            return current;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = _connection;
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

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var connectTimeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connectTimeout.Token);
                await socket.ConnectAsync(_endPoint, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                socket.Dispose();
                NoteFailure();
                ModbusLog.ConnectFailed(_logger, _endPointText, ConsecutiveFailures, ex.Message);
                throw Error(ModbusErrorKind.ConnectFailed, request, $"connect failed: {ex.Message}", inner: ex);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            ModbusLog.Connected(_logger, _endPointText);
            var connection = new ModbusConnection(socket, _endPointText, _logger);
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
