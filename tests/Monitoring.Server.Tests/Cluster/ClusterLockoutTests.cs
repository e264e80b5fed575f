using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Testing;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests.Cluster;

/// <summary>
/// The sign-in lock-out counts across the nodes of a cluster: two real server nodes (child processes) on one real
/// PostgreSQL and one real Redis (<see cref="TwoNodes"/>), failed sign-ins spread over both as a load balancer would:
/// a success on one node starts the count over on both, LockoutFailures failures in all lock the account, and the right
/// password is then refused on both with the answer a single node gives (423, the same error, the same lock-out end).
/// A name that does not exist locks out after as many failures spread over the nodes (counted in Redis).
/// </summary>
public sealed class ClusterLockoutTests(PostgresPeerFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresPeerFixture>
{
    private const int LockoutFailures = 5;
    private const string Password = "night-shift-password-7";

    [Fact]
    public async Task Failures_alternated_between_two_nodes_lock_the_account_on_both_after_LockoutFailures_in_all()
    {
        using var nodes = await TwoNodes.StartAsync(postgres, "lockout", output, new Dictionary<string, string>
        {
            ["Monitoring__Auth__LockoutFailures"] = LockoutFailures.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        try
        {
            var (admin, adminOnB) = await nodes.SignInAsync();
            using var disposeAdmin = admin;
            using var disposeAdminOnB = adminOnB;
            using (var created = await admin.Http.PostAsJsonAsync("/api/users", new { name = "night.shift", role = "operator", password = Password }))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }

            using var onA = SignedInClient.Anonymous(nodes.A.Address!);
            using var onB = SignedInClient.Anonymous(nodes.B.Address!);
            SignedInClient Node(int i) => i % 2 == 0 ? onA : onB;

            // B knows the user once the bus told it (it reloads the users from the shared PostgreSQL)
            await ServerFixture.EventuallyAsync(
                async () => (await UsersAsync(adminOnB)).Any(u => u.GetProperty("name").GetString() == "night.shift"),
                known => known,
                "night.shift known on B",
                30_000);

            // one failure short of the lock-out, alternated A, B, A, B: refused, not locked
            for (var i = 0; i < LockoutFailures - 1; i++)
            {
                using var wrong = await Node(i).TrySignInAsync("night.shift", "wrong-" + i);
                Assert.True(wrong.StatusCode == HttpStatusCode.Unauthorized, $"failure {i + 1} on {(i % 2 == 0 ? "A" : "B")} answered {(int)wrong.StatusCode}");
            }

            // a success on B starts the count over on both nodes
            using (var right = await onB.TrySignInAsync("night.shift", Password))
            {
                Assert.Equal(HttpStatusCode.OK, right.StatusCode);
            }

            for (var i = 0; i < LockoutFailures - 1; i++)
            {
                using var wrong = await Node(i + 1).TrySignInAsync("night.shift", "again-wrong-" + i);
                Assert.True(wrong.StatusCode == HttpStatusCode.Unauthorized, $"failure {i + 1} after the success, on {(i % 2 == 0 ? "B" : "A")}, answered {(int)wrong.StatusCode}: the success did not reset the count on every node");
            }

            // the LockoutFailures-th failure in all (on B, after A, B, A, B since the success) locks the account
            DateTimeOffset lockedUntil;
            string lockedError;
            using (var last = await onB.TrySignInAsync("night.shift", "the-last-wrong"))
            {
                Assert.Equal((HttpStatusCode)423, last.StatusCode);
                var body = await last.Content.ReadFromJsonAsync<JsonElement>();
                lockedUntil = body.GetProperty("lockedUntil").GetDateTimeOffset();
                lockedError = body.GetProperty("error").GetString()!;
                Assert.True(lockedUntil > DateTimeOffset.UtcNow.AddMinutes(10), $"locked until {lockedUntil}");
            }

            // the right password is refused on both nodes, with the same lock-out answer
            foreach (var (node, name) in new[] { (onA, "A"), (onB, "B") })
            {
                using var right = await node.TrySignInAsync("night.shift", Password);
                Assert.True(right.StatusCode == (HttpStatusCode)423, $"the right password on {name} answered {(int)right.StatusCode}: {await right.Content.ReadAsStringAsync()}");
                var body = await right.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal(lockedError, body.GetProperty("error").GetString());
                Assert.Equal(lockedUntil, body.GetProperty("lockedUntil").GetDateTimeOffset());
            }

            // a name that does not exist locks out the same way, after as many failures alternated over the nodes: a lock-out
            // does not tell who exists on a cluster either
            for (var i = 0; i < LockoutFailures - 1; i++)
            {
                using var wrong = await Node(i).TrySignInAsync("no.such.user", "wrong-" + i);
                Assert.True(wrong.StatusCode == HttpStatusCode.Unauthorized, $"failure {i + 1} for an unknown name on {(i % 2 == 0 ? "A" : "B")} answered {(int)wrong.StatusCode}");
            }

            foreach (var (node, name) in new[] { (onB, "B"), (onA, "A") })
            {
                using var locked = await node.TrySignInAsync("no.such.user", "still-wrong");
                Assert.True(locked.StatusCode == (HttpStatusCode)423, $"the unknown name on {name} answered {(int)locked.StatusCode}: {await locked.Content.ReadAsStringAsync()}");
                Assert.Equal(lockedError, (await locked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
            }

            // and both nodes list the account as locked
            foreach (var (client, name) in new[] { (admin, "A"), (adminOnB, "B") })
            {
                var listed = await ServerFixture.EventuallyAsync(
                    async () => (await UsersAsync(client)).FirstOrDefault(u => u.GetProperty("name").GetString() == "night.shift"),
                    u => u.ValueKind == JsonValueKind.Object && u.GetProperty("lockedUntil").ValueKind == JsonValueKind.String,
                    $"night.shift listed as locked on {name}",
                    30_000);
                Assert.Equal(lockedUntil, listed.GetProperty("lockedUntil").GetDateTimeOffset());
            }
        }
        catch
        {
            nodes.WriteOutput(output);
            throw;
        }
    }

    /// <summary>The users as the node lists them; none while it does not accept the session yet (401 until the bus told it).</summary>
    private static async Task<List<JsonElement>> UsersAsync(SignedInClient client)
    {
        using var response = await client.Http.GetAsync(new Uri("/api/users", UriKind.Relative));
        return response.StatusCode == HttpStatusCode.OK ? [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Select(u => u.Clone())] : [];
    }
}
