using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.RemoteCollectors;

/// <summary>
/// Issue 22's done-when: "the collector buffers through a 2-minute server outage and a collector restart: counts written
/// = counts read". Real processes: the server and the collector node (<c>monitoring collector</c>) as children, the
/// zone's sensors on a real pymodbus TCP server on loopback. The server is stopped for <see cref="Outage"/> (the real two
/// minutes); the collector is killed (SIGKILL) in the middle of it and started again. What the collector wrote is its
/// <c>--record</c> file: the line protocol of every sample once it is in its disk buffer (what a kill -9 cannot take
/// back); every one of them must be in the server's history exactly once, and the history of those series must hold
/// nothing else (but the one batch that may have reached the disk buffer and not the record at the kill).
/// </summary>
public sealed class CollectorOutageTests : IAsyncLifetime
{
    /// <summary>How long the server stays away: the done-when's two minutes, for real.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromMinutes(2);

    private readonly string _data = Directory.CreateTempSubdirectory("monitoring-outage-").FullName;
    private readonly List<IDisposable> _processes = [];
    private PymodbusZonePeer _peer = null!;
    private ZoneRoom _room = null!;

    public async Task InitializeAsync()
    {
        _peer = await PymodbusZonePeer.StartAsync();
        _room = ZoneRoom.Create(_peer.Address);
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        _peer.Dispose();
        await _room.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task The_collector_buffers_through_a_two_minute_server_outage_and_a_kill_9_restart_and_every_written_sample_arrives_once()
    {
        var port = ChildServer.FreePort();
        string[] serverArgs = [
            "--profiles", _room.ProfilesDirectory, "--Monitoring:Modbus:Enabled", "true", "--Monitoring:Collectors:RemoteZones:0", "east",
            "--Monitoring:Collectors:LateSeconds", "5", "--Monitoring:Collectors:LostSeconds", "15", "--Monitoring:Collectors:HeartbeatSeconds", "1"];
        var server = Track(new ChildServer(Path.Combine(_data, "server"), extraArgs: serverArgs, port: port));
        using var admin = await server.StartAsync();
        using var created = await admin.Http.PostAsJsonAsync("/api/tokens", new { name = "collector east", scopes = new[] { "collector" }, zone = "east" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;

        var record = Path.Combine(_data, "written.lp");
        var nodeData = Path.Combine(_data, "node");
        var node = Track(ChildCollector.Start(server.Address!, token, "east", nodeData, record));
        await ServerFixture.EventuallyAsync(() => ZoneAsync(admin), z => z.ValueKind == JsonValueKind.Object && z.GetProperty("state").GetString() == "ok", "zone east ok", 120_000);
        await ServerFixture.EventuallyAsync(() => Task.FromResult(Written(record).Count), n => n >= 20, "20 samples written by the collector", 120_000);

        // the outage: the server stops (SIGTERM) and stays away for Outage
        await server.TerminateAsync();
        var outage = Stopwatch.StartNew();
        var atStop = Written(record).Count;
        await ServerFixture.EventuallyAsync(() => Task.FromResult(Written(record).Count), n => n >= atStop + 10, "samples buffered during the outage", 60_000);

        // the collector is killed in the middle of it (no shutdown: its disk buffer is what is left) and starts again
        var killedAt = DateTimeOffset.UtcNow;
        node.Kill();
        var beforeRestart = Written(record).Count;
        node = Track(ChildCollector.Start(server.Address!, token, "east", nodeData, record));
        await ServerFixture.EventuallyAsync(() => Task.FromResult(Written(record).Count), n => n >= beforeRestart + 10, "samples buffered after the collector's restart", 60_000);
        Assert.Contains(node.Output, l => l.Contains("configuration loaded from the last one received", StringComparison.Ordinal));
        Assert.True(outage.Elapsed < Outage, $"the collector's restart took {outage.Elapsed} of the {Outage} outage");

        // not a condition to wait for: the outage's length is the scenario itself
        await Task.Delay(Outage - outage.Elapsed);
        await server.StartProcessAsync(); // the same data, the same address
        using var reader = await server.SignInAsync();

        // the zone was lost for the outage, and is ok again once the collector reports
        var zone = await ServerFixture.EventuallyAsync(() => ZoneAsync(reader), z => z.GetProperty("state").GetString() == "ok", "zone east ok after the outage", 120_000);
        var gap = zone.GetProperty("gaps").EnumerateArray().Last();
        Assert.Equal("lost", gap.GetProperty("worst").GetString());
        Assert.True(gap.GetProperty("seconds").GetDouble() >= Outage.TotalSeconds, $"the gap is {gap.GetProperty("seconds").GetDouble()} s, shorter than the outage");

        // the devices go away: nothing new is polled, and everything written reaches the server
        _peer.Stop();
        zone = await ServerFixture.EventuallyAsync(
            () => ZoneAsync(reader),
            z => z.GetProperty("backlogBytes").GetInt64() == 0 && z.GetProperty("failingDevices").GetArrayLength() == ZoneRoom.EastDevices.Length,
            "both east sensors failing and the collector's buffer empty",
            120_000);
        var (written, stored) = await ServerFixture.EventuallyAsync(
            async () =>
            {
                var w = Written(record);
                return (Written: w, Stored: await StoredAsync(reader, w));
            },
            ws => ws.Written.Keys.All(ws.Stored.ContainsKey),
            "every written sample in the history",
            120_000);

        var twiceWritten = written.Where(p => p.Value > 1).Select(p => p.Key).Take(10).ToList();
        Assert.True(twiceWritten.Count == 0, $"the record holds samples twice: {string.Join(", ", twiceWritten)}");
        var twice = stored.Where(s => s.Value > 1).Select(s => s.Key).Take(10).ToList();
        Assert.True(twice.Count == 0, $"samples stored more than once: {string.Join(", ", twice)}");

        // counts written = counts read; the only other points allowed: one batch buffered but not yet recorded at the kill
        var killMs = killedAt.ToUnixTimeMilliseconds();
        var extra = stored.Keys.Where(k => !written.ContainsKey(k)).ToList();
        var unexplained = extra.Where(k => k.Ms < killMs - 5_000 || k.Ms > killMs).Take(10).ToList();
        Assert.True(unexplained.Count == 0, $"the history holds samples the collector never wrote: {string.Join(", ", unexplained)}");
        Assert.Equal(written.Values.Sum(), stored.Values.Sum() - extra.Count);
        Assert.True(written.Count >= atStop + 20, $"only {written.Count} samples written");
        Assert.Equal(0, zone.GetProperty("samplesDropped").GetInt64());
    }

    private T Track<T>(T process)
        where T : IDisposable
    {
        _processes.Add(process);
        return process;
    }

    private static async Task<JsonElement> ZoneAsync(SignedInClient client)
    {
        var health = await client.Http.GetFromJsonAsync<JsonElement>("/healthz");
        return health.GetProperty("components").GetProperty("collectors").GetProperty("zones").TryGetProperty("east", out var zone) ? zone : default;
    }

    /// <summary>What the collector wrote (its --record file, line protocol): (device, metric, time in ms) and how often.</summary>
    private static Dictionary<(string Device, string Metric, long Ms), int> Written(string file)
    {
        var result = new Dictionary<(string, string, long), int>();
        if (!File.Exists(file))
        {
            return result;
        }

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var text = new StreamReader(stream);
        while (text.ReadLine() is { } line)
        {
            // measurement,device=D,... field=value ns (tag values may hold escaped spaces and commas)
            var parts = UnescapedSplit(line, ' ');
            if (parts.Count != 3 || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var ns) || parts[1].IndexOf('=', StringComparison.Ordinal) is not (> 0 and var eq))
            {
                continue; // a line being written
            }

            var series = UnescapedSplit(parts[0], ',');
            var device = series.Skip(1).FirstOrDefault(t => t.StartsWith("device=", StringComparison.Ordinal))?["device=".Length..];
            if (device is null)
            {
                continue;
            }

            var key = (device, series[0] + "." + parts[1][..eq], ns / 1_000_000);
            result[key] = result.GetValueOrDefault(key) + 1;
        }

        return result;
    }

    private static List<string> UnescapedSplit(string text, char separator)
    {
        var parts = new List<string>();
        var from = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == separator)
            {
                parts.Add(text[from..i]);
                from = i + 1;
            }
        }

        parts.Add(text[from..]);
        return parts;
    }

    /// <summary>The raw history of every (device, metric) the collector wrote, over the span it wrote: each point and how often it is there.</summary>
    private static async Task<Dictionary<(string Device, string Metric, long Ms), int>> StoredAsync(
        SignedInClient client, Dictionary<(string Device, string Metric, long Ms), int> written)
    {
        var result = new Dictionary<(string, string, long), int>();
        if (written.Count == 0)
        {
            return result;
        }

        var from = written.Keys.Min(k => k.Ms);
        var to = written.Keys.Max(k => k.Ms) + 1;
        foreach (var (device, metric) in written.Keys.Select(k => (k.Device, k.Metric)).Distinct())
        {
            var json = await client.Http.GetFromJsonAsync<JsonElement>(
                $"/api/series?device={device}&metric={metric}&from={from}&to={to}");
            Assert.Equal("raw", json.GetProperty("tier").GetString());
            foreach (var point in json.GetProperty("points").EnumerateArray())
            {
                var key = (device, metric, point.GetProperty("t").GetInt64());
                result[key] = result.GetValueOrDefault(key) + 1;
            }
        }

        return result;
    }
}

/// <summary><c>dotnet monitoring.dll collector ...</c> as a child process, its output kept; SIGTERM stops it gracefully.</summary>
internal sealed class ChildCollector : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ChildCollector(Process process)
    {
        _process = process;
    }

    public IReadOnlyCollection<string> Output => _output;

    public int ExitCode => _process.ExitCode;

    public static ChildCollector Start(Uri server, string token, string zone, string data, string record)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "monitoring.dll");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "collector", "--server", server.ToString(), "--zone", zone, "--data", data, "--record", record, "--heartbeat-seconds", "1", "--flush-ms", "200" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["MONITORING_COLLECTOR_TOKEN"] = token; // not on the command line
        var process = Process.Start(start)!;
        var child = new ChildCollector(process);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>SIGKILL: no shutdown, nothing flushed.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
