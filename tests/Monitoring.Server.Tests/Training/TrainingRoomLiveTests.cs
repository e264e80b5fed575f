using System.Net;
using System.Text;
using System.Text.Json;
using Monitoring.Core.Simulation;

namespace Monitoring.Server.Tests.Training;

/// <summary>
/// The running demo (simulator on: SNMP agents, Modbus servers, MQTT probes, the line-protocol feed) with the shipped
/// training room beside the live one: the live room fills with data, the training room gets none from any collector or
/// simulator, the ingest refuses samples for it, and no live alarm names it.
/// </summary>
public sealed class TrainingRoomLiveTests(SimulatorFixture server) : IClassFixture<SimulatorFixture>
{
    private async Task<bool> SeenAsync(string deviceId)
    {
        var device = await server.GetJsonAsync($"/api/devices/{deviceId}");
        return device.TryGetProperty("lastSeen", out var seen) && seen.ValueKind == JsonValueKind.String;
    }

    [Fact]
    public async Task The_live_collectors_and_simulators_feed_the_demo_room_and_never_the_training_room()
    {
        // one device of each live source: SNMP (switch), Modbus (sensor, UPS), MQTT (leak probe), the line feed (patch panel has none; a PDU is SNMP)
        string[] live = ["asw-a02", "th-b01", "ups-1", "leak-1", "srv-b01-u04"];
        await ServerFixture.EventuallyAsync(
            async () => (await Task.WhenAll(live.Select(SeenAsync))).All(s => s),
            all => all,
            "a reading from every live source",
            timeoutMs: 90_000);

        var training = server.Inventory.Rooms.Single(r => r.Training);
        Assert.Equal("training", training.Id);
        foreach (var device in training.Devices)
        {
            Assert.False(await SeenAsync(device.Id), $"training device {device.Id} received a live reading");
        }

        var alarms = await server.GetJsonAsync("/api/alarms");
        Assert.DoesNotContain(alarms.EnumerateArray(), a => a.GetProperty("target").GetProperty("roomId").GetString() == "training");
    }

    [Fact]
    public async Task A_line_for_a_training_room_device_is_refused_with_a_400_naming_the_room()
    {
        using var content = new StringContent("probe,device=tr-leak-1 leak=1i\n", Encoding.UTF8, "text/plain");
        using var response = await server.Http.PostAsync("/api/v2/write?precision=s", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("training room 'training'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await SeenAsync("tr-leak-1"));
    }

    [Fact]
    public async Task The_simulator_runs_exactly_the_scenarios_drills_may_name()
    {
        var state = await server.GetJsonAsync("/api/simulator");

        Assert.Equal(
            ScenarioCatalog.RoomScenarios.Order(StringComparer.Ordinal),
            state.GetProperty("scenarios").EnumerateArray().Select(s => s.GetString()!).Order(StringComparer.Ordinal));
    }
}
