using Monitoring.Server.Hosting;
using Monitoring.Server.Security;

namespace Monitoring.Server.Api;

/// <summary>/api/events: the latest events (SNMP notifications on devices and ports), newest first.</summary>
internal static class EventEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/events", (string? device, int? limit, NotificationLog log) =>
                TypedResults.Ok(log.Latest(string.IsNullOrEmpty(device) ? null : device, Math.Clamp(limit ?? 100, 1, log.Capacity))))
            .WithName("Events").Requires(Capability.Read)
            .WithSummary("The latest events, newest first; optionally of one device (device=ID), at most limit (default 100).");
    }
}
