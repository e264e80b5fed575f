using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>A 0U rack PDU of the demo room is drawn in its rack: a vertical strip inside the rack, found and picked there.</summary>
public sealed class ZeroUPduTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private static readonly PageWaitForFunctionOptions Within20Seconds = new() { Timeout = 20_000 };

    [Fact]
    public async Task A_0U_pdu_is_drawn_upright_inside_its_rack_and_can_be_found_and_picked_there()
    {
        var room = await fixture.FirstRoomAsync();
        var pdu = room.GetProperty("devices").EnumerateArray().First(d => d.TryGetProperty("zeroU", out var side) && side.ValueKind == JsonValueKind.String);
        var id = pdu.GetProperty("id").GetString()!;
        var rackId = pdu.GetProperty("rack").GetString()!;
        var rack = room.GetProperty("racks").EnumerateArray().First(r => r.GetProperty("id").GetString() == rackId);
        var page = await fixture.OpenConsoleAsync();
        try
        {
            var box = await page.EvaluateAsync<JsonElement>("id => window.__room.deviceBounds(id)", id);
            Assert.True(box.ValueKind == JsonValueKind.Object, $"{id} is not drawn");
            var min = box.GetProperty("min").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var max = box.GetProperty("max").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            // inside the rack's footprint (a circle around its centre that holds the whole cabinet, whatever its facing)
            var (cx, cz) = (rack.GetProperty("x").GetDouble(), rack.GetProperty("z").GetDouble());
            var reach = Math.Sqrt(Math.Pow(rack.GetProperty("width").GetDouble() / 2, 2) + Math.Pow(rack.GetProperty("depth").GetDouble() / 2, 2));
            foreach (var (x, z) in new[] { (min[0], min[2]), (max[0], max[2]), ((min[0] + max[0]) / 2, (min[2] + max[2]) / 2) })
            {
                Assert.True(Math.Sqrt(Math.Pow(x - cx, 2) + Math.Pow(z - cz, 2)) <= reach, $"{id} at ({x:0.00}, {z:0.00}) is outside rack {rackId} at ({cx}, {cz})");
            }

            // upright: most of the rack's height, and thin
            var rackHeight = rack.GetProperty("heightU").GetInt32() * 0.04445;
            Assert.InRange(max[1] - min[1], rackHeight * 0.8, rackHeight);
            Assert.True(Math.Max(max[0] - min[0], max[2] - min[2]) < 0.1, "a 0U PDU is a narrow strip");

            // search flies the camera to it; it is on screen and a click there picks it
            await page.FillAsync("#search", pdu.GetProperty("name").GetString()!);
            await page.PressAsync("#search", "Enter");
            await page.WaitForFunctionAsync("id => window.__room.selectedDeviceId() === id", id, Within20Seconds);
            await page.WaitForFunctionAsync("() => window.__room.cameraIdle()", null, Within20Seconds);
            var position = await page.EvaluateAsync<JsonElement>("id => window.__room.findScreenPosition(id)", id);
            Assert.True(position.GetProperty("visible").GetBoolean(), "the 0U PDU is on screen after the camera flew to it");
            var hit = await page.EvaluateAsync<JsonElement>("([x, y]) => window.__room.pickAt(x, y)", new object[] { position.GetProperty("x").GetDouble(), position.GetProperty("y").GetDouble() });
            Assert.True(hit.ValueKind == JsonValueKind.Object, "nothing to pick where the 0U PDU is drawn");
            Assert.Equal(id, hit.GetProperty("deviceId").GetString());
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
