using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Client;

/// <summary>
/// One transport connection of an <see cref="MqttClient"/>: a read loop that decodes packets and hands them to the
/// client, a write loop that encodes queued packets and flushes them in batches, and a keep-alive loop that sends
/// PINGREQ when the line is quiet and drops the connection when the broker stops answering.
/// <see cref="Completion"/> never faults: it yields why the connection ended.
/// </summary>
internal sealed class MqttClientConnection : IAsyncDisposable
{
    private const int FlushThreshold = 64 * 1024;

    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly MqttPacketReader _reader;
    private readonly Channel<OutboundPacket> _outbound = Channel.CreateUnbounded<OutboundPacket>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _cts = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _endPoint;
    private readonly Action _releaseCredit;
    private long _lastSent;
    private long _lastReceived;
    private volatile bool _deliveryBlocked;
    private string? _abortReason;
    private Task<string>? _completion;

    public MqttClientConnection(Stream stream, MqttProtocolVersion version, int maxPacketSize, TimeProvider time, ILogger logger, string endPoint, Action releaseCredit)
    {
        _stream = stream;
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));
        _reader = new MqttPacketReader(_input, maxPacketSize) { ProtocolVersion = version };
        Version = version;
        _time = time;
        _logger = logger;
        _endPoint = endPoint;
        _releaseCredit = releaseCredit;
        _lastSent = _lastReceived = time.GetTimestamp();
    }

    public MqttProtocolVersion Version { get; }

    public Task<string> Completion => _completion ?? Task.FromResult("not started");

    /// <summary>Set by the client while it waits for room in its inbound channel: a slow consumer is not a dead broker.</summary>
    public bool DeliveryBlocked
    {
        set => _deliveryBlocked = value;
    }

    /// <summary>Writes and flushes one packet before the loops run (CONNECT).</summary>
    public async Task SendDirectAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        MqttPacketEncoder.Encode(packet, Version, _output);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        _lastSent = _time.GetTimestamp();
    }

    /// <summary>Reads one packet before the loops run (CONNACK).</summary>
    public async Task<MqttReadResult> ReadDirectAsync(CancellationToken cancellationToken)
    {
        var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        _lastReceived = _time.GetTimestamp();
        return result;
    }

    public void Start(Func<MqttClientConnection, MqttPacket, CancellationToken, ValueTask> handler, TimeSpan keepAlive)
    {
        _completion = RunAsync(handler, keepAlive);
    }

    /// <summary>Queues a packet for the write loop; false once the connection is closing.</summary>
    public bool TryEnqueue(MqttPacket packet, bool releasesCredit = false) =>
        _outbound.Writer.TryWrite(new OutboundPacket(packet, releasesCredit));

    public void Abort(string reason)
    {
        Interlocked.CompareExchange(ref _abortReason, reason, null);
        _outbound.Writer.TryComplete();
        _cts.Cancel();
    }

    /// <summary>Sends DISCONNECT after everything already queued, then closes.</summary>
    public async Task CloseGracefullyAsync(MqttDisconnectPacket disconnect, CancellationToken cancellationToken)
    {
        Interlocked.CompareExchange(ref _abortReason, "closed by the client", null);
        _outbound.Writer.TryWrite(new OutboundPacket(disconnect, false));
        _outbound.Writer.TryComplete();
        try
        {
            await Completion.WaitAsync(TimeSpan.FromSeconds(5), _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abort("DISCONNECT not flushed in time");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Abort("disposed");
        if (_completion is not null)
        {
            await _completion.ConfigureAwait(false);
        }
        else
        {
            await CloseTransportAsync().ConfigureAwait(false);
        }

        _cts.Dispose();
    }

    private async Task<string> RunAsync(Func<MqttClientConnection, MqttPacket, CancellationToken, ValueTask> handler, TimeSpan keepAlive)
    {
        var token = _cts.Token;
        var read = ReadLoopAsync(handler, token);
        var write = WriteLoopAsync(token);
        var ping = KeepAliveLoopAsync(keepAlive, token);
        var first = await Task.WhenAny(read, write, ping).ConfigureAwait(false);
        var reason = _abortReason ?? await first.ConfigureAwait(false);
        _outbound.Writer.TryComplete();
        await _cts.CancelAsync().ConfigureAwait(false);
        await CloseTransportAsync().ConfigureAwait(false);
        await Task.WhenAll(read, write, ping).ConfigureAwait(false);
        while (_outbound.Reader.TryRead(out var left))
        {
            if (left.ReleasesCredit)
            {
                _releaseCredit();
            }
        }

        return reason;
    }

    /// <summary>
    /// Closes a transport that may already be dead, and never throws. The stream goes first, so nothing waits on a peer
    /// that stopped reading. Completing the pipe writer then tries to flush what is still buffered into the disposed
    /// stream: on a connection reset mid-CONNECT that threw ObjectDisposedException, which escaped the reconnect loop
    /// and left the client disconnected for good.
    /// </summary>
    private async Task CloseTransportAsync()
    {
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
        }

        try
        {
            await _input.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }

        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // the transport is gone: what was left unsent goes with it
        }
    }

    private async Task<string> ReadLoopAsync(Func<MqttClientConnection, MqttPacket, CancellationToken, ValueTask> handler, CancellationToken token)
    {
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(token).ConfigureAwait(false);
                if (result.Packet is { } packet)
                {
                    _lastReceived = _time.GetTimestamp();
                    await handler(this, packet, token).ConfigureAwait(false);
                    if (packet is MqttDisconnectPacket d)
                    {
                        return $"broker sent DISCONNECT {d.ReasonCode}";
                    }

                    continue;
                }

                if (result.Error.IsError)
                {
                    MqttClientLog.BadPacket(_logger, _endPoint, result.Error.ReasonCode, result.Error.Message);
                    if (Version == MqttProtocolVersion.V500)
                    {
                        TryEnqueue(new MqttDisconnectPacket { ReasonCode = result.Error.ReasonCode });
                        _outbound.Writer.TryComplete();
                        await Task.Delay(TimeSpan.FromMilliseconds(100), _time, token).ConfigureAwait(false);
                    }

                    return $"bad packet from the broker: {result.Error}";
                }

                return "broker closed the connection";
            }
        }
        catch (OperationCanceledException)
        {
            return "cancelled";
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return ex.Message;
        }
    }

    private async Task<string> WriteLoopAsync(CancellationToken token)
    {
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    MqttPacketEncoder.Encode(item.Packet, Version, _output);
                    if (item.ReleasesCredit)
                    {
                        _releaseCredit();
                    }

                    if (_output.UnflushedBytes >= FlushThreshold)
                    {
                        await _output.FlushAsync(token).ConfigureAwait(false);
                    }
                }

                var flush = await _output.FlushAsync(token).ConfigureAwait(false);
                _lastSent = _time.GetTimestamp();
                if (flush.IsCompleted)
                {
                    return "transport closed";
                }
            }

            return "closed by the client";
        }
        catch (OperationCanceledException)
        {
            return "cancelled";
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return ex.Message;
        }
    }

    private async Task<string> KeepAliveLoopAsync(TimeSpan keepAlive, CancellationToken token)
    {
        try
        {
            if (keepAlive <= TimeSpan.Zero)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, _time, token).ConfigureAwait(false);
                return "cancelled";
            }

            var tick = TimeSpan.FromTicks(Math.Max(keepAlive.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks));
            var pingAfter = keepAlive / 2;
            var deadAfter = keepAlive * 1.5;
            var pingOutstanding = false;
            while (true)
            {
                await Task.Delay(tick, _time, token).ConfigureAwait(false);
                var now = _time.GetTimestamp();
                var sinceReceived = _time.GetElapsedTime(Volatile.Read(ref _lastReceived), now);
                var sinceSent = _time.GetElapsedTime(Volatile.Read(ref _lastSent), now);
                if (_deliveryBlocked)
                {
                    continue;
                }

                if (sinceReceived > deadAfter)
                {
                    MqttClientLog.KeepAliveTimeout(_logger, _endPoint, sinceReceived, keepAlive);
                    Interlocked.CompareExchange(ref _abortReason, "keep-alive timeout: the broker stopped answering", null);
                    return "keep-alive timeout";
                }

                if (sinceReceived < pingAfter)
                {
                    pingOutstanding = false;
                }

                if (!pingOutstanding && (sinceSent >= pingAfter || sinceReceived >= pingAfter))
                {
                    pingOutstanding = TryEnqueue(MqttPingReqPacket.Instance);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return "cancelled";
        }
    }

    private readonly record struct OutboundPacket(MqttPacket Packet, bool ReleasesCredit);
}
