using System.Threading.Tasks.Sources;
using Monitoring.Collectors.Modbus.Protocol;

namespace Monitoring.Collectors.Modbus.Client;

/// <summary>
/// One request slot, reused request after request (the client keeps up to MaxInFlight of them): the request ADU is
/// encoded into <see cref="Frame"/>, the response ADU is copied into <see cref="Response"/>, and the request awaits
/// <see cref="WaitAsync"/>, a value task with no allocation. Whoever removes the slot from the connection's table (the
/// receiving thread, the deadline timer, a cancellation, a broken connection) completes it, exactly once; continuations
/// run on the completing thread, so a response is handed to its caller without a thread switch.
/// </summary>
internal sealed class PendingResponse : IValueTaskSource<int>
{
    /// <summary>Results below zero: why there is no response.</summary>
    public const int TimedOut = -1;
    public const int Cancelled = -2;
    public const int ConnectionFailed = -3;

    private ManualResetValueTaskSourceCore<int> _core; // mutable struct: never copy, never readonly
    private ModbusConnection? _connection;

    public byte[] Frame { get; } = new byte[ModbusCodec.MaxAduLength];

    public byte[] Response { get; } = new byte[ModbusCodec.MaxAduLength];

    public ushort TransactionId { get; set; }

    /// <summary>The deadline timer's tick count at or after which the request has run past its timeout.</summary>
    public long ExpiresAtTick { get; set; }

    /// <summary>
    /// The connection the request was sent on, for a cancellation to find it. Set with a full fence: the request checks
    /// its token after setting it, a cancellation reads it after setting the token, so one of them always sees the other.
    /// </summary>
    public ModbusConnection? Connection
    {
        get => Volatile.Read(ref _connection);
        set => Interlocked.Exchange(ref _connection, value);
    }

    /// <summary>Why the connection failed this request, when it did.</summary>
    public ModbusDecodeStatus FailureStatus { get; private set; }

    public Exception? FailureCause { get; private set; }

    /// <summary>Ready for the next request: called by the owner after it has read the result.</summary>
    public void Reset()
    {
        _core.Reset();
        Connection = null;
        FailureStatus = ModbusDecodeStatus.Ok;
        FailureCause = null;
    }

    public ValueTask<int> WaitAsync() => new(this, _core.Version);

    public void Complete(ReadOnlySpan<byte> adu)
    {
        adu.CopyTo(Response);
        _core.SetResult(adu.Length);
    }

    public void Fail(int reason) => _core.SetResult(reason);

    public void Fail(ModbusDecodeStatus status, Exception? cause)
    {
        FailureStatus = status;
        FailureCause = cause;
        _core.SetResult(ConnectionFailed);
    }

    int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
