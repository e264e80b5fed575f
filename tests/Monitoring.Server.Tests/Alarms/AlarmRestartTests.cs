using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Monitoring.Server.Tests.Alarms;

/// <summary>Active alarms, their acknowledgement and the history survive a restart of the server (SQLite in the data folder).</summary>
public sealed class AlarmRestartTests
{
    [Fact]
    public async Task An_acknowledged_alarm_is_still_active_after_a_restart()
    {
        var data = Directory.CreateTempSubdirectory("monitoring-alarm-restart-").FullName;
        try
        {
            long id;
            await using (var first = await StartAsync(data))
            {
                using var client = await Monitoring.Testing.TestSignIn.AsAsync(first, new Uri(first.Urls.First()), "night-shift", Monitoring.Server.Security.Role.Administrator);
                var http = client.Http;
                using var content = new StringContent("ups,device=ups-2 mode=4", Encoding.UTF8, "text/plain");
                using (var write = await http.PostAsync(new Uri("/api/v2/write", UriKind.Relative), content))
                {
                    Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);
                }

                var alarm = await ServerFixture.EventuallyAsync(
                    async () => (await http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray().FirstOrDefault(a => a.GetProperty("ruleId").GetString() == "ups-on-battery"),
                    a => a.ValueKind == JsonValueKind.Object,
                    "the UPS fault alarm");
                id = alarm.GetProperty("id").GetInt64();
                using var ack = await http.PostAsJsonAsync($"/api/alarms/{id}/ack", new { user = "night-shift", comment = "known" });
                Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
                await first.StopAsync();
            }

            await using var second = await StartAsync(data);
            using var signedIn = await Monitoring.Testing.TestSignIn.AsAsync(second, new Uri(second.Urls.First()), "night-shift", Monitoring.Server.Security.Role.Administrator);
            var again = signedIn.Http;
            var active = await again.GetFromJsonAsync<JsonElement>("/api/alarms");
            var restored = active.EnumerateArray().Single(a => a.GetProperty("id").GetInt64() == id);
            Assert.Equal("acknowledged", restored.GetProperty("state").GetString());
            Assert.Equal("night-shift", restored.GetProperty("acknowledgement").GetProperty("by").GetString());
            var detail = await again.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}");
            Assert.Contains(detail.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "acknowledged");
            await second.StopAsync();
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<Microsoft.AspNetCore.Builder.WebApplication> StartAsync(string data)
    {
        var app = ServerHost.Build(["--urls", "http://127.0.0.1:0", "--data", data, "--simulator", "false"]);
        await app.StartAsync();
        return app;
    }
}
