using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Monitoring.Testing;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests.Alarms;

/// <summary>
/// The real server as a child process, alarm commands from several clients while line protocol streams in, a
/// SIGKILL in the middle of it, a restart on the same data directory, several rounds: every acknowledgement, shelving,
/// maintenance window and mute that was answered 2xx is there after the restart.
/// </summary>
public abstract class AlarmKillTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>The child server's storage settings, the same across its restarts: none for SQLite; a PostgreSQL database.</summary>
    protected virtual Task<Dictionary<string, string>> StorageEnvironmentAsync() => Task.FromResult(new Dictionary<string, string>());

    private const int Rounds = 3;
    private readonly string _data = Directory.CreateTempSubdirectory("alarm-kill-").FullName;

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Every_alarm_command_answered_with_success_survives_a_kill_9_under_load()
    {
        // no device sends anything: with a 1 s poll interval every device's "unreachable" alarm is raised within seconds
        var environment = await StorageEnvironmentAsync();
        environment["Monitoring__Alarms__Engine__PollInterval"] = "00:00:01";
        using var server = new ChildServer(_data, environment);
        var client = await server.StartAsync();
        try
        {
            await RoundsAsync(server, client);
        }
        catch
        {
            output.WriteLine(server.RecentOutput);
            throw;
        }
    }

    private async Task RoundsAsync(ChildServer server, SignedInClient client)
    {
        var acknowledged = new ConcurrentDictionary<long, string>();
        var shelved = new ConcurrentDictionary<long, string>();
        var windows = new List<string>();
        var totalSamples = 0L;
        for (var round = 1; round <= Rounds; round++)
        {
            var candidates = await EventuallyAsync(
                async () => (await client.Http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray()
                    .Where(a => !a.TryGetProperty("acknowledgement", out var ack) || ack.ValueKind == JsonValueKind.Null).Select(a => a.Clone()).ToList(),
                list => list.Count >= 12,
                "a dozen unacknowledged alarms");

            using var stop = new CancellationTokenSource();
            var samples = new long[1];
            var load = Enumerable.Range(0, 2).Select(w => Task.Run(() => LoadAsync(client.Http, w, samples, stop.Token))).ToArray();

            // a maintenance window and a mute while the load runs, answered before the kill
            var scope = candidates[0].GetProperty("target").GetProperty("deviceId").GetString();
            var windowReason = $"round {round} window";
            using (var window = await client.Http.PostAsJsonAsync("/api/maintenance", new { scope, minutes = 600, reason = windowReason }))
            {
                Assert.Equal(HttpStatusCode.Created, window.StatusCode);
                windows.Add(windowReason);
            }

            var muteReason = $"round {round} mute";
            using (var mute = await client.Http.PostAsJsonAsync("/api/alarms/mute", new { reason = muteReason, minutes = 20 }))
            {
                Assert.Equal(HttpStatusCode.OK, mute.StatusCode);
            }

            var before = acknowledged.Count;
            var commands = Enumerable.Range(0, 3).Select(w => Task.Run(() => CommandAsync(
                client.Http, round, candidates.Where((_, i) => i % 3 == w).Select(a => a.GetProperty("id").GetInt64()).ToList(), acknowledged, shelved, stop.Token))).ToArray();
            await EventuallyAsync(() => Task.FromResult(acknowledged.Count - before), n => n >= 6, "six acknowledgements in this round");
            await server.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(commands.Concat(load));
            client.Dispose();
            totalSamples += samples[0];
            output.WriteLine($"round {round}: killed with {acknowledged.Count} acknowledged, {shelved.Count} shelved, {samples[0]} samples written in the round");

            client = await server.StartAsync();
            foreach (var (id, comment) in acknowledged)
            {
                var alarm = (await client.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}")).GetProperty("alarm");
                Assert.True(alarm.TryGetProperty("acknowledgement", out var ack) && ack.ValueKind == JsonValueKind.Object, $"alarm {id} was acknowledged (200) but is not after the kill");
                Assert.Equal(comment, ack.GetProperty("comment").GetString());
            }

            foreach (var (id, reason) in shelved)
            {
                var alarm = (await client.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}")).GetProperty("alarm");
                Assert.True(alarm.TryGetProperty("shelving", out var shelving) && shelving.ValueKind == JsonValueKind.Object, $"alarm {id} was shelved (200) but is not after the kill");
                Assert.Equal(reason, shelving.GetProperty("reason").GetString());
            }

            var stored = (await client.Http.GetFromJsonAsync<JsonElement>("/api/maintenance")).EnumerateArray().Select(w => w.GetProperty("reason").GetString()).ToList();
            Assert.All(windows, reason => Assert.Contains(reason, stored));
            var currentMute = await client.Http.GetFromJsonAsync<JsonElement>("/api/alarms/mute");
            Assert.Contains(muteReason, currentMute.GetRawText(), StringComparison.Ordinal);
        }

        output.WriteLine($"{acknowledged.Count} acknowledgements and {shelved.Count} shelvings kept over {Rounds} kills; {totalSamples} samples written meanwhile");
        client.Dispose();
    }

    private static async Task CommandAsync(
        HttpClient http, int round, List<long> ids, ConcurrentDictionary<long, string> acknowledged, ConcurrentDictionary<long, string> shelved, CancellationToken stop)
    {
        foreach (var id in ids)
        {
            try
            {
                var comment = $"round {round}, alarm {id}";
                using (var ack = await http.PostAsJsonAsync($"/api/alarms/{id}/ack", new { comment }, stop))
                {
                    if (ack.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged[id] = comment;
                    }
                }

                var reason = $"shelved in round {round}";
                using var shelve = await http.PostAsJsonAsync($"/api/alarms/{id}/shelve", new { minutes = 600, reason }, stop);
                if (shelve.StatusCode == HttpStatusCode.OK)
                {
                    shelved[id] = reason;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                // the server died mid-request: that command was never answered
                return;
            }
        }
    }

    /// <summary>Line protocol as fast as the server takes it: free-form series, so it loads the pipeline and history without clearing alarms.</summary>
    private static async Task LoadAsync(HttpClient http, int worker, long[] samples, CancellationToken stop)
    {
        var body = new StringBuilder();
        var n = 0L;
        while (!stop.IsCancellationRequested)
        {
            body.Clear();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (var i = 0; i < 1000; i++)
            {
                body.Append(CultureInfo.InvariantCulture, $"load,worker={worker},host=h{i} value={n++} {now}\n");
            }

            try
            {
                using var content = new StringContent(body.ToString(), Encoding.UTF8, "text/plain");
                using var response = await http.PostAsync(new Uri("/api/v2/write?precision=ms", UriKind.Relative), content, stop);
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    Interlocked.Add(ref samples[0], 1000);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                return;
            }
        }
    }

    private static Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        ServerFixture.EventuallyAsync(read, done, what, timeoutMs: 90_000);

    /// <summary>On SQLite (the default).</summary>
    public sealed class Sqlite(ITestOutputHelper output) : AlarmKillTests(output);

    /// <summary>The same kill test with the server's relational state in a real PostgreSQL (which stays up).</summary>
    public sealed class Postgres(PostgresPeerFixture postgres, ITestOutputHelper output) : AlarmKillTests(output), IClassFixture<PostgresPeerFixture>
    {
        protected override Task<Dictionary<string, string>> StorageEnvironmentAsync() => postgres.EnvironmentAsync();
    }
}
