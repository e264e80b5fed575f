using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Monitoring.Core.Tickets;
using Monitoring.Core.Tickets.Notices;
using Monitoring.Storage.Notices;

namespace Monitoring.Server.Tickets.Notices;

/// <summary>
/// Delivers the outbox: one loop per channel (a slow or failing gateway holds up only its own channel), each taking up
/// to BatchSize due notices at once, every attempt with its own time limit. A failed attempt is retried after a
/// doubling backoff (RetryBaseSeconds, capped at RetryMaxSeconds) up to MaxAttempts, then given up: counted, logged,
/// shown in /healthz "notices". Every attempt is stored with the notice and pushed to consoles as a ticket event of
/// kind "notice", so the ticket's timeline shows sent, failed and retried notices. Time from the injected clock: a
/// notice held for quiet hours goes when the clock reaches its next time.
/// </summary>
internal sealed partial class NoticeSender(
    NoticeStore store,
    NoticeOutbox outbox,
    IEnumerable<INoticeChannel> channels,
    TicketService tickets,
    TicketEventPublisher publisher,
    ComponentHealth health,
    IOptions<NoticeOptions> options,
    TimeProvider time,
    ILogger<NoticeSender> logger) : BackgroundService
{
    public const string Component = "notices";

    private long _sent;
    private long _failed;
    private long _gaveUp;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var on = channels.Where(c => outbox.ChannelOn(c.Channel)).ToList();
        if (outbox.Config.IsEmpty || on.Count == 0)
        {
            health.Report(Component, ComponentState.Disabled, outbox.Config.IsEmpty
                ? "no notice templates (device-profiles/notices)"
                : "no notice channel configured (Monitoring:Notices:Email:Host, Monitoring:Notices:Sms:Url)");
            return;
        }

        await Report(stoppingToken).ConfigureAwait(false);
        await Task.WhenAll(on.Select(c => RunAsync(c, stoppingToken))).ConfigureAwait(false);
    }

    private async Task RunAsync(INoticeChannel channel, CancellationToken stop)
    {
        var o = options.Value;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var now = time.GetUtcNow();
                var due = await store.DueAsync(channel.Channel, now, o.BatchSize, stop).ConfigureAwait(false);
                if (due.Count > 0)
                {
                    await Task.WhenAll(due.Select(n => AttemptAsync(channel, n, stop))).ConfigureAwait(false);
                    await Report(stop).ConfigureAwait(false);
                    continue;
                }

                var idle = TimeSpan.FromSeconds(o.IdlePollSeconds);
                var next = await store.NextDueAsync(channel.Channel, stop).ConfigureAwait(false);
                var wait = next is { } at ? TimeSpan.FromTicks(Math.Clamp((at - now).Ticks, TimeSpan.TicksPerMillisecond, idle.Ticks)) : idle;
                await WaitAsync(channel.Channel, wait, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLoopFailed(logger, ex, channel.Channel.ToString());
                await Task.Delay(TimeSpan.FromSeconds(1), time, stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Until the wait ends on the clock or the outbox wakes the channel (a notice was committed).</summary>
    private async Task WaitAsync(NoticeChannel channel, TimeSpan wait, CancellationToken stop)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var woken = outbox.WakeOf(channel).WaitAsync(done.Token);
        var timer = Task.Delay(wait, time, done.Token);
        await Task.WhenAny(woken, timer).ConfigureAwait(false);
        await done.CancelAsync().ConfigureAwait(false);
        stop.ThrowIfCancellationRequested();
    }

    private async Task AttemptAsync(INoticeChannel channel, StoredNotice notice, CancellationToken stop)
    {
        var o = options.Value;
        var attempt = notice.Attempts + 1;
        string? error = null;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(stop))
        {
            limit.CancelAfter(TimeSpan.FromSeconds(o.SendTimeoutSeconds));
            try
            {
                await channel.SendAsync(notice, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException)
            {
                error = $"no answer within {o.SendTimeoutSeconds.ToString(CultureInfo.InvariantCulture)} s";
            }
            catch (NoticeDeliveryException ex)
            {
                error = ex.Message;
            }
        }

        var now = time.GetUtcNow();
        var state = error is null ? NoticeState.Sent : attempt >= o.MaxAttempts ? NoticeState.GaveUp : NoticeState.Retrying;
        var next = state == NoticeState.Retrying ? now + Backoff(attempt) : now;
        await store.RecordAttemptAsync(notice.Id, attempt, now, error is null, error, state, next, stop).ConfigureAwait(false);
        var what = $"{Wire(notice.Step)} {Wire(notice.Channel)} to {Wire(notice.Role)}";
        string detail;
        switch (state)
        {
            case NoticeState.Sent:
                Interlocked.Increment(ref _sent);
                LogSent(logger, notice.Id, what, attempt);
                detail = $"notice {notice.Id} ({what}) sent, attempt {attempt}";
                break;
            case NoticeState.Retrying:
                Interlocked.Increment(ref _failed);
                LogRetry(logger, notice.Id, what, attempt, error!, next);
                detail = $"notice {notice.Id} ({what}) failed, attempt {attempt}: {error}; retry at {next:u}";
                break;
            default:
                Interlocked.Increment(ref _failed);
                Interlocked.Increment(ref _gaveUp);
                LogGaveUp(logger, notice.Id, what, attempt, error!);
                detail = $"notice {notice.Id} ({what}) given up after {attempt} attempts: {error}";
                break;
        }

        var ticket = await tickets.GetAsync(notice.TicketId, stop).ConfigureAwait(false);
        publisher.Publish(new TicketEvent(TicketEventKind.Notice, notice.TicketId, "T" + notice.TicketId.ToString("D6", CultureInfo.InvariantCulture), now, Component, detail,
            ticket is null ? null : tickets.Summarize(ticket)));
    }

    private TimeSpan Backoff(int attempt)
    {
        var o = options.Value;
        var seconds = Math.Min(o.RetryMaxSeconds, o.RetryBaseSeconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromSeconds(seconds);
    }

    private async Task Report(CancellationToken cancellationToken)
    {
        var counts = await store.CountsAsync(cancellationToken).ConfigureAwait(false);
        var gaveUp = Interlocked.Read(ref _gaveUp);
        var data = new Dictionary<string, object?>
        {
            ["sent"] = Interlocked.Read(ref _sent),
            ["failedAttempts"] = Interlocked.Read(ref _failed),
            ["gaveUp"] = gaveUp,
            ["pending"] = counts[NoticeState.Pending],
            ["retrying"] = counts[NoticeState.Retrying],
            ["gaveUpStored"] = counts[NoticeState.GaveUp],
            ["channels"] = string.Join(",", channels.Where(c => outbox.ChannelOn(c.Channel)).Select(c => Wire(c.Channel))),
        };
        health.Report(
            Component,
            gaveUp > 0 ? ComponentState.Degraded : ComponentState.Ok,
            $"{data["sent"]} sent, {data["failedAttempts"]} failed attempts, {gaveUp} given up since start; {data["pending"]} pending, {data["retrying"]} retrying",
            data);
    }

    private static string Wire<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    [LoggerMessage(Level = LogLevel.Information, Message = "Notice {Id} ({What}) sent, attempt {Attempt}")]
    private static partial void LogSent(ILogger logger, long id, string what, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notice {Id} ({What}) failed, attempt {Attempt}: {Error}; retry at {Next}")]
    private static partial void LogRetry(ILogger logger, long id, string what, int attempt, string error, DateTimeOffset next);

    [LoggerMessage(Level = LogLevel.Error, Message = "Notice {Id} ({What}) given up after {Attempt} attempts: {Error}")]
    private static partial void LogGaveUp(ILogger logger, long id, string what, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Channel} notice sender failed; it goes on in 1 s")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception, string channel);
}
