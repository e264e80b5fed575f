using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Collectors.Snmp.Security;

namespace Monitoring.Collectors.Snmp.Client;

/// <summary>
/// An asynchronous SNMP manager. One UDP socket and one receive loop serve every target; answers are matched to
/// pending requests by request-id (v1/v2c) or msgID (v3). Every failure comes back as an <see cref="SnmpError"/>
/// value; only cancellation throws (<see cref="OperationCanceledException"/>).
/// </summary>
public sealed partial class SnmpClient : IAsyncDisposable
{
    private readonly SnmpClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Socket _socket;
    private readonly ConcurrentDictionary<int, PendingRequest> _pending = new();
    private readonly ConcurrentDictionary<IPEndPoint, EngineState> _engines = new();
    private readonly ConcurrentDictionary<IPEndPoint, SemaphoreSlim> _perTarget = new();
    private readonly SemaphoreSlim _overall;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _receiveLoop;
    private int _nextId = Random.Shared.Next(1, int.MaxValue / 2);
    private long _salt = Random.Shared.NextInt64();
    private long _droppedDatagrams;

    public SnmpClient(SnmpClientOptions? options = null, TimeProvider? timeProvider = null, ILogger<SnmpClient>? logger = null)
    {
        _options = options ?? new SnmpClientOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _overall = new SemaphoreSlim(_options.MaxOutstandingRequests);
        _socket = new Socket(_options.LocalEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(_options.LocalEndPoint);
        _receiveLoop = Task.Run(() => ReceiveLoopAsync(_stopping.Token));
    }

    /// <summary>Local endpoint of the shared socket (traps to it are not expected).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Datagrams that matched no pending request, failed to decode, or failed the USM checks.</summary>
    public long DroppedDatagrams => Interlocked.Read(ref _droppedDatagrams);

    /// <summary>GET of any number of OIDs: split into PDUs of <see cref="SnmpTarget.MaxVarBindsPerRequest"/>, halved again on tooBig.</summary>
    public async Task<SnmpResult<IReadOnlyList<VarBind>>> GetAsync(SnmpTarget target, IReadOnlyList<Oid> oids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(oids);
        var results = new VarBind[oids.Count];
        var chunk = Math.Max(1, target.MaxVarBindsPerRequest);
        for (var start = 0; start < oids.Count; start += chunk)
        {
            var error = await GetRangeAsync(target, oids, start, Math.Min(chunk, oids.Count - start), results, cancellationToken).ConfigureAwait(false);
            if (error is not null)
            {
                return new SnmpResult<IReadOnlyList<VarBind>>(error);
            }
        }

        return new SnmpResult<IReadOnlyList<VarBind>>(results);
    }

    /// <summary>GETNEXT of the given OIDs in one PDU.</summary>
    public async Task<SnmpResult<IReadOnlyList<VarBind>>> GetNextAsync(SnmpTarget target, IReadOnlyList<Oid> oids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(oids);
        var result = await SendAsync(target, SnmpPduType.GetNextRequest, 0, 0, ToRequest(oids), cancellationToken).ConfigureAwait(false);
        return result.IsSuccess
            ? new SnmpResult<IReadOnlyList<VarBind>>(result.Value.VarBinds)
            : new SnmpResult<IReadOnlyList<VarBind>>(result.Error!);
    }

    /// <summary>GETBULK (v2c and v3).</summary>
    public async Task<SnmpResult<IReadOnlyList<VarBind>>> GetBulkAsync(SnmpTarget target, int nonRepeaters, int maxRepetitions, IReadOnlyList<Oid> oids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(oids);
        if (target.Version == SnmpVersion.V1)
        {
            throw new ArgumentException("GETBULK does not exist in SNMPv1.", nameof(target));
        }

        var result = await SendAsync(target, SnmpPduType.GetBulkRequest, nonRepeaters, maxRepetitions, ToRequest(oids), cancellationToken).ConfigureAwait(false);
        return result.IsSuccess
            ? new SnmpResult<IReadOnlyList<VarBind>>(result.Value.VarBinds)
            : new SnmpResult<IReadOnlyList<VarBind>>(result.Error!);
    }

    /// <summary>
    /// Walks the subtree under <paramref name="root"/>: GETBULK for v2c/v3, GETNEXT for v1. Stops at the end of the
    /// subtree or at endOfMibView. If the agent stops answering (or errs) part-way, the bindings collected so far
    /// come back with the error.
    /// </summary>
    public async Task<SnmpWalkResult> WalkAsync(SnmpTarget target, Oid root, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var collected = new List<VarBind>();
        var current = root;
        while (true)
        {
            var result = target.Version == SnmpVersion.V1
                ? await SendAsync(target, SnmpPduType.GetNextRequest, 0, 0, [VarBind.ForRequest(current)], cancellationToken).ConfigureAwait(false)
                : await SendAsync(target, SnmpPduType.GetBulkRequest, 0, Math.Max(1, target.MaxRepetitions), [VarBind.ForRequest(current)], cancellationToken).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                if (target.Version == SnmpVersion.V1 && result.Error!.Status == SnmpErrorStatus.NoSuchName)
                {
                    return new SnmpWalkResult(collected, null); // v1's end of MIB
                }

                return new SnmpWalkResult(collected, result.Error);
            }

            var varBinds = result.Value.VarBinds;
            if (varBinds.Count == 0)
            {
                return new SnmpWalkResult(collected, null);
            }

            foreach (var vb in varBinds)
            {
                if (vb.Value.Type == SnmpValueType.EndOfMibView || !vb.Oid.IsDescendantOf(root))
                {
                    return new SnmpWalkResult(collected, null);
                }

                if (vb.Oid <= current)
                {
                    return new SnmpWalkResult(collected, new SnmpError(SnmpErrorKind.OidNotIncreasing, $"The agent at {target.EndPoint} returned {vb.Oid} after {current}: OIDs must increase during a walk; stopping."));
                }

                collected.Add(vb);
                current = vb.Oid;
            }
        }
    }

    /// <summary>Sends one request PDU and returns the response PDU (error-status non-zero becomes an error value).</summary>
    public async Task<SnmpResult<SnmpPdu>> SendAsync(SnmpTarget target, SnmpPduType type, int errorStatusOrNonRepeaters, int errorIndexOrMaxRepetitions, IReadOnlyList<VarBind> varBinds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(varBinds);
        var perTarget = _perTarget.GetOrAdd(target.EndPoint, _ => new SemaphoreSlim(_options.MaxOutstandingPerTarget));
        await _overall.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await perTarget.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await SendCoreAsync(target, type, errorStatusOrNonRepeaters, errorIndexOrMaxRepetitions, varBinds, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                perTarget.Release();
            }
        }
        finally
        {
            _overall.Release();
        }
    }

    private async Task<SnmpResult<SnmpPdu>> SendCoreAsync(SnmpTarget target, SnmpPduType type, int field1, int field2, IReadOnlyList<VarBind> varBinds, CancellationToken cancellationToken)
    {
        EngineState? engine = null;
        if (target.Version == SnmpVersion.V3)
        {
            var discovered = await DiscoverAsync(target, cancellationToken).ConfigureAwait(false);
            if (!discovered.IsSuccess)
            {
                return new SnmpResult<SnmpPdu>(discovered.Error!);
            }

            engine = discovered.Value;
        }

        var resynchronised = false;
        var rediscovered = false;
        for (var attempt = 0; attempt <= target.Retries; attempt++)
        {
            var id = NextId();
            var pdu = new SnmpPdu(type, id, field1, field2, varBinds);
            var outcome = await ExchangeAsync(target, engine, pdu, target.User?.SecurityLevel ?? SnmpSecurityLevel.NoAuthNoPriv, cancellationToken).ConfigureAwait(false);
            if (outcome.Error is not null)
            {
                return new SnmpResult<SnmpPdu>(outcome.Error);
            }

            if (outcome.Message is null)
            {
                LogNoAnswer(_logger, target.EndPoint, id, attempt + 1);
                continue;
            }

            var response = outcome.Message;
            if (response.Pdu.Type == SnmpPduType.Report)
            {
                var kind = ReportKind(response.Pdu);
                if (kind == SnmpErrorKind.NotInTimeWindow && !resynchronised && engine is not null
                    && response.Header?.IsAuthenticated == true && response.Security is { } sec)
                {
                    // RFC 3414 §4: the (authenticated) report carries the agent's boots/time; adopt them and try once
                    // more. An unauthenticated one could be forged, so it is not believed.
                    engine.Resynchronise(sec.EngineBoots, sec.EngineTime, _time);
                    resynchronised = true;
                    attempt--;
                    continue;
                }

                if (kind == SnmpErrorKind.UnknownEngineId && !rediscovered)
                {
                    _engines.TryRemove(target.EndPoint, out _);
                    var again = await DiscoverAsync(target, cancellationToken).ConfigureAwait(false);
                    if (!again.IsSuccess)
                    {
                        return new SnmpResult<SnmpPdu>(again.Error!);
                    }

                    engine = again.Value;
                    rediscovered = true;
                    attempt--;
                    continue;
                }

                return new SnmpResult<SnmpPdu>(ReportError(kind, target, response.Pdu));
            }

            if (response.Pdu.RawErrorStatus != 0)
            {
                var status = response.Pdu.ErrorStatus;
                return new SnmpResult<SnmpPdu>(new SnmpError(
                    SnmpErrorKind.ErrorStatus,
                    $"The agent at {target.EndPoint} answered {StatusName(status)} (error-index {response.Pdu.ErrorIndex}).",
                    status,
                    response.Pdu.ErrorIndex));
            }

            return new SnmpResult<SnmpPdu>(response.Pdu);
        }

        if (target.Version != SnmpVersion.V3 && await IsPortUnreachableAsync(target, cancellationToken).ConfigureAwait(false))
        {
            return new SnmpResult<SnmpPdu>(PortUnreachable(target));
        }

        var hint = target.Version != SnmpVersion.V3
            ? " An agent silently drops requests with a wrong community string, so this is also what a wrong community looks like."
            : target.User?.SecurityLevel == SnmpSecurityLevel.AuthPriv
                ? " The agent answered engine discovery, so it is up: net-snmp drops authPriv requests it cannot decrypt without a report, so this is also what a wrong privacy password or protocol looks like."
                : string.Empty;
        return new SnmpResult<SnmpPdu>(new SnmpError(
            SnmpErrorKind.Timeout,
            $"no response within {target.Timeout.TotalMilliseconds:0} ms from {target.EndPoint} ({target.Version}, {target.Retries + 1} attempt(s)).{hint}"));
    }

    private static SnmpError PortUnreachable(SnmpTarget target) => new(
        SnmpErrorKind.PortUnreachable,
        $"port unreachable (ICMP): nothing listens on UDP {target.EndPoint}; the host is up but runs no SNMP agent on that port.");

    /// <summary>
    /// After the attempts went unanswered: was it because nothing listens there? The shared socket is not connected, so
    /// the kernel keeps ICMP errors from it; an empty datagram (which no agent answers or counts as a bad community)
    /// from a socket connected to the target gets "connection refused" when the host sends ICMP port unreachable.
    /// </summary>
    private static async Task<bool> IsPortUnreachableAsync(SnmpTarget target, CancellationToken cancellationToken)
    {
        try
        {
            using var probe = new Socket(target.EndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            await probe.ConnectAsync(target.EndPoint, cancellationToken).ConfigureAwait(false);
            await probe.SendAsync(ReadOnlyMemory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromMilliseconds(Math.Clamp(target.Timeout.TotalMilliseconds, 50, 500)));
            var buffer = new byte[1];
            await probe.ReceiveAsync(buffer, SocketFlags.None, wait.Token).ConfigureAwait(false);
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
        {
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<SnmpResult<EngineState>> DiscoverAsync(SnmpTarget target, CancellationToken cancellationToken)
    {
        if (_engines.TryGetValue(target.EndPoint, out var known))
        {
            return new SnmpResult<EngineState>(known);
        }

        for (var attempt = 0; attempt <= target.Retries; attempt++)
        {
            // RFC 3414 §4: a noAuthNoPriv request with an empty engine id and user name draws a Report
            // (usmStatsUnknownEngineIDs) that carries the agent's snmpEngineID, boots and time.
            var pdu = new SnmpPdu(SnmpPduType.GetRequest, NextId(), 0, 0, []);
            var outcome = await ExchangeAsync(target, null, pdu, SnmpSecurityLevel.NoAuthNoPriv, cancellationToken).ConfigureAwait(false);
            if (outcome.Error is not null)
            {
                return new SnmpResult<EngineState>(outcome.Error);
            }

            if (outcome.Message?.Security is { } sec && sec.EngineId.Length > 0)
            {
                var state = new EngineState(sec.EngineId, sec.EngineBoots, sec.EngineTime, _time.GetTimestamp());
                LogDiscovered(_logger, target.EndPoint, sec.EngineBoots, sec.EngineTime);
                return new SnmpResult<EngineState>(_engines.GetOrAdd(target.EndPoint, state));
            }
        }

        if (await IsPortUnreachableAsync(target, cancellationToken).ConfigureAwait(false))
        {
            return new SnmpResult<EngineState>(PortUnreachable(target));
        }

        return new SnmpResult<EngineState>(new SnmpError(
            SnmpErrorKind.Timeout,
            $"no response within {target.Timeout.TotalMilliseconds:0} ms from {target.EndPoint} to SNMPv3 engine-id discovery ({target.Retries + 1} attempt(s))."));
    }

    /// <summary>One attempt: encode, send, wait for the matching answer or the timeout. Message null means timeout.</summary>
    private async Task<(SnmpMessage? Message, SnmpError? Error)> ExchangeAsync(SnmpTarget target, EngineState? engine, SnmpPdu pdu, SnmpSecurityLevel level, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(SnmpCodec.MaxDatagramSize);
        var pending = new PendingRequest(target, pdu.RequestId, level, engine);
        try
        {
            int length;
            bool encoded;
            if (target.Version == SnmpVersion.V3)
            {
                var (boots, time) = engine?.Estimate(_time) ?? (0, 0);
                encoded = UsmProcessor.TryEncode(
                    buffer.AsSpan(0, SnmpCodec.MaxDatagramSize), pdu.RequestId, _options.MaxMessageSize, reportable: true,
                    level == SnmpSecurityLevel.NoAuthNoPriv && engine is null ? null : target.User, level,
                    engine?.EngineId ?? [], boots, time, target.ContextName, pdu, (ulong)Interlocked.Increment(ref _salt), out length);
            }
            else
            {
                encoded = SnmpCodec.TryEncode(SnmpMessage.ForCommunity(target.Version, target.CommunityBytes, pdu), buffer.AsSpan(0, SnmpCodec.MaxDatagramSize), out length);
            }

            if (!encoded)
            {
                return (null, new SnmpError(SnmpErrorKind.RequestTooLarge, $"The request to {target.EndPoint} ({pdu.VarBinds.Count} bindings) does not fit in one SNMP message."));
            }

            _pending[pdu.RequestId] = pending;
            await _socket.SendToAsync(buffer.AsMemory(0, length), SocketFlags.None, target.EndPoint, cancellationToken).ConfigureAwait(false);
            try
            {
                var message = await pending.Completion.Task.WaitAsync(target.Timeout, _time, cancellationToken).ConfigureAwait(false);
                return (message, null);
            }
            catch (TimeoutException)
            {
                return (null, null);
            }
        }
        catch (SocketException ex)
        {
            LogSendFailed(_logger, target.EndPoint, ex.SocketErrorCode);
            return (null, null);
        }
        finally
        {
            _pending.TryRemove(new KeyValuePair<int, PendingRequest>(pdu.RequestId, pending));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

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
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogReceiveFailed(_logger, ex.SocketErrorCode);
                continue;
            }

            bool accepted;
            try
            {
                accepted = Dispatch(buffer.AsSpan(0, received.ReceivedBytes), received.RemoteEndPoint as IPEndPoint);
            }
#pragma warning disable CA1031 // One bad datagram must not stop the loop that serves every target.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogDispatchFailed(_logger, ex);
                accepted = false;
            }

            if (!accepted)
            {
                Interlocked.Increment(ref _droppedDatagrams);
            }
        }
    }

    private bool Dispatch(ReadOnlySpan<byte> datagram, IPEndPoint? from)
    {
        if (!SnmpCodec.TryPeekId(datagram, out var version, out var id)
            || !_pending.TryGetValue(id, out var pending)
            || from is null
            || !pending.Target.EndPoint.Equals(from)
            || version != pending.Target.Version)
        {
            return false;
        }

        if (version != SnmpVersion.V3)
        {
            if (!SnmpCodec.TryDecode(datagram, out var message, out _)
                || message!.Pdu.Type != SnmpPduType.Response
                || message.Pdu.RequestId != id
                || !message.Community.Span.SequenceEqual(pending.Target.CommunityBytes))
            {
                return false;
            }

            return pending.Completion.TrySetResult(message);
        }

        var user = pending.Level == SnmpSecurityLevel.NoAuthNoPriv ? null : pending.Target.User;
        var check = UsmProcessor.Process(datagram, user, pending.Engine?.EngineId ?? [], out var v3, out _);
        if (check != UsmCheck.Ok)
        {
            LogDroppedV3(_logger, from, check);
            return false;
        }

        var authenticated = v3!.Header!.IsAuthenticated;
        if (v3.Pdu.Type == SnmpPduType.Report)
        {
            // Reports may come unauthenticated (discovery, wrong digest, unknown user).
            return pending.Completion.TrySetResult(v3);
        }

        if (v3.Pdu.Type != SnmpPduType.Response || v3.Pdu.RequestId != id)
        {
            return false;
        }

        if (pending.Level != SnmpSecurityLevel.NoAuthNoPriv)
        {
            if (!authenticated || (pending.Level == SnmpSecurityLevel.AuthPriv && !v3.Header.IsEncrypted))
            {
                LogBelowLevel(_logger, from);
                return false;
            }

            if (pending.Engine is { } engine && !engine.CheckAndUpdate(v3.Security!.EngineBoots, v3.Security.EngineTime, _time))
            {
                LogOutsideWindow(_logger, from);
                return false;
            }
        }

        return pending.Completion.TrySetResult(v3);
    }

    private async Task<SnmpError?> GetRangeAsync(SnmpTarget target, IReadOnlyList<Oid> oids, int start, int count, VarBind[] results, CancellationToken cancellationToken)
    {
        var request = new VarBind[count];
        for (var i = 0; i < count; i++)
        {
            request[i] = VarBind.ForRequest(oids[start + i]);
        }

        var result = await SendAsync(target, SnmpPduType.GetRequest, 0, 0, request, cancellationToken).ConfigureAwait(false);
        if (result.IsSuccess)
        {
            var varBinds = result.Value.VarBinds;
            if (varBinds.Count != count)
            {
                return new SnmpError(SnmpErrorKind.Report, $"The agent at {target.EndPoint} answered {varBinds.Count} bindings to a GET of {count}.");
            }

            for (var i = 0; i < count; i++)
            {
                results[start + i] = varBinds[i];
            }

            return null;
        }

        var error = result.Error!;
        var tooBig = error.Status == SnmpErrorStatus.TooBig || error.Kind == SnmpErrorKind.RequestTooLarge;
        if (!tooBig || count == 1)
        {
            return error;
        }

        var half = count / 2;
        LogSplitting(_logger, target.EndPoint, count);
        return await GetRangeAsync(target, oids, start, half, results, cancellationToken).ConfigureAwait(false)
            ?? await GetRangeAsync(target, oids, start + half, count - half, results, cancellationToken).ConfigureAwait(false);
    }

    private static VarBind[] ToRequest(IReadOnlyList<Oid> oids)
    {
        var request = new VarBind[oids.Count];
        for (var i = 0; i < request.Length; i++)
        {
            request[i] = VarBind.ForRequest(oids[i]);
        }

        return request;
    }

    private int NextId()
    {
        while (true)
        {
            var id = Interlocked.Increment(ref _nextId) & int.MaxValue;
            if (id != 0 && !_pending.ContainsKey(id))
            {
                return id;
            }
        }
    }

    internal static SnmpErrorKind ReportKind(SnmpPdu report)
    {
        var oid = report.VarBinds.Count > 0 ? report.VarBinds[0].Oid : default;
        if (oid == UsmStatistics.UnsupportedSecLevels)
        {
            return SnmpErrorKind.UnsupportedSecurityLevel;
        }

        if (oid == UsmStatistics.NotInTimeWindows)
        {
            return SnmpErrorKind.NotInTimeWindow;
        }

        if (oid == UsmStatistics.UnknownUserNames)
        {
            return SnmpErrorKind.UnknownUserName;
        }

        if (oid == UsmStatistics.UnknownEngineIds)
        {
            return SnmpErrorKind.UnknownEngineId;
        }

        if (oid == UsmStatistics.WrongDigests)
        {
            return SnmpErrorKind.WrongDigest;
        }

        return oid == UsmStatistics.DecryptionErrors ? SnmpErrorKind.DecryptionError : SnmpErrorKind.Report;
    }

    private static SnmpError ReportError(SnmpErrorKind kind, SnmpTarget target, SnmpPdu report)
    {
        var user = target.User?.UserName;
        var text = kind switch
        {
            SnmpErrorKind.UnsupportedSecurityLevel => $"authentication failed: the agent at {target.EndPoint} does not allow user '{user}' at security level {target.User?.SecurityLevel} (usmStatsUnsupportedSecLevels).",
            SnmpErrorKind.NotInTimeWindow => $"authentication failed: the agent at {target.EndPoint} still says the request is outside its time window after re-synchronising (usmStatsNotInTimeWindows).",
            SnmpErrorKind.UnknownUserName => $"authentication failed: the agent at {target.EndPoint} does not know user '{user}' (usmStatsUnknownUserNames).",
            SnmpErrorKind.UnknownEngineId => $"authentication failed: the agent at {target.EndPoint} did not accept its own engine id after discovery (usmStatsUnknownEngineIDs).",
            SnmpErrorKind.WrongDigest => $"authentication failed at {target.EndPoint} for user '{user}': wrong authentication password or protocol (usmStatsWrongDigests).",
            SnmpErrorKind.DecryptionError => $"authentication failed: the agent at {target.EndPoint} could not decrypt the request of user '{user}': wrong privacy password or protocol (usmStatsDecryptionErrors).",
            _ => $"The agent at {target.EndPoint} answered with a Report ({(report.VarBinds.Count > 0 ? report.VarBinds[0].Oid.ToString() : "no binding")}).",
        };
        return new SnmpError(kind, text);
    }

    private static string StatusName(SnmpErrorStatus status) => status switch
    {
        SnmpErrorStatus.TooBig => "tooBig",
        SnmpErrorStatus.NoSuchName => "noSuchName",
        SnmpErrorStatus.BadValue => "badValue",
        SnmpErrorStatus.ReadOnly => "readOnly",
        SnmpErrorStatus.GenErr => "genErr",
        SnmpErrorStatus.NoAccess => "noAccess",
        SnmpErrorStatus.AuthorizationError => "authorizationError",
        _ => $"error-status {(int)status} ({status})",
    };

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _receiveLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var pending in _pending.Values)
        {
            pending.Completion.TrySetCanceled();
        }

        _stopping.Dispose();
        _overall.Dispose();
        foreach (var semaphore in _perTarget.Values)
        {
            semaphore.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "No answer from {EndPoint} to request {RequestId} (attempt {Attempt})")]
    private static partial void LogNoAnswer(ILogger logger, IPEndPoint endPoint, int requestId, int attempt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Discovered the SNMP engine at {EndPoint}: boots {Boots}, time {Time}")]
    private static partial void LogDiscovered(ILogger logger, IPEndPoint endPoint, int boots, int time);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sending to {EndPoint} failed: {SocketError}")]
    private static partial void LogSendFailed(ILogger logger, IPEndPoint endPoint, SocketError socketError);

    [LoggerMessage(Level = LogLevel.Debug, Message = "UDP receive error {SocketError}")]
    private static partial void LogReceiveFailed(ILogger logger, SocketError socketError);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped an SNMPv3 message from {EndPoint}: {Check}")]
    private static partial void LogDroppedV3(ILogger logger, IPEndPoint endPoint, UsmCheck check);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped a response from {EndPoint} below the requested security level")]
    private static partial void LogBelowLevel(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped a response from {EndPoint} outside the USM time window")]
    private static partial void LogOutsideWindow(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An incoming SNMP datagram could not be handled")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "tooBig from {EndPoint}: splitting {Count} bindings")]
    private static partial void LogSplitting(ILogger logger, IPEndPoint endPoint, int count);

    private sealed class PendingRequest(SnmpTarget target, int id, SnmpSecurityLevel level, EngineState? engine)
    {
        public SnmpTarget Target { get; } = target;

        public int Id { get; } = id;

        public SnmpSecurityLevel Level { get; } = level;

        public EngineState? Engine { get; } = engine;

        public TaskCompletionSource<SnmpMessage> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
