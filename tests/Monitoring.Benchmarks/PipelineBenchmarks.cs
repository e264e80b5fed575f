using System.Buffers;
using BenchmarkDotNet.Attributes;
using Monitoring.Core.Inventory;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Live;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Simulator;

namespace Monitoring.Benchmarks;

/// <summary>
/// Issue 2's ingest target end to end: line-protocol parsing plus the pipeline (intern, batch, channel, live state
/// with status derivation) for a body of exactly 5,000 lines of the demo room's own traffic as the simulator writes
/// it (switch ports, servers, UPS, sensors: about 3.6 samples per line; the setup prints the exact count).
/// Times are per line (OperationsPerInvoke): samples/s = samples per line * 1e9 / Mean(ns). Target: >= 1,000,000
/// samples/s on one core, no allocation per sample (the batch object itself is one allocation per body).
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- --filter '*Pipeline*'
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PipelineBenchmarks
{
    private const int Lines = 5_000;
    private byte[] _body = [];
    private long _nowNs;
    private LineProtocolIngestor _ingestor = null!;
    private SamplePipeline _pipeline = null!;
    private int _samples;

    public int Samples => _samples;

    [GlobalSetup]
    public void Setup()
    {
        var inventory = InventoryLoader.Load(FindProfiles());
        var registry = new SeriesRegistry(inventory);
        _ingestor = new LineProtocolIngestor(inventory, registry);
        _pipeline = new SamplePipeline(new LiveState(inventory, registry));
        var feed = new DemoFeed(inventory, seed: 1);
        var buffer = new ArrayBufferWriter<byte>();
        var start = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
        var written = 0;
        for (var i = 0; written < Lines; i++)
        {
            written += feed.WriteTick(buffer, start.AddSeconds(5 * i));
        }

        _body = FirstLines(buffer.WrittenSpan, Lines);
        _nowNs = (start.AddDays(1) - DateTimeOffset.UnixEpoch).Ticks * 100; // a clock after every tick: no line is from the future
        _samples = IngestAndApply(); // interns every series: the benchmark measures the steady state
        Console.WriteLine($"// PipelineBenchmarks: {Lines} lines, {_samples} samples per body ({(double)_samples / Lines:F2} per line)");
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public int IngestThroughPipeline() => IngestAndApply();

    private int IngestAndApply()
    {
        var batch = SampleBatch.Rent(32 * 1024);
        var result = _ingestor.Ingest(_body, TimestampPrecision.Nanoseconds, _nowNs, batch);
        if (result.LinesRejected != 0)
        {
            throw new InvalidOperationException(result.Errors[0].ToString());
        }

        var write = _pipeline.WriteAsync(batch, CancellationToken.None);
        if (!write.IsCompletedSuccessfully)
        {
            write.AsTask().GetAwaiter().GetResult();
        }

        _pipeline.DrainNow();
        return result.SamplesWritten;
    }

    private static byte[] FirstLines(ReadOnlySpan<byte> text, int count)
    {
        var end = 0;
        for (var i = 0; i < count; i++)
        {
            end += text[end..].IndexOf((byte)'\n') + 1;
        }

        return text[..end].ToArray();
    }

    private static string FindProfiles()
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
