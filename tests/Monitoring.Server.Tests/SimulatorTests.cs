using Microsoft.Extensions.DependencyInjection;
using Monitoring.Storage;

namespace Monitoring.Server.Tests;

public sealed class SimulatorTests(SimulatorFixture server) : IClassFixture<SimulatorFixture>
{
    [Fact]
    public async Task The_demo_room_comes_alive_without_any_configuration()
    {
        // Every device whose model has metrics gets a status; patch panels have none and stay unknown.
        var monitored = server.Inventory.FindRoom("demo")!.Devices.Where(d => d.Model.Metrics.Count > 0).Select(d => d.Id).ToHashSet();
        var room = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/rooms/demo"),
            r => r.GetProperty("devices").EnumerateArray().Where(d => monitored.Contains(d.GetProperty("id").GetString()!)).All(d => d.GetProperty("status").GetString() != "unknown"),
            "the simulator to bring every monitored device to a known status");

        Assert.Contains(room.GetProperty("devices").EnumerateArray(), d => d.GetProperty("portStatus").EnumerateArray().Any(p => p.GetString() == "ok"));
        var health = await server.GetJsonAsync("/healthz");
        Assert.Equal("ok", health.GetProperty("components").GetProperty("simulator").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Simulated_values_keep_changing()
    {
        var device = server.FirstWithMetric("cpu.usage");
        var first = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync($"/api/devices/{device.Id}"),
            d => d.GetProperty("values").GetArrayLength() > 0,
            "the first simulated values");
        var firstStamp = first.GetProperty("lastSeen").GetDateTimeOffset();

        // the device may be polled over SNMP every 10 s rather than fed every second: give it two polls' time
        var later = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync($"/api/devices/{device.Id}"),
            d => d.GetProperty("lastSeen").GetDateTimeOffset() > firstStamp,
            "a newer simulated reading",
            timeoutMs: 30_000);

        Assert.True(later.GetProperty("lastSeen").GetDateTimeOffset() > firstStamp);
    }

    [Fact]
    public async Task The_loaded_inventory_is_recorded_in_the_database()
    {
        var store = server.App.Services.GetRequiredService<InventoryStore>();

        var devices = await store.ListDevicesAsync(CancellationToken.None);

        Assert.Equal(server.Inventory.Devices.Count, devices.Count);
        Assert.All(devices, d => Assert.Null(d.RemovedAt));
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "monitoring.db")));
    }
}
