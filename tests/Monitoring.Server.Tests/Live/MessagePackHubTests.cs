using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Monitoring.Server.Tests.Live;

/// <summary>The hub speaks MessagePack to a client that asks for it (the official .NET client's MessagePack protocol), beside JSON.</summary>
public sealed class MessagePackHubTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_MessagePack_console_in_the_room_receives_the_status_push_of_a_port_that_went_down()
    {
        var messages = Channel.CreateUnbounded<IDictionary<object, object>>();
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "/hubs/live"), options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                options.Cookies = server.Admin.Cookies;
            })
            .AddMessagePackProtocol()
            .Build();
        connection.On<IDictionary<object, object>>("changes", message => messages.Writer.TryWrite(message));
        await connection.StartAsync();
        await connection.InvokeAsync("JoinRoom", "demo");

        var sw = server.FirstSwitch();
        var port = sw.Model.Ports[7].Index;
        using (var response = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent($"interface,device={sw.Id},port={port} admin_status=1i,oper_status=2i\n")))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        // MessagePack maps keep the records' property names; the status enum travels as its name
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        IDictionary<object, object> changes;
        do
        {
            changes = await messages.Reader.ReadAsync(deadline.Token);
        }
        while (!((object[])changes["Ports"]).Cast<IDictionary<object, object>>().Any(p => (string)p["Device"] == sw.Id && Convert.ToInt32(p["Index"], System.Globalization.CultureInfo.InvariantCulture) == port && IsDown(p["Status"])));

        Assert.Equal("demo", changes["Room"]);
        Assert.Contains(((object[])changes["Devices"]).Cast<IDictionary<object, object>>(), d => (string)d["Id"] == sw.Id);
        // the server really speaks MessagePack on this connection (the only one of this fixture)
        var registry = server.App.Services.GetRequiredService<Monitoring.Server.Live.HubConnectionRegistry>();
        Assert.Equal("messagepack", Assert.Single(registry.Connections).Protocol);
    }

    /// <summary>The status enum as its name (SignalR's MessagePack resolver) or, should a resolver write numbers, its value.</summary>
    private static bool IsDown(object status) =>
        status is string name ? name == nameof(Monitoring.Core.Inventory.Status.Down) : Convert.ToInt32(status, System.Globalization.CultureInfo.InvariantCulture) == (int)Monitoring.Core.Inventory.Status.Down;
}
