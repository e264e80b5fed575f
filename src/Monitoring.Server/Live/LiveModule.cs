using Microsoft.AspNetCore.SignalR;

namespace Monitoring.Server.Live;

/// <summary>The live hub's services: the connection registry (bounded queues, room groups, closing on revocation), its lifetime manager, session checks.</summary>
internal static class LiveModule
{
    public static void AddLive(ISignalRServerBuilder signalR)
    {
        // beside JSON, a client may ask for MessagePack (about a third fewer bytes for status pushes: docs/PERFORMANCE.md)
        signalR.AddMessagePackProtocol();
        var services = signalR.Services;
        services.AddSingleton<HubConnectionRegistry>();
        // replaces SignalR's default for this hub only: every connection is registered for its life
        services.AddSingleton<HubLifetimeManager<LiveHub>, LiveHubLifetimeManager>();
        services.AddSingleton<LiveSessionFilter>();
        signalR.AddHubOptions<LiveHub>(hub => hub.AddFilter<LiveSessionFilter>());
        services.AddHostedService<HubSessionSweeper>();
    }
}
