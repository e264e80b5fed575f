using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Oid = Monitoring.Collectors.Snmp.Oid;
using Monitoring.Collectors.Snmp;
using Monitoring.Collectors.Snmp.Security;

namespace Monitoring.Simulator.Snmp;

/// <summary>
/// A small SNMP agent on a loopback UDP port, for the simulator and tests: GET, GETNEXT and GETBULK over the sorted
/// objects a <see cref="MibView"/> source gives at the moment of each request, as v1/v2c (community) and, when given a
/// user, v3 with USM: it is the authoritative engine (engine id, boots 1, time since start), answers discovery with
/// the usmStatsUnknownEngineIDs report, and reports unknown users, wrong digests, decryption errors and unsupported
/// security levels as RFC 3414 §3.2 says. The 150-second time window is not enforced. SET is refused (readOnly).
/// </summary>
public sealed class SnmpAgent : IAsyncDisposable
{
    /// <summary>Bindings per response at most; a larger GETBULK is cut short, as RFC 3416 §4.2.3 allows.</summary>
    public const int MaxResponseBindings = 1000;

    private readonly Socket _socket;
    private readonly Func<MibView> _view;
    private readonly byte[] _community;
    private readonly UsmUser? _user;
    private readonly byte[] _engineId;
    private readonly long _started;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _requests;
    private long _trapsSent;
    private int _silent;
    private int _trapRequestId;
    private readonly Func<bool>? _isSilent;
    private ulong _salt = (ulong)RandomNumberGenerator.GetInt32(int.MaxValue);

    /// <param name="view">The objects at the moment of a request (called once per request).</param>
    /// <param name="community">The v1/v2c read community; null refuses v1/v2c.</param>
    /// <param name="user">The v3 user; null refuses v3.</param>
    /// <param name="endPoint">Where to listen; 127.0.0.1 on a free port by default.</param>
    /// <param name="silent">Asked before each request: true drops it unanswered (the device's own silence, set before the agent started).</param>
    public SnmpAgent(Func<MibView> view, string? community, UsmUser? user = null, IPEndPoint? endPoint = null, TimeProvider? time = null, Func<bool>? silent = null)
    {
        _isSilent = silent;
        ArgumentNullException.ThrowIfNull(view);
        _view = view;
        _community = community is null ? [] : System.Text.Encoding.UTF8.GetBytes(community);
        _user = user;
        _time = time ?? TimeProvider.System;
        _started = _time.GetTimestamp();
        _engineId = NewEngineId();
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(endPoint ?? new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _loop = Task.Run(() => ReceiveLoopAsync(_stop.Token));
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The authoritative engine id (RFC 3411 format 4: enterprise 8072 net-snmp's, text).</summary>
    public ReadOnlyMemory<byte> EngineId => _engineId;

    /// <summary>Requests answered (or refused with a report) so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>A silent agent drops every request unanswered (a dead device: the poller times out). Thread-safe.</summary>
    public bool Silent
    {
        get => Volatile.Read(ref _silent) != 0;
        set => Volatile.Write(ref _silent, value ? 1 : 0);
    }

    /// <summary>Notifications sent so far (<see cref="SendTrapAsync"/>).</summary>
    public long TrapsSent => Interlocked.Read(ref _trapsSent);

    /// <summary>
    /// Sends one SNMPv2c notification (sysUpTime.0, snmpTrapOID.0, then <paramref name="bindings"/>) with the agent's
    /// community from the agent's own socket, so a trap receiver sees it come from the device's management address.
    /// False when it could not be encoded or sent (the agent has no community, or the socket is gone).
    /// </summary>
    public async ValueTask<bool> SendTrapAsync(IPEndPoint target, Oid trapOid, IReadOnlyList<VarBind> bindings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(bindings);
        if (_community.Length == 0)
        {
            return false;
        }

        var list = new List<VarBind>(2 + bindings.Count)
        {
            new(Monitoring.Collectors.Snmp.Traps.SnmpNotification.SysUpTime, SnmpValue.FromTimeTicks((uint)Math.Min(uint.MaxValue, _time.GetElapsedTime(_started).TotalMilliseconds / 10))),
            new(Monitoring.Collectors.Snmp.Traps.SnmpNotification.SnmpTrapOid, SnmpValue.FromOid(trapOid)),
        };
        list.AddRange(bindings);
        var pdu = new SnmpPdu(SnmpPduType.TrapV2, Interlocked.Increment(ref _trapRequestId), 0, 0, list);
        var buffer = new byte[SnmpCodec.MaxDatagramSize];
        if (!SnmpCodec.TryEncode(SnmpMessage.ForCommunity(SnmpVersion.V2c, _community, pdu), buffer, out var written))
        {
            return false;
        }

        try
        {
            await _socket.SendToAsync(buffer.AsMemory(0, written), SocketFlags.None, target, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _trapsSent);
            return true;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            return false;
        }
    }

    private int EngineTime => (int)Math.Min(int.MaxValue, _time.GetElapsedTime(_started).TotalSeconds);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private static byte[] NewEngineId()
    {
        var id = new byte[5 + 8];
        id[0] = 0x80; // RFC 3411 SnmpEngineID: first bit 1, enterprise 8072
        id[1] = 0x00;
        id[2] = 0x1F;
        id[3] = 0x88;
        id[4] = 0x05; // format 5: octets, administratively assigned
        RandomNumberGenerator.Fill(id.AsSpan(5));
        return id;
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[SnmpCodec.MaxDatagramSize];
        var output = new byte[SnmpCodec.MaxDatagramSize];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // ICMP port unreachable from an earlier reply, and the like
            }

            if (Silent || _isSilent?.Invoke() == true)
            {
                continue; // a dead device: no answer at all
            }

            var length = Handle(buffer.AsSpan(0, received.ReceivedBytes), output);
            if (length > 0)
            {
                Interlocked.Increment(ref _requests);
                try
                {
                    await _socket.SendToAsync(output.AsMemory(0, length), SocketFlags.None, received.RemoteEndPoint, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException)
                {
                }
            }
        }
    }

    /// <summary>Answers one datagram into <paramref name="output"/>; 0 = drop it (as agents do with a wrong community).</summary>
    internal int Handle(ReadOnlySpan<byte> datagram, Span<byte> output)
    {
        if (!SnmpCodec.TryPeekVersion(datagram, out var version))
        {
            return 0;
        }

        return version == SnmpVersion.V3 ? HandleV3(datagram, output) : HandleCommunity(datagram, output);
    }

    private int HandleCommunity(ReadOnlySpan<byte> datagram, Span<byte> output)
    {
        if (_community.Length == 0 || !SnmpCodec.TryDecode(datagram, out var message, out _) || message is null
            || !message.Community.Span.SequenceEqual(_community))
        {
            return 0;
        }

        var response = Respond(message.Pdu, message.Version);
        if (response is null)
        {
            return 0;
        }

        if (SnmpCodec.TryEncode(SnmpMessage.ForCommunity(message.Version, _community, response), output, out var written))
        {
            return written;
        }

        var tooBig = new SnmpPdu(SnmpPduType.Response, message.Pdu.RequestId, (int)SnmpErrorStatus.TooBig, 0, []);
        return SnmpCodec.TryEncode(SnmpMessage.ForCommunity(message.Version, _community, tooBig), output, out written) ? written : 0;
    }

    private int HandleV3(ReadOnlySpan<byte> datagram, Span<byte> output)
    {
        if (!SnmpCodec.TryPeekId(datagram, out _, out var messageId))
        {
            return 0;
        }

        var check = UsmProcessor.Process(datagram, _user, _engineId, out var message, out _);
        Oid? report = check switch
        {
            UsmCheck.Ok => null,
            UsmCheck.UnknownUserName => UsmStatistics.UnknownUserNames,
            UsmCheck.UnknownEngineId => UsmStatistics.UnknownEngineIds,
            UsmCheck.UnsupportedSecurityLevel => UsmStatistics.UnsupportedSecLevels,
            UsmCheck.WrongDigest => UsmStatistics.WrongDigests,
            UsmCheck.DecryptionError => UsmStatistics.DecryptionErrors,
            _ => default(Oid?),
        };
        if (check == UsmCheck.Malformed || (check == UsmCheck.Ok && message is null))
        {
            return 0;
        }

        if (check == UsmCheck.Ok)
        {
            var security = message!.Security!;
            var header = message.Header!;
            if (security.EngineId.Length == 0 || !security.EngineId.AsSpan().SequenceEqual(_engineId))
            {
                report = UsmStatistics.UnknownEngineIds; // discovery (RFC 3414 §4)
            }
            else if (_user is null || !string.Equals(security.UserNameText, _user.UserName, StringComparison.Ordinal))
            {
                report = UsmStatistics.UnknownUserNames;
            }
            else if (!header.IsAuthenticated && _user.SecurityLevel != SnmpSecurityLevel.NoAuthNoPriv)
            {
                report = UsmStatistics.UnsupportedSecLevels;
            }
            else if (header.IsAuthenticated && !header.IsEncrypted && _user.SecurityLevel == SnmpSecurityLevel.AuthPriv)
            {
                report = UsmStatistics.UnsupportedSecLevels;
            }
        }

        if (report is { } counter)
        {
            var reportPdu = new SnmpPdu(SnmpPduType.Report, message?.Pdu.RequestId ?? messageId, 0, 0, [new VarBind(counter, SnmpValue.FromCounter32(1))]);
            return UsmProcessor.TryEncode(output, messageId, SnmpCodec.MaxDatagramSize, false, null, SnmpSecurityLevel.NoAuthNoPriv, _engineId, 1, EngineTime, [], reportPdu, 0, out var n) ? n : 0;
        }

        var response = Respond(message!.Pdu, SnmpVersion.V3);
        if (response is null)
        {
            return 0;
        }

        var level = message.Header!.IsEncrypted ? SnmpSecurityLevel.AuthPriv : message.Header.IsAuthenticated ? SnmpSecurityLevel.AuthNoPriv : SnmpSecurityLevel.NoAuthNoPriv;
        var salt = Interlocked.Increment(ref _salt);
        if (UsmProcessor.TryEncode(output, messageId, SnmpCodec.MaxDatagramSize, false, _user, level, _engineId, 1, EngineTime, message.ContextName.Span, response, salt, out var written))
        {
            return written;
        }

        var tooBig = new SnmpPdu(SnmpPduType.Response, message.Pdu.RequestId, (int)SnmpErrorStatus.TooBig, 0, []);
        return UsmProcessor.TryEncode(output, messageId, SnmpCodec.MaxDatagramSize, false, _user, level, _engineId, 1, EngineTime, message.ContextName.Span, tooBig, salt, out written) ? written : 0;
    }

    /// <summary>The Response PDU for a request PDU (RFC 3416 §4.2), or null for PDUs an agent does not answer.</summary>
    internal SnmpPdu? Respond(SnmpPdu request, SnmpVersion version)
    {
        var v1 = version == SnmpVersion.V1;
        switch (request.Type)
        {
            case SnmpPduType.GetRequest:
                {
                    var view = _view();
                    var result = new VarBind[request.VarBinds.Count];
                    for (var i = 0; i < result.Length; i++)
                    {
                        var oid = request.VarBinds[i].Oid;
                        if (view.TryGet(oid, out var value))
                        {
                            result[i] = new VarBind(oid, value);
                        }
                        else if (v1)
                        {
                            return new SnmpPdu(SnmpPduType.Response, request.RequestId, (int)SnmpErrorStatus.NoSuchName, i + 1, request.VarBinds);
                        }
                        else
                        {
                            result[i] = new VarBind(oid, SnmpValue.NoSuchInstance);
                        }
                    }

                    return new SnmpPdu(SnmpPduType.Response, request.RequestId, 0, 0, result);
                }

            case SnmpPduType.GetNextRequest:
                {
                    var view = _view();
                    var result = new VarBind[request.VarBinds.Count];
                    for (var i = 0; i < result.Length; i++)
                    {
                        var oid = request.VarBinds[i].Oid;
                        if (view.TryGetNext(oid, out var next))
                        {
                            result[i] = next;
                        }
                        else if (v1)
                        {
                            return new SnmpPdu(SnmpPduType.Response, request.RequestId, (int)SnmpErrorStatus.NoSuchName, i + 1, request.VarBinds);
                        }
                        else
                        {
                            result[i] = new VarBind(oid, SnmpValue.EndOfMibView);
                        }
                    }

                    return new SnmpPdu(SnmpPduType.Response, request.RequestId, 0, 0, result);
                }

            case SnmpPduType.GetBulkRequest when !v1:
                return Bulk(request, _view());

            case SnmpPduType.SetRequest:
                return new SnmpPdu(SnmpPduType.Response, request.RequestId, v1 ? (int)SnmpErrorStatus.NoSuchName : (int)SnmpErrorStatus.NotWritable, 1, request.VarBinds);

            default:
                return null;
        }
    }

    private static SnmpPdu Bulk(SnmpPdu request, MibView view)
    {
        var count = request.VarBinds.Count;
        var nonRepeaters = Math.Clamp(request.NonRepeaters, 0, count);
        var repeaters = count - nonRepeaters;
        var maxRepetitions = Math.Max(0, request.MaxRepetitions);
        var result = new List<VarBind>(Math.Min(MaxResponseBindings, nonRepeaters + (repeaters * maxRepetitions)));
        for (var i = 0; i < nonRepeaters; i++)
        {
            var oid = request.VarBinds[i].Oid;
            result.Add(view.TryGetNext(oid, out var next) ? next : new VarBind(oid, SnmpValue.EndOfMibView));
        }

        if (repeaters > 0)
        {
            var cursor = new Oid[repeaters];
            for (var j = 0; j < repeaters; j++)
            {
                cursor[j] = request.VarBinds[nonRepeaters + j].Oid;
            }

            for (var r = 0; r < maxRepetitions && result.Count + repeaters <= MaxResponseBindings; r++)
            {
                var allEnded = true;
                for (var j = 0; j < repeaters; j++)
                {
                    if (view.TryGetNext(cursor[j], out var next))
                    {
                        result.Add(next);
                        cursor[j] = next.Oid;
                        allEnded = false;
                    }
                    else
                    {
                        result.Add(new VarBind(cursor[j], SnmpValue.EndOfMibView));
                    }
                }

                if (allEnded)
                {
                    break;
                }
            }
        }

        return new SnmpPdu(SnmpPduType.Response, request.RequestId, 0, 0, result);
    }
}
