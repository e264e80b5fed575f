namespace Monitoring.Mqtt.Broker;

/// <summary>
/// The server side of one MQTT session: its subscriptions, the QoS 1/2 messages in flight to the client, the queue
/// of QoS 1/2 messages waiting (client away, or its in-flight window full), and the QoS 2 packet ids received and
/// not yet released. It outlives connections when it is persistent (3.1.1 clean session 0, 5.0 session expiry).
/// Everything is guarded by the session's own lock; nothing under it blocks.
/// </summary>
internal sealed class BrokerSession : BrokerSubscriber
{
    private readonly SessionStore _store;
    private readonly Queue<Pending> _pending = new();
    private readonly List<Inflight> _inflight = [];
    private readonly HashSet<ushort> _incomingQos2 = [];
    private volatile IBrokerOutbound? _outbound;
    private ushort _lastPacketId;

    public BrokerSession(string clientId, SessionStore store)
        : base(clientId)
    {
        _store = store;
    }

    public object Sync { get; } = new();

    /// <summary>Filter (as subscribed) to subscription. Guarded by <see cref="Sync"/>.</summary>
    public Dictionary<string, Subscription> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>Seconds the session lives after its connection closes; <see cref="uint.MaxValue"/>: forever.</summary>
    public uint ExpiryInterval { get; set; }

    /// <summary>TimeProvider timestamp of the last disconnect.</summary>
    public long DisconnectedAt { get; private set; }

    /// <summary>A will waiting for its 5.0 will delay (published when due unless the client comes back).</summary>
    public BrokerMessage? DelayedWill { get; set; }

    public long DelayedWillDue { get; set; }

    /// <summary>False once removed from the store (a late delivery is then dropped).</summary>
    public bool Alive { get; set; } = true;

    public override bool IsOnline => _outbound != null;

    public int PendingCount
    {
        get
        {
            lock (Sync)
            {
                return _pending.Count;
            }
        }
    }

    public int InflightCount
    {
        get
        {
            lock (Sync)
            {
                return _inflight.Count;
            }
        }
    }

    public override void Deliver(BrokerMessage message, byte qos, bool retain, IReadOnlyList<uint>? subscriptionIds)
    {
        var counters = _store.Counters;
        lock (Sync)
        {
            if (!Alive)
            {
                return;
            }

            var outbound = _outbound;
            if (qos == 0)
            {
                // QoS 0 is not kept for an absent client, and dropped for a slow one
                if (outbound == null)
                {
                    return;
                }

                if (outbound.EnqueuePublish(message, 0, retain, 0, false, subscriptionIds))
                {
                    Interlocked.Increment(ref counters.MessagesOut);
                }
                else
                {
                    Interlocked.Increment(ref counters.Qos0Drops);
                }

                return;
            }

            if (outbound != null && _pending.Count == 0 && _inflight.Count < SendQuota(outbound))
            {
                Send(outbound, new Pending(message, qos, retain, subscriptionIds));
                return;
            }

            if (_pending.Count >= _store.Options.MaxQueuedPerSession || !_store.TryReserveQueued())
            {
                Interlocked.Increment(ref counters.QueueDrops);
                // a connected client this far behind is disconnected rather than allowed to hold the queue
                if (outbound != null && outbound.Abort(0x97))
                {
                    Interlocked.Increment(ref counters.SlowClientDisconnects);
                }

                return;
            }

            _pending.Enqueue(new Pending(message, qos, retain, subscriptionIds));
        }
    }

    /// <summary>A connection takes the session over: unacknowledged messages are sent again (DUP), then the queue.</summary>
    public void Attach(IBrokerOutbound outbound)
    {
        lock (Sync)
        {
            _outbound = outbound;
            DelayedWill = null;
            foreach (var entry in _inflight)
            {
                if (entry.AwaitingComp)
                {
                    outbound.EnqueuePubRel(entry.PacketId);
                }
                else
                {
                    outbound.EnqueuePublish(entry.Message!, entry.QoS, entry.Retain, entry.PacketId, true, entry.SubscriptionIds);
                }
            }

            Pump(outbound);
        }
    }

    /// <summary>The connection is gone; the session keeps its state until it expires.</summary>
    public void Detach(IBrokerOutbound outbound, long now)
    {
        lock (Sync)
        {
            if (ReferenceEquals(_outbound, outbound))
            {
                _outbound = null;
                DisconnectedAt = now;
            }
        }
    }

    public bool IsAttachedTo(IBrokerOutbound outbound) => ReferenceEquals(_outbound, outbound);

    /// <summary>PUBACK for a QoS 1 message. False when no such packet id is in flight.</summary>
    public bool OnPubAck(ushort packetId) => Complete(packetId, 1);

    /// <summary>PUBCOMP for a QoS 2 message. False when no such packet id awaits it.</summary>
    public bool OnPubComp(ushort packetId) => Complete(packetId, 2);

    /// <summary>PUBREC for a QoS 2 message: the message is the client's now; a PUBREL must follow. False if unknown.</summary>
    public bool OnPubRec(ushort packetId)
    {
        lock (Sync)
        {
            foreach (var entry in _inflight)
            {
                if (entry.PacketId == packetId && entry.QoS == 2)
                {
                    entry.AwaitingComp = true;
                    entry.Message = null;
                    entry.SubscriptionIds = null;
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// A QoS 2 PUBLISH arrived with this packet id. True when it is new (route it); false for a resend of one
    /// already received and not yet released (do not route it again). Null when too many are open.
    /// </summary>
    public bool? RegisterIncomingQos2(ushort packetId, int limit)
    {
        lock (Sync)
        {
            if (_incomingQos2.Contains(packetId))
            {
                return false;
            }

            if (_incomingQos2.Count >= limit)
            {
                return null;
            }

            _incomingQos2.Add(packetId);
            return true;
        }
    }

    /// <summary>PUBREL from the client: true when the packet id was open.</summary>
    public bool ReleaseIncomingQos2(ushort packetId)
    {
        lock (Sync)
        {
            return _incomingQos2.Remove(packetId);
        }
    }

    /// <summary>Drops everything queued (the session is discarded); releases its share of the total bound.</summary>
    public void Clear()
    {
        lock (Sync)
        {
            Alive = false;
            _store.ReleaseQueued(_pending.Count);
            _pending.Clear();
            _inflight.Clear();
            _incomingQos2.Clear();
        }
    }

    /// <summary>Drops an in-flight message the client can never take (larger than its maximum packet size).</summary>
    public void Forget(ushort packetId)
    {
        lock (Sync)
        {
            var at = _inflight.FindIndex(e => e.PacketId == packetId);
            if (at >= 0)
            {
                _inflight.RemoveAt(at);
                if (_outbound is { } outbound)
                {
                    Pump(outbound);
                }
            }
        }
    }

    private bool Complete(ushort packetId, byte qos)
    {
        lock (Sync)
        {
            for (var i = 0; i < _inflight.Count; i++)
            {
                var entry = _inflight[i];
                if (entry.PacketId == packetId && entry.QoS == qos && (qos == 1 || entry.AwaitingComp))
                {
                    _inflight.RemoveAt(i);
                    if (_outbound is { } outbound)
                    {
                        Pump(outbound);
                    }

                    return true;
                }
            }

            return false;
        }
    }

    private int SendQuota(IBrokerOutbound outbound) => Math.Min(_store.Options.MaxInflight, outbound.ReceiveMaximum);

    private void Pump(IBrokerOutbound outbound)
    {
        var quota = SendQuota(outbound);
        while (_inflight.Count < quota && _pending.TryDequeue(out var next))
        {
            _store.ReleaseQueued(1);
            if (_store.IsExpired(next.Message))
            {
                Interlocked.Increment(ref _store.Counters.ExpiredMessages);
                continue;
            }

            Send(outbound, next);
        }
    }

    private void Send(IBrokerOutbound outbound, Pending message)
    {
        var packetId = NextPacketId();
        _inflight.Add(new Inflight { PacketId = packetId, QoS = message.QoS, Retain = message.Retain, Message = message.Message, SubscriptionIds = message.SubscriptionIds });
        outbound.EnqueuePublish(message.Message, message.QoS, message.Retain, packetId, false, message.SubscriptionIds);
        Interlocked.Increment(ref _store.Counters.MessagesOut);
    }

    private ushort NextPacketId()
    {
        while (true)
        {
            _lastPacketId = _lastPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastPacketId + 1);
            var inUse = false;
            foreach (var entry in _inflight)
            {
                if (entry.PacketId == _lastPacketId)
                {
                    inUse = true;
                    break;
                }
            }

            if (!inUse)
            {
                return _lastPacketId;
            }
        }
    }

    private readonly record struct Pending(BrokerMessage Message, byte QoS, bool Retain, IReadOnlyList<uint>? SubscriptionIds);

    private sealed class Inflight
    {
        public ushort PacketId;
        public byte QoS;
        public bool Retain;
        public bool AwaitingComp;
        public BrokerMessage? Message;
        public IReadOnlyList<uint>? SubscriptionIds;
    }
}
