using Microsoft.Extensions.DependencyInjection;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Influx;

/// <summary>
/// Issue 6's outage test on the whole server: samples stream into the server's own <c>/api/v2/write</c> ingest, the
/// InfluxDB (a real influxd started here) goes away, the server is stopped and started again on the same data directory
/// during the outage, the stream goes on, the database comes back: every sample the server answered 204 is in the
/// database afterwards, each timestamp once.
/// </summary>
public sealed class InfluxOutageRestartTests : IAsyncLifetime, IDisposable
{
    private const long BaseNs = 1_763_000_000_000_000_000;
    private readonly string _root = Directory.CreateTempSubdirectory("influx-outage-").FullName;
    private readonly HttpClient _influxHttp = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly ConcurrentDictionary<long, byte> _acknowledged = new();
    private readonly ConcurrentDictionary<long, byte> _sent = new();
    private PeerProcess? _influx;
    private WebApplication? _server;
    private int _serverPort;
    private int _influxPort;

    private string DataDirectory => Path.Combine(_root, "data");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await StopServerAsync();
        _influx?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public void Dispose()
    {
        _influxHttp.Dispose();
        _client.Dispose();
    }

    [Fact]
    public async Task Every_sample_answered_204_is_in_influxd_after_an_outage_with_a_server_restart_in_it()
    {
        var influxDir = Directory.CreateDirectory(Path.Combine(_root, "influxd")).FullName;
        _influxPort = PeerProcess.FreePort();
        _serverPort = PeerProcess.FreePort();
        _influx = await PeerProcess.StartInfluxdAsync(influxDir, _influxPort);
        await QueryAsync("CREATE DATABASE noc", post: true);
        await StartServerAsync();

        using var stopStream = new CancellationTokenSource();
        var stream = Task.Run(() => StreamAsync(stopStream.Token));
        try
        {
            // up: samples flow through the server into the database
            await ServerFixture.EventuallyAsync(() => CountAsync(), n => n >= 20, "the first samples in influxd", 20_000);

            // the database goes away under the stream
            _influx.Dispose();
            _influx = null;
            await ServerFixture.EventuallyAsync(() => TargetAsync(), t => !t.GetProperty("connected").GetBoolean() && t.GetProperty("pointsBuffered").GetInt64() > 0, "the server to buffer", 20_000);
            var acknowledgedBefore = _acknowledged.Count;
            await WaitForMoreAcknowledgedAsync(acknowledgedBefore + 30);

            // the server restarts during the outage, on the same data directory; the stream keeps trying meanwhile
            await StopServerAsync();
            await Task.Delay(300);
            await StartServerAsync();
            var recovered = await TargetAsync();
            Assert.True(recovered.GetProperty("pointsBuffered").GetInt64() >= 30, "the restarted server did not find the buffered points: " + recovered);
            await WaitForMoreAcknowledgedAsync(_acknowledged.Count + 30);

            // the database comes back
            _influx = await PeerProcess.StartInfluxdAsync(influxDir, _influxPort);
            await WaitForMoreAcknowledgedAsync(Math.Max(_acknowledged.Count + 30, 150)); // the phases can pass quickly: at least 150 in all
        }
        finally
        {
            await stopStream.CancelAsync();
            await stream;
        }

        var acknowledged = _acknowledged.Keys.ToHashSet();
        Assert.True(acknowledged.Count >= 150, $"only {acknowledged.Count} samples were acknowledged");
        await ServerFixture.EventuallyAsync(() => CountAsync(), n => n >= acknowledged.Count, $"{acknowledged.Count} samples in influxd", 60_000);
        var target = await TargetAsync();
        Assert.Equal(0, target.GetProperty("pointsDropped").GetInt64());
        Assert.Equal(0, target.GetProperty("pointsRejected").GetInt64());

        // exact: every acknowledged timestamp is there once, with its value; nothing is there that was never sent
        var stored = await TimestampsAsync();
        Assert.Equal(stored.Count, stored.Select(p => p.Timestamp).Distinct().Count());
        var storedIndexes = stored.Select(p => (p.Timestamp - BaseNs) / 1_000_000).ToHashSet();
        Assert.Empty(acknowledged.Except(storedIndexes));
        Assert.Empty(storedIndexes.Except(_sent.Keys));
        Assert.All(stored, p => Assert.Equal((p.Timestamp - BaseNs) / 1_000_000, (long)p.Value));
        Assert.Equal(stored.Count, await CountAsync());

        // a sample whose answer was lost in the restart may or may not be there; everything answered 204 is
        Assert.InRange(stored.Count, acknowledged.Count, _sent.Count);
    }

    private async Task StreamAsync(CancellationToken cancellationToken)
    {
        for (long i = 0; !cancellationToken.IsCancellationRequested; i++)
        {
            var line = string.Create(CultureInfo.InvariantCulture, $"outage,site=restart\\ test value={i} {BaseNs + (i * 1_000_000)}\n");
            try
            {
                using var content = new StringContent(line, Encoding.UTF8);
                _sent[i] = 0;
                using var response = await _client.PostAsync(new Uri($"http://127.0.0.1:{_serverPort}/api/v2/write?bucket=b&precision=ns"), content, CancellationToken.None);
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    _acknowledged[i] = 0;
                }
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                _sent.TryRemove(i, out _); // never reached a server
            }
            catch (HttpRequestException)
            {
                // the server stopped mid-request: maybe written, maybe not; it stays in _sent
            }
            catch (TaskCanceledException)
            {
            }

            try
            {
                await Task.Delay(5, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WaitForMoreAcknowledgedAsync(int count) =>
        await ServerFixture.EventuallyAsync(() => Task.FromResult(_acknowledged.Count), n => n >= count, $"{count} acknowledged samples", 30_000);

    private async Task StartServerAsync()
    {
        _server = ServerHost.Build([
            "--urls", $"http://127.0.0.1:{_serverPort}", "--data", DataDirectory, "--simulator", "false",
            "--Monitoring:Influx:Targets:0:Name", "influxd",
            "--Monitoring:Influx:Targets:0:Url", $"http://127.0.0.1:{_influxPort}",
            "--Monitoring:Influx:Targets:0:Version", "1",
            "--Monitoring:Influx:Targets:0:Database", "noc",
            "--Monitoring:Influx:Targets:0:BatchSize", "25",
            "--Monitoring:Influx:Targets:0:FlushIntervalMs", "100",
            "--Monitoring:Influx:Targets:0:TimeoutMs", "2000"]);
        await _server.StartAsync();
        if (_client.DefaultRequestHeaders.Authorization is null)
        {
            // an InfluxDB client's way in: an API token with the samples:write scope, kept across the restart
            var created = await _server.Services.GetRequiredService<Monitoring.Server.Security.TokenDirectory>()
                .CreateAsync("outage-stream", ["samples:write"], null, "test", CancellationToken.None);
            _client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Token", created.Secret);
        }
    }

    private async Task StopServerAsync()
    {
        if (_server is null)
        {
            return;
        }

        await _server.StopAsync();
        await _server.DisposeAsync();
        _server = null;
    }

    private async Task<JsonElement> TargetAsync()
    {
        var health = await _client.GetFromJsonAsync<JsonElement>(new Uri($"http://127.0.0.1:{_serverPort}/healthz"));
        return health.GetProperty("components").GetProperty("influx").GetProperty("targets")[0].Clone();
    }

    private async Task<long> CountAsync()
    {
        if (_influx is null)
        {
            return 0;
        }

        var result = await QueryAsync("SELECT count(value) FROM outage");
        var statement = result.GetProperty("results")[0];
        return statement.TryGetProperty("series", out var series) ? series[0].GetProperty("values")[0][1].GetInt64() : 0;
    }

    private async Task<List<(long Timestamp, double Value)>> TimestampsAsync()
    {
        var result = await QueryAsync("SELECT value FROM outage WHERE site = 'restart test' ORDER BY time");
        return result.GetProperty("results")[0].GetProperty("series")[0].GetProperty("values").EnumerateArray()
            .Select(row => (row[0].GetInt64(), row[1].GetDouble())).ToList();
    }

    private async Task<JsonElement> QueryAsync(string q, bool post = false)
    {
        var uri = new Uri($"http://127.0.0.1:{_influxPort}/query?db=noc&epoch=ns&q={Uri.EscapeDataString(q)}");
        using var response = post ? await _influxHttp.PostAsync(uri, null) : await _influxHttp.GetAsync(uri);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
