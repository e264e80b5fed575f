namespace Monitoring.Collectors.Hosting;

/// <summary>One binding of a notification, as text ("INTEGER: 3").</summary>
public sealed record EventVarBind(string Oid, string Value);

/// <summary>An event: an accepted notification on a device (and port, when it names one).</summary>
public sealed record MonitoringEvent(
    long Id,
    DateTimeOffset Time,
    string Device,
    int? Port,
    string? PortName,
    string Name,
    string TrapOid,
    string Severity,
    string Source,
    string Version,
    string Kind,
    IReadOnlyList<EventVarBind> VarBinds);

/// <summary>The last <see cref="Capacity"/> events in memory, newest last; thread-safe. The alarm engine builds on these.</summary>
public sealed class NotificationLog(int capacity = 1000)
{
    private readonly MonitoringEvent?[] _ring = new MonitoringEvent?[Math.Max(1, capacity)];
    private readonly Lock _gate = new();
    private long _next;

    public int Capacity => _ring.Length;

    /// <summary>Events recorded since start (including those since dropped from memory).</summary>
    public long Total
    {
        get
        {
            lock (_gate)
            {
                return _next;
            }
        }
    }

    /// <summary>Adds an event, giving it the next id.</summary>
    public MonitoringEvent Add(Func<long, MonitoringEvent> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        lock (_gate)
        {
            var e = create(++_next);
            _ring[(int)((_next - 1) % _ring.Length)] = e;
            return e;
        }
    }

    /// <summary>The newest events first, at most <paramref name="limit"/>, optionally of one device.</summary>
    public IReadOnlyList<MonitoringEvent> Latest(string? device, int limit)
    {
        var result = new List<MonitoringEvent>(Math.Min(limit, _ring.Length));
        lock (_gate)
        {
            var count = (int)Math.Min(_next, _ring.Length);
            for (var i = 0; i < count && result.Count < limit; i++)
            {
                var e = _ring[(int)((_next - 1 - i) % _ring.Length)]!;
                if (device is null || string.Equals(e.Device, device, StringComparison.Ordinal))
                {
                    result.Add(e);
                }
            }
        }

        return result;
    }
}
