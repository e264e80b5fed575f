using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Monitoring.Core.Inventory;
using Monitoring.Server.Hosting;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Ingest;

/// <summary>
/// "A 2xx means kept" for line protocol (issues 14 and 15): the real server as a child process, killed with SIGKILL
/// while clients write, started again on the same data; every sample that got a 204 must be in the history, once.
/// </summary>
public sealed class JournalKillTests : IDisposable
{
    private const string FirstPassword = "journal-first-0001";
    private const string Password = "journal-admin-0002";

    private static readonly Dictionary<string, string> Environment = new() { ["Monitoring__Auth__AdminPassword"] = FirstPassword };

    private readonly string _data = Directory.CreateTempSubdirectory("monitoring-journal-").FullName;
    private readonly List<ChildServer> _servers = [];
    private readonly Inventory _inventory = InventoryLoader.Load(PathResolver.ProfilesDirectory(new MonitoringOptions()));
    private string _writeToken = string.Empty;

    public void Dispose()
    {
        foreach (var server in _servers)
        {
            server.Dispose();
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
    public async Task Every_sample_acknowledged_before_ten_kill_9s_is_in_the_history_once_and_in_VictoriaMetrics_with_only_identical_redeliveries()
    {
        // a real VictoriaMetrics as the server's InfluxDB target, up for the whole test
        using var victoria = await PeerProcess.StartVictoriaMetricsAsync(_data);
        string[] victoriaTarget = [
            "--Monitoring:Influx:Targets:0:Name", "victoria", "--Monitoring:Influx:Targets:0:Url", victoria.Url,
            "--Monitoring:Influx:Targets:0:Version", "1", "--Monitoring:Influx:Targets:0:Database", "noc",
            "--Monitoring:Influx:Targets:0:FlushIntervalMs", "100"];
        var device = _inventory.Devices.First(d => d.Model.FindMetric("cpu.usage") is not null);
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-50).ToUnixTimeSeconds());
        var acknowledged = new ConcurrentDictionary<long, bool>();
        var next = 0L;
        var replays = 0;
        for (var round = 0; round < 10; round++)
        {
            var server = await StartAsync(["--Monitoring:History:FlushIntervalMs", "200", .. victoriaTarget]);
            replays += server.Output.Count(l => l.Contains("Replayed", StringComparison.Ordinal));
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(() => WriteUntilStoppedAsync(server.Address!, device.Id, start, () => Interlocked.Add(ref next, 20) - 20, acknowledged, stop.Token))).ToArray();
            var goal = acknowledged.Count + 300 + Random.Shared.Next(300);
            await ServerFixture.EventuallyAsync(() => Task.FromResult(acknowledged.Count), n => n >= goal, $"{goal} acknowledged samples in round {round}", 120_000);
            await server.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        var last = await StartAsync(victoriaTarget);
        replays += last.Output.Count(l => l.Contains("Replayed", StringComparison.Ordinal));
        using var reader = await SignInAsync(last.Address!);
        var points = await RawIndexesAsync(reader, device.Id, start, start.AddHours(1));
        var missing = acknowledged.Keys.Where(i => !points.Contains(i)).Order().ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {acknowledged.Count} acknowledged samples are not in the history after 10 kill -9s, e.g. {string.Join(", ", missing.Take(10))}");
        await AssertCountedOnceAsync(reader, device.Id, start, points.Count);

        // the kills did land while acknowledged samples were not yet in the history: the journal brought them back
        Assert.True(replays > 0, "no restart replayed the journal: the kills never caught an unflushed acknowledged write");

        // and in VictoriaMetrics: every acknowledged sample. Delivery to an InfluxDB target is at least once: a kill -9
        // after the target stored a POST but before the writer noted it sent repeats that POST at restart, with the same
        // points (InfluxDB overwrites them; VictoriaMetrics keeps both unless -dedup.minScrapeInterval is set). So a
        // repeat must be identical and bounded: at most one batch (BatchSize 5,000 points) per kill.
        using var vm = new HttpClient { BaseAddress = new Uri(victoria.Url), Timeout = TimeSpan.FromSeconds(30) };
        await ServerFixture.EventuallyAsync(
            async () =>
            {
                using (await vm.GetAsync("/internal/force_flush"))
                {
                }

                return (await ExportValuesAsync(vm, device.Id, start)).Select(v => v.Index).ToHashSet();
            },
            e => acknowledged.Keys.All(e.Contains), "every acknowledged sample in VictoriaMetrics", 120_000);
        var values = await ExportValuesAsync(vm, device.Id, start);
        var repeated = values.GroupBy(v => v.Index).Where(g => g.Count() > 1).ToList();
        var different = repeated.Where(g => g.Select(v => v.Value).Distinct().Count() > 1).Select(g => g.Key).ToList();
        Assert.True(different.Count == 0, $"{different.Count} samples reached VictoriaMetrics twice with different values, e.g. {string.Join(", ", different.Take(10))}");
        Assert.True(repeated.Count <= 10 * 5000, $"{repeated.Count} samples reached VictoriaMetrics more than once: more than one batch per kill");
    }

    /// <summary>The (sample index, value) pairs VictoriaMetrics holds for the device's cpu_usage, duplicates kept.</summary>
    private static async Task<List<(long Index, double Value)>> ExportValuesAsync(HttpClient vm, string device, DateTimeOffset start)
    {
        var text = await vm.GetStringAsync($"/api/v1/export?match[]={Uri.EscapeDataString($"cpu_usage{{device=\"{device}\"}}")}");
        var pairs = new List<(long, double)>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var series = JsonDocument.Parse(line);
            var timestamps = series.RootElement.GetProperty("timestamps").EnumerateArray().Select(t => t.GetInt64() - start.ToUnixTimeMilliseconds()).ToList();
            var samples = series.RootElement.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToList();
            pairs.AddRange(timestamps.Zip(samples));
        }

        return pairs;
    }

    [Fact]
    public async Task A_kill_9_during_a_history_flush_loses_no_acknowledged_sample()
    {
        var devices = _inventory.Devices.Where(d => d.Model.FindMetric("cpu.usage") is not null).Take(10).ToArray();
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-50).ToUnixTimeSeconds());
        const int PerDevice = 5000;
        var caught = false;
        var attempts = 0;
        for (var attempt = 0; attempt < 5 && !caught; attempt++)
        {
            attempts++;
            // a long flush interval lets 50,000 samples gather, so the flush that takes them runs long enough to be caught
            var server = await StartAsync("--Monitoring:History:FlushIntervalMs", "3000");
            using var http = WriteClient(server.Address!);
            var offset = attempt * PerDevice;
            foreach (var device in devices)
            {
                var body = new StringBuilder();
                for (var i = 0; i < PerDevice; i++)
                {
                    body.Append(CultureInfo.InvariantCulture, $"cpu,device={device.Id} usage={i % 100} {Ns(start, offset + i)}\n");
                }

                using var response = await http.PostAsync("/api/v2/write?bucket=b", new StringContent(body.ToString(), Encoding.UTF8, "text/plain"));
                Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            }

            var acknowledgedTotal = devices.Length * PerDevice;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                var history = await HealthAsync(server.Address!);
                if (history.GetProperty("flushing").GetInt64() > 0)
                {
                    // the buffer was taken by a flush that has not committed yet
                    await server.KillAsync();
                    caught = true;
                    break;
                }

                if (Written(history) >= acknowledgedTotal)
                {
                    break; // the flush was over before the probe saw it; try again with more
                }
            }

            if (!caught)
            {
                await server.KillAsync();
            }
        }

        Assert.True(caught, "no kill landed inside a history flush in 5 attempts");
        var restarted = await StartAsync();
        Assert.Contains(restarted.Output, l => l.Contains("Replayed", StringComparison.Ordinal));
        using var reader = await SignInAsync(restarted.Address!);
        foreach (var device in devices)
        {
            var points = await RawIndexesAsync(reader, device.Id, start, start.AddHours(1));
            var expected = Enumerable.Range(0, attempts * PerDevice).Select(i => (long)i).ToList();
            Assert.True(expected.All(points.Contains), $"{device.Id}: {expected.Count(i => !points.Contains(i))} of {expected.Count} acknowledged samples are missing");
            await AssertCountedOnceAsync(reader, device.Id, start, points.Count);
        }
    }

    [Fact]
    public async Task A_graceful_stop_finishes_the_flush_so_nothing_is_left_to_replay()
    {
        var device = _inventory.Devices.First(d => d.Model.FindMetric("cpu.usage") is not null);
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-50).ToUnixTimeSeconds());

        // the interval is longer than the test: the only flush is the one the stop runs
        var server = await StartAsync("--Monitoring:History:FlushIntervalMs", "600000");
        using (var http = WriteClient(server.Address!))
        {
            var body = string.Join('\n', Enumerable.Range(0, 20_000).Select(i => $"cpu,device={device.Id} usage={i % 100} {Ns(start, i)}"));
            using var response = await http.PostAsync("/api/v2/write?bucket=b", new StringContent(body, Encoding.UTF8, "text/plain"));
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        await ServerFixture.EventuallyAsync(() => HealthAsync(server.Address!), h => h.GetProperty("pending").GetInt64() == 20_000, "the samples in the history's buffer", 60_000);
        await server.TerminateAsync();

        var restarted = await StartAsync();
        Assert.DoesNotContain(restarted.Output, l => l.Contains("Replayed", StringComparison.Ordinal));
        using var reader = await SignInAsync(restarted.Address!);
        var points = await RawIndexesAsync(reader, device.Id, start, start.AddHours(1));
        Assert.Equal(20_000, points.Count);
    }

    private static string Ns(DateTimeOffset start, long index) =>
        ((start.ToUnixTimeMilliseconds() + index) * 1_000_000).ToString(CultureInfo.InvariantCulture);

    private static long Written(JsonElement history) => history.GetProperty("samplesWritten").GetInt64();

    private static async Task<JsonElement> HealthAsync(Uri address)
    {
        using var http = new HttpClient { BaseAddress = address };
        var health = await http.GetFromJsonAsync<JsonElement>("/healthz");
        return health.GetProperty("components").GetProperty("history");
    }

    private async Task WriteUntilStoppedAsync(
        Uri address, string device, DateTimeOffset start, Func<long> take, ConcurrentDictionary<long, bool> acknowledged, CancellationToken stop)
    {
        using var http = WriteClient(address);
        while (!stop.IsCancellationRequested)
        {
            var first = take();
            var body = string.Join('\n', Enumerable.Range(0, 20).Select(i => $"cpu,device={device} usage={(first + i) % 100} {Ns(start, first + i)}"));
            try
            {
                using var response = await http.PostAsync("/api/v2/write?bucket=b", new StringContent(body, Encoding.UTF8, "text/plain"), stop);
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    for (var i = 0; i < 20; i++)
                    {
                        acknowledged[first + i] = true;
                    }
                }
            }
            catch (HttpRequestException)
            {
                return; // the server is gone: whatever was in flight got no answer, so nothing was promised
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private HttpClient WriteClient(Uri address)
    {
        var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Token", _writeToken);
        return http;
    }

    /// <summary>Starts the server on the test's data; the first time, sets the administrator's password and makes the write token.</summary>
    private async Task<ChildServer> StartAsync(params string[] args)
    {
        var server = new ChildServer(_data, Environment, args);
        _servers.Add(server);
        await server.StartProcessAsync();
        if (_writeToken.Length == 0)
        {
            using var admin = SignedInClient.Anonymous(server.Address!);
            await admin.SignInAsync("admin", FirstPassword);
            using (var changed = await admin.Http.PostAsJsonAsync("/api/auth/password", new { current = FirstPassword, @new = Password }))
            {
                Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
                admin.Antiforgery = (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("antiforgery").GetString();
            }

            using var created = await admin.Http.PostAsJsonAsync("/api/tokens", new { name = "kill-9-writer", scopes = new[] { "samples:write" } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            _writeToken = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        }

        return server;
    }

    private static async Task<SignedInClient> SignInAsync(Uri address)
    {
        var client = SignedInClient.Anonymous(address);
        await client.SignInAsync("admin", Password);
        return client;
    }

    /// <summary>The sample indexes (milliseconds after <paramref name="start"/>) the raw tier holds for the device's cpu.usage.</summary>
    private static async Task<HashSet<long>> RawIndexesAsync(SignedInClient client, string device, DateTimeOffset start, DateTimeOffset end)
    {
        var json = await client.Http.GetFromJsonAsync<JsonElement>(
            $"/api/series?device={device}&metric=cpu.usage&from={start.ToUnixTimeMilliseconds()}&to={end.ToUnixTimeMilliseconds()}");
        Assert.Equal("raw", json.GetProperty("tier").GetString());
        return json.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("t").GetInt64() - start.ToUnixTimeMilliseconds()).ToHashSet();
    }

    /// <summary>The hourly rollups count every stored sample once: a sample written twice (a replay on top of a commit) would count twice.</summary>
    private static async Task AssertCountedOnceAsync(SignedInClient client, string device, DateTimeOffset start, int rawPoints)
    {
        var end = start.AddDays(8);
        var json = await client.Http.GetFromJsonAsync<JsonElement>(
            $"/api/series?device={device}&metric=cpu.usage&from={start.AddHours(-1).ToUnixTimeMilliseconds()}&to={end.ToUnixTimeMilliseconds()}");
        Assert.Equal("1h", json.GetProperty("tier").GetString());
        Assert.Equal(rawPoints, json.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("count").GetInt64()));
    }
}
