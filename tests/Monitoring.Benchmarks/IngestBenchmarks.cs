using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Monitoring.Core.Inventory;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Series;

namespace Monitoring.Benchmarks;

/// <summary>
/// The line-protocol ingest hot path on a batch of 5,000 lines of switch, server and UPS data (device tags, port
/// tags by name and by index, 2-4 fields per line, 15,000 samples). Times are per sample (OperationsPerInvoke):
/// samples/s = 1e9 / Mean(ns). Target: at least 1,000,000 samples/s on one core, 0 bytes allocated per sample.
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- --filter '*Ingest*'
/// One short job, in process: the box is shared, and rebuilding the benchmark out of process there takes longer
/// than BenchmarkDotNet's build timeout.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortInProcessConfig))]
public class IngestBenchmarks
{
    public const int Lines = 5_000;
    public const int SamplesPerBatch = 15_000;
    private const long Now = 1_763_800_000_000_000_000;

    private byte[] _inventoryBody = [];
    private byte[] _freeFormBody = [];
    private LineProtocolIngestor _ingestor = null!;
    private SampleBatch _batch = null!;

    [GlobalSetup]
    public void Setup()
    {
        var inventory = CreateInventory(switches: 120, servers: 80, upses: 12);
        _ingestor = new LineProtocolIngestor(inventory, new SeriesRegistry(inventory));
        _inventoryBody = CreateInventoryBody();
        _freeFormBody = CreateFreeFormBody();
        _batch = SampleBatch.Rent(SamplesPerBatch);
        foreach (var body in new[] { _inventoryBody, _freeFormBody })
        {
            // intern every series once: the benchmark measures the steady state
            var result = _ingestor.Ingest(body, TimestampPrecision.Nanoseconds, Now, _batch);
            if (result.LinesRejected != 0 || result.LinesWritten != Lines || result.SamplesWritten != SamplesPerBatch)
            {
                throw new InvalidOperationException($"benchmark data is off: {result.LinesWritten} lines, {result.SamplesWritten} samples, first error {(result.Errors.Count > 0 ? result.Errors[0] : null)}");
            }

            _batch.Clear();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _batch.Dispose();

    /// <summary>Reader only: every line parsed and every field value read.</summary>
    [Benchmark(OperationsPerInvoke = SamplesPerBatch)]
    public double ParseOnly()
    {
        var sum = 0.0;
        var reader = new LineProtocolReader(_inventoryBody, TimestampPrecision.Nanoseconds, Now);
        while (reader.Read())
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                sum += reader.GetField(i).ToDouble();
            }
        }

        return sum;
    }

    /// <summary>Parse, resolve device and port, intern (series known), add to a SampleBatch.</summary>
    [Benchmark(OperationsPerInvoke = SamplesPerBatch)]
    public int ParseInternAdd()
    {
        _batch.Clear();
        return _ingestor.Ingest(_inventoryBody, TimestampPrecision.Nanoseconds, Now, _batch).SamplesWritten;
    }

    /// <summary>The same for free-form series (no device tag): the tag set is sorted into a canonical key per line.</summary>
    [Benchmark(OperationsPerInvoke = SamplesPerBatch)]
    public int ParseInternAddFreeForm()
    {
        _batch.Clear();
        return _ingestor.Ingest(_freeFormBody, TimestampPrecision.Nanoseconds, Now, _batch).SamplesWritten;
    }

    /// <summary>Line i: i % 3 == 0 a switch port (4 fields), 1 a server (2 fields), 2 a UPS (3 fields).</summary>
    private static byte[] CreateInventoryBody()
    {
        var random = new Random(42);
        var text = new StringBuilder();
        for (var i = 0; i < Lines; i++)
        {
            var ts = 1_763_800_000_000_000_000L + (i * 1_000_000L);
            _ = (i % 3) switch
            {
                0 => text.Append(CultureInfo.InvariantCulture,
                    $"interface,device=sw-{i % 120:D3},port={(i % 2 == 0 ? $"GE1/0/{(i % 48) + 1}" : $"{(i % 48) + 1}")} in_octets={random.NextInt64(1L << 40)}i,out_octets={random.NextInt64(1L << 40)}i,oper_status=1i,in_errors={random.Next(5)}i {ts}"),
                1 => text.Append(CultureInfo.InvariantCulture,
                    $"system,device=srv-{i % 80:D3},role=db cpu_usage={random.NextDouble() * 100:F2},mem_usage={random.NextDouble() * 100:F1} {ts}"),
                _ => text.Append(CultureInfo.InvariantCulture,
                    $"ups,device=ups-{i % 12:D2} battery_capacity={90 + (random.NextDouble() * 10):F1},load={random.NextDouble() * 80:F1},input_voltage={215 + (random.NextDouble() * 15):F1} {ts}"),
            };
            text.Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Telegraf-style lines from hosts outside the inventory, tags in varying order; same field counts.</summary>
    private static byte[] CreateFreeFormBody()
    {
        var random = new Random(43);
        var text = new StringBuilder();
        for (var i = 0; i < Lines; i++)
        {
            var ts = 1_763_800_000_000_000_000L + (i * 1_000_000L);
            _ = (i % 3) switch
            {
                0 => text.Append(CultureInfo.InvariantCulture,
                    $"net,interface=eth{i % 4},host=edge-{i % 50:D2},site=机房A bytes_recv={random.NextInt64(1L << 40)}i,bytes_sent={random.NextInt64(1L << 40)}i,err_in=0i,drop_in={random.Next(3)}i {ts}"),
                1 => text.Append(CultureInfo.InvariantCulture,
                    $"cpu,host=edge-{i % 50:D2},cpu=cpu-total,site=机房A usage_user={random.NextDouble() * 100:F2},usage_system={random.NextDouble() * 30:F2} {ts}"),
                _ => text.Append(CultureInfo.InvariantCulture,
                    $"mem,site=机房A,host=edge-{i % 50:D2} used_percent={random.NextDouble() * 100:F2},available={random.NextInt64(1L << 34)}i,swap_used=0i {ts}"),
            };
            text.Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static Inventory CreateInventory(int switches, int servers, int upses)
    {
        var switchModel = new DeviceModel
        {
            Id = "s5735-48",
            Name = "S5735-L48T4S",
            Kind = DeviceKind.Switch,
            HeightU = 1,
            Ports = Enumerable.Range(1, 48).Select(n => new PortDefinition(n, $"GE1/0/{n}", PortKind.Copper, n / 50.0, 0.5, 0, n)).ToArray(),
            Metrics = [new MetricDefinition { Name = "interface.oper_status", Scope = MetricScope.Port }],
        };
        var serverModel = new DeviceModel { Id = "srv-2u", Name = "2U server", Kind = DeviceKind.Server, HeightU = 2 };
        var upsModel = new DeviceModel { Id = "ups-10k", Name = "UPS 10 kVA", Kind = DeviceKind.Ups };
        var devices = new List<Device>();
        void Add(string id, DeviceModel model) =>
            devices.Add(new Device { Id = id, Name = id, Model = model, RoomId = "room-1", Index = devices.Count });
        for (var i = 0; i < switches; i++)
        {
            Add($"sw-{i:D3}", switchModel);
        }

        for (var i = 0; i < servers; i++)
        {
            Add($"srv-{i:D3}", serverModel);
        }

        for (var i = 0; i < upses; i++)
        {
            Add($"ups-{i:D2}", upsModel);
        }

        var room = new Room { Id = "room-1", Name = "信息通信机房", Size = new RoomSize(20, 12, 3), Devices = devices };
        return new Inventory([switchModel, serverModel, upsModel], [room]);
    }

    private sealed class ShortInProcessConfig : ManualConfig
    {
        public ShortInProcessConfig()
        {
            AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
        }
    }
}
