using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Influx;

/// <summary>
/// Issue 22's trend charts in a cluster: samples go through one node's ingest, its InfluxDB writer sends them to a real
/// VictoriaMetrics and a real InfluxDB 1.x (influxd) started here; two other nodes with empty embedded histories read
/// the charts from those databases (Monitoring:History:ReadFrom) and answer the same points and buckets as the writing
/// node's embedded history. A stopped database answers 503 naming it, and /healthz shows the reader degraded.
/// </summary>
public sealed class RemoteSeriesReaderTests : IAsyncLifetime, IDisposable
{
    private const string Token = "vm-read-token-must-never-show";
    private readonly string _root = Directory.CreateTempSubdirectory("remote-series-").FullName;
    private readonly HttpClient _peerHttp = new() { Timeout = TimeSpan.FromSeconds(10) };
    private PeerProcess? _vm;
    private PeerProcess? _influx;
    private Node? _writer;
    private Node? _vmReader;
    private Node? _influxReader;

    public async Task InitializeAsync()
    {
        _vm = await PeerProcess.StartVictoriaMetricsAsync(Directory.CreateDirectory(Path.Combine(_root, "vm")).FullName);
        _influx = await PeerProcess.StartInfluxdAsync(Directory.CreateDirectory(Path.Combine(_root, "influxd")).FullName);
        using (var created = await _peerHttp.PostAsync(new Uri($"{_influx.Url}/query?q={Uri.EscapeDataString("CREATE DATABASE noc")}"), null))
        {
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        _writer = new Node("embedded", [
            "--Monitoring:Influx:Targets:0:Name", "vm", "--Monitoring:Influx:Targets:0:Url", _vm.Url, "--Monitoring:Influx:Targets:0:Version", "2",
            "--Monitoring:Influx:Targets:0:Org", "noc", "--Monitoring:Influx:Targets:0:Bucket", "noc", "--Monitoring:Influx:Targets:0:FlushIntervalMs", "100",
            "--Monitoring:Influx:Targets:1:Name", "influxd", "--Monitoring:Influx:Targets:1:Url", _influx.Url, "--Monitoring:Influx:Targets:1:Version", "1",
            "--Monitoring:Influx:Targets:1:Database", "noc", "--Monitoring:Influx:Targets:1:FlushIntervalMs", "100"]);
        await _writer.InitializeAsync();
        _vmReader = new Node("VictoriaMetrics", [
            "--Monitoring:History:ReadFrom", "VictoriaMetrics", "--Monitoring:History:Remote:Url", _vm.Url,
            "--Monitoring:History:Remote:Token", Token, "--Monitoring:History:Remote:TimeoutMs", "3000"]);
        await _vmReader.InitializeAsync();
        _influxReader = new Node("influxd", [
            "--Monitoring:History:ReadFrom", "Influx", "--Monitoring:History:Remote:Url", _influx.Url,
            "--Monitoring:History:Remote:Database", "noc", "--Monitoring:History:Remote:Name", "influx-noc", "--Monitoring:History:Remote:TimeoutMs", "3000"]);
        await _influxReader.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var node in new[] { _influxReader, _vmReader, _writer })
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }

        _vm?.Dispose();
        _influx?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public void Dispose() => _peerHttp.Dispose();

    [Fact]
    public async Task Charts_read_from_VictoriaMetrics_and_influxd_match_the_embedded_history_and_a_stopped_one_answers_503()
    {
        var writer = _writer!;
        var cpu = writer.FirstWithMetric("cpu.usage");
        var sw = writer.FirstSwitch();
        var port = sw.Model.Ports[2];
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 3600 * 3600).AddHours(-4);

        // off the bucket edges (ms precision: what VictoriaMetrics keeps), uneven values, so a wrong bucket or aggregate shows
        var cpuSamples = Enumerable.Range(0, 180).Select(i => (Time: start.AddSeconds((i * 47) + 3).AddMilliseconds(125), Value: ((i * 7) % 23) + 0.25)).ToArray();
        var portSamples = Enumerable.Range(0, 60).Select(i => (Time: start.AddSeconds((i * 113) + 11), Value: 1000.5 * ((i * 5) % 13))).ToArray();
        var lines = cpuSamples.Select(s => $"cpu,device={cpu.Id} usage={F(s.Value)} {Ns(s.Time)}")
            .Concat(portSamples.Select(s => $"interface,device={sw.Id},port={port.Index} in_bps={F(s.Value)} {Ns(s.Time)}"));
        using (var written = await writer.Http.PostAsync("/api/v2/write?bucket=b&precision=ns", new StringContent(string.Join('\n', lines) + "\n", Encoding.UTF8)))
        {
            Assert.Equal(HttpStatusCode.NoContent, written.StatusCode);
        }

        // both databases hold every sample before anything is compared
        await ServerFixture.EventuallyAsync(() => VmCountAsync($"cpu_usage{{device=\"{cpu.Id}\"}}"), n => n == cpuSamples.Length, "the cpu samples in VictoriaMetrics", 60_000);
        await ServerFixture.EventuallyAsync(() => VmCountAsync($"interface_in_bps{{device=\"{sw.Id}\"}}"), n => n == portSamples.Length, "the port samples in VictoriaMetrics", 60_000);
        await ServerFixture.EventuallyAsync(() => InfluxCountAsync($"SELECT count(\"usage\") FROM \"cpu\" WHERE \"device\" = '{cpu.Id}'"), n => n == cpuSamples.Length, "the cpu samples in influxd", 60_000);
        await ServerFixture.EventuallyAsync(() => InfluxCountAsync($"SELECT count(\"in_bps\") FROM \"interface\" WHERE \"device\" = '{sw.Id}'"), n => n == portSamples.Length, "the port samples in influxd", 60_000);
        await ServerFixture.EventuallyAsync(() => writer.GetJsonAsync(Query(cpu.Id, "cpu.usage", start, start.AddHours(3))), r => r.GetProperty("points").GetArrayLength() == cpuSamples.Length, "the embedded history", 30_000);

        var windows = new[]
        {
            (What: "raw samples of 3 h", Path: Query(cpu.Id, "cpu.usage", start, start.AddHours(3)), Points: cpuSamples.Length),
            (What: "5-minute buckets", Path: Query(cpu.Id, "cpu.usage", start, start.AddHours(3)) + "&step=5m", Points: 29),
            (What: "30-second buckets", Path: Query(cpu.Id, "cpu.usage", start.AddHours(1), start.AddHours(2)) + "&step=30", Points: 0),
            (What: "1-minute tier of a 7 h range", Path: Query(cpu.Id, "cpu.usage", start.AddHours(-3), start.AddHours(4)), Points: 0),
            (What: "1-hour tier of 8 days", Path: Query(cpu.Id, "cpu.usage", start.AddHours(4).AddDays(-8), start.AddHours(4)), Points: 3),
            (What: "a port by name, 10-minute buckets", Path: Query(sw.Id, "interface.in_bps", start, start.AddHours(2)) + $"&port={Uri.EscapeDataString(port.Name)}&step=10m", Points: 12),
            (What: "a port's raw samples", Path: Query(sw.Id, "interface.in_bps", start, start.AddHours(2)) + $"&port={port.Index}", Points: portSamples.Length),
        };
        foreach (var window in windows)
        {
            var embedded = await writer.GetJsonAsync(window.Path);
            var points = embedded.GetProperty("points").GetArrayLength();
            Assert.True(points > 0, $"{window.What}: the embedded history has no points");
            if (window.Points > 0)
            {
                Assert.Equal(window.Points, points);
            }

            foreach (var reader in new[] { _vmReader!, _influxReader! })
            {
                var remote = await reader.GetJsonAsync(window.Path);
                AssertSame(embedded, remote, $"{window.What} from {reader.Source}");
            }
        }

        // the readers' own embedded histories are empty: what they answered came from the databases
        Assert.Equal(0, _vmReader!.App.Services.GetRequiredService<Monitoring.Storage.History.HistoryStore>().SamplesWritten);
        var health = await _vmReader.GetJsonAsync("/healthz");
        Assert.Equal("VictoriaMetrics", health.GetProperty("components").GetProperty("seriesReader").GetProperty("source").GetString());
        Assert.True(health.GetProperty("components").GetProperty("seriesReader").GetProperty("queries").GetInt64() >= windows.Length);

        // a stopped database: 503 problem+json naming it, never an empty chart; /healthz shows it; the token shows nowhere
        _vm!.Dispose();
        _vm = null;
        using (var answer = await _vmReader.Http.GetAsync(windows[1].Path))
        {
            var body = await answer.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
            Assert.Contains("VictoriaMetrics at 127.0.0.1:", body, StringComparison.Ordinal);
            Assert.DoesNotContain(Token, body, StringComparison.Ordinal);
        }

        using (var healthz = await _vmReader.Http.GetAsync("/healthz"))
        {
            var text = await healthz.Content.ReadAsStringAsync();
            Assert.DoesNotContain(Token, text, StringComparison.Ordinal);
            using var document = JsonDocument.Parse(text);
            var reader = document.RootElement.GetProperty("components").GetProperty("seriesReader");
            Assert.Equal("degraded", reader.GetProperty("state").GetString()?.ToLowerInvariant());
            Assert.True(reader.GetProperty("failures").GetInt64() >= 1, text);
            Assert.False(string.IsNullOrEmpty(reader.GetProperty("lastError").GetString()), text);
        }

        _influx!.Dispose();
        _influx = null;
        using (var answer = await _influxReader!.Http.GetAsync(windows[0].Path))
        {
            var body = await answer.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.Contains("influx-noc", body, StringComparison.Ordinal);
        }
    }

    private static void AssertSame(JsonElement embedded, JsonElement remote, string what)
    {
        foreach (var property in new[] { "device", "metric", "tier", "unit" })
        {
            Assert.True(embedded.GetProperty(property).ToString() == remote.GetProperty(property).ToString(), $"{what}: '{property}' differs: {remote.GetProperty(property)} != {embedded.GetProperty(property)}");
        }

        Assert.Equal(embedded.GetProperty("stepSeconds").GetDouble(), remote.GetProperty("stepSeconds").GetDouble());
        Assert.Equal(embedded.GetProperty("port").ToString(), remote.GetProperty("port").ToString());
        var expected = embedded.GetProperty("points").EnumerateArray().ToArray();
        var actual = remote.GetProperty("points").EnumerateArray().ToArray();
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} points, the embedded history has {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            var e = expected[i];
            var a = actual[i];
            Assert.True(e.GetProperty("t").GetInt64() == a.GetProperty("t").GetInt64(), $"{what}: point {i} at {a.GetProperty("t")}, expected {e.GetProperty("t")}");
            Assert.True(e.GetProperty("count").GetInt64() == a.GetProperty("count").GetInt64(), $"{what}: point {i} count {a.GetProperty("count")}, expected {e.GetProperty("count")}");
            foreach (var value in new[] { "min", "max", "last" })
            {
                Assert.True(e.GetProperty(value).GetDouble() == a.GetProperty(value).GetDouble(), $"{what}: point {i} {value} {a.GetProperty(value)}, expected {e.GetProperty(value)}");
            }

            Assert.True(Math.Abs(e.GetProperty("avg").GetDouble() - a.GetProperty("avg").GetDouble()) < 1e-9, $"{what}: point {i} avg {a.GetProperty("avg")}, expected {e.GetProperty("avg")}");
        }
    }

    private async Task<long> VmCountAsync(string selector)
    {
        var query = $"sum(count_over_time({selector}[1d]))";
        var json = await _peerHttp.GetFromJsonAsync<JsonElement>(new Uri($"{_vm!.Url}/api/v1/query?query={Uri.EscapeDataString(query)}"));
        var result = json.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? 0 : long.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    private async Task<long> InfluxCountAsync(string query)
    {
        var json = await _peerHttp.GetFromJsonAsync<JsonElement>(new Uri($"{_influx!.Url}/query?db=noc&q={Uri.EscapeDataString(query)}"));
        var statement = json.GetProperty("results")[0];
        return statement.TryGetProperty("series", out var series) ? series[0].GetProperty("values")[0][1].GetInt64() : 0;
    }

    private static string Query(string device, string metric, DateTimeOffset from, DateTimeOffset to) =>
        $"/api/series?device={Uri.EscapeDataString(device)}&metric={metric}&from={from.ToUnixTimeMilliseconds()}&to={Uri.EscapeDataString(to.ToString("O", CultureInfo.InvariantCulture))}";

    private static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static long Ns(DateTimeOffset time) => time.ToUnixTimeMilliseconds() * 1_000_000;

    /// <summary>One server node: a plain server with its own data directory and these settings.</summary>
    private sealed class Node(string source, string[] args) : ServerFixture(["--Monitoring:History:FlushIntervalMs", "100", .. args])
    {
        public string Source { get; } = source;
    }
}

/// <summary>A time-series database that accepts the connection and never answers: the chart answers 503 after the timeout.</summary>
public sealed class RemoteSeriesReaderTimeoutTests
{
    [Fact]
    public async Task A_database_that_does_not_answer_within_the_timeout_makes_the_chart_answer_503()
    {
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var held = new List<System.Net.Sockets.TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    held.Add(await silent.AcceptTcpClientAsync(stop.Token)); // read nothing, answer nothing
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var node = new SilentNode(port);
        await node.InitializeAsync();
        try
        {
            var device = node.FirstWithMetric("cpu.usage");
            using var answer = await node.Http.GetAsync($"/api/series?device={Uri.EscapeDataString(device.Id)}&metric=cpu.usage");
            var body = await answer.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.Contains("silent-vm", body, StringComparison.Ordinal);
            Assert.Contains("did not answer within 1000 ms", body, StringComparison.Ordinal);
        }
        finally
        {
            await node.DisposeAsync();
            await stop.CancelAsync();
            await accepting;
            held.ForEach(c => c.Dispose());
        }
    }

    private sealed class SilentNode(int port) : ServerFixture([
        "--Monitoring:History:ReadFrom", "VictoriaMetrics", "--Monitoring:History:Remote:Url", $"http://127.0.0.1:{port}",
        "--Monitoring:History:Remote:Name", "silent-vm", "--Monitoring:History:Remote:TimeoutMs", "1000"]);
}
