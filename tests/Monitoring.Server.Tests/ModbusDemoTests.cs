using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Simulator.Modbus;

namespace Monitoring.Server.Tests;

/// <summary>The demo server with its simulator: the Modbus devices' values arrive through the Modbus collector over TCP.</summary>
public sealed class ModbusDemoFixture : ServerFixture
{
    public ModbusDemoFixture()
        : base(["--Monitoring:Simulator:IntervalSeconds", "1"])
    {
    }

    public override bool Simulator => true;

    public ModbusDemoRoom Room => App.Services.GetRequiredService<ModbusDemoRoom>();
}

public sealed class ModbusDemoTests(ModbusDemoFixture server) : IClassFixture<ModbusDemoFixture>
{
    [Fact]
    public async Task The_ups_values_arrive_through_modbus_and_healthz_lists_the_collector_with_every_device_ok()
    {
        var served = server.Room.ServedDeviceIds;
        Assert.Contains("ups-1", served);
        Assert.Contains("th-hot-aisle", served);
        Assert.Contains("lamp-1", served);

        var ups = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/devices/ups-1"),
            d => Value(d, "ups.load") is not null && Value(d, "ups.mode") is not null,
            "ups-1 to show ups.load and ups.mode");
        Assert.InRange(Value(ups, "ups.load")!.Value, 30, 60);
        Assert.Equal(1, Value(ups, "ups.mode"));

        var health = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/healthz"),
            h => Modbus(h) is { } m && m.GetProperty("devices").GetInt32() == served.Count && m.GetProperty("ok").GetInt32() == served.Count,
            "every Modbus device to have answered a poll",
            timeoutMs: 15_000);
        var modbus = Modbus(health)!.Value;
        Assert.Equal(0, modbus.GetProperty("failing").GetInt32());
        Assert.Empty(modbus.GetProperty("failingDevices").EnumerateArray());
        Assert.Equal("ok", health.GetProperty("components").GetProperty("modbus").GetProperty("state").GetString());
    }

    [Fact]
    public async Task The_line_protocol_feed_leaves_the_modbus_devices_to_the_collector()
    {
        // the sensors' values come from Modbus polls (every 5 s), not from the 1 s line-protocol feed: the int16 x10
        // registers give them one decimal, where the feed would write arbitrary doubles
        var sensor = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/devices/th-b04"),
            d => Value(d, "environment.temperature") is not null,
            "th-b04 to show a temperature");
        var temperature = Value(sensor, "environment.temperature")!.Value;
        Assert.Equal(Math.Round(temperature, 1), temperature, 9);
        var humidity = Value(sensor, "environment.humidity")!.Value;
        Assert.Equal(Math.Round(humidity, 1), humidity, 9);
    }

    [Fact]
    public async Task A_mains_failure_scripted_through_the_api_shows_the_ups_on_battery_and_in_alarm_in_the_room()
    {
        await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/devices/ups-2"),
            d => Value(d, "ups.mode") == 1,
            "ups-2 online first");

        using (var fail = await server.Http.PostAsync("/api/simulator/scenarios/mains-failure", null))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, fail.StatusCode);
        }

        try
        {
            var ups = await ServerFixture.EventuallyAsync(
                () => server.GetJsonAsync("/api/devices/ups-2"),
                d => Value(d, "ups.mode") == 2 && d.GetProperty("status").GetString() == "alarm",
                "ups-2 on battery and in alarm",
                timeoutMs: 15_000);
            Assert.Equal(0, Value(ups, "ups.input_voltage"));
            Assert.True((await server.GetJsonAsync("/api/simulator")).GetProperty("mainsFailed").GetBoolean());

            // what the 3D room draws from: the UPS in the room view carries the alarm status
            var room = await server.GetJsonAsync("/api/rooms/demo");
            var inRoom = room.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("id").GetString() == "ups-2");
            Assert.Equal("alarm", inRoom.GetProperty("status").GetString());
        }
        finally
        {
            using var restore = await server.Http.PostAsync("/api/simulator/scenarios/mains-restore", null);
            Assert.Equal(System.Net.HttpStatusCode.NoContent, restore.StatusCode);
        }

        await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/devices/ups-2"),
            d => Value(d, "ups.mode") == 1,
            "ups-2 back online after the restore",
            timeoutMs: 15_000);
    }

    [Fact]
    public async Task An_unknown_scenario_is_refused_with_the_known_ones()
    {
        using var response = await server.Http.PostAsync("/api/simulator/scenarios/meteor-strike", null);

        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("mains-failure", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static double? Value(JsonElement device, string metric)
    {
        foreach (var value in device.GetProperty("values").EnumerateArray())
        {
            if (value.GetProperty("metric").GetString() == metric)
            {
                return value.GetProperty("value").GetDouble();
            }
        }

        return null;
    }

    private static JsonElement? Modbus(JsonElement health) =>
        health.GetProperty("components").GetProperty("collectors").GetProperty("collectors").TryGetProperty("modbus", out var m) ? m : null;
}
