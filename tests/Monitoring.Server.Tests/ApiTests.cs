using System.Net;
using System.Text.Json;

namespace Monitoring.Server.Tests;

public sealed class ApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Healthz_reports_every_component()
    {
        var health = await server.GetJsonAsync("/healthz");

        Assert.Equal("ok", health.GetProperty("status").GetString());
        var components = health.GetProperty("components");
        Assert.Equal("ok", components.GetProperty("storage").GetProperty("state").GetString());
        Assert.Equal("ok", components.GetProperty("pipeline").GetProperty("state").GetString());
        Assert.Equal("disabled", components.GetProperty("simulator").GetProperty("state").GetString());
        Assert.Equal(server.Inventory.Devices.Count, components.GetProperty("inventory").GetProperty("devices").GetInt32());
    }

    [Fact]
    public async Task OpenApi_document_lists_every_endpoint()
    {
        var document = await server.GetJsonAsync("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var expected in new[] { "/healthz", "/api/rooms", "/api/rooms/{id}", "/api/devices/{id}", "/api/search", "/api/simulator", "/api/simulator/scenarios/{name}", "/api/v2/write", "/write" })
        {
            Assert.Contains(expected, paths);
        }
    }

    [Fact]
    public async Task Rooms_list_the_demo_room_with_its_counts()
    {
        var rooms = await server.GetJsonAsync("/api/rooms");

        var demo = rooms.EnumerateArray().Single(r => r.GetProperty("id").GetString() == "demo");
        var room = server.Inventory.FindRoom("demo")!;
        Assert.Equal(room.Devices.Count, demo.GetProperty("deviceCount").GetInt32());
        Assert.Equal(room.Racks.Count(), demo.GetProperty("rackCount").GetInt32());
        Assert.True(demo.GetProperty("rackCount").GetInt32() >= 12);
    }

    [Fact]
    public async Task Room_carries_racks_devices_and_port_layout_for_the_3d_view()
    {
        var room = await server.GetJsonAsync("/api/rooms/demo");

        var model = server.Inventory.FindRoom("demo")!;
        Assert.Equal(model.Racks.Count(), room.GetProperty("racks").GetArrayLength());
        Assert.Equal(model.Devices.Count, room.GetProperty("devices").GetArrayLength());

        var sw = server.FirstSwitch();
        var device = room.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("id").GetString() == sw.Id);
        Assert.Equal("switch", device.GetProperty("kind").GetString());
        Assert.Equal("rack", device.GetProperty("placement").GetString());
        Assert.Equal(sw.RackId, device.GetProperty("rack").GetString());
        Assert.Equal(sw.U, device.GetProperty("u").GetInt32());
        Assert.Equal(sw.Model.Ports.Count, device.GetProperty("portStatus").GetArrayLength());

        var modelJson = room.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("id").GetString() == sw.Model.Id);
        var firstPort = modelJson.GetProperty("ports")[0];
        Assert.Equal(sw.Model.Ports[0].Index, firstPort.GetProperty("index").GetInt32());
        Assert.Equal(sw.Model.Ports[0].PanelX, firstPort.GetProperty("x").GetDouble(), 6);
        Assert.Equal(sw.Model.Ports[0].PanelY, firstPort.GetProperty("y").GetDouble(), 6);
    }

    [Fact]
    public async Task Unknown_room_and_device_answer_404_with_a_problem()
    {
        using var room = await server.Http.GetAsync("/api/rooms/no-such-room");
        using var device = await server.Http.GetAsync("/api/devices/no-such-device");

        Assert.Equal(HttpStatusCode.NotFound, room.StatusCode);
        Assert.Contains("no-such-room", await room.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, device.StatusCode);
        Assert.Equal("application/problem+json", device.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Scenarios_are_refused_when_the_simulator_is_off()
    {
        using var response = await server.Http.PostAsync("/api/simulator/scenarios/mains-failure", null);
        var state = await server.GetJsonAsync("/api/simulator");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("simulator is off", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(state.GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task Search_finds_a_device_by_name_address_and_asset_tag()
    {
        var target = server.Inventory.Devices.First(d => d.Address is not null && d.AssetTag is not null);

        foreach (var query in new[] { target.Name, target.Address!, target.AssetTag!.ToLowerInvariant() })
        {
            var hits = await server.GetJsonAsync("/api/search?q=" + Uri.EscapeDataString(query));
            Assert.Equal(target.Id, hits[0].GetProperty("id").GetString());
        }

        var none = await server.GetJsonAsync("/api/search?q=" + Uri.EscapeDataString("zz-no-such-thing"));
        Assert.Equal(0, none.GetArrayLength());
    }

    [Fact]
    public async Task Device_shows_its_latest_values_with_units_and_status()
    {
        var device = server.FirstWithMetric("cpu.usage");
        var timestamp = DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeSeconds();

        using var write = await server.Http.PostAsync("/api/v2/write?bucket=b&precision=s",
            new StringContent($"cpu,device={device.Id} usage=97.5 {timestamp}\nmemory,device={device.Id} usage=41 {timestamp}\n"));
        Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);

        var detail = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync($"/api/devices/{device.Id}"),
            d => d.GetProperty("values").EnumerateArray().Any(v => v.GetProperty("metric").GetString() == "cpu.usage" && v.GetProperty("value").GetDouble() == 97.5),
            "the CPU value on the device");
        var cpu = detail.GetProperty("values").EnumerateArray().Single(v => v.GetProperty("metric").GetString() == "cpu.usage");
        Assert.Equal("%", cpu.GetProperty("unit").GetString());
        Assert.Equal("alarm", cpu.GetProperty("status").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(timestamp), cpu.GetProperty("timestamp").GetDateTimeOffset());
        Assert.Equal("alarm", detail.GetProperty("status").GetString());
        Assert.Equal(device.Model.Ports.Count, detail.GetProperty("ports").GetArrayLength());
    }
}
