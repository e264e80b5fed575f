using Microsoft.Extensions.Logging;
using Monitoring.Core.Pipeline;

namespace Monitoring.Collectors;

/// <summary>
/// Runs every device on its own schedule. Each device has its own loop: first polls are spread evenly over the
/// interval (no thundering herd at start), a poll never overlaps the previous one of the same device, a poll may
/// take at most one interval before it is cancelled, and a cap on polls in flight protects the host. A device
/// that is slow, silent or wrong delays only itself; a device whose poll overran skips the slots it missed rather
/// than piling up. Each poll's duration, outcome and lateness (slip) go to <see cref="PollHealth"/>.
/// </summary>
public sealed partial class PollScheduler(TimeProvider time, PollHealth health, ISampleSink sink, ILogger<PollScheduler> logger, int maxConcurrentPolls = 256) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(maxConcurrentPolls, maxConcurrentPolls);

    public Task RunAsync(IReadOnlyList<IDevicePoller> pollers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pollers);
        var loops = new Task[pollers.Count];
        for (var i = 0; i < pollers.Count; i++)
        {
            var poller = pollers[i];
            var offset = FirstOffset(poller, i, pollers.Count);
            loops[i] = Task.Run(() => RunDeviceAsync(poller, offset, cancellationToken), CancellationToken.None);
        }

        return Task.WhenAll(loops);
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>Spreads the first polls of n devices evenly over their interval.</summary>
    internal static TimeSpan FirstOffset(IDevicePoller poller, int position, int count) =>
        count <= 1 ? TimeSpan.Zero : poller.Interval * position / count;

    private async Task RunDeviceAsync(IDevicePoller poller, TimeSpan offset, CancellationToken cancellationToken)
    {
        var interval = poller.Interval > TimeSpan.Zero ? poller.Interval : TimeSpan.FromSeconds(60);
        var due = time.GetUtcNow() + offset;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var wait = due - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                }

                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                var start = time.GetUtcNow();
                PollResult result;
                try
                {
                    result = await PollOnceAsync(poller, interval, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _slots.Release();
                }

                var end = time.GetUtcNow();
                health.Record(poller.Collector, poller.DeviceId, start, end - start, start - due, result);
                if (result.Outcome != PollOutcome.Ok)
                {
                    LogPollFailed(logger, poller.Collector, poller.DeviceId, result.Outcome, result.Message);
                }

                due += interval;
                if (due <= end)
                {
                    // the poll overran its slot: skip to the next slot still ahead instead of firing a burst
                    var missed = (long)Math.Ceiling((end - due) / interval);
                    due += interval * Math.Max(1, missed);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<PollResult> PollOnceAsync(IDevicePoller poller, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(interval, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await poller.PollAsync(sink, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return PollResult.Failure(PollOutcome.Timeout, $"no result within {interval.TotalMilliseconds:0} ms: the poll took longer than its interval ({interval.TotalSeconds:0.#} s) and was cancelled");
        }
#pragma warning disable CA1031 // a poller's bug must cost one device one poll, not the whole collector
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return PollResult.Failure(PollOutcome.Error, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Collector} poll of {Device} failed: {Outcome} {Message}")]
    private static partial void LogPollFailed(ILogger logger, string collector, string device, PollOutcome outcome, string? message);
}
