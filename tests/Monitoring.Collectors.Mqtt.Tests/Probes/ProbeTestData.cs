using System.Collections.Concurrent;
using Monitoring.Collectors.Mqtt.Probes;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Mqtt.Tests.Probes;

/// <summary>The shipped device-profiles/ folder: the demo room and the MQTT profiles, loaded once.</summary>
internal static class ProbeTestData
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "device-profiles");
            if (Directory.Exists(Path.Combine(candidate, "mqtt")) && Directory.Exists(Path.Combine(candidate, "rooms")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("device-profiles/ not found above " + AppContext.BaseDirectory);
    });

    private static readonly Lazy<Inventory> LoadedInventory = new(() => InventoryLoader.Load(Root));

    private static readonly Lazy<IReadOnlyDictionary<string, ProbeProfile>> LoadedProfiles = new(() => ProbeProfileLoader.LoadFolder(Root));

    public static string Root => RootPath.Value;

    public static Inventory Inventory => LoadedInventory.Value;

    public static IReadOnlyDictionary<string, ProbeProfile> Profiles => LoadedProfiles.Value;
}

/// <summary>A sink that keeps every sample it is given, for assertions.</summary>
internal sealed class RecordingSink : ISampleSink
{
    private readonly ConcurrentQueue<Sample> _samples = new();

    public int Batches { get; private set; }

    public IReadOnlyList<Sample> Samples => [.. _samples];

    public ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
    {
        foreach (var sample in batch.Samples)
        {
            _samples.Enqueue(sample);
        }

        Batches++;
        batch.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The samples of one device's metric, oldest first.</summary>
    public IReadOnlyList<Sample> Of(SeriesRegistry registry, Device device, string metric) =>
        registry.TryGet(device.Index, metric, -1, out var id) ? [.. _samples.Where(s => s.SeriesId == id)] : [];
}

/// <summary>Collects what a parser hands on.</summary>
internal sealed class ListSink : IProbeValueSink
{
    public List<(string Metric, double Value, long TimestampNs)> Values { get; } = [];

    public void Add(ReadOnlySpan<char> metric, ProbeValue? value, double number, long timestampNs) =>
        Values.Add((metric.ToString(), number, timestampNs));
}
