using System.Net;
using System.Text.Json;

namespace Monitoring.Server.Tests;

public sealed class LiveHubTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_console_in_the_room_receives_a_value_and_a_status_change_after_a_line_protocol_write()
    {
        await using var hub = await server.ConnectHubAsync();
        await hub.InvokeAsync("JoinRoom", "demo");
        var sw = server.FirstSwitch();
        var port = sw.Model.Ports[2];
        // values come only for devices this connection subscribed to (the console's open panel)
        await hub.InvokeAsync("SubscribeDevices", (object)new[] { sw.Id });

        using var response = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent(
            $"interface,device={sw.Id},port={port.Index} oper_status=2i,in_bps=4242\n"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        var changes = await hub.WaitForAsync("changes", c => HasValue(c, sw.Id, port.Index, "interface.in_bps", 4242), TimeSpan.FromSeconds(10));
        Assert.Equal("demo", changes.GetProperty("room").GetString());
        var portChange = changes.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("device").GetString() == sw.Id);
        Assert.Equal(port.Index, portChange.GetProperty("index").GetInt32());
        Assert.Equal("down", portChange.GetProperty("status").GetString());
        Assert.Contains(changes.GetProperty("devices").EnumerateArray(), d => d.GetProperty("id").GetString() == sw.Id && d.GetProperty("status").GetString() == "warning");
    }

    [Fact]
    public async Task Changes_are_coalesced_into_a_few_messages_however_many_writes_arrive()
    {
        await using var hub = await server.ConnectHubAsync();
        await hub.InvokeAsync("JoinRoom", "demo");
        var device = server.FirstWithMetric("memory.usage");
        await hub.InvokeAsync("SubscribeDevices", (object)new[] { device.Id });

        for (var i = 0; i < 40; i++)
        {
            using var response = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent($"memory,device={device.Id} usage={i}\n"));
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        // The last value arrives, and the messages that carried the 40 writes are far fewer than 40.
        var messages = 0;
        JsonElement last;
        do
        {
            last = await hub.WaitForAsync("changes", c => HasMetric(c, device.Id, "memory.usage"), TimeSpan.FromSeconds(10));
            messages++;
        }
        while (!HasValue(last, device.Id, null, "memory.usage", 39));

        Assert.True(messages < 40, $"{messages} messages for 40 writes: changes are not coalesced");
        Assert.Single(last.GetProperty("values").EnumerateArray(), v => v.GetProperty("device").GetString() == device.Id && v.GetProperty("metric").GetString() == "memory.usage");
    }

    [Fact]
    public async Task Joining_an_unknown_room_is_refused()
    {
        await using var hub = await server.ConnectHubAsync();

        var error = await Assert.ThrowsAsync<HubInvocationException>(() => hub.InvokeAsync("JoinRoom", "atlantis"));

        Assert.Contains("atlantis", error.Message, StringComparison.Ordinal);
    }

    private static bool HasMetric(JsonElement changes, string device, string metric) =>
        changes.GetProperty("values").EnumerateArray().Any(v => v.GetProperty("device").GetString() == device && v.GetProperty("metric").GetString() == metric);

    private static bool HasValue(JsonElement changes, string device, int? port, string metric, double value) =>
        changes.GetProperty("values").EnumerateArray().Any(v =>
            v.GetProperty("device").GetString() == device
            && v.GetProperty("metric").GetString() == metric
            && v.GetProperty("value").GetDouble() == value
            && (port is null ? v.GetProperty("port").ValueKind == JsonValueKind.Null : v.GetProperty("port").GetInt32() == port));
}
