using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Server.Security;
using Monitoring.Server.Training.Sessions;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Training;

/// <summary>
/// An ended session's host is collected: nothing in the live process (a timer, a static, an event of a shared service,
/// a thread-pool thread's cache) keeps the session's WebApplication or its service provider reachable once the session
/// is deleted. Roots found and removed: ASP.NET Core's rate-limiting middleware (its never-disposed limiter's timer),
/// prometheus-net's meter adapter (its static map of instruments) and the MQTT broker's per-thread match table.
/// </summary>
public sealed class TrainingSessionLeakTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("training-leak-").FullName;
    private WebApplication? _app;
    private SignedInClient? _admin;

    public async Task InitializeAsync()
    {
        _app = ServerHost.Build(["--urls", "http://127.0.0.1:0", "--data", _data, "--simulator", "false"]);
        await _app.StartAsync();
        _admin = await TestSignIn.AsAsync(_app, new Uri(_app.Urls.First()), "tester", Role.Administrator);
    }

    public async Task DisposeAsync()
    {
        _admin?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_deleted_session_host_is_garbage_collected()
    {
        using var created = await _admin!.Http.PostAsJsonAsync("/api/training/sessions", new { name = "leak", roomId = "demo", kind = "drill" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var session = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = session.GetProperty("id").GetString()!;
        var url = new Uri(session.GetProperty("url").GetString()!);

        // the session host is used as a trainee would: a sign-in attempt (the sign-in limiters) and a signed-in call
        using (var anonymous = SignedInClient.Anonymous(url))
        {
            using var wrong = await anonymous.TrySignInAsync("tester", "wrong-password");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (var onSession = await SessionClient.ForAsync(_admin, url))
        {
            using var tickets = await onSession.Http.GetAsync("/api/tickets");
            Assert.Equal(HttpStatusCode.OK, tickets.StatusCode);
        }

        var manager = _app!.Services.GetRequiredService<TrainingSessionManager>();
        var (host, services) = Watch(manager, id);
        Assert.True(services.IsAlive, "the session host runs");

        using (var deleted = await _admin.Http.DeleteAsync($"/api/training/sessions/{id}"))
        {
            Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());
        }

        Assert.Null(manager.HostOf(id));
        await ServerFixture.EventuallyAsync(
            () =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                return Task.FromResult(!host.IsAlive && !services.IsAlive);
            },
            collected => collected, "the deleted session's WebApplication and service provider collected", 60_000);
    }

    /// <summary>Weak references only: no strong reference to the session host stays in the test's (async) frame.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Host, WeakReference Services) Watch(TrainingSessionManager manager, string id)
    {
        var app = manager.HostOf(id) ?? throw new InvalidOperationException($"session {id} has no host");
        return (new WeakReference(app), new WeakReference(app.Services));
    }
}
