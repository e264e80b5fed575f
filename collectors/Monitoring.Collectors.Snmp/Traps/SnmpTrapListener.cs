using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Collectors.Snmp.Security;

namespace Monitoring.Collectors.Snmp.Traps;

/// <summary>
/// Receives v1/v2c traps, v2c informs (answered with a Response) and v3 traps on one UDP socket, and hands them
/// to <see cref="Notifications"/>. Datagrams that do not decode, carry an unknown community or user, or fail the
/// USM checks are counted in <see cref="Rejected"/> and otherwise ignored.
/// </summary>
public sealed partial class SnmpTrapListener : IAsyncDisposable
{
    private readonly SnmpTrapListenerOptions _options;
    private readonly ILogger _logger;
    private readonly Socket _socket;
    private readonly Channel<SnmpNotification> _channel;
    private readonly byte[][] _communities;
    private readonly ConcurrentDictionary<string, int> _enginesPerUser = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private long _accepted;
    private long _rejected;
    private long _dropped;
    private long _rejectedMalformed;
    private long _rejectedCommunity;
    private long _rejectedCredentials;
    private long _informsAnswered;

    public SnmpTrapListener(SnmpTrapListenerOptions options, ILogger<SnmpTrapListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _communities = options.Communities.Select(Encoding.UTF8.GetBytes).ToArray();
        _channel = Channel.CreateBounded<SnmpNotification>(new BoundedChannelOptions(Math.Max(1, options.Capacity))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
        });
        _socket = new Socket(options.LocalEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(options.LocalEndPoint);
        _loop = Task.Run(() => ReceiveLoopAsync(_stopping.Token));
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public ChannelReader<SnmpNotification> Notifications => _channel.Reader;

    /// <summary>Notifications accepted and queued.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Datagrams ignored as malformed, unauthorised or failing authentication.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Valid notifications dropped because the reader fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Of <see cref="Rejected"/>: datagrams that did not decode or were no notification.</summary>
    public long RejectedMalformed => Interlocked.Read(ref _rejectedMalformed);

    /// <summary>Of <see cref="Rejected"/>: v1/v2c datagrams with a community that is not accepted.</summary>
    public long RejectedCommunity => Interlocked.Read(ref _rejectedCommunity);

    /// <summary>Of <see cref="Rejected"/>: v3 datagrams from an unknown user, failing USM checks or below the user's level.</summary>
    public long RejectedCredentials => Interlocked.Read(ref _rejectedCredentials);

    /// <summary>Informs answered with a Response.</summary>
    public long InformsAnswered => Interlocked.Read(ref _informsAnswered);

    private async Task ReceiveLoopAsync(CancellationToken stopping)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(65536, pinned: true);
        EndPoint any = new IPEndPoint(_options.LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stopping.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogReceiveFailed(_logger, ex.SocketErrorCode);
                continue;
            }

            var from = (IPEndPoint)received.RemoteEndPoint;
            SnmpNotification? notification;
            byte[]? reply = null;
            int replyLength = 0;
            var reason = RejectReason.Malformed;
            try
            {
                notification = Handle(buffer.AsSpan(0, received.ReceivedBytes), from, ref reply, ref replyLength, ref reason);
            }
#pragma warning disable CA1031 // One bad datagram must not stop the listener.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogHandleFailed(_logger, from, ex);
                notification = null;
            }

            if (notification is null)
            {
                switch (reason)
                {
                    case RejectReason.Community:
                        Interlocked.Increment(ref _rejectedCommunity);
                        break;
                    case RejectReason.Credentials:
                        Interlocked.Increment(ref _rejectedCredentials);
                        break;
                    default:
                        Interlocked.Increment(ref _rejectedMalformed);
                        break;
                }

                Interlocked.Increment(ref _rejected);
                continue;
            }

            if (reply is not null)
            {
                try
                {
                    await _socket.SendToAsync(reply.AsMemory(0, replyLength), SocketFlags.None, from, stopping).ConfigureAwait(false);
                    Interlocked.Increment(ref _informsAnswered);
                }
                catch (SocketException ex)
                {
                    LogReceiveFailed(_logger, ex.SocketErrorCode);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(reply);
                }
            }

            if (_channel.Writer.TryWrite(notification))
            {
                Interlocked.Increment(ref _accepted);
            }
            else
            {
                Interlocked.Increment(ref _dropped);
            }
        }
    }

    private SnmpNotification? Handle(ReadOnlySpan<byte> datagram, IPEndPoint from, ref byte[]? reply, ref int replyLength, ref RejectReason reason)
    {
        if (!SnmpCodec.TryPeekVersion(datagram, out var version))
        {
            return null;
        }

        if (version == SnmpVersion.V3)
        {
            return HandleV3(datagram, from, ref reason);
        }

        if (!SnmpCodec.TryDecode(datagram, out var message, out _))
        {
            return null;
        }

        if (!CommunityAccepted(message!.Community.Span))
        {
            reason = RejectReason.Community;
            return null;
        }

        var pdu = message.Pdu;
        switch (pdu.Type)
        {
            case SnmpPduType.TrapV1 when message.Version == SnmpVersion.V1:
                return new SnmpNotification(from, SnmpVersion.V1, pdu.Type, SnmpNotification.TrapOidOf(pdu.TrapV1!), pdu.TrapV1!.TimeStamp, pdu.VarBinds, pdu.TrapV1, null);
            case SnmpPduType.TrapV2 or SnmpPduType.InformRequest when message.Version == SnmpVersion.V2c:
                var notification = FromV2(from, message.Version, pdu, null);
                if (notification is not null && pdu.Type == SnmpPduType.InformRequest)
                {
                    // RFC 3416 §4.2.7: answer an InformRequest with a Response carrying the same id and bindings.
                    var response = new SnmpPdu(SnmpPduType.Response, pdu.RequestId, 0, 0, pdu.VarBinds);
                    reply = ArrayPool<byte>.Shared.Rent(SnmpCodec.MaxDatagramSize);
                    if (!SnmpCodec.TryEncode(SnmpMessage.ForCommunity(message.Version, message.Community, response), reply.AsSpan(0, SnmpCodec.MaxDatagramSize), out replyLength))
                    {
                        ArrayPool<byte>.Shared.Return(reply);
                        reply = null;
                    }
                }

                return notification;
            default:
                return null;
        }
    }

    private SnmpNotification? HandleV3(ReadOnlySpan<byte> datagram, IPEndPoint from, ref RejectReason reason)
    {
        if (!SnmpCodec.TryDecodeV3Envelope(datagram, out var env, out _))
        {
            return null;
        }

        reason = RejectReason.Credentials;
        UsmUser? user = null;
        foreach (var candidate in _options.Users)
        {
            if (candidate.UserNameBytes.AsSpan().SequenceEqual(env.Security.UserName))
            {
                user = candidate;
                break;
            }
        }

        if (user is null || (env.Header.IsAuthenticated && !AdmitEngine(user, env.Security.EngineId)))
        {
            return null;
        }

        // A receiver of traps is not authoritative: the sender's engine id localises the keys.
        if (UsmProcessor.Process(datagram, user, default, out var message, out _) != UsmCheck.Ok)
        {
            return null;
        }

        var level = message!.Header!.IsEncrypted ? SnmpSecurityLevel.AuthPriv : message.Header.IsAuthenticated ? SnmpSecurityLevel.AuthNoPriv : SnmpSecurityLevel.NoAuthNoPriv;
        if (level < user.SecurityLevel || message.Pdu.Type != SnmpPduType.TrapV2)
        {
            return null; // below the user's level, or a v3 inform (needs this engine to be authoritative: not supported)
        }

        return FromV2(from, SnmpVersion.V3, message.Pdu, user.UserName);
    }

    private bool AdmitEngine(UsmUser user, byte[] engineId)
    {
        if (user.HasKeysFor(engineId))
        {
            return true;
        }

        var count = _enginesPerUser.AddOrUpdate(user.UserName, 1, (_, c) => c + 1);
        return count <= _options.MaxEnginesPerUser;
    }

    private static SnmpNotification? FromV2(IPEndPoint from, SnmpVersion version, SnmpPdu pdu, string? userName)
    {
        var vbs = pdu.VarBinds;
        if (vbs.Count < 2 || vbs[0].Oid != SnmpNotification.SysUpTime || vbs[0].Value.Type != SnmpValueType.TimeTicks
            || vbs[1].Oid != SnmpNotification.SnmpTrapOid || vbs[1].Value.Type != SnmpValueType.ObjectIdentifier)
        {
            return null; // RFC 3416 §4.2.6: sysUpTime.0 and snmpTrapOID.0 come first
        }

        return new SnmpNotification(from, version, pdu.Type, vbs[1].Value.AsOid(), vbs[0].Value.AsUInt32(), vbs, null, userName);
    }

    private bool CommunityAccepted(ReadOnlySpan<byte> community)
    {
        foreach (var accepted in _communities)
        {
            if (System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(accepted, community))
            {
                return true;
            }
        }

        return false;
    }

    private enum RejectReason
    {
        Malformed,
        Community,
        Credentials,
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "UDP receive error {SocketError} on the trap listener")]
    private static partial void LogReceiveFailed(ILogger logger, SocketError socketError);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A datagram from {EndPoint} could not be handled")]
    private static partial void LogHandleFailed(ILogger logger, IPEndPoint endPoint, Exception exception);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _loop.ConfigureAwait(false);
        _channel.Writer.TryComplete();
        _stopping.Dispose();
    }
}
