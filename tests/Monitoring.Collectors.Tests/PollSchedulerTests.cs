using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Tests;

public sealed class PollSchedulerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
    private readonly PollHealth _health = new();
    private readonly NullSink _sink = new();

    [Fact]
    public async Task A_silent_device_delays_nobody_and_is_reported_as_timing_out()
    {
        var healthy = new ScriptedPoller("healthy", _time, _ => ValueTask.FromResult(PollResult.Success(3)));
        var silent = new ScriptedPoller("silent", _time, async ct =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, ct);
            return PollResult.Success(0);
        });

        await RunForAsync([silent, healthy], TimeSpan.FromSeconds(60));

        Assert.InRange(healthy.Calls, 6, 7);
        var healthyState = _health.Get("healthy")!;
        Assert.Equal(PollOutcome.Ok, healthyState.LastOutcome);
        Assert.True(healthyState.LastSlip < TimeSpan.FromSeconds(1), $"healthy device slipped {healthyState.LastSlip}");
        var silentState = _health.Get("silent")!;
        Assert.Equal(PollOutcome.Timeout, silentState.LastOutcome);
        Assert.Contains("longer than its interval", silentState.LastMessage, StringComparison.Ordinal);
        Assert.True(silentState.ConsecutiveFailures >= 2);
        Assert.Null(silentState.LastSuccess);
    }

    [Fact]
    public async Task A_poller_that_throws_costs_one_poll_and_keeps_its_schedule()
    {
        var calls = 0;
        var flaky = new ScriptedPoller("flaky", _time, _ => ++calls == 1 ? throw new InvalidOperationException("bug in a profile") : ValueTask.FromResult(PollResult.Success(1)));

        await RunForAsync([flaky], TimeSpan.FromSeconds(25));

        var state = _health.Get("flaky")!;
        Assert.Equal(PollOutcome.Ok, state.LastOutcome);
        Assert.Equal(1, state.Failures);
        Assert.Equal(0, state.ConsecutiveFailures);
        Assert.Equal(3, state.Polls);
    }

    [Fact]
    public void First_polls_are_spread_over_the_interval()
    {
        var pollers = Enumerable.Range(0, 4).Select(i => new ScriptedPoller($"d{i}", _time, _ => ValueTask.FromResult(PollResult.Success(0)))).ToArray();

        var offsets = pollers.Select((p, i) => PollScheduler.FirstOffset(p, i, pollers.Length)).ToArray();

        Assert.Equal([TimeSpan.Zero, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7.5)], offsets);
    }

    [Fact]
    public async Task A_poll_that_overruns_its_slot_skips_the_missed_slots_instead_of_bursting()
    {
        var slow = new ScriptedPoller("slow", _time, async _ =>
        {
            await Task.Delay(TimeSpan.FromSeconds(25), _time, CancellationToken.None); // ignores cancellation on purpose
            return PollResult.Success(1);
        });

        await RunForAsync([slow], TimeSpan.FromSeconds(59));

        // starts at 0 and 30 (not 0, 25, 25+): each start on a slot boundary, none back to back
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromSeconds(30)], slow.Starts.Select(s => s - slow.Starts[0]).ToArray());
    }

    [Fact]
    public void Health_counts_failures_and_remembers_the_last_success()
    {
        var at = _time.GetUtcNow();
        _health.Record("snmp", "sw-1", at, TimeSpan.FromMilliseconds(40), TimeSpan.Zero, PollResult.Success(10));
        _health.Record("snmp", "sw-1", at.AddSeconds(10), TimeSpan.FromSeconds(3), TimeSpan.Zero, PollResult.Failure(PollOutcome.AuthenticationFailed, "wrong community"));
        _health.Record("snmp", "sw-1", at.AddSeconds(20), TimeSpan.FromSeconds(3), TimeSpan.Zero, PollResult.Failure(PollOutcome.Timeout, "no answer"));

        var state = _health.Get("sw-1")!;

        Assert.Equal(3, state.Polls);
        Assert.Equal(2, state.Failures);
        Assert.Equal(2, state.ConsecutiveFailures);
        Assert.Equal(at.AddMilliseconds(40), state.LastSuccess);
        Assert.Equal(PollOutcome.Timeout, state.LastOutcome);
        Assert.Equal("no answer", state.LastMessage);
    }

    private async Task RunForAsync(IReadOnlyList<IDevicePoller> pollers, TimeSpan duration)
    {
        using var scheduler = new PollScheduler(_time, _health, _sink, NullLogger<PollScheduler>.Instance);
        using var stop = new CancellationTokenSource();
        var run = scheduler.RunAsync(pollers, stop.Token);
        var step = TimeSpan.FromMilliseconds(500);
        for (var elapsed = TimeSpan.Zero; elapsed <= duration; elapsed += step)
        {
            await Settle();
            _time.Advance(step);
        }

        await Settle();
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Lets the loops woken by the fake clock run to their next wait.</summary>
    private static async Task Settle()
    {
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(2);
        }
    }

    private sealed class ScriptedPoller(string id, TimeProvider clock, Func<CancellationToken, ValueTask<PollResult>> poll) : IDevicePoller
    {
        public string DeviceId => id;

        public string Collector => "test";

        public TimeSpan Interval => PollSchedulerTests.Interval;

        public int Calls { get; private set; }

        public List<DateTimeOffset> Starts { get; } = [];

        public ValueTask<PollResult> PollAsync(ISampleSink sink, CancellationToken cancellationToken)
        {
            Calls++;
            Starts.Add(clock.GetUtcNow());
            return poll(cancellationToken);
        }
    }

    private sealed class NullSink : ISampleSink
    {
        public ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
        {
            batch.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
