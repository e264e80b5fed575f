using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Core.Alarms;
using Monitoring.Server.Alarms;
using Monitoring.Server.Api;
using Monitoring.Server.Security;
using Monitoring.Server.Tests.Live;
using Monitoring.Storage.History;

namespace Monitoring.Server.Tests.Security;

/// <summary>
/// Issue 18 item 5: the trainee rule (training rooms only) is one rule on the server (Principals.SeesEveryRoom /
/// MaySee), and search, history, the alarm list and the hub follow it. The demo room is not a training room: a trainee
/// gets nothing of it through any of these, over HTTP and over the hub with the official SignalR client; the same
/// filters, given a trainee, drop the room's devices and alarms even where the role would let the call through.
/// </summary>
public sealed class TraineeRoomTests(HubFixture server) : IClassFixture<HubFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static ClaimsPrincipal Principal(Role role) =>
        new(new ClaimsIdentity([new Claim(Permissions.ClaimName, "rule." + Permissions.RoleName(role)), new Claim(Permissions.ClaimRole, Permissions.RoleName(role))], "test"));

    /// <summary>An answer that is refused, or carries nothing that names the room's device.</summary>
    private static async Task AssertNothingOfAsync(HttpResponseMessage response, string deviceId, string roomId)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(deviceId, text, StringComparison.Ordinal);
        if (response.IsSuccessStatusCode)
        {
            Assert.DoesNotContain($"\"{roomId}\"", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_trainee_gets_nothing_of_a_non_training_room_from_search_history_alarms_or_the_hub()
    {
        var sw = server.FirstSwitch();
        var port = sw.Model.Ports[40].Index;
        Assert.False(server.Inventory.FindRoom(sw.RoomId)!.Training);

        using var trainee = await server.SignInAsync("rule.trainee", Role.Trainee);
        using var viewer = await server.SignInAsync("rule.viewer", Role.Viewer);
        await using var traineeHub = await OfficialHub.ConnectAsync(server.BaseAddress, trainee.Cookies);
        await using var viewerHub = await OfficialHub.ConnectAsync(server.BaseAddress, viewer.Cookies);
        await viewerHub.Connection.InvokeAsync("JoinRoom", sw.RoomId);

        // the trainee may not join the room, so no "changes" of it either
        var join = await Assert.ThrowsAsync<HubException>(() => traineeHub.Connection.InvokeAsync("JoinRoom", sw.RoomId));
        Assert.Contains("403", join.Message, StringComparison.Ordinal);

        // a port goes down in the demo room: a status change, an alarm, and a ticket on the switch
        await server.WriteAsync($"interface,device={sw.Id},port={port} admin_status=1i,oper_status=2i\n");
        using var created = await server.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", description = "trainee rule: port down", deviceId = sw.Id });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var ticketId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("summary").GetProperty("id").GetInt64();
        await viewerHub.WaitForAsync("changes", c => HubFixture.HasPort(c, sw.Id, port, "down"), Deadline);
        await viewerHub.WaitForAsync("alarm", a => HubFixture.IsPortAlarm(a, sw.Id, port), Deadline);
        await viewerHub.WaitForAsync("ticket", t => t.GetProperty("ticketId").GetInt64() == ticketId, Deadline);

        // HTTP: search, history and the alarm list give the trainee nothing of the room; the viewer sees it
        using (var search = await trainee.Http.GetAsync($"/api/search?q={Uri.EscapeDataString(sw.Id)}"))
        {
            await AssertNothingOfAsync(search, sw.Id, sw.RoomId);
        }

        using (var history = await trainee.Http.GetAsync($"/api/series?device={Uri.EscapeDataString(sw.Id)}&metric=interface.oper_status&port={port}"))
        {
            Assert.NotEqual(HttpStatusCode.OK, history.StatusCode);
            await AssertNothingOfAsync(history, sw.Id, sw.RoomId);
        }

        using (var alarms = await trainee.Http.GetAsync("/api/alarms"))
        {
            await AssertNothingOfAsync(alarms, sw.Id, sw.RoomId);
        }

        Assert.Contains((await viewer.Http.GetFromJsonAsync<JsonElement>($"/api/search?q={Uri.EscapeDataString(sw.Id)}")).EnumerateArray(), h => h.GetProperty("id").GetString() == sw.Id);
        Assert.Contains((await viewer.Http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray(), a => a.GetProperty("target").GetProperty("deviceId").GetString() == sw.Id);

        // the hub: the alarm snapshot is refused or empty of the room, and no broadcast of the room reached the trainee
        try
        {
            var snapshot = await traineeHub.Connection.InvokeAsync<JsonElement>("GetAlarms");
            Assert.DoesNotContain(snapshot.GetProperty("alarms").EnumerateArray(), a => a.GetProperty("target").GetProperty("roomId").GetString() == sw.RoomId);
        }
        catch (HubException refused)
        {
            Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        }

        // a round trip on the trainee's connection: whatever was queued for it before has arrived by now
        await traineeHub.Connection.InvokeAsync("LeaveRoom", sw.RoomId);
        Assert.DoesNotContain(traineeHub.Received, r => r.Message.GetRawText().Contains(sw.Id, StringComparison.Ordinal));
        Assert.DoesNotContain(traineeHub.Received, r => r.Kind is "changes" or "alarm" or "ticket");
        await server.WriteAsync($"interface,device={sw.Id},port={port} admin_status=1i,oper_status=1i\n");
    }

    [Fact]
    public async Task The_one_rule_filters_search_history_and_alarms_for_a_trainee_whatever_the_role_lets_through()
    {
        var sw = server.FirstSwitch();
        var port = sw.Model.Ports[41].Index;
        var trainee = Principal(Role.Trainee);
        var viewer = Principal(Role.Viewer);
        Assert.False(Principals.SeesEveryRoom(trainee));
        Assert.True(Principals.SeesEveryRoom(viewer));
        Assert.False(Principals.MaySee(trainee, server.Inventory, sw.RoomId));
        Assert.False(Principals.MaySee(trainee, server.Inventory, null));
        Assert.True(Principals.MaySee(viewer, server.Inventory, sw.RoomId));

        // search: the endpoint's own filter
        Assert.Empty(InventoryEndpoints.Search(server.Inventory, sw.Id, 20, d => Principals.MaySee(trainee, server.Inventory, d.RoomId)));
        Assert.Contains(InventoryEndpoints.Search(server.Inventory, sw.Id, 20, d => Principals.MaySee(viewer, server.Inventory, d.RoomId)), h => h.Id == sw.Id);

        // history: the handler answers a trainee 404 for the room's device, a viewer 200
        var services = server.App.Services;
        var store = services.GetRequiredService<ISeriesReader>();
        var time = services.GetRequiredService<TimeProvider>();
        var refused = await HistoryEndpoints.GetAsync(sw.Id, "interface.oper_status", port.ToString(System.Globalization.CultureInfo.InvariantCulture), null, null, null, server.Inventory, store, time, trainee, CancellationToken.None);
        var allowed = await HistoryEndpoints.GetAsync(sw.Id, "interface.oper_status", port.ToString(System.Globalization.CultureInfo.InvariantCulture), null, null, null, server.Inventory, store, time, viewer, CancellationToken.None);
        Assert.Equal(StatusCodes.Status404NotFound, (refused.Result as IStatusCodeHttpResult)?.StatusCode);
        Assert.Equal(StatusCodes.Status200OK, (allowed.Result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK);

        // alarms: the list handler drops the room's alarms for a trainee
        await server.WriteAsync($"interface,device={sw.Id},port={port} admin_status=1i,oper_status=2i\n");
        var service = services.GetRequiredService<IAlarmService>();
        await ServerFixture.EventuallyAsync(
            () => Task.FromResult(service.Active), active => active.Any(a => a.Target.DeviceId == sw.Id && a.Target.Port == port), "the port alarm raised", 15_000);

        var forTrainee = AlarmEndpoints.List(null, null, null, service, server.Inventory, trainee).Result as IValueHttpResult;
        var forViewer = AlarmEndpoints.List(null, null, null, service, server.Inventory, viewer).Result as IValueHttpResult;
        Assert.DoesNotContain((IEnumerable<AlarmSnapshot>)forTrainee!.Value!, a => a.Target.RoomId == sw.RoomId);
        Assert.Contains((IEnumerable<AlarmSnapshot>)forViewer!.Value!, a => a.Target.DeviceId == sw.Id);
        await server.WriteAsync($"interface,device={sw.Id},port={port} admin_status=1i,oper_status=1i\n");
    }
}
