using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Server.Security;
using Monitoring.Server.Training;
using Monitoring.Server.Training.Sessions;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Training;

/// <summary>
/// A session's life: it survives a restart of the server (the same port, its data folder), a reset gives it a fresh
/// data folder on the same address (asked by the live API or by the session host's ITrainingSessionControl), the bounds
/// answer 4xx naming them, and a session host answers the session endpoints 409.
/// </summary>
public sealed class TrainingSessionLifecycleTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("training-life-").FullName;
    private WebApplication? _app;
    private SignedInClient? _admin;

    private Uri BaseAddress => new(_app!.Urls.First());

    public async Task InitializeAsync() => await StartAsync("http://127.0.0.1:0");

    public async Task DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartAsync(string urls)
    {
        _app = ServerHost.Build(["--urls", urls, "--data", _data, "--simulator", "false", "--Monitoring:Training:MaxSessions", "2"]);
        await _app.StartAsync();
        _admin = await TestSignIn.AsAsync(_app, BaseAddress, "tester", Role.Administrator);
    }

    private async Task StopAsync()
    {
        _admin?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    [Fact]
    public async Task A_session_survives_a_restart_on_its_port_and_a_reset_empties_it()
    {
        using var created = await _admin!.Http.PostAsJsonAsync("/api/training/sessions", new { name = "restart", roomId = "demo", kind = "drill" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var session = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = session.GetProperty("id").GetString()!;
        var url = new Uri(session.GetProperty("url").GetString()!);
        Assert.True(File.Exists(Path.Combine(_data, "training", "sessions.json")));

        // the bounds: a nameless session, an unknown room, past MaxSessions (2)
        using (var nameless = await _admin.Http.PostAsJsonAsync("/api/training/sessions", new { roomId = "demo" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, nameless.StatusCode);
            Assert.Contains("name", await nameless.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var room = await _admin.Http.PostAsJsonAsync("/api/training/sessions", new { name = "x", roomId = "no-such-room" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, room.StatusCode);
            Assert.Contains("roomId", await room.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var second = await _admin.Http.PostAsJsonAsync("/api/training/sessions", new { name = "second", roomId = "training" }))
        {
            Assert.True(second.StatusCode == HttpStatusCode.Created, await second.Content.ReadAsStringAsync());
        }

        using (var third = await _admin.Http.PostAsJsonAsync("/api/training/sessions", new { name = "third", roomId = "demo" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, third.StatusCode);
            Assert.Contains("MaxSessions", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // something of the session's own: a ticket in its database
        using (var onSession = await SessionClient.ForAsync(_admin, url))
        {
            using var ticket = await onSession.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", title = "before the restart", description = "x" });
            Assert.Equal(HttpStatusCode.Created, ticket.StatusCode);
            using var conflict = await onSession.Http.PostAsync("/api/training/sessions/" + id + "/reset", null);
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode); // the session endpoints are the live host's
        }

        // the server restarts on the same data: the session runs again on its port, with its ticket
        var liveUrl = _app!.Urls.First();
        await StopAsync();
        await StartAsync(liveUrl);
        var restored = await ServerFixture.EventuallyAsync(
            () => _admin!.Http.GetFromJsonAsync<JsonElement>($"/api/training/sessions/{id}"), s => s.GetProperty("state").GetString() == "running",
            "the session running again after the restart", 60_000);
        Assert.Equal(url.Port, new Uri(restored.GetProperty("url").GetString()!).Port);
        using (var onSession = await SessionClient.ForAsync(_admin!, url))
        {
            Assert.Equal(1, await TicketCountAsync(onSession.Http));

            // a reset through the live API: a fresh host on the same address, an empty database
            using var reset = await _admin!.Http.PostAsync($"/api/training/sessions/{id}/reset", null);
            Assert.Equal(HttpStatusCode.Accepted, reset.StatusCode);
            Assert.Equal(0, await TicketCountAsync(onSession.Http));
            using var ticket = await onSession.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", title = "after the reset", description = "x" });
            Assert.Equal(HttpStatusCode.Created, ticket.StatusCode);
            Assert.Equal(1, await TicketCountAsync(onSession.Http));
        }

        // a reset asked by the session host itself (the drill runner's full reset) runs in the background
        var manager = _app!.Services.GetRequiredService<TrainingSessionManager>();
        var control = SessionHostServices(manager, id).GetRequiredService<ITrainingSessionControl>();
        Assert.True(control.RequestReset("tester"));
        await ServerFixture.EventuallyAsync(
            async () =>
            {
                try
                {
                    using var onSession = await SessionClient.ForAsync(_admin!, url);
                    return await TicketCountAsync(onSession.Http);
                }
                catch (HttpRequestException)
                {
                    return -1; // between the old host and the new one
                }
            },
            n => n == 0, "the session empty again after its own reset", 60_000);
    }

    private static IServiceProvider SessionHostServices(TrainingSessionManager manager, string id) =>
        manager.HostOf(id)?.Services ?? throw new InvalidOperationException($"session {id} has no host");

    private static async Task<int> TicketCountAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/api/tickets?pageSize=200")).GetProperty("items").GetArrayLength();
}
