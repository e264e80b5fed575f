using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Mqtt.Broker;

/// <summary>
/// One client connection: a read loop that decodes packets (any decode error closes the connection, with a 5.0
/// DISCONNECT carrying the reason code once the client has connected) and a write loop that drains a queue of
/// outgoing packets into the socket in batches. QoS 0 publishes beyond <see cref="MqttBrokerOptions.MaxOutboundQos0"/>
/// are dropped for this client only, so one slow subscriber never holds up a publisher or the others.
/// </summary>
internal sealed class BrokerConnection : IBrokerOutbound, IDisposable
{
    private const int MaxBatchBytes = 64 * 1024;

    private readonly MqttBroker _broker;
    private readonly Socket _socket;
    private readonly Channel<Outgoing> _queue = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _readStop = new();
    private readonly CancellationTokenSource _writeStop = new();
    private readonly long _openedAt;
    private long _lastReceived;
    private int _qos0Queued;
    private int _aborted;
    private byte _abortReason;
    private bool _connected;
    private bool _timedOut;
    private MqttProtocolVersion _version;
    private ushort _keepAlive;
    private uint _clientMaxPacketSize = uint.MaxValue;
    private string?[]? _topicAliases;
    private BrokerMessage? _will;
    private uint _willDelay;
    private string _clientId = "";
    private TopicAcl? _acl;
    private bool _deniedLogged;

    public BrokerConnection(MqttBroker broker, Socket socket, long id)
    {
        _broker = broker;
        _socket = socket;
        Id = id;
        _openedAt = broker.Time.GetTimestamp();
        _lastReceived = _openedAt;
    }

    public long Id { get; }

    public BrokerSession? Session { get; private set; }

    public Task Completion { get; private set; } = Task.CompletedTask;

    public int ReceiveMaximum { get; private set; } = 65535;

    private MqttBrokerOptions Options => _broker.Options;

    private ILogger Logger => _broker.Logger;

    public void Start(CancellationToken stopping) => Completion = Task.Run(() => RunAsync(stopping), CancellationToken.None);

    public bool EnqueuePublish(BrokerMessage message, byte qos, bool retain, ushort packetId, bool dup, IReadOnlyList<uint>? subscriptionIds)
    {
        if (qos == 0 && Interlocked.Increment(ref _qos0Queued) > Options.MaxOutboundQos0)
        {
            Interlocked.Decrement(ref _qos0Queued);
            return false;
        }

        if (!_queue.Writer.TryWrite(new Outgoing(null, message, qos, retain, packetId, dup, subscriptionIds)))
        {
            if (qos == 0)
            {
                Interlocked.Decrement(ref _qos0Queued);
            }

            return false;
        }

        return true;
    }

    public void EnqueuePubRel(ushort packetId) => Send(new MqttPubRelPacket { PacketId = packetId });

    public bool Abort(byte reasonCode)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return false;
        }

        _abortReason = reasonCode;

        // callers may hold a session lock: the read loop is cancelled from the pool, not inline
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.CancelRead(), this, preferLocal: false);
        return true;
    }

    /// <summary>Closes a connection that sent no CONNECT in time, or nothing for 1.5 times its keep-alive.</summary>
    public void CheckTimeouts(long now)
    {
        if (_timedOut)
        {
            return;
        }

        var idle = _broker.Time.GetElapsedTime(Interlocked.Read(ref _lastReceived), now);
        if (!_connected)
        {
            if (_broker.Time.GetElapsedTime(_openedAt, now) > Options.ConnectTimeout)
            {
                _timedOut = true;
                _ = Abort(0);
            }

            return;
        }

        if (_keepAlive > 0 && idle.TotalSeconds > _keepAlive * 1.5)
        {
            _timedOut = true;
            Interlocked.Increment(ref _broker.Counters.KeepAliveTimeouts);
            if (Logger.IsEnabled(LogLevel.Information))
            {
                Logger.LogInformation("MQTT broker: {ClientId} sent nothing for 1.5 times its keep-alive of {KeepAlive} s; closing", _clientId, _keepAlive);
            }

            _ = Abort((byte)MqttReasonCode.KeepAliveTimeout);
        }
    }

    private void CancelRead()
    {
        try
        {
            _readStop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Send(MqttPacket packet) => _queue.Writer.TryWrite(new Outgoing(packet, null, 0, false, 0, false, null));

    private async Task RunAsync(CancellationToken stopping)
    {
        using var stopRegistration = stopping.Register(static c => ((BrokerConnection)c!).Abort((byte)MqttReasonCode.ServerShuttingDown), this);
        using var stream = new NetworkStream(_socket, ownsSocket: true);
        var writer = WriteLoopAsync(stream, _writeStop.Token);
        var sendWill = true;
        try
        {
            sendWill = await ReadLoopAsync(stream, _readStop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
#pragma warning disable CA1031 // nothing a client sends may take the broker down; this is logged and counted
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Logger.LogError(ex, "MQTT broker: connection {ConnectionId} ({ClientId}) failed", Id, _clientId);
        }

        try
        {
            if (_connected && _version == MqttProtocolVersion.V500 && _abortReason >= 0x80)
            {
                Send(new MqttDisconnectPacket { ReasonCode = (MqttReasonCode)_abortReason });
            }

            _queue.Writer.TryComplete();
            try
            {
                await writer.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }

            await _writeStop.CancelAsync().ConfigureAwait(false);
            await writer.ConfigureAwait(false);
            _socket.Close(0);

            if (Session is { } session)
            {
                // a broker shutting down keeps persistent sessions and does not send their wills
                var will = sendWill && !stopping.IsCancellationRequested ? _will : null;
                _broker.CloseSession(session, this, will, _willDelay);
            }
        }
#pragma warning disable CA1031
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Logger.LogError(ex, "MQTT broker: closing connection {ConnectionId} ({ClientId}) failed", Id, _clientId);
        }
        finally
        {
            if (_connected)
            {
                _broker.ReleaseClientSlot();
            }

            _broker.Unregister(this);
            Dispose();
        }
    }

    public void Dispose()
    {
        _readStop.Dispose();
        _writeStop.Dispose();
    }

    /// <summary>Reads until the connection ends. Returns false after a DISCONNECT that withdraws the will.</summary>
    private async Task<bool> ReadLoopAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        // zero-byte reads: an idle connection (a probe between readings) holds no receive buffer
        var pipe = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 512, leaveOpen: true, useZeroByteReads: true));
        try
        {
            var reader = new MqttPacketReader(pipe, Options.MaxPacketSize);
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (result.Error.IsError)
                {
                    ProtocolError(result.Error.ReasonCode, result.Error.Message);
                    return true;
                }

                if (result.IsEndOfStream || result.Packet is not { } packet)
                {
                    return true;
                }

                Interlocked.Exchange(ref _lastReceived, _broker.Time.GetTimestamp());
                Interlocked.Increment(ref _broker.Counters.PacketsReceived);
                var verdict = Handle(packet);
                if (verdict != Verdict.Continue)
                {
                    return verdict == Verdict.CloseWithWill;
                }
            }
        }
        finally
        {
            await pipe.CompleteAsync().ConfigureAwait(false);
        }
    }

    private Verdict Handle(MqttPacket packet)
    {
        if (!_connected)
        {
            return packet is MqttConnectPacket connect ? HandleConnect(connect) : ProtocolError(MqttReasonCode.ProtocolError, "first packet is not CONNECT");
        }

        switch (packet)
        {
            case MqttPublishPacket publish:
                return HandlePublish(publish);
            case MqttPubAckPacket ack:
                Session!.OnPubAck(ack.PacketId);
                return Verdict.Continue;
            case MqttPubRecPacket rec:
                var known = Session!.OnPubRec(rec.PacketId);
                if (MqttReasonCodes.IsFailure(rec.ReasonCode))
                {
                    Session.OnPubComp(rec.PacketId); // the client refused it: the flow ends here
                    return Verdict.Continue;
                }

                Send(new MqttPubRelPacket { PacketId = rec.PacketId, ReasonCode = known ? MqttReasonCode.Success : MqttReasonCode.PacketIdentifierNotFound });
                return Verdict.Continue;
            case MqttPubRelPacket rel:
                var open = Session!.ReleaseIncomingQos2(rel.PacketId);
                Send(new MqttPubCompPacket { PacketId = rel.PacketId, ReasonCode = open ? MqttReasonCode.Success : MqttReasonCode.PacketIdentifierNotFound });
                return Verdict.Continue;
            case MqttPubCompPacket comp:
                Session!.OnPubComp(comp.PacketId);
                return Verdict.Continue;
            case MqttSubscribePacket subscribe:
                HandleSubscribe(subscribe);
                return Verdict.Continue;
            case MqttUnsubscribePacket unsubscribe:
                HandleUnsubscribe(unsubscribe);
                return Verdict.Continue;
            case MqttPingReqPacket:
                Send(MqttPingRespPacket.Instance);
                return Verdict.Continue;
            case MqttDisconnectPacket disconnect:
                return HandleDisconnect(disconnect);
            case MqttConnectPacket:
                return ProtocolError(MqttReasonCode.ProtocolError, "second CONNECT");
            default:
                return ProtocolError(MqttReasonCode.ProtocolError, $"{packet.Type} is not sent by clients");
        }
    }

    private Verdict HandleConnect(MqttConnectPacket connect)
    {
        _version = connect.ProtocolVersion;
        var v5 = _version == MqttProtocolVersion.V500;
        var properties = connect.Properties;
        var clientId = connect.ClientId;
        string? assigned = null;

        if (properties?.AuthenticationMethod != null)
        {
            return Refuse(MqttReasonCode.BadAuthenticationMethod, "enhanced authentication is not supported", connect.UserName);
        }

        if (clientId.Length == 0)
        {
            if (!v5 && !connect.CleanStart)
            {
                return Refuse(MqttReasonCode.ClientIdentifierNotValid, "empty client id with a persistent session", connect.UserName);
            }

            clientId = assigned = "auto-" + Guid.NewGuid().ToString("N");
        }

        // a name or address locked out after failed passwords is refused before its password is looked at, the right one included
        var address = (_socket.RemoteEndPoint as System.Net.IPEndPoint)?.Address;
        if (_broker.Guard.LockedUntil(address, connect.UserName) is { } lockedUntil)
        {
            Interlocked.Increment(ref _broker.Counters.ConnectionsLockedOut);
            return Refuse(MqttReasonCode.NotAuthorized, $"locked out after too many failed passwords (user name or address) until {lockedUntil:O}", connect.UserName, clientId);
        }

        switch (_broker.Authenticator.Check(connect.UserName, connect.Password is { } password ? password.Span : default))
        {
            case AuthenticationOutcome.AnonymousRefused:
                return Refuse(MqttReasonCode.NotAuthorized, "no user name and anonymous clients are not allowed", connect.UserName, clientId);
            case AuthenticationOutcome.BadCredentials:
                if (_broker.Guard.Failed(address, connect.UserName))
                {
                    Interlocked.Increment(ref _broker.Counters.Lockouts);
                    Logger.LogWarning("MQTT broker: user name {User} or address {Address} locked out for {Duration} after too many failed passwords", connect.UserName, address, Options.LockoutDuration);
                }

                return Refuse(MqttReasonCode.BadUserNameOrPassword, "bad user name or password", connect.UserName, clientId);
        }

        _broker.Guard.Succeeded(connect.UserName);
        _acl = _broker.Authenticator.AclFor(connect.UserName);
        if (connect.Will is { } deniedWill && _acl is not null && !_acl.MayPublish(deniedWill.Topic))
        {
            Interlocked.Increment(ref _broker.Counters.PublishesDenied);
            return Refuse(MqttReasonCode.NotAuthorized, $"the will topic '{deniedWill.Topic}' is outside what the user may publish to", connect.UserName, clientId);
        }

        if (!_broker.TryReserveClientSlot())
        {
            return Refuse(MqttReasonCode.QuotaExceeded, "too many clients", connect.UserName, clientId);
        }

        _connected = true;
        _clientId = clientId;
        _keepAlive = connect.KeepAliveSeconds;
        if (v5)
        {
            ReceiveMaximum = properties?.ReceiveMaximum ?? 65535;
            _clientMaxPacketSize = properties?.MaximumPacketSize ?? uint.MaxValue;
        }

        uint expiry;
        uint? grantedExpiry = null;
        if (v5)
        {
            expiry = properties?.SessionExpiryInterval ?? 0;
            var max = (uint)Math.Min(uint.MaxValue, Options.MaxSessionExpiry.TotalSeconds);
            if (expiry > max)
            {
                expiry = max;
                grantedExpiry = max;
            }
        }
        else
        {
            expiry = connect.CleanStart ? 0 : uint.MaxValue;
        }

        if (connect.Will is { } will)
        {
            _will = new BrokerMessage(will.Topic, will.Payload, (byte)will.QoS, will.Retain, ToBrokerProperties(will.Properties))
            {
                PublisherId = clientId,
                ReceivedTimestamp = _broker.Time.GetTimestamp(),
            };
            _willDelay = will.Properties?.WillDelayInterval ?? 0;
        }

        _broker.OpenSession(clientId, connect.CleanStart, expiry, this, out var session, present =>
        {
            MqttProperties? ackProperties = null;
            if (v5)
            {
                ackProperties = new MqttProperties
                {
                    ReceiveMaximum = (ushort)Math.Clamp(Options.MaxInflight, 1, ushort.MaxValue),
                    TopicAliasMaximum = (ushort)Math.Clamp(Options.TopicAliasMaximum, 0, ushort.MaxValue),
                    MaximumPacketSize = (uint)Options.MaxPacketSize,
                    AssignedClientIdentifier = assigned,
                    SessionExpiryInterval = grantedExpiry,
                };
            }

            Send(new MqttConnAckPacket { SessionPresent = present, ReasonCode = MqttReasonCode.Success, Properties = ackProperties });
        });
        Session = session;
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            Logger.LogDebug("MQTT broker: {ClientId} connected ({Version}, user {User}, keep-alive {KeepAlive} s, session expiry {Expiry})", clientId, _version, connect.UserName, _keepAlive, expiry);
        }

        return Verdict.Continue;
    }

    private Verdict Refuse(MqttReasonCode reason, string why, string? user, string? clientId = null)
    {
        Interlocked.Increment(ref _broker.Counters.ConnectionsRefused);
        if (Logger.IsEnabled(LogLevel.Information))
        {
            Logger.LogInformation("MQTT broker: refused {ClientId} (user {User}): {Reason}", clientId, user, why);
        }

        Send(new MqttConnAckPacket { ReasonCode = reason });
        return Verdict.Close;
    }

    private Verdict HandlePublish(MqttPublishPacket publish)
    {
        var topic = publish.Topic;
        var properties = publish.Properties;
        if (_version == MqttProtocolVersion.V500 && properties?.TopicAlias is ushort alias)
        {
            if (alias == 0 || alias > Options.TopicAliasMaximum)
            {
                return ProtocolError(MqttReasonCode.TopicAliasInvalid, "topic alias out of range");
            }

            _topicAliases ??= new string?[Options.TopicAliasMaximum + 1];
            if (topic.Length > 0)
            {
                _topicAliases[alias] = topic;
            }
            else if (_topicAliases[alias] is { } known)
            {
                topic = known;
            }
            else
            {
                return ProtocolError(MqttReasonCode.ProtocolError, "unknown topic alias");
            }
        }

        if (!TopicRules.IsValidTopicName(topic))
        {
            return ProtocolError(MqttReasonCode.TopicNameInvalid, "invalid topic name");
        }

        var qos = (byte)publish.QoS;
        if (_acl is not null && !_acl.MayPublish(topic))
        {
            return DenyPublish(publish, topic);
        }

        if (qos == 2)
        {
            switch (Session!.RegisterIncomingQos2(publish.PacketId, Math.Max(1, Options.MaxInflight)))
            {
                case null:
                    return ProtocolError(MqttReasonCode.ReceiveMaximumExceeded, "more QoS 2 publishes open than the receive maximum");
                case false:
                    Send(new MqttPubRecPacket { PacketId = publish.PacketId }); // a resend: already routed once
                    return Verdict.Continue;
            }
        }

        var message = new BrokerMessage(topic, publish.Payload, qos, publish.Retain, ToBrokerProperties(properties))
        {
            PublisherId = _clientId,
            ReceivedTimestamp = _broker.Time.GetTimestamp(),
        };
        var routed = _broker.Route(message);
        var reason = routed == 0 && _version == MqttProtocolVersion.V500 ? MqttReasonCode.NoMatchingSubscribers : MqttReasonCode.Success;
        if (qos == 1)
        {
            Send(new MqttPubAckPacket { PacketId = publish.PacketId, ReasonCode = reason });
        }
        else if (qos == 2)
        {
            Send(new MqttPubRecPacket { PacketId = publish.PacketId, ReasonCode = reason });
        }

        return Verdict.Continue;
    }

    /// <summary>
    /// A publish outside the user's topics: not routed, counted. 5.0 says so (0x87 on PUBACK/PUBREC); 3.1.1 cannot, and
    /// acknowledges it as its specification allows (3.3.5), the QoS 2 exchange completed so the client does not resend.
    /// </summary>
    private Verdict DenyPublish(MqttPublishPacket publish, string topic)
    {
        Interlocked.Increment(ref _broker.Counters.PublishesDenied);
        LogDenied("publish to", topic);

        var v5 = _version == MqttProtocolVersion.V500;
        if (publish.QoS == MqttQualityOfService.AtLeastOnce)
        {
            Send(new MqttPubAckPacket { PacketId = publish.PacketId, ReasonCode = v5 ? MqttReasonCode.NotAuthorized : MqttReasonCode.Success });
        }
        else if (publish.QoS == MqttQualityOfService.ExactlyOnce)
        {
            if (v5)
            {
                Send(new MqttPubRecPacket { PacketId = publish.PacketId, ReasonCode = MqttReasonCode.NotAuthorized });
            }
            else
            {
                if (Session!.RegisterIncomingQos2(publish.PacketId, Math.Max(1, Options.MaxInflight)) is null)
                {
                    return ProtocolError(MqttReasonCode.ReceiveMaximumExceeded, "more QoS 2 publishes open than the receive maximum");
                }

                Send(new MqttPubRecPacket { PacketId = publish.PacketId });
            }
        }

        return Verdict.Continue;
    }

    /// <summary>The first refusal of a connection at Information, the rest at Debug (every one is counted in the stats).</summary>
    private void LogDenied(string what, string topic)
    {
        var level = _deniedLogged ? LogLevel.Debug : LogLevel.Information;
        _deniedLogged = true;
        if (Logger.IsEnabled(level))
        {
            Logger.Log(level, "MQTT broker: {ClientId} may not {What} {Topic}: refused (the user's topic rules; further refusals of this connection at Debug)", _clientId, what, topic);
        }
    }

    private void HandleSubscribe(MqttSubscribePacket subscribe)
    {
        var session = Session!;
        var reasons = new MqttReasonCode[subscribe.Subscriptions.Count];
        var added = new List<(Subscription Subscription, bool IsNew)>(reasons.Length);
        var identifier = subscribe.Properties?.SubscriptionIdentifiers is [var id, ..] ? id : 0u;
        for (var i = 0; i < reasons.Length; i++)
        {
            var request = subscribe.Subscriptions[i];
            if (!TopicRules.IsValidFilter(request.TopicFilter))
            {
                reasons[i] = MqttReasonCode.TopicFilterInvalid;
                continue;
            }

            if (_acl is not null && !_acl.MaySubscribe(request.TopicFilter))
            {
                Interlocked.Increment(ref _broker.Counters.SubscriptionsDenied);
                LogDenied("subscribe to", request.TopicFilter);

                reasons[i] = MqttReasonCode.NotAuthorized;
                continue;
            }

            var qos = (byte)Math.Min((int)request.QoS, 2);
            var subscription = new Subscription(session, request.TopicFilter, qos)
            {
                NoLocal = request.NoLocal,
                RetainAsPublished = request.RetainAsPublished,
                RetainHandling = (byte)request.RetainHandling,
                SubscriptionId = identifier,
            };
            added.Add((subscription, _broker.Subscribe(session, subscription)));
            reasons[i] = (MqttReasonCode)qos;
        }

        Send(new MqttSubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = reasons });
        foreach (var (subscription, isNew) in added)
        {
            if (!subscription.IsShared && (subscription.RetainHandling == 0 || (subscription.RetainHandling == 1 && isNew)))
            {
                _broker.DeliverRetained(subscription);
            }
        }
    }

    private void HandleUnsubscribe(MqttUnsubscribePacket unsubscribe)
    {
        var reasons = new MqttReasonCode[unsubscribe.TopicFilters.Count];
        for (var i = 0; i < reasons.Length; i++)
        {
            reasons[i] = _broker.Unsubscribe(Session!, unsubscribe.TopicFilters[i]) ? MqttReasonCode.Success : MqttReasonCode.NoSubscriptionExisted;
        }

        Send(new MqttUnsubAckPacket { PacketId = unsubscribe.PacketId, ReasonCodes = reasons });
    }

    private Verdict HandleDisconnect(MqttDisconnectPacket disconnect)
    {
        if (disconnect.Properties?.SessionExpiryInterval is uint expiry)
        {
            if (Session!.ExpiryInterval == 0 && expiry != 0)
            {
                return ProtocolError(MqttReasonCode.ProtocolError, "session expiry set on DISCONNECT after 0 on CONNECT");
            }

            Session.ExpiryInterval = (uint)Math.Min(expiry, Options.MaxSessionExpiry.TotalSeconds);
        }

        // 5.0 "disconnect with will message" (0x04) keeps the will; a normal DISCONNECT withdraws it
        return disconnect.ReasonCode == MqttReasonCode.DisconnectWithWillMessage ? Verdict.CloseWithWill : Verdict.Close;
    }

    private Verdict ProtocolError(MqttReasonCode reason, string? why)
    {
        Interlocked.Increment(ref _broker.Counters.ProtocolErrors);
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            Logger.LogDebug("MQTT broker: closing connection {ConnectionId} ({ClientId}): {Reason} {Why}", Id, _clientId, reason, why);
        }

        if (_connected)
        {
            _abortReason = (byte)reason;
        }
        else if (reason == MqttReasonCode.UnsupportedProtocolVersion)
        {
            // the 3.1.1 form (return code 1) is what clients of either version understand here
            _version = MqttProtocolVersion.V311;
            Send(new MqttConnAckPacket { ReasonCode = MqttReasonCode.UnsupportedProtocolVersion });
        }

        return Verdict.CloseWithWill;
    }

    private static BrokerMessageProperties? ToBrokerProperties(MqttProperties? p)
    {
        if (p == null || (p.PayloadFormatIndicator == null && p.MessageExpiryInterval == null && p.ContentType == null
            && p.ResponseTopic == null && p.CorrelationData == null && p.UserProperties is null or { Count: 0 }))
        {
            return null;
        }

        return new BrokerMessageProperties
        {
            PayloadFormatIndicator = p.PayloadFormatIndicator,
            MessageExpiryInterval = p.MessageExpiryInterval,
            ContentType = p.ContentType,
            ResponseTopic = p.ResponseTopic,
            CorrelationData = p.CorrelationData,
            UserProperties = p.UserProperties?.Select(u => new KeyValuePair<string, string>(u.Name, u.Value)).ToArray(),
        };
    }

    private async Task WriteLoopAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new PooledBufferWriter();
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (buffer.WrittenCount < MaxBatchBytes && reader.TryRead(out var item))
                {
                    Encode(item, buffer);
                }

                if (buffer.WrittenCount > 0)
                {
                    await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                }

                buffer.Reset();
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
            _ = Abort(0);
        }
        catch (ObjectDisposedException)
        {
        }
#pragma warning disable CA1031
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Logger.LogError(ex, "MQTT broker: writing to {ClientId} failed", _clientId);
            _ = Abort(0);
        }
        finally
        {
            buffer.Reset();
        }
    }

    private void Encode(in Outgoing item, PooledBufferWriter buffer)
    {
        if (item.Packet is { } packet)
        {
            MqttPacketEncoder.Encode(packet, _version, buffer);
            return;
        }

        var message = item.Message!;
        if (item.QoS == 0)
        {
            Interlocked.Decrement(ref _qos0Queued);
        }

        MqttProperties? properties = null;
        if (_version == MqttProtocolVersion.V500 && (message.Properties != null || item.SubscriptionIds != null))
        {
            var p = message.Properties;
            properties = new MqttProperties
            {
                PayloadFormatIndicator = p?.PayloadFormatIndicator,
                MessageExpiryInterval = _broker.Sessions.RemainingExpiry(message),
                ContentType = p?.ContentType,
                ResponseTopic = p?.ResponseTopic,
                CorrelationData = p?.CorrelationData,
                UserProperties = p?.UserProperties?.Select(u => new MqttUserProperty(u.Key, u.Value)).ToArray(),
                SubscriptionIdentifiers = item.SubscriptionIds,
            };
        }

        var publish = new MqttPublishPacket
        {
            Topic = message.Topic,
            Payload = message.Payload,
            QoS = (MqttQualityOfService)item.QoS,
            Retain = item.Retain,
            Dup = item.Dup,
            PacketId = item.PacketId,
            Properties = properties,
        };
        if (_clientMaxPacketSize != uint.MaxValue && MqttPacketEncoder.GetEncodedSize(publish, _version) > _clientMaxPacketSize)
        {
            // too large for this client (5.0 maximum packet size): discarded as if delivered
            if (item.QoS > 0)
            {
                Session?.Forget(item.PacketId);
            }

            return;
        }

        MqttPacketEncoder.Encode(publish, _version, buffer);
    }

    private enum Verdict
    {
        Continue,
        Close,
        CloseWithWill,
    }

    private readonly record struct Outgoing(MqttPacket? Packet, BrokerMessage? Message, byte QoS, bool Retain, ushort PacketId, bool Dup, IReadOnlyList<uint>? SubscriptionIds);
}
