using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Alarms;
using Monitoring.Core.Series;

namespace Monitoring.Core.Tests.Alarms.Stages;

/// <summary>
/// The engine's stages wired by hand, as the engine wires them, on the demo room and a set of YAML rules: what the
/// stage tests drive one stage at a time (no engine, no lock, no store).
/// </summary>
internal sealed class StageRig : IDisposable
{
    private readonly string _dir;

    public StageRig(string rulesYaml, AlarmEngineOptions? options = null)
    {
        Inventory = AlarmHarness.Demo;
        _dir = Path.Combine(Path.GetTempPath(), "alarm-stage-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "rules.yaml"), rulesYaml);
        var loaded = AlarmRuleLoader.LoadDirectory(_dir, Inventory);
        Assert.True(loaded.Ok, string.Join(Environment.NewLine, loaded.Errors));
        Rules = loaded.Rules;
        Options = options ?? new AlarmEngineOptions();
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
        Registry = new SeriesRegistry(Inventory);
        Topology = new AlarmTopology(Inventory);
        Open = new OpenAlarms(Inventory.Devices.Count);
        Outbox = new AlarmOutbox();
        RootCause = new RootCauseMuter(Topology, Open, Outbox, Time);
        Maintenance = new MaintenanceMuter(Inventory);
        Shelve = new ShelveMuter(Options.MaxShelve);
        Muters = new AlarmMuters(RootCause, Maintenance, Shelve);
        Lifecycle = new AlarmLifecycle(Open, Outbox, RootCause, Maintenance, Muters, Options);
        Evaluator = new RuleEvaluator(Rules, Inventory, Registry, Topology, Options, Lifecycle);
    }

    public Inventory.Inventory Inventory { get; }
    public AlarmRuleSet Rules { get; }
    public AlarmEngineOptions Options { get; }
    public FakeTimeProvider Time { get; }
    public SeriesRegistry Registry { get; }
    public AlarmTopology Topology { get; }
    public OpenAlarms Open { get; }
    public AlarmOutbox Outbox { get; }
    public RootCauseMuter RootCause { get; }
    public MaintenanceMuter Maintenance { get; }
    public ShelveMuter Shelve { get; }
    public AlarmMuters Muters { get; }
    public AlarmLifecycle Lifecycle { get; }
    public RuleEvaluator Evaluator { get; }

    public long Now => Time.GetUtcNow().UtcTicks;

    /// <summary>One sample of a device's metric, through the evaluation stage.</summary>
    public void Feed(string deviceId, string metric, double value, int port = -1)
    {
        var device = Inventory.FindDevice(deviceId)!;
        var id = Registry.GetOrAdd(device.Index, metric, port);
        Evaluator.OnSamples([new Sample(id, 0, value)], Now);
    }

    /// <summary>The events of the round so far (drained, as the engine does at the end of a round).</summary>
    public List<AlarmEvent> Drain()
    {
        RootCause.FlushDirtyRoots();
        var events = new List<AlarmEvent>();
        Outbox.Drain(Time.GetUtcNow(), events.Add);
        return events;
    }

    /// <summary>A rule instance of the rig's rules on a device, raised straight through the lifecycle stage.</summary>
    public Alarm Raise(string ruleId, string deviceId, int port = -1, AlarmSeverity severity = AlarmSeverity.Major)
    {
        var rule = Rules.Find(ruleId)!;
        var device = Inventory.FindDevice(deviceId)!;
        var instance = new RuleInstance(rule, device, port, Options.RateSamples, Options.FlappingRaises);
        Lifecycle.Raise(instance, Now, severity, 1, flapping: false);
        return instance.Alarm!;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
