using Monitoring.Collectors.Mqtt.Client;

namespace Monitoring.Collectors.Mqtt.Tests.Client;

public class InFlightWindowTests
{
    [Fact]
    public async Task Waiters_beyond_the_limit_wait_until_a_slot_is_released_in_arrival_order()
    {
        var window = new InFlightWindow(2);
        await window.WaitAsync(CancellationToken.None);
        await window.WaitAsync(CancellationToken.None);
        var third = window.WaitAsync(CancellationToken.None).AsTask();
        var fourth = window.WaitAsync(CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted);
        Assert.Equal(2, window.InUse);

        window.Release();
        await third.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(fourth.IsCompleted);
        window.Release();
        await fourth.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, window.InUse);
    }

    [Fact]
    public async Task A_lower_limit_from_the_broker_holds_new_publishes_until_enough_have_finished()
    {
        var window = new InFlightWindow(10);
        for (var i = 0; i < 5; i++)
        {
            await window.WaitAsync(CancellationToken.None);
        }

        window.SetLimit(3);
        var next = window.WaitAsync(CancellationToken.None).AsTask();
        window.Release();
        window.Release();
        Assert.False(next.IsCompleted);
        window.Release();
        await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(3, window.InUse);
    }

    [Fact]
    public async Task A_cancelled_waiter_takes_no_slot()
    {
        var window = new InFlightWindow(1);
        await window.WaitAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var waiting = window.WaitAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        window.Release();
        Assert.Equal(0, window.InUse);
        await window.WaitAsync(CancellationToken.None);
        Assert.Equal(1, window.InUse);
    }
}
