using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Core.Queues;

namespace Monitoring.Core.Tests.Queues;

/// <summary>The one bounded background queue: order, drop policies, counters, failures, cancellation.</summary>
public sealed class BoundedRelayTests
{
    [Fact]
    public async Task Items_are_delivered_in_order_and_counted()
    {
        var seen = new List<int>();
        var relay = new BoundedRelay<int>("test", 100, RelayDropPolicy.DropOldest, (i, _) => { seen.Add(i); return ValueTask.CompletedTask; }, NullLogger.Instance);
        for (var i = 0; i < 50; i++)
        {
            Assert.True(relay.TryEnqueue(i));
        }

        relay.Complete();
        await relay.RunAsync(CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 50), seen);
        Assert.Equal(new RelayCounters("test", 100, RelayDropPolicy.DropOldest, 50, 50, 0, 0, 0), relay.Counters);
    }

    [Fact]
    public async Task Drop_oldest_keeps_the_newest_items_and_counts_each_drop()
    {
        var seen = new List<int>();
        var relay = new BoundedRelay<int>("newest", 3, RelayDropPolicy.DropOldest, (i, _) => { seen.Add(i); return ValueTask.CompletedTask; }, NullLogger.Instance);
        for (var i = 1; i <= 5; i++)
        {
            relay.TryEnqueue(i);
        }

        Assert.Equal(2, relay.Dropped);
        Assert.Equal(3, relay.Pending);
        relay.Complete();
        await relay.RunAsync(CancellationToken.None);
        Assert.Equal([3, 4, 5], seen);
        Assert.Equal(5, relay.Enqueued);
        Assert.Equal(3, relay.Delivered);
    }

    [Fact]
    public async Task Drop_newest_keeps_what_waits_in_order_and_counts_each_refused_item()
    {
        var seen = new List<int>();
        var relay = new BoundedRelay<int>("oldest", 3, RelayDropPolicy.DropNewest, (i, _) => { seen.Add(i); return ValueTask.CompletedTask; }, NullLogger.Instance);
        for (var i = 1; i <= 5; i++)
        {
            relay.TryEnqueue(i);
        }

        Assert.Equal(2, relay.Dropped);
        relay.Complete();
        await relay.RunAsync(CancellationToken.None);
        Assert.Equal([1, 2, 3], seen);
    }

    [Fact]
    public async Task A_delivery_that_throws_is_counted_and_the_next_item_follows()
    {
        var seen = new List<int>();
        var relay = new BoundedRelay<int>(
            "failing",
            10,
            RelayDropPolicy.DropNewest,
            (i, _) => i == 2 ? throw new InvalidOperationException("bad item") : Record(seen, i),
            NullLogger.Instance);
        relay.TryEnqueue(1);
        relay.TryEnqueue(2);
        relay.TryEnqueue(3);
        relay.Complete();
        await relay.RunAsync(CancellationToken.None);
        Assert.Equal([1, 3], seen);
        Assert.Equal(1, relay.Failed);
        Assert.Equal(2, relay.Delivered);
        Assert.False(relay.TryEnqueue(4)); // completed: refused and counted
        Assert.Equal(1, relay.Dropped);
    }

    [Fact]
    public async Task Cancelling_stops_the_reader_without_an_exception()
    {
        using var cts = new CancellationTokenSource();
        var delivered = new TaskCompletionSource();
        var relay = new BoundedRelay<int>("cancel", 10, RelayDropPolicy.DropOldest, (_, _) => { delivered.TrySetResult(); return ValueTask.CompletedTask; }, NullLogger.Instance);
        var run = relay.RunAsync(cts.Token);
        relay.TryEnqueue(1);
        await delivered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(run.IsCompletedSuccessfully);
        Assert.Equal(1, relay.Delivered);
    }

    private static ValueTask Record(List<int> seen, int i)
    {
        seen.Add(i);
        return ValueTask.CompletedTask;
    }
}
