using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;
using Monitoring.Core.Tests.InventoryLoading;
using Monitoring.Testing;

namespace Monitoring.Core.Tests.Alarms;

/// <summary>
/// The demo room's inventory, a set of rules written as YAML, an engine on a fake clock and an in-memory store,
/// and a sink that records every event: what each alarm test drives.
/// </summary>
internal sealed class AlarmHarness : IDisposable, IAlarmEventSink
{
    private static readonly Lazy<Inventory.Inventory> DemoInventory = new(() => InventoryLoader.Load(TestProfiles.RepoProfiles));

    private readonly string _dir;
    private readonly IDisposable _subscription;

    public AlarmHarness(string rulesYaml, AlarmEngineOptions? options = null, IAlarmStore? store = null, FakeTimeProvider? time = null, bool start = true)
        : this(dir => File.WriteAllText(Path.Combine(dir, "rules.yaml"), rulesYaml), options, store, time, start)
    {
    }

    /// <summary>A harness over several rule files, each copied under its own name (as a rules folder holds them).</summary>
    public AlarmHarness(IEnumerable<string> ruleFiles, AlarmEngineOptions? options = null)
        : this(dir => CopyInto(ruleFiles, dir), options, null, null, true)
    {
    }

    private AlarmHarness(Action<string> writeRules, AlarmEngineOptions? options, IAlarmStore? store, FakeTimeProvider? time, bool start)
    {
        Inventory = DemoInventory.Value;
        _dir = Path.Combine(Path.GetTempPath(), "alarm-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        writeRules(_dir);
        var loaded = AlarmRuleLoader.LoadDirectory(_dir, Inventory);
        Assert.True(loaded.Ok, string.Join(Environment.NewLine, loaded.Errors));
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        Registry = new SeriesRegistry(Inventory);
        Store = store ?? new InMemoryAlarmStore();
        Options = options ?? new AlarmEngineOptions();
        Engine = new AlarmEngine(loaded.Rules, Inventory, Registry, Store, Options, Time, NullLogger<AlarmEngine>.Instance);
        _subscription = Engine.Subscribe(this);
        if (start)
        {
            Engine.Start();
        }
    }

    public static Inventory.Inventory Demo => DemoInventory.Value;

    public Inventory.Inventory Inventory { get; }
    public FakeTimeProvider Time { get; }
    public SeriesRegistry Registry { get; }
    public IAlarmStore Store { get; }
    public AlarmEngineOptions Options { get; }
    public AlarmEngine Engine { get; }
    public List<AlarmEvent> Events { get; } = [];

    public void OnAlarmEvent(AlarmEvent alarmEvent) => Events.Add(alarmEvent);

    /// <summary>One sample of a device's metric (or of one port's), taken now.</summary>
    public void Feed(string deviceId, string metric, double value, int port = -1)
    {
        var device = Inventory.FindDevice(deviceId) ?? throw new ArgumentException($"no device {deviceId}", nameof(deviceId));
        var id = Registry.GetOrAdd(device.Index, metric, port);
        Engine.OnSamples([new Sample(id, Time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000, value)]);
    }

    /// <summary>Moves the clock on and runs the engine's timer work, one second at a time.</summary>
    public void Advance(TimeSpan by)
    {
        var end = Time.GetUtcNow() + by;
        while (Time.GetUtcNow() < end)
        {
            var step = end - Time.GetUtcNow();
            Time.Advance(step < TimeSpan.FromSeconds(1) ? step : TimeSpan.FromSeconds(1));
            Engine.Tick();
        }
    }

    /// <summary>Feeds every device of the room one sample of its first metric, so absence rules see them alive.</summary>
    public void Heartbeat(params string[] except)
    {
        foreach (var device in Inventory.Devices)
        {
            if (device.Model.Metrics.Count > 0 && !except.Contains(device.Id))
            {
                var metric = device.Model.Metrics.FirstOrDefault(m => m.Scope == MetricScope.Device) ?? device.Model.Metrics[0];
                var id = Registry.GetOrAdd(device.Index, metric.Name, metric.Scope == MetricScope.Port ? device.Model.Ports[0].Index : -1);
                Engine.OnSamples([new Sample(id, 0, Nominal(metric))]);
            }
        }
    }

    public IReadOnlyList<AlarmEvent> EventsOf(AlarmEventKind kind) => [.. Events.Where(e => e.Kind == kind)];

    public AlarmSnapshot ActiveOn(string ruleId, string target) =>
        Engine.Active.SingleOrDefault(a => a.RuleId == ruleId && a.Target.ToString() == target)
        ?? throw new Xunit.Sdk.XunitException($"no active {ruleId} alarm on {target}; active: {string.Join(", ", Engine.Active.Select(a => $"{a.RuleId}@{a.Target}"))}");

    public AlarmSnapshot? FindActive(string ruleId, string target) =>
        Engine.Active.SingleOrDefault(a => a.RuleId == ruleId && a.Target.ToString() == target);

    private static void CopyInto(IEnumerable<string> files, string directory)
    {
        foreach (var file in files)
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }
    }

    public void Dispose()
    {
        _subscription.Dispose();
        Engine.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static double Nominal(MetricDefinition metric) => metric.States is { Count: > 0 } states
        ? states.First(s => s.Value == Status.Ok).Key
        : metric.LowIsBad ? (metric.Warning ?? 0) + 10 : 1;
}
