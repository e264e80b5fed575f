namespace Monitoring.Collectors.Snmp.Client;

/// <summary>
/// What a manager knows of an authoritative engine (RFC 3414 §2.3): its id, boots and time at the last
/// synchronisation, and the local clock then, so the engine's current time can be estimated.
/// </summary>
internal sealed class EngineState(byte[] engineId, int boots, int time, long localTimestamp)
{
    public const int TimeWindowSeconds = 150;

    private readonly Lock _lock = new();
    private int _boots = boots;
    private int _time = time;
    private int _latestReceivedTime = time;
    private long _syncedAt = localTimestamp;

    public byte[] EngineId { get; } = engineId;

    public (int Boots, int Time) Estimate(TimeProvider clock)
    {
        lock (_lock)
        {
            var elapsed = clock.GetElapsedTime(_syncedAt, clock.GetTimestamp()).TotalSeconds;
            return (_boots, (int)Math.Min(int.MaxValue, _time + elapsed));
        }
    }

    /// <summary>Takes the agent's boots/time unconditionally (discovery, notInTimeWindow report).</summary>
    public void Resynchronise(int boots, int time, TimeProvider clock)
    {
        lock (_lock)
        {
            _boots = boots;
            _time = time;
            _latestReceivedTime = time;
            _syncedAt = clock.GetTimestamp();
        }
    }

    /// <summary>
    /// RFC 3414 §3.2 step 7b for an authenticated message from the engine: false when it is outside the time
    /// window; otherwise adopts newer boots/time.
    /// </summary>
    public bool CheckAndUpdate(int boots, int time, TimeProvider clock)
    {
        lock (_lock)
        {
            var now = clock.GetTimestamp();
            var estimated = _time + clock.GetElapsedTime(_syncedAt, now).TotalSeconds;
            if (boots == int.MaxValue || boots < _boots || (boots == _boots && time < estimated - TimeWindowSeconds))
            {
                return false;
            }

            if (boots > _boots || (boots == _boots && time > _latestReceivedTime))
            {
                _boots = boots;
                _time = time;
                _latestReceivedTime = time;
                _syncedAt = now;
            }

            return true;
        }
    }
}
