using Microsoft.Extensions.Options;
using Monitoring.Core.Tickets;
using Monitoring.Core.Tickets.Notices;

namespace Monitoring.Server.Tickets.Notices;

/// <summary>
/// The ticket service's side of the notices: plans the notices a ticket command made due (on the channels that are
/// on), for the ticket store to write in the same transaction as the step, and wakes the sender once they are committed.
/// </summary>
public sealed class NoticeOutbox(NoticeConfig config, ServiceConfig service, IOptions<NoticeOptions> options, IOptions<SiteOptions> site)
{
    private readonly SemaphoreSlim[] _wake = [new(0, 1), new(0, 1)];

    public NoticeConfig Config => config;

    public bool ChannelOn(NoticeChannel channel) => channel switch
    {
        NoticeChannel.Email => options.Value.Email.Enabled,
        _ => options.Value.Sms.Enabled,
    };

    public IReadOnlyList<NoticeDraft> Plan(Ticket? previous, Ticket updated, DateTimeOffset now)
    {
        if (config.IsEmpty || !(ChannelOn(NoticeChannel.Email) || ChannelOn(NoticeChannel.Sms)))
        {
            return [];
        }

        var drafts = NoticePlanner.Plan(previous, updated, config, now, site.Value.Zone, team => service.FindTeam(team)?.Name);
        return drafts.Any(d => !ChannelOn(d.Channel)) ? [.. drafts.Where(d => ChannelOn(d.Channel))] : drafts;
    }

    /// <summary>The drafts were committed: their channels' senders look at the outbox now.</summary>
    public void Committed(IReadOnlyList<NoticeDraft> drafts)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        foreach (var channel in drafts.Select(d => d.Channel).Distinct())
        {
            Wake(channel);
        }
    }

    public void Wake(NoticeChannel channel)
    {
        var gate = _wake[(int)channel];
        if (gate.CurrentCount == 0)
        {
            try
            {
                gate.Release();
            }
            catch (SemaphoreFullException)
            {
                // woken by someone else meanwhile: one wake is enough
            }
        }
    }

    internal SemaphoreSlim WakeOf(NoticeChannel channel) => _wake[(int)channel];
}
