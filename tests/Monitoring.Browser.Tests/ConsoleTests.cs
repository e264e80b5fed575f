using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace Monitoring.Browser.Tests;

/// <summary>The browser console against the real server: what it draws, search, live port colours, language.</summary>
public sealed class ConsoleTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    private static readonly PageWaitForFunctionOptions Within20Seconds = new() { Timeout = 20_000 };

    [Fact]
    public async Task Console_draws_every_rack_and_device_of_the_room_in_few_draw_calls()
    {
        var room = await fixture.FirstRoomAsync();
        var page = await fixture.OpenConsoleAsync();
        try
        {
            var roomId = await page.EvaluateAsync<string>("() => window.__room.roomId");
            var racks = await page.EvaluateAsync<int>("() => window.__room.rackCount()");
            var devices = await page.EvaluateAsync<int>("() => window.__room.deviceCount()");
            var ports = await page.EvaluateAsync<int>("() => window.__room.portCount()");
            var drawCalls = await page.EvaluateAsync<int>("() => window.__room.drawCalls()");

            Assert.Equal(room.GetProperty("id").GetString(), roomId);
            Assert.Equal(room.GetProperty("racks").GetArrayLength(), racks);
            Assert.Equal(room.GetProperty("devices").GetArrayLength(), devices);
            Assert.Equal(ExpectedPortCount(room), ports);
            Assert.InRange(drawCalls, 1, 50);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Searching_a_device_by_name_selects_it_highlights_it_and_opens_its_panel_and_clicking_it_selects_it_again()
    {
        var room = await fixture.FirstRoomAsync();
        var device = FirstPortedSwitch(room);
        var id = device.GetProperty("id").GetString()!;
        var name = device.GetProperty("name").GetString()!;
        var page = await fixture.OpenConsoleAsync();
        try
        {
            Assert.Null(await page.EvaluateAsync<string?>("() => window.__room.selectedDeviceId()"));

            await page.FillAsync("#search", name);
            await page.PressAsync("#search", "Enter");
            await page.WaitForFunctionAsync("id => window.__room.selectedDeviceId() === id", id, Within20Seconds);

            Assert.Equal(id, await page.EvaluateAsync<string?>("() => window.__room.highlightedDeviceId()"));
            await page.WaitForSelectorAsync("#panel:not([hidden])", new PageWaitForSelectorOptions { Timeout = 20_000 });
            Assert.Equal(name, (await page.InnerTextAsync("#panel-title")).Trim());

            // Close the panel, then click the device where the camera put it: picking selects it again.
            await page.ClickAsync("#panel-close");
            Assert.Null(await page.EvaluateAsync<string?>("() => window.__room.selectedDeviceId()"));
            await page.WaitForFunctionAsync("() => window.__room.cameraIdle()", null, Within20Seconds);
            var position = await page.EvaluateAsync<JsonElement>("id => window.__room.findScreenPosition(id)", id);
            Assert.True(position.GetProperty("visible").GetBoolean(), "the device is on screen after the camera flew to it");
            var x = position.GetProperty("x").GetDouble();
            var y = position.GetProperty("y").GetDouble();
            var hit = await page.EvaluateAsync<JsonElement>("([x, y]) => window.__room.pickAt(x, y)", new object[] { x, y });
            Assert.True(hit.ValueKind == JsonValueKind.Object, $"nothing to pick at ({x}, {y})");
            Assert.Equal(id, hit.GetProperty("deviceId").GetString());
            await page.Mouse.ClickAsync((float)x, (float)y);
            await page.WaitForFunctionAsync("id => window.__room.selectedDeviceId() === id", id, Within20Seconds);
            await page.WaitForSelectorAsync("#panel:not([hidden])", new PageWaitForSelectorOptions { Timeout = 20_000 });
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_port_reported_down_by_line_protocol_turns_the_down_colour_and_back()
    {
        var room = await fixture.FirstRoomAsync();
        var device = FirstPortedSwitch(room);
        var id = device.GetProperty("id").GetString()!;
        var port = FirstPortIndex(room, device);
        var page = await fixture.OpenConsoleAsync();
        try
        {
            await page.WaitForFunctionAsync("() => window.__room.hubState() === 'connected'", null, Within20Seconds);
            var downColour = await page.EvaluateAsync<string>("() => window.__room.statusColors.down");
            var okColour = await page.EvaluateAsync<string>("() => window.__room.statusColors.ok");

            await WriteLineProtocolAsync($"interface,device={id},port={port} oper_status=1i");
            Assert.Equal(okColour, await PortColourAfterAsync(page, id, port, okColour));

            await WriteLineProtocolAsync($"interface,device={id},port={port} oper_status=2i");
            Assert.Equal(downColour, await PortColourAfterAsync(page, id, port, downColour));
            Assert.Equal("down", await page.EvaluateAsync<string>("([d, i]) => window.__room.portStatus(d, i)", new object[] { id, port }));

            await WriteLineProtocolAsync($"interface,device={id},port={port} oper_status=1i");
            Assert.Equal(okColour, await PortColourAfterAsync(page, id, port, okColour));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Switching_language_changes_the_interface_text_and_is_remembered()
    {
        var page = await fixture.OpenConsoleAsync("en-US");
        try
        {
            Assert.Equal("3D machine room", (await page.InnerTextAsync(".app-title")).Trim());
            Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
            Assert.Contains("Search", await page.GetAttributeAsync("#search", "placeholder"), StringComparison.Ordinal);

            await page.ClickAsync("button[data-lang=zh]");
            Assert.Equal("机房三维监控", (await page.InnerTextAsync(".app-title")).Trim());
            Assert.Equal("zh-CN", await page.GetAttributeAsync("html", "lang"));
            Assert.Contains("搜索", await page.GetAttributeAsync("#search", "placeholder"), StringComparison.Ordinal);
            Assert.Equal("正常", (await page.InnerTextAsync(".legend li[data-status=ok] span:nth-child(2)")).Trim());

            // Remembered: a reload in the same (English) browser stays Chinese.
            await page.ReloadAsync();
            await page.WaitForFunctionAsync("() => window.__room && window.__room.ready", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            Assert.Equal("zh", await page.EvaluateAsync<string>("() => window.__room.lang()"));
            Assert.Equal("机房三维监控", (await page.InnerTextAsync(".app-title")).Trim());

            await page.ClickAsync("button[data-lang=en]");
            Assert.Equal("OK", (await page.InnerTextAsync(".legend li[data-status=ok] span:nth-child(2)")).Trim());
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private async Task WriteLineProtocolAsync(string line)
    {
        using var content = new StringContent(line + "\n", Encoding.UTF8, "text/plain");
        using var response = await fixture.Ingest.PostAsync(new Uri("/api/v2/write?bucket=tests", UriKind.Relative), content);
        Assert.True(response.IsSuccessStatusCode, $"write '{line}': HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Waits (up to 20 s) for the port to be drawn in the expected colour; returns the colour drawn then.</summary>
    private static async Task<string?> PortColourAfterAsync(IPage page, string deviceId, int port, string expected)
    {
        try
        {
            await page.WaitForFunctionAsync("([d, i, c]) => window.__room.portColor(d, i) === c", new object[] { deviceId, port, expected }, Within20Seconds);
        }
        catch (TimeoutException)
        {
            // fall through: the assertion shows what is drawn instead
        }

        return await page.EvaluateAsync<string?>("([d, i]) => window.__room.portColor(d, i)", new object[] { deviceId, port });
    }

    private static JsonElement FirstPortedSwitch(JsonElement room)
    {
        var models = room.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        foreach (var device in room.GetProperty("devices").EnumerateArray())
        {
            if (device.GetProperty("kind").GetString() == "switch"
                && models[device.GetProperty("model").GetString()!].GetProperty("ports").GetArrayLength() > 0)
            {
                return device;
            }
        }

        throw new InvalidOperationException("The room has no switch with ports to test with.");
    }

    private static int FirstPortIndex(JsonElement room, JsonElement device)
    {
        var modelId = device.GetProperty("model").GetString();
        var model = room.GetProperty("models").EnumerateArray().First(m => m.GetProperty("id").GetString() == modelId);
        return model.GetProperty("ports")[0].GetProperty("index").GetInt32();
    }

    private static int ExpectedPortCount(JsonElement room)
    {
        var ports = room.GetProperty("models").EnumerateArray()
            .ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("ports").GetArrayLength());
        return room.GetProperty("devices").EnumerateArray().Sum(d => ports[d.GetProperty("model").GetString()!]);
    }
}
