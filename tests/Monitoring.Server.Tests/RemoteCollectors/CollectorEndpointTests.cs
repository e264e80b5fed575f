using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Collectors;

namespace Monitoring.Server.Tests.RemoteCollectors;

/// <summary>The real server with the zone test room: zone east is served by a remote collector (Monitoring:Collectors:RemoteZones), west is polled here.</summary>
public sealed class ZoneServerFixture : ServerFixture
{
    public ZoneServerFixture()
        : this(ZoneRoom.Create())
    {
    }

    private ZoneServerFixture(ZoneRoom room)
        : base([
            "--profiles", room.ProfilesDirectory, "--Monitoring:Modbus:Enabled", "true", "--Monitoring:Collectors:RemoteZones:0", "east",
            "--Monitoring:Collectors:LateSeconds", "1", "--Monitoring:Collectors:LostSeconds", "2"])
    {
        Room = room;
    }

    internal ZoneRoom Room { get; }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Room.DisposeAsync();
    }
}

public sealed class CollectorEndpointTests(ZoneServerFixture server) : IClassFixture<ZoneServerFixture>
{
    [Fact]
    public async Task A_zone_config_lists_its_devices_with_their_files_and_answers_304_to_its_ETag()
    {
        using var collector = await CollectorClientAsync("east");
        using var first = await collector.GetAsync("/api/collectors/config?zone=east");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var config = await first.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ZoneRoom.EastDevices, config.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        var files = config.GetProperty("files").EnumerateObject().Select(f => f.Name).ToList();
        Assert.Contains("modbus/th-fast.yaml", files);
        Assert.Contains("models/environment.yaml", files);
        Assert.DoesNotContain(files, f => f.StartsWith("rooms/", StringComparison.Ordinal)); // other zones' devices and addresses stay on the server
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/collectors/config?zone=east");
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await collector.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(etag, notModified.Headers.ETag);

        // a stale ETag gets the whole configuration again
        using var stale = new HttpRequestMessage(HttpMethod.Get, "/api/collectors/config?zone=east");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"0000\""));
        using var full = await collector.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);

        // a zone nobody's devices are in
        using var admin = await server.Http.GetAsync("/api/collectors/config?zone=nowhere");
        Assert.Equal(HttpStatusCode.NotFound, admin.StatusCode);
    }

    [Fact]
    public async Task A_token_of_zone_east_is_refused_for_zone_west_and_its_devices()
    {
        using var collector = await CollectorClientAsync("east");
        using (var config = await collector.GetAsync("/api/collectors/config?zone=west"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, config.StatusCode);
            Assert.Contains("'east'", await config.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        using (var west = await collector.PostAsync("/api/v2/write?bucket=east", Lines($"environment,device=th-east-1 temperature=21 {now}\nenvironment,device={ZoneRoom.WestDevice} temperature=22 {now}")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, west.StatusCode);
            var body = await west.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains($"'{ZoneRoom.WestDevice}'", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        // refused whole: the east line of that request was not kept either
        using (var history = await server.Http.GetAsync($"/api/series?device=th-east-1&metric=environment.temperature&from={(now / 1_000_000) - 1}&to={(now / 1_000_000) + 1}"))
        {
            var points = (await history.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("points");
            Assert.Equal(0, points.GetArrayLength());
        }

        using (var free = await collector.PostAsync("/api/v2/write?bucket=east", Lines($"custom value=1 {now}")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, free.StatusCode);
        }

        using (var own = await collector.PostAsync("/api/v2/write?bucket=east", Lines($"environment,device=th-east-1 temperature=21 {now}")))
        {
            Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);
        }

        using (var beat = await collector.PostAsJsonAsync("/api/collectors/heartbeat", new { zone = "west", version = "t", backlogBytes = 0, oldestUnsentSeconds = 0, devices = 1, polls = 1, failures = 0 }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, beat.StatusCode);
        }

        // a collector token is bound to a zone, and only a collector token is
        using (var unbound = await server.Http.PostAsJsonAsync("/api/tokens", new { name = "no zone", scopes = new[] { "collector" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unbound.StatusCode);
        }

        using (var zoned = await server.Http.PostAsJsonAsync("/api/tokens", new { name = "writer with zone", scopes = new[] { "samples:write" }, zone = "east" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, zoned.StatusCode);
        }
    }

    [Fact]
    public async Task The_server_polls_the_devices_of_its_own_zone_and_none_of_a_remote_zone()
    {
        var polls = server.App.Services.GetRequiredService<PollHealth>();
        await ServerFixture.EventuallyAsync(
            () => Task.FromResult(polls.Get(ZoneRoom.WestDevice)?.Polls ?? 0), n => n >= 3, "three polls of the west sensor by the server", 60_000);
        foreach (var east in ZoneRoom.EastDevices)
        {
            Assert.Null(polls.Get(east));
        }

        var served = server.Room.Modbus.Units;
        Assert.True(served[3].Requests > 0);
        Assert.Equal(0, served[1].Requests);
        Assert.Equal(0, served[2].Requests);
    }

    [Fact]
    public async Task A_heartbeat_shows_the_zone_ok_in_healthz_then_lost_when_it_stops_then_ok_with_the_gap()
    {
        using var collector = await CollectorClientAsync("east");
        var beat = new { zone = "east", version = "test", backlogBytes = 1234, oldestUnsentSeconds = 2.5, devices = 2, polls = 10, failures = 1, samplesDropped = 0 };
        using (var first = await collector.PostAsJsonAsync("/api/collectors/heartbeat", beat))
        {
            Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        }

        var zone = await ZoneAsync("east");
        Assert.Equal(1234, zone.GetProperty("backlogBytes").GetInt64());
        Assert.Equal(2, zone.GetProperty("devices").GetInt32());

        // LateSeconds 1, LostSeconds 2: no heartbeat for a while and the zone is lost, the server degraded
        await ServerFixture.EventuallyAsync(() => ZoneAsync("east"), z => z.GetProperty("state").GetString() == "lost", "zone east lost", 30_000);
        var health = await server.GetJsonAsync("/healthz");
        Assert.Equal("degraded", health.GetProperty("status").GetString());

        using (var back = await collector.PostAsJsonAsync("/api/collectors/heartbeat", beat with { backlogBytes = 0 }))
        {
            Assert.Equal(HttpStatusCode.NoContent, back.StatusCode);
        }

        zone = await ZoneAsync("east");
        Assert.Equal("ok", zone.GetProperty("state").GetString());
        var gap = zone.GetProperty("gaps").EnumerateArray().Last();
        Assert.Equal("lost", gap.GetProperty("worst").GetString());
        // "lost" means longer than LostSeconds (2); the seconds shown are rounded to a tenth
        Assert.True(gap.GetProperty("seconds").GetDouble() >= 2, $"a lost gap of {gap.GetProperty("seconds").GetDouble()} s");
    }

    private async Task<JsonElement> ZoneAsync(string zone) =>
        (await server.GetJsonAsync("/healthz")).GetProperty("components").GetProperty("collectors").GetProperty("zones").GetProperty(zone);

    private async Task<HttpClient> CollectorClientAsync(string zone)
    {
        using var created = await server.Http.PostAsJsonAsync("/api/tokens", new { name = "collector " + Guid.NewGuid().ToString("N")[..8], scopes = new[] { "collector" }, zone });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString();
        var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", secret);
        return http;
    }

    private static StringContent Lines(string text) => new(text, Encoding.UTF8, "text/plain");
}
