using System.Net;
using Monitoring.Server.Security;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Security;

/// <summary>The keys that sign session cookies are kept in the data folder: a restart does not sign everyone out.</summary>
public sealed class SessionRestartTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("monitoring-session-restart-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_session_cookie_still_works_after_the_server_restarts_on_the_same_data_folder()
    {
        var first = ServerHost.Build(["--urls", "http://127.0.0.1:0", "--data", _data, "--simulator", "false"]);
        await first.StartAsync();
        SignedInClient client;
        try
        {
            client = await TestSignIn.AsAsync(first, new Uri(first.Urls.First()), "night.lead", Role.DutyLead);
            using var before = await client.Http.GetAsync("/api/alarms");
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        finally
        {
            await first.StopAsync();
            await first.DisposeAsync();
        }

        Assert.True(Directory.EnumerateFiles(Path.Combine(_data, "keys"), "key-*.xml").Any(), "no key ring in the data folder");
        var second = ServerHost.Build(["--urls", "http://127.0.0.1:0", "--data", _data, "--simulator", "false"]);
        await second.StartAsync();
        try
        {
            using (client)
            {
                // cookies belong to the host, not the port: the same jar talks to the restarted server
                using var after = await client.Http.GetAsync(new Uri(new Uri(second.Urls.First()), "/api/alarms"));
                Assert.Equal(HttpStatusCode.OK, after.StatusCode);
                using var change = await client.Http.DeleteAsync(new Uri(new Uri(second.Urls.First()), "/api/alarms/mute"));
                Assert.Equal(HttpStatusCode.OK, change.StatusCode); // the anti-forgery token too
            }
        }
        finally
        {
            await second.StopAsync();
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_session_signed_out_stays_ended_after_the_server_restarts()
    {
        var first = ServerHost.Build(["--urls", "http://127.0.0.1:0", "--data", _data, "--simulator", "false"]);
        await first.StartAsync();
        string cookie;
        try
        {
            using var client = await TestSignIn.AsAsync(first, new Uri(first.Urls.First()), "early.lead", Role.DutyLead);
            cookie = client.Cookies.GetCookies(new Uri(first.Urls.First()))[AuthSchemes.CookieName]!.Value;
            using var signOut = await client.Http.PostAsync("/api/auth/signout", null);
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        }
        finally
        {
            await first.StopAsync();
            await first.DisposeAsync();
        }

        var second = ServerHost.Build(["--urls", "http://127.0.0.1:0", "--data", _data, "--simulator", "false"]);
        await second.StartAsync();
        try
        {
            using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(second.Urls.First()) };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/alarms");
            request.Headers.Add("Cookie", AuthSchemes.CookieName + "=" + cookie);
            using var replayed = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        }
        finally
        {
            await second.StopAsync();
            await second.DisposeAsync();
        }
    }
}
