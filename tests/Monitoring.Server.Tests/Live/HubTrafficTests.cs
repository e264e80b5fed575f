using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Monitoring.Server.Tests.Live;

/// <summary>
/// Issue 14 on the hub, against the real server: values go only to the connections that subscribed to the device;
/// status goes to every console of the room; a console that does not read is told to resync and what the server
/// keeps for it stays within the configured bound.
/// </summary>
public sealed class HubTrafficTests(HubFixture server) : IClassFixture<HubFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_console_that_subscribed_to_a_device_gets_its_values_one_that_did_not_gets_only_status()
    {
        await using var panel = await OfficialHub.ConnectAsync(server.BaseAddress, server.Admin.Cookies);
        await using var overview = await OfficialHub.ConnectAsync(server.BaseAddress, server.Admin.Cookies);
        await panel.Connection.InvokeAsync("JoinRoom", "demo");
        await overview.Connection.InvokeAsync("JoinRoom", "demo");
        var sw = server.FirstSwitch();
        var port = sw.Model.Ports[40].Index;
        var subscription = await panel.Connection.InvokeAsync<JsonElement>("SubscribeDevices", new[] { sw.Id });
        Assert.Equal([sw.Id], subscription.GetProperty("devices").EnumerateArray().Select(d => d.GetString()));

        await server.WriteAsync($"interface,device={sw.Id},port={port} admin_status=1i,oper_status=2i,in_bps=777\n");

        await panel.WaitForAsync("changes", c => HasValue(c, sw.Id, port, "interface.in_bps", 777), Deadline);
        await panel.WaitForAsync("changes", c => HubFixture.HasPort(c, sw.Id, port, "down"), Deadline);
        await overview.WaitForAsync("changes", c => HubFixture.HasPort(c, sw.Id, port, "down"), Deadline);
        // a round trip: anything queued for the overview console in that tick has arrived by now
        await overview.Connection.InvokeAsync("LeaveRoom", "nowhere");
        Assert.All(overview.Received.Where(r => r.Kind == "changes"), r => Assert.Equal(0, r.Message.GetProperty("values").GetArrayLength()));

        // unsubscribed: the next value does not come, the status change still does
        var left = await panel.Connection.InvokeAsync<JsonElement>("UnsubscribeDevices", new[] { sw.Id });
        Assert.Equal(0, left.GetProperty("devices").GetArrayLength());
        await server.WriteAsync($"interface,device={sw.Id},port={port} admin_status=1i,oper_status=1i,in_bps=778\n");
        await panel.WaitForAsync("changes", c => HubFixture.HasPort(c, sw.Id, port, "ok"), Deadline);
        await panel.Connection.InvokeAsync("LeaveRoom", "nowhere");
        Assert.DoesNotContain(panel.Received, r => r.Kind == "changes" && HasValue(r.Message, sw.Id, port, "interface.in_bps", 778));
    }

    [Fact]
    public async Task A_device_of_a_room_the_user_may_not_open_cannot_be_subscribed_to()
    {
        using var trainee = await server.SignInAsync("traffic.trainee", Monitoring.Server.Security.Role.Trainee);
        await using var hub = await OfficialHub.ConnectAsync(server.BaseAddress, trainee.Cookies);

        var refused = await Assert.ThrowsAsync<HubException>(() => hub.Connection.InvokeAsync<JsonElement>("SubscribeDevices", new[] { server.FirstSwitch().Id }));
        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<HubException>(() => hub.Connection.InvokeAsync<JsonElement>("SubscribeDevices", new[] { "no-such-device" }));
        Assert.Contains("no-such-device", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_console_that_does_not_read_is_told_to_resync_and_its_queue_stays_within_the_bound()
    {
        var registry = server.Registry;
        var known = registry.Connections.Select(c => c.ConnectionId).ToHashSet(StringComparer.Ordinal);
        var ported = server.Inventory.Devices.Where(d => d.RoomId == "demo" && d.Model.FindMetric("interface.in_bps") is not null && d.Model.Ports.Count > 0).ToList();
        Assert.NotEmpty(ported);
        using var slow = await RawHub.ConnectAsync(server.BaseAddress, server.Admin.Cookies);
        await slow.SendAsync(new { type = 1, target = "JoinRoom", arguments = new object[] { "demo" } });
        await slow.SendAsync(new { type = 1, target = "SubscribeDevices", arguments = new object[] { ported.Select(d => d.Id).ToArray() } });
        var connection = await ServerFixture.EventuallyAsync(
            () => Task.FromResult(registry.Connections.FirstOrDefault(c => !known.Contains(c.ConnectionId) && c.SubscriptionCount == ported.Count)),
            c => c is not null, "the slow console's subscription");

        // values for every port of every subscribed device, as fast as the server takes them; the console reads nothing
        var deadline = DateTime.UtcNow.AddSeconds(120);
        var round = 0;
        while (connection!.Resyncs == 0 && DateTime.UtcNow < deadline)
        {
            round++;
            var lines = new StringBuilder();
            foreach (var device in ported)
            {
                foreach (var port in device.Model.Ports)
                {
                    lines.Append("interface,device=").Append(device.Id).Append(",port=").Append(port.Index).Append(" in_bps=").Append(round).Append('\n');
                }
            }

            await server.WriteAsync(lines.ToString());
            await slow.SendAsync(new { type = 6 }); // a ping: the server keeps a client that still talks
            Assert.True(connection.QueuedBytes <= registry.MaxQueuedBytesPerClient + connection.LargestMessage, $"{connection.QueuedBytes} bytes queued");
        }

        Assert.True(connection.Resyncs > 0, $"no resync after {round} rounds; {connection.QueuedBytes} bytes queued, {connection.SentBytes} sent");
        Assert.True(connection.PeakQueuedBytes <= registry.MaxQueuedBytesPerClient + connection.LargestMessage,
            $"peak {connection.PeakQueuedBytes} bytes queued, bound {registry.MaxQueuedBytesPerClient} + one message of at most {connection.LargestMessage}");
        Assert.True(connection.IsOpen);

        // the console reads again: what the socket still held, then "resync"
        await slow.ReadUntilAsync(record => record.Contains("\"target\":\"resync\"", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

        // counted and shown in /healthz
        var health = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/healthz"), h => h.GetProperty("components").GetProperty("live").GetProperty("data").GetProperty("resyncs").GetInt64() > 0,
            "resyncs in /healthz");
        Assert.True(health.GetProperty("components").GetProperty("live").GetProperty("data").GetProperty("droppedMessages").GetInt64() > 0);
    }

    private static bool HasValue(JsonElement changes, string device, int port, string metric, double value) =>
        changes.GetProperty("values").EnumerateArray().Any(v =>
            v.GetProperty("device").GetString() == device && v.GetProperty("metric").GetString() == metric && v.GetProperty("value").GetDouble() == value
            && v.GetProperty("port").ValueKind == JsonValueKind.Number && v.GetProperty("port").GetInt32() == port);

    /// <summary>
    /// A hub client that can stop reading: the JSON hub protocol over a WebSocket whose TCP receive buffer is tiny, so
    /// that a client that does not read pushes back on the server at once (the official client always reads).
    /// </summary>
    private sealed class RawHub : IDisposable
    {
        private const char Separator = '\u001e';
        private readonly ClientWebSocket _socket = new();
        private readonly HttpMessageInvoker _invoker;
        private readonly StringBuilder _pending = new();

        private RawHub()
        {
            _invoker = new HttpMessageInvoker(new SocketsHttpHandler
            {
                ConnectCallback = async (context, ct) =>
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
                    try
                    {
                        await socket.ConnectAsync(context.DnsEndPoint, ct);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            });
        }

        public static async Task<RawHub> ConnectAsync(Uri baseAddress, CookieContainer cookies)
        {
            var hub = new RawHub();
            hub._socket.Options.SetRequestHeader("Cookie", cookies.GetCookieHeader(baseAddress));
            var uri = new UriBuilder(baseAddress) { Scheme = "ws", Path = "/hubs/live" }.Uri;
            await hub._socket.ConnectAsync(uri, hub._invoker, CancellationToken.None);
            await hub.SendRawAsync("{\"protocol\":\"json\",\"version\":1}");
            await hub.ReadUntilAsync(_ => true, TimeSpan.FromSeconds(10));
            return hub;
        }

        public Task SendAsync(object message) => SendRawAsync(JsonSerializer.Serialize(message, ServerFixture.Json));

        /// <summary>Reads records until one matches (the handshake answer is the first record).</summary>
        public async Task<string> ReadUntilAsync(Func<string, bool> match, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var text = _pending.ToString();
                var end = text.IndexOf(Separator, StringComparison.Ordinal);
                if (end >= 0)
                {
                    _pending.Remove(0, end + 1);
                    if (match(text[..end]))
                    {
                        return text[..end];
                    }

                    continue;
                }

                var result = await _socket.ReceiveAsync(buffer, cts.Token);
                Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
                _pending.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
        }

        public void Dispose()
        {
            _socket.Abort();
            _socket.Dispose();
            _invoker.Dispose();
        }

        private Task SendRawAsync(string json) =>
            _socket.SendAsync(Encoding.UTF8.GetBytes(json + Separator), WebSocketMessageType.Text, true, CancellationToken.None);
    }
}
