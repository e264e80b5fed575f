using Microsoft.Extensions.DependencyInjection.Extensions;
using Monitoring.Collectors.Hosting;
using Monitoring.Core.Tickets;
using Monitoring.Storage.Tickets;

namespace Monitoring.Server.Tickets;

/// <summary>Wires the tickets feature: configuration, store, service, clock, events, endpoints; and the alarm bridge when it is compiled in.</summary>
public static partial class TicketsModule
{
    public static void AddTickets(IServiceCollection services, string profilesDirectory)
    {
        var config = ServiceConfigLoader.Load(profilesDirectory);
        services.AddSingleton(config);
        services.AddValidatedOptions<SiteOptions>(SiteOptions.Section, SiteOptions.Validate); // the site's time zone, for the reports' days
        services.AddSingleton<TicketStore>();
        services.AddSingleton<TicketService>();
        services.TryAddSingleton<Relays.RelayHealth>(); // the publisher's queue shows in /healthz "relays"
        services.AddSingleton<TicketEventPublisher>();
        services.AddHostedService<TicketClockService>();
        services.AddHostedService(sp => sp.GetRequiredService<TicketEventPublisher>());
        Notices.NoticesModule.Add(services, profilesDirectory); // customer progress notices (issue 23)
        AddAlarmBridge(services);
    }

    public static void Map(RouteGroupBuilder secured)
    {
        ArgumentNullException.ThrowIfNull(secured);
        TicketEndpoints.Map(secured.MapGroup("/api/tickets").WithTags("Tickets"));
        Notices.NoticesModule.Map(secured.MapGroup("/api/tickets").WithTags("Tickets"));
        TeamEndpoints.Map(secured.MapGroup("/api/teams").WithTags("Tickets"));
        ReportEndpoints.Map(secured.MapGroup("/api/reports").WithTags("Reports"));
    }

    /// <summary>Implemented in AlarmTicketBridge.cs, which compiles only against the alarm engine's contracts.</summary>
    static partial void AddAlarmBridge(IServiceCollection services);
}

/// <summary>An active alarm as the hotline form's interception shows it.</summary>
public sealed record ActiveAlarmView(long Id, string Severity, string Message, string DeviceId, int? Port, string RoomId, string? RackId, DateTimeOffset RaisedAt, long? TicketId)
{
    /// <summary>The message in English, null when the rule has none (show <see cref="Message"/>).</summary>
    public string? MessageEn { get; init; }
}

/// <summary>Active alarms for interception; registered by the alarm bridge when the alarm engine is present.</summary>
public interface IActiveAlarmSource
{
    IReadOnlyList<ActiveAlarmView> Active { get; }
}
