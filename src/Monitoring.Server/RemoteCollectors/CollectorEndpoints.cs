using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Collectors.Hosting;
using Monitoring.Server.Api;
using Monitoring.Server.Security;

namespace Monitoring.Server.RemoteCollectors;

/// <summary>
/// What a remote collector node asks of the server: its zone's configuration (<c>GET /api/collectors/config?zone=Z</c>,
/// with ETag / If-None-Match) and its heartbeat (<c>POST /api/collectors/heartbeat</c>). Its samples go to
/// <c>/api/v2/write</c> like any InfluxDB client's. A collector token serves its own zone only (403 otherwise).
/// </summary>
internal static class CollectorEndpoints
{
    public static void Map(RouteGroupBuilder secured)
    {
        var group = secured.MapGroup("/api/collectors").WithTags("Collectors");
        group.MapGet("/config", Config).WithName("GetCollectorConfig").Requires(Capability.Collect).SkipAudit().Produces(StatusCodes.Status304NotModified)
            .WithSummary("A zone's devices, the model and profile files they are polled with, and their SNMP credentials (secrets); ETag / If-None-Match.");
        group.MapPost("/heartbeat", Heartbeat).WithName("CollectorHeartbeat").Requires(Capability.Collect).SkipAudit()
            .WithSummary("{ zone, version, backlogBytes, oldestUnsentSeconds, devices, polls, failures, samplesDropped }: shown per zone in /healthz.");
    }

    private static Results<Ok<CollectorConfig>, StatusCodeHttpResult, Json<ErrorBody, Status403>, Problem<Status400>, Problem<Status404>> Config(
        string? zone, HttpContext context, CollectorConfigSource source)
    {
        if (!ZoneNames.IsValid(zone))
        {
            return new Problem<Status400>("zone is missing or invalid", "name the zone: ?zone=Z (letters, digits, '.', '_', '-')");
        }

        if (OtherZone(context.User, zone!) is { } refused)
        {
            return refused;
        }

        if (!source.Knows(zone!))
        {
            return new Problem<Status404>($"no device of the rooms is in zone '{zone}'", "a room file assigns devices to zones with zone: on the room, a row or a device");
        }

        var (config, etag) = source.For(zone!);
        context.Response.Headers.ETag = etag;
        context.Response.Headers.CacheControl = "no-store"; // it carries credentials
        if (context.Request.Headers.IfNoneMatch.Any(v => string.Equals(v, etag, StringComparison.Ordinal)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Ok(config);
    }

    private static Results<NoContent, Json<ErrorBody, Status403>, Problem<Status400>> Heartbeat(
        CollectorHeartbeat body, ClaimsPrincipal user, RemoteCollectorHealth health)
    {
        if (!ZoneNames.IsValid(body.Zone))
        {
            return new Problem<Status400>("zone is missing or invalid", "a heartbeat names its zone (letters, digits, '.', '_', '-')");
        }

        if (body.FailingDevices is { Count: > 10_000 } || body.Version is { Length: > 200 })
        {
            return new Problem<Status400>("heartbeat too large", "at most 10,000 failingDevices and a version of at most 200 characters");
        }

        if (OtherZone(user, body.Zone!) is { } refused)
        {
            return refused;
        }

        health.Record(body.Zone!, body);
        return TypedResults.NoContent();
    }

    /// <summary>403 when a collector token of another zone asks: a token serves its own zone only.</summary>
    private static Json<ErrorBody, Status403>? OtherZone(ClaimsPrincipal user, string zone) =>
        Principals.Zone(user) is { } own && !string.Equals(own, zone, StringComparison.Ordinal)
            ? new Json<ErrorBody, Status403>(new ErrorBody($"this collector token is bound to zone '{own}', not '{zone}'"))
            : null;
}

/// <summary>The remote collectors as one module: options, the zone registry, the endpoints, and the server's own collectors told which zones to leave alone.</summary>
internal static class CollectorModule
{
    public static WebApplicationBuilder AddRemoteCollectors(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<CollectorOptions>(CollectorOptions.Section, CollectorOptions.Validate);
        services.AddSingleton<RemoteCollectorHealth>();
        services.AddSingleton<CollectorConfigSource>();
        services.AddSingleton(sp => new RemoteZones(sp.GetRequiredService<RemoteCollectorHealth>().RemoteZones));
        return builder;
    }

    public static RouteGroupBuilder MapCollectors(this RouteGroupBuilder secured)
    {
        CollectorEndpoints.Map(secured);
        return secured;
    }
}
