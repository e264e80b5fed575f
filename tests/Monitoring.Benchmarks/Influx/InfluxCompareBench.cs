using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;
using Monitoring.Storage.Influx;
using Monitoring.Testing;

namespace Monitoring.Benchmarks.Influx;

/// <summary>
/// The InfluxDB writer's overhead on top of a plain HTTP POST, against real peers: a VictoriaMetrics (v2 API) and an
/// influxd 1.x (v1 API) started here on loopback, plus the in-process loopback sink of <c>InfluxEncodingBenchmarks</c>.
/// For each peer and round, the same pre-encoded batches of the demo room's series (fresh timestamps per run, encoded
/// before the clock starts) are written once by a plain <see cref="HttpClient"/> POST loop (gzip, one request at a
/// time) and once through <see cref="InfluxTargetWriter"/> (Accept every batch, wait until all are written and its
/// disk buffer is empty); the order alternates per round. Reports points/s of each and the writer's overhead
/// (median of the per-round time ratios).
/// dotnet run -c Release --project tests/Monitoring.Benchmarks -- influx-compare [ROUNDS=5] [BATCHES=100] [POINTS=5000]
/// </summary>
public static class InfluxCompareBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var batches = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        var points = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5000;
        var root = Directory.CreateTempSubdirectory("influx-compare-").FullName;
        var room = DemoRoom.Create(batches * points);
        Console.WriteLine($"influx-compare: {rounds} rounds x {batches} batches x {points} points of the demo room's {room.SeriesCount} series, {Environment.ProcessorCount} cores");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 4, PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        var results = new List<string>();
        try
        {
            using (var sink = new LoopbackSink())
            {
                results.Add(await CompareAsync("loopback sink (v2)", new InfluxTargetOptions { Url = sink.Url, Version = 2, Org = "o", Bucket = "b" }, room, http, root, rounds, batches, points).ConfigureAwait(false));
            }

            using (var vm = await PeerProcess.StartVictoriaMetricsAsync(Directory.CreateDirectory(Path.Combine(root, "vm")).FullName).ConfigureAwait(false))
            {
                results.Add(await CompareAsync("VictoriaMetrics (v2)", new InfluxTargetOptions { Url = vm.Url, Version = 2, Org = "o", Bucket = "b" }, room, http, root, rounds, batches, points).ConfigureAwait(false));
            }

            using (var influx = await PeerProcess.StartInfluxdAsync(Directory.CreateDirectory(Path.Combine(root, "influxd")).FullName).ConfigureAwait(false))
            {
                using (var create = await http.PostAsync(new Uri(influx.Url + "/query?q=CREATE%20DATABASE%20bench"), null).ConfigureAwait(false))
                {
                    create.EnsureSuccessStatusCode();
                }

                results.Add(await CompareAsync("influxd 1.x (v1)", new InfluxTargetOptions { Url = influx.Url, Version = 1, Database = "bench" }, room, http, root, rounds, batches, points).ConfigureAwait(false));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        Console.WriteLine();
        Console.WriteLine("| peer | plain POST | writer | writer overhead (median of rounds) | each round, sorted | process CPU plain / writer |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var line in results)
        {
            Console.WriteLine(line);
        }

        return 0;
    }

    private static async Task<string> CompareAsync(
        string peer, InfluxTargetOptions options, DemoRoom room, HttpClient http, string root, int rounds, int batches, int points)
    {
        var uri = new InfluxSender(http, options, TimeProvider.System).WriteUri;
        var plain = new List<(double Seconds, double Cpu)>();
        var writer = new List<(double Seconds, double Cpu)>();
        var run = 0;

        // one warm-up of each, not counted (connections, JIT, the peer's first series)
        await PlainAsync(http, uri, room.Encode(batches, points, run++)).ConfigureAwait(false);
        await WriterAsync(options, http, Path.Combine(root, "warm"), room.Encode(batches, points, run++), points).ConfigureAwait(false);
        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < 2; k++)
            {
                var writerTurn = (round + k) % 2 == 1;
                var data = room.Encode(batches, points, run++);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var seconds = writerTurn
                    ? await WriterAsync(options, http, Path.Combine(root, "w" + run.ToString(CultureInfo.InvariantCulture)), data, points).ConfigureAwait(false)
                    : await PlainAsync(http, uri, data).ConfigureAwait(false);
                var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                (writerTurn ? writer : plain).Add((seconds, used));
            }

            Console.WriteLine($"  {peer} round {round + 1}: plain {plain[^1].Seconds * 1000:F0} ms, writer {writer[^1].Seconds * 1000:F0} ms ({(writer[^1].Seconds / plain[^1].Seconds - 1) * 100:+0.0;-0.0} %)");
        }

        var total = (double)batches * points;
        var ratios = plain.Zip(writer, (p, w) => (w.Seconds / p.Seconds) - 1).Order().ToList();
        var medianPlain = Median(plain.Select(p => p.Seconds));
        var medianWriter = Median(writer.Select(w => w.Seconds));
        return string.Create(CultureInfo.InvariantCulture,
            $"| {peer} | {total / medianPlain:N0} points/s | {total / medianWriter:N0} points/s | {Median(ratios) * 100:+0.0;-0.0} % | {string.Join(", ", ratios.Select(r => (r * 100).ToString("+0.0;-0.0", CultureInfo.InvariantCulture)))} | {Median(plain.Select(p => p.Cpu)):F2} s / {Median(writer.Select(w => w.Cpu)):F2} s |");
    }

    /// <summary>The plain loop: gzip each pre-encoded batch and POST it with HttpClient, one at a time, as a hand-written client would.</summary>
    private static async Task<double> PlainAsync(HttpClient http, Uri uri, byte[][] batches)
    {
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            using var content = new ByteArrayContent(InfluxSender.Compress(batch));
            content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
            content.Headers.ContentEncoding.Add("gzip");
            using var response = await http.PostAsync(uri, content).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"plain POST failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
            }
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The writer: every batch through Accept (gzip, disk buffer) and its sender loop, until all are written.</summary>
    private static async Task<double> WriterAsync(InfluxTargetOptions options, HttpClient http, string directory, byte[][] batches, int points)
    {
        using var writer = new InfluxTargetWriter("bench", options, directory, http, TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var total = (long)batches.Length * points;
        var clock = Stopwatch.StartNew();
        var running = Task.Run(() => writer.RunAsync(stop.Token));
        foreach (var batch in batches)
        {
            writer.Accept(batch, points);
        }

        // poll gently (every 2 ms): a spinning wait would take a core from the sender on a 2-core machine
        while (writer.Status().PointsWritten < total)
        {
            if (writer.Status() is { PointsRejected: > 0 } or { LastError: not null, Connected: false })
            {
                throw new InvalidOperationException("writer failed: " + writer.Status());
            }

            await Task.Delay(2).ConfigureAwait(false);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        if (!writer.Buffer.IsEmpty)
        {
            throw new InvalidOperationException("written but the buffer is not empty");
        }

        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        return seconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>The demo room's series (every device and port metric) and values, encoded as the writer's encoder does.</summary>
    private sealed class DemoRoom
    {
        private readonly SeriesPrefixCache _cache;
        private readonly int[] _ids;
        private readonly double[] _values;

        private DemoRoom(SeriesPrefixCache cache, int[] ids, double[] values)
        {
            _cache = cache;
            _ids = ids;
            _values = values;
        }

        public int SeriesCount => _ids.Length;

        public static DemoRoom Create(int points)
        {
            var inventory = InventoryLoader.Load(FindProfiles());
            var registry = new SeriesRegistry(inventory);
            var ids = DemoSeries.Intern(inventory, registry);

            var random = new Random(1);
            var values = Enumerable.Range(0, points).Select(_ => Math.Round(random.NextDouble() * 1000, 2)).ToArray();
            return new DemoRoom(new SeriesPrefixCache(registry, inventory), [.. ids], values);
        }

        /// <summary>Batches of points cycling through the series, one timestamp per pass, distinct for each run.</summary>
        public byte[][] Encode(int batches, int points, int run)
        {
            // recent timestamps (VictoriaMetrics drops samples older than its retention), 1 s apart per pass, per run apart
            var baseNs = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 3_600_000L) * 1_000_000L + (run * 1_000_000L);
            var result = new byte[batches][];
            var buffer = new ArrayBufferWriter<byte>(points * 200);
            var i = 0;
            for (var b = 0; b < batches; b++)
            {
                buffer.ResetWrittenCount();
                for (var p = 0; p < points; p++, i++)
                {
                    var pass = i / _ids.Length;
                    LineProtocolEncoder.WritePoint(buffer, _cache.Get(_ids[i % _ids.Length]), _values[i % _values.Length], baseNs - (pass * 1_000_000_000L));
                }

                result[b] = buffer.WrittenSpan.ToArray();
            }

            return result;
        }

        private static string FindProfiles()
        {
            foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
                    {
                        return Path.Combine(dir.FullName, "device-profiles");
                    }
                }
            }

            return Path.Combine(AppContext.BaseDirectory, "device-profiles");
        }
    }

    /// <summary>An in-process HTTP sink on loopback that reads each body and answers 204 (no database at all).</summary>
    private sealed class LoopbackSink : IDisposable
    {
        private readonly HttpListener _listener = new();

        public LoopbackSink()
        {
            Url = $"http://127.0.0.1:{PeerProcess.FreePort()}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public string Url { get; }

        public void Dispose() => _listener.Close();

        private async Task LoopAsync()
        {
            var drain = new byte[1 << 16];
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync().ConfigureAwait(false);
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
    }
}
