using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;
using Monitoring.Storage.Influx;

namespace Monitoring.Benchmarks;

/// <summary>
/// Issue 6's InfluxDB writer. <see cref="EncodePoints"/>: line-protocol encoding of the demo room's series (every
/// device metric and port metric it has, tags pre-encoded per series) into a reused buffer, per point
/// (OperationsPerInvoke). Target: >= 2,000,000 points/s on one core (Mean &lt;= 500 ns), 0 B allocated.
/// <see cref="PlainHttpPost"/> vs <see cref="WriterSend"/>: the same 20 pre-encoded batches of 5,000 points to an
/// in-process loopback sink, gzip in both; the writer adds its disk buffer and bookkeeping. Target: overhead &lt; 10 %.
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- --filter '*InfluxEncoding*'
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class InfluxEncodingBenchmarks : IDisposable
{
    private const int Points = 100_000;
    private const int Batches = 20;
    private const int BatchPoints = 5_000;
    private readonly ArrayBufferWriter<byte> _buffer = new(16 << 20);
    private SeriesPrefixCache _cache = null!;
    private Sample[] _samples = [];
    private byte[][] _batches = [];
    private HttpListener _sink = null!;
    private HttpClient _http = null!;
    private string _url = "";
    private string _directory = "";
    private InfluxTargetWriter _writer = null!;
    private CancellationTokenSource _stop = null!;

    [GlobalSetup]
    public void Setup()
    {
        var inventory = InventoryLoader.Load(FindProfiles());
        var registry = new SeriesRegistry(inventory);
        var ids = DemoSeries.Intern(inventory, registry);

        _cache = new SeriesPrefixCache(registry, inventory);
        var random = new Random(1);
        _samples = Enumerable.Range(0, Points).Select(i => new Sample(ids[i % ids.Count], 1_763_000_000_000_000_000 + (i * 1000L), Math.Round(random.NextDouble() * 1000, 2))).ToArray();
        EncodePoints();
        Console.WriteLine($"// InfluxEncodingBenchmarks: {ids.Count} series, {_buffer.WrittenCount / Points} bytes per point");

        _batches = new byte[Batches][];
        for (var b = 0; b < Batches; b++)
        {
            var writer = new ArrayBufferWriter<byte>();
            foreach (var sample in _samples.AsSpan(b * BatchPoints, BatchPoints))
            {
                LineProtocolEncoder.WritePoint(writer, _cache.Get(sample.SeriesId), sample.Value, sample.TimestampNs);
            }

            _batches[b] = writer.WrittenSpan.ToArray();
        }

        var port = FreePort();
        _url = $"http://127.0.0.1:{port}";
        _sink = new HttpListener();
        _sink.Prefixes.Add(_url + "/");
        _sink.Start();
        _ = Task.Run(SinkAsync);
        _http = new HttpClient(new SocketsHttpHandler());
        _directory = Directory.CreateTempSubdirectory("influx-bench-").FullName;
        _writer = new InfluxTargetWriter("bench", new InfluxTargetOptions { Url = _url, Bucket = "b" }, _directory, _http, TimeProvider.System, NullLogger.Instance);
        _stop = new CancellationTokenSource();
        _ = _writer.RunAsync(_stop.Token);
    }

    public void Dispose()
    {
        Cleanup();
        GC.SuppressFinalize(this);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_stop is null)
        {
            return;
        }

        _stop.Cancel();
        _sink.Stop();
        _writer.Dispose();
        _http.Dispose();
        _stop.Dispose();
        Directory.Delete(_directory, recursive: true);
        _stop = null!;
    }

    [Benchmark(OperationsPerInvoke = Points)]
    public int EncodePoints()
    {
        _buffer.ResetWrittenCount();
        foreach (ref readonly var sample in _samples.AsSpan())
        {
            LineProtocolEncoder.WritePoint(_buffer, _cache.Get(sample.SeriesId), sample.Value, sample.TimestampNs);
        }

        return _buffer.WrittenCount;
    }

    [Benchmark(Baseline = true)]
    public async Task PlainHttpPost()
    {
        var uri = new Uri(_url + "/api/v2/write?org=&bucket=b&precision=ns");
        foreach (var batch in _batches)
        {
            using var content = new ByteArrayContent(InfluxSender.Compress(batch));
            content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            content.Headers.ContentEncoding.Add("gzip");
            using var response = await _http.PostAsync(uri, content).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
        }
    }

    [Benchmark]
    public async Task WriterSend()
    {
        var target = _writer.Status().PointsWritten + (Batches * BatchPoints);
        foreach (var batch in _batches)
        {
            _writer.Accept(batch, BatchPoints);
        }

        // poll gently: a spinning wait would take a core from the sender on a 2-core machine
        while (_writer.Status().PointsWritten < target)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    private async Task SinkAsync()
    {
        var drain = new byte[1 << 16];
        while (_sink.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _sink.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            while (await context.Request.InputStream.ReadAsync(drain).ConfigureAwait(false) > 0)
            {
            }

            context.Response.StatusCode = 204;
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    internal static string FindProfiles()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
            {
                return Path.Combine(dir.FullName, "device-profiles");
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "device-profiles");
    }
}
