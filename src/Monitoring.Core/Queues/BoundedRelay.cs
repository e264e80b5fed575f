using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Monitoring.Core.Queues;

/// <summary>What a <see cref="BoundedRelay{T}"/> lets go when it holds its capacity and another item comes.</summary>
public enum RelayDropPolicy
{
    /// <summary>The oldest waiting item goes, the new one is kept: for listeners that want the latest state (consoles).</summary>
    DropOldest,

    /// <summary>The new item is refused, what waits is kept in order: for deliveries that must not skip ahead (webhooks).</summary>
    DropNewest,
}

/// <summary>The counters of one relay, as /healthz shows them.</summary>
public sealed record RelayCounters(string Name, int Capacity, RelayDropPolicy DropPolicy, long Enqueued, long Delivered, long Failed, long Dropped, int Pending);

/// <summary>
/// A bounded background queue between a producer that must never wait (the alarm engine under its lock, the ticket
/// service) and a consumer that may be slow (a hub, a database, a webhook). <see cref="TryEnqueue"/> never blocks;
/// one reader (<see cref="RunAsync"/>) hands the items, in the order they came, to the delivery callback, one at a
/// time. When <see cref="Capacity"/> items wait, the <see cref="DropPolicy"/> decides which one goes: every drop is
/// counted (<see cref="Dropped"/>) and logged. A delivery that throws is counted (<see cref="Failed"/>) and logged and
/// the next item follows. Cancelling <see cref="RunAsync"/>'s token stops the reader; what still waits is not delivered.
/// </summary>
/// <typeparam name="T">The item relayed.</typeparam>
public sealed partial class BoundedRelay<T>
{
    private readonly Channel<T> _channel;
    private readonly Func<T, CancellationToken, ValueTask> _deliver;
    private readonly Func<T, string> _describe;
    private readonly ILogger _logger;
    private long _enqueued;
    private long _delivered;
    private long _failed;
    private long _dropped;

    /// <param name="name">Names the relay in logs and /healthz.</param>
    /// <param name="capacity">How many items may wait.</param>
    /// <param name="dropPolicy">Which item goes when <paramref name="capacity"/> wait.</param>
    /// <param name="deliver">Takes one item; called by the reader only, in order.</param>
    /// <param name="logger">Where drops and failed deliveries are logged.</param>
    /// <param name="describe">Names an item in a log line (no secrets); the type name by default.</param>
    public BoundedRelay(string name, int capacity, RelayDropPolicy dropPolicy, Func<T, CancellationToken, ValueTask> deliver, ILogger logger, Func<T, string>? describe = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentNullException.ThrowIfNull(deliver);
        ArgumentNullException.ThrowIfNull(logger);
        Name = name;
        Capacity = capacity;
        DropPolicy = dropPolicy;
        _deliver = deliver;
        _logger = logger;
        _describe = describe ?? (static item => item?.GetType().Name ?? "null");
        var options = new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
            FullMode = dropPolicy == RelayDropPolicy.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.DropWrite,
        };
        _channel = Channel.CreateBounded<T>(options, OnDropped);
    }

    public string Name { get; }

    public int Capacity { get; }

    public RelayDropPolicy DropPolicy { get; }

    /// <summary>Items taken in (dropped ones included).</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>Items the callback took without throwing.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Items whose delivery threw (logged; the reader went on).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Items let go because <see cref="Capacity"/> were waiting (each logged).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Items waiting now.</summary>
    public int Pending => _channel.Reader.Count;

    public RelayCounters Counters => new(Name, Capacity, DropPolicy, Enqueued, Delivered, Failed, Dropped, Pending);

    /// <summary>
    /// Queues an item without waiting. When <see cref="Capacity"/> items wait, the policy drops the oldest waiting one
    /// or this one (counted and logged either way). False only when the relay was completed (the item is dropped too).
    /// </summary>
    public bool TryEnqueue(T item)
    {
        Interlocked.Increment(ref _enqueued);
        if (_channel.Writer.TryWrite(item))
        {
            return true;
        }

        // completed: the item is not kept either
        Interlocked.Increment(ref _dropped);
        LogDropped(_logger, Name, _describe(item), Capacity);
        return false;
    }

    /// <summary>No more items: <see cref="RunAsync"/> ends once it has delivered what waits.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Delivers the items in order until <paramref name="cancellationToken"/> is cancelled or the relay is completed and empty.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var reader = _channel.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    try
                    {
                        await _deliver(item, cancellationToken).ConfigureAwait(false);
                        Interlocked.Increment(ref _delivered);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref _failed);
                        LogFailed(_logger, ex, Name, _describe(item));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void OnDropped(T item)
    {
        Interlocked.Increment(ref _dropped);
        LogDropped(_logger, Name, _describe(item), Capacity);
    }

    [LoggerMessage(EventId = 7100, Level = LogLevel.Warning, Message = "Relay {Relay} dropped {Item}: {Capacity} items were waiting for delivery")]
    private static partial void LogDropped(ILogger logger, string relay, string item, int capacity);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Relay {Relay} could not deliver {Item}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string relay, string item);
}
