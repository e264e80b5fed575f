using System.Collections.Concurrent;

namespace Monitoring.Mqtt.Broker;

/// <summary>All sessions by client id, with the total bound on queued messages.</summary>
internal sealed class SessionStore
{
    private readonly ConcurrentDictionary<string, BrokerSession> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _queued;

    public SessionStore(MqttBrokerOptions options, BrokerCounters counters, TimeProvider time)
    {
        Options = options;
        Counters = counters;
        _time = time;
    }

    public MqttBrokerOptions Options { get; }

    public BrokerCounters Counters { get; }

    public int Count => _sessions.Count;

    public long Queued => Interlocked.Read(ref _queued);

    public ICollection<BrokerSession> All => _sessions.Values;

    public bool TryGet(string clientId, out BrokerSession session) => _sessions.TryGetValue(clientId, out session!);

    public BrokerSession GetOrAdd(string clientId) => _sessions.GetOrAdd(clientId, id => new BrokerSession(id, this));

    public bool Remove(BrokerSession session) => _sessions.TryRemove(new KeyValuePair<string, BrokerSession>(session.Id, session));

    public bool TryReserveQueued()
    {
        if (Interlocked.Increment(ref _queued) > Options.MaxQueuedTotal)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }

        return true;
    }

    public void ReleaseQueued(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _queued, -count);
        }
    }

    /// <summary>Whether a message's 5.0 message expiry interval has passed since the broker received it.</summary>
    public bool IsExpired(BrokerMessage message) =>
        message.Properties?.MessageExpiryInterval is uint seconds && _time.GetElapsedTime(message.ReceivedTimestamp).TotalSeconds >= seconds;

    /// <summary>Seconds of 5.0 message expiry left, for the PUBLISH sent on.</summary>
    public uint? RemainingExpiry(BrokerMessage message) =>
        message.Properties?.MessageExpiryInterval is uint seconds
            ? (uint)Math.Max(1, seconds - _time.GetElapsedTime(message.ReceivedTimestamp).TotalSeconds)
            : null;
}
