using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Core.Tickets.Notices;
using Monitoring.Server.Api;
using Monitoring.Server.Security;
using Monitoring.Storage.Notices;

namespace Monitoring.Server.Tickets.Notices;

/// <summary>Wires customer progress notices: the rules and templates, the outbox, the channels, the sender, the endpoint.</summary>
public static class NoticesModule
{
    public static void Add(IServiceCollection services, string profilesDirectory)
    {
        services.AddSingleton(NoticeConfigLoader.Load(profilesDirectory));
        services.AddValidatedOptions<NoticeOptions>(NoticeOptions.Section, NoticeOptions.Validate);
        services.AddSingleton<NoticeStore>();
        services.AddSingleton<NoticeOutbox>();
        services.AddSingleton<INoticeChannel, EmailNoticeChannel>();
        services.AddSingleton<INoticeChannel, SmsWebhookNoticeChannel>();
        services.AddHostedService<NoticeSender>();
    }

    public static void Map(RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/{id:long}/notices", NoticesAsync).WithName("TicketNotices").Requires(Capability.ReadTickets)
            .WithSummary("The ticket's progress notices (customer, account manager): state pending|retrying|sent|gaveUp, attempts and each attempt's outcome.");
    }

    private static async Task<Results<Ok<IReadOnlyList<StoredNotice>>, Problem<Status404>>> NoticesAsync(long id, TicketService tickets, NoticeStore store, CancellationToken ct) =>
        await tickets.GetAsync(id, ct).ConfigureAwait(false) is null
            ? new Problem<Status404>($"no ticket {id.ToString(CultureInfo.InvariantCulture)}")
            : TypedResults.Ok(await store.ForTicketAsync(id, ct).ConfigureAwait(false));
}
