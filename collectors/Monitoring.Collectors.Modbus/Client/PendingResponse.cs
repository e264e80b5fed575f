using System.Buffers;
using Monitoring.Collectors.Modbus.Protocol;

namespace Monitoring.Collectors.Modbus.Client;

/// <summary>A request waiting for its response: the receive loop copies the response ADU into a pooled buffer.</summary>
internal sealed class PendingResponse
{
    private readonly TaskCompletionSource<int> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _buffer;

    public PendingResponse(ushort transactionId) => TransactionId = transactionId;

    public ushort TransactionId { get; }

    public Task<int> Response => _completion.Task;

    /// <summary>Why the connection failed this request, when it did.</summary>
    public ModbusDecodeStatus FailureStatus { get; private set; }

    public ReadOnlySpan<byte> Adu(int length) => _buffer.AsSpan(0, length);

    public void Complete(ReadOnlySpan<byte> adu)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(adu.Length);
        adu.CopyTo(buffer);
        _buffer = buffer;
        if (!_completion.TrySetResult(adu.Length))
        {
            ReleaseBuffer();
        }
    }

    public void Fail(ModbusDecodeStatus status, string reason, Exception? cause)
    {
        FailureStatus = status;
        _completion.TrySetException(new IOException(reason, cause));
    }

    public void ReleaseBuffer()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
