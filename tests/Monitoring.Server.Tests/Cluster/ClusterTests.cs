using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Testing;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests.Cluster;

/// <summary>
/// Two real server nodes (child processes) on one real PostgreSQL and one real Redis, each with its own data folder:
/// what node A does reaches a console connected to node B (the hub backplane), and what A issued (a session cookie,
/// an anti-forgery token) or changed (a token, a sign-out) holds on B (the key ring in Redis, the security bus).
/// </summary>
public sealed class ClusterTests(PostgresPeerFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresPeerFixture>
{
    [Fact]
    public async Task A_console_on_node_B_sees_an_acknowledgement_made_through_node_A_and_A_session_holds_on_B()
    {
        // no device sends anything: with a 1 s poll interval every device's "unreachable" alarm is raised within seconds.
        // A starts first and holds the alarm leadership: the alarms are A's, B is its standby
        using var nodes = await TwoNodes.StartAsync(postgres, "cluster", output, new Dictionary<string, string> { ["Monitoring__Alarms__Engine__PollInterval"] = "00:00:01" });
        try
        {
            // the key ring holds exactly one key before anybody signed in: A made it at its start and B took it (a key of
            // B's own, made before it saw A's, would leave one node refusing the other's cookies)
            await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(nodes.Redis.ConnectionString))
            {
                Assert.Equal(1, await redis.GetDatabase().ListLengthAsync("monitoring:data-protection-keys"));
            }

            // signed in on A (the first password changed there: B must learn the user's new stamp from the bus)
            var (onA, onB) = await nodes.SignInAsync();
            using var disposeA = onA;
            using var disposeB = onB;

            // A's session cookie is accepted by B, and A's anti-forgery token with it: B creates an API token ...
            var users = await ServerFixture.EventuallyAsync(() => onB.Http.GetAsync(new Uri("/api/users", UriKind.Relative)), r => r.StatusCode == HttpStatusCode.OK, "A's cookie accepted by B", 30_000);
            Assert.Contains("\"admin\"", await users.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var created = await onB.Http.PostAsJsonAsync("/api/tokens", new { name = "cluster", scopes = new[] { "read" } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString();

            // ... which A accepts once the bus told it (the token row is in the shared PostgreSQL)
            using var tokenOnA = new HttpClient { BaseAddress = nodes.A.Address };
            tokenOnA.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            await ServerFixture.EventuallyAsync(() => tokenOnA.GetAsync(new Uri("/api/alarms", UriKind.Relative)), r => r.StatusCode == HttpStatusCode.OK, "B's token accepted by A", 30_000);

            // a console connected to B
            await using var hubOnB = await HubClient.ConnectAsync(nodes.B.Address!, "/hubs/live", onB.Cookies);

            // an alarm raised on A, acknowledged through A's API: B's console is told
            var alarm = await ServerFixture.EventuallyAsync(
                async () => (await onA.Http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray()
                    .FirstOrDefault(a => !a.TryGetProperty("acknowledgement", out var ack) || ack.ValueKind == JsonValueKind.Null),
                a => a.ValueKind == JsonValueKind.Object,
                "an unacknowledged alarm on A",
                90_000);
            var id = alarm.GetProperty("id").GetInt64();
            var seen = hubOnB.WaitForAsync(
                "alarm",
                m => m.GetProperty("kind").GetString() == "acknowledged" && m.GetProperty("alarm").GetProperty("id").GetInt64() == id,
                TimeSpan.FromSeconds(60));
            using (var ack = await onA.Http.PostAsJsonAsync($"/api/alarms/{id}/ack", new { comment = "seen from B" }))
            {
                Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
            }

            var message = await seen;
            Assert.Equal("seen from B", message.GetProperty("alarm").GetProperty("acknowledgement").GetProperty("comment").GetString());

            // a sign-out on A ends the session on B too
            using (var signOut = await onA.Http.PostAsync(new Uri("/api/auth/signout", UriKind.Relative), null))
            {
                Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
            }

            await ServerFixture.EventuallyAsync(
                () => onB.Http.GetAsync(new Uri("/api/users", UriKind.Relative)), r => r.StatusCode == HttpStatusCode.Unauthorized, "the signed-out cookie refused by B", 30_000);

            // /healthz "cluster" (refreshed every 2 s): B's node name, what it heard from A, nothing dropped
            using var anonymousOnB = new HttpClient { BaseAddress = nodes.B.Address };
            var cluster = await ServerFixture.EventuallyAsync(
                async () => (await anonymousOnB.GetFromJsonAsync<JsonElement>("/healthz")).GetProperty("components").GetProperty("cluster").Clone(),
                c => c.GetProperty("data").GetProperty("received").GetInt64() >= 3,
                "B's /healthz counting A's messages (users, hub, sign-out)",
                30_000);
            output.WriteLine(cluster.GetRawText());
            Assert.Equal("node-b", cluster.GetProperty("data").GetProperty("node").GetString());
            Assert.Equal(0, cluster.GetProperty("data").GetProperty("dropped").GetInt64());
        }
        catch
        {
            nodes.WriteOutput(output);
            throw;
        }
    }

    /// <summary>Until the node's /healthz shows its cluster bus subscribed in Redis (<see cref="TwoNodes.WaitSubscribedAsync"/>).</summary>
    internal static Task WaitSubscribedAsync(Uri node) => TwoNodes.WaitSubscribedAsync(node);
}
