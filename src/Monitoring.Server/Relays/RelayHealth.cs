using System.Collections.Concurrent;
using Monitoring.Core.Queues;
using Monitoring.Server.Hosting;

namespace Monitoring.Server.Relays;

/// <summary>
/// The server's bounded background queues (<see cref="BoundedRelay{T}"/>), for /healthz's "relays" component: per
/// relay its capacity, drop policy and counters. A relay that has dropped anything makes the component degraded.
/// <list type="bullet">
/// <item>alarms→hub: alarm events and mute changes to the consoles; 65,536, drop oldest (a console re-reads the active alarms on reconnect).</item>
/// <item>alarms→tickets: alarm events to the ticket service; 10,000, drop oldest.</item>
/// <item>tickets→hub+notifiers: ticket events to consoles and notifiers; 10,000, drop oldest (consoles re-read tickets on reconnect).</item>
/// <item>webhook:NAME: per webhook target, alarm and ticket events it wants; 10,000, drop newest (what waits is sent in order).</item>
/// </list>
/// </summary>
public sealed class RelayHealth
{
    private readonly ConcurrentDictionary<string, Func<RelayCounters>> _relays = new(StringComparer.Ordinal);

    public void Add<T>(BoundedRelay<T> relay)
    {
        ArgumentNullException.ThrowIfNull(relay);
        var key = relay.Name;
        for (var n = 2; _relays.ContainsKey(key); n++)
        {
            key = $"{relay.Name}#{n}"; // two webhooks may share a name
        }

        var shown = key;
        _relays[shown] = () => relay.Counters with { Name = shown };
    }

    public IReadOnlyList<RelayCounters> Snapshot() => [.. _relays.Values.Select(c => c()).OrderBy(c => c.Name, StringComparer.Ordinal)];

    public bool AnyDropped => _relays.Values.Any(c => c().Dropped > 0);

    /// <summary>Degraded once any relay has dropped an item (each drop was also logged).</summary>
    public ComponentState State => AnyDropped ? ComponentState.Degraded : ComponentState.Ok;

    /// <summary>The "relays" component of /healthz.</summary>
    public object Describe()
    {
        var relays = Snapshot();
        return new
        {
            state = relays.Any(r => r.Dropped > 0) ? ComponentState.Degraded : ComponentState.Ok,
            relays = relays.ToDictionary(
                r => r.Name,
                r => (object)new
                {
                    capacity = r.Capacity,
                    dropPolicy = r.DropPolicy,
                    pending = r.Pending,
                    enqueued = r.Enqueued,
                    delivered = r.Delivered,
                    failed = r.Failed,
                    dropped = r.Dropped,
                },
                StringComparer.Ordinal),
        };
    }
}
