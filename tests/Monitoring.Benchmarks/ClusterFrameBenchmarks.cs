using System.Buffers;
using BenchmarkDotNet.Attributes;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Server.Cluster;
using Monitoring.Storage.Influx;

namespace Monitoring.Benchmarks;

/// <summary>
/// Issue 22's node-to-node sample frame (the leader's mirror into the standbys' live state, a standby's MQTT batches to
/// the leader) against the InfluxDB writer's line-protocol encoding of the same batch, which the leader does for every
/// sample anyway: per sample (OperationsPerInvoke), a 5,000-sample batch over the demo room's series (a collector's push).
/// <see cref="DecodeFrame"/> is the receiving node's side (series by name into its own registry, a pooled batch).
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- --filter '*ClusterFrame*'
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class ClusterFrameBenchmarks
{
    private const int BatchSamples = 5_000;
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 20);
    private readonly SampleFrame.Scratch _scratch = new();
    private Inventory _inventory = null!;
    private SeriesRegistry _registry = null!;
    private SeriesRegistry _receiver = null!;
    private SeriesPrefixCache _cache = null!;
    private Sample[] _samples = [];
    private byte[] _frame = [];

    [GlobalSetup]
    public void Setup()
    {
        _inventory = InventoryLoader.Load(InfluxEncodingBenchmarks.FindProfiles());
        _registry = new SeriesRegistry(_inventory);
        var ids = DemoSeries.Intern(_inventory, _registry);

        // a push covers a stretch of the room: 1,000 series, five samples each
        var random = new Random(1);
        _samples = Enumerable.Range(0, BatchSamples).Select(i => new Sample(ids[i % 1_000 % ids.Count], 1_763_000_000_000_000_000 + (i * 1000L), Math.Round(random.NextDouble() * 1000, 2))).ToArray();
        _cache = new SeriesPrefixCache(_registry, _inventory);
        _frame = EncodeFrame();
        _receiver = new SeriesRegistry(_inventory);
        DecodeFrame();
        EncodeLineProtocol();
        Console.WriteLine($"// ClusterFrameBenchmarks: {ids.Count} series in the room; frame {_frame.Length / (double)BatchSamples:F1} bytes per sample, line protocol {_buffer.WrittenCount / (double)BatchSamples:F1}");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BatchSamples)]
    public int EncodeLineProtocol()
    {
        _buffer.Clear();
        foreach (var sample in _samples)
        {
            LineProtocolEncoder.WritePoint(_buffer, _cache.Get(sample.SeriesId), sample.Value, sample.TimestampNs);
        }

        return _buffer.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = BatchSamples)]
    public byte[] EncodeFrame() => SampleFrame.Encode(SampleSource.Cluster, _samples, null, _registry, _inventory, _scratch);

    [Benchmark(OperationsPerInvoke = BatchSamples)]
    public int DecodeFrame()
    {
        using var batch = SampleFrame.Decode(_frame, _receiver, _inventory, out _, out _);
        return batch.Count;
    }
}
