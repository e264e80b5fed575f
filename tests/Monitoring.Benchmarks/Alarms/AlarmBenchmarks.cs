using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;
using Monitoring.Testing;

namespace Monitoring.Benchmarks.Alarms;

/// <summary>
/// Issue 7's evaluation target: samples against 10,000 rule instances on one core. 2,000 servers, each with a CPU
/// and a memory threshold and a port-down state rule (oper status while admin up) on three ports: 5 instances and
/// 8 series per server, 16,000 samples per batch (one of every series), all healthy (the steady path: no alarm
/// changes). Times are per sample (OperationsPerInvoke): samples/s = 1e9 / Mean(ns). Goal >= 1,000,000/s, no
/// allocation per sample.
/// Run: dotnet run -c Release --project tests/Monitoring.Benchmarks -- --filter '*Alarm*' --job short
/// </summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet calls GlobalCleanup, which disposes the engine")]
public class AlarmEvaluationBenchmarks
{
    private const int Servers = 2_000;
    private AlarmEngine _engine = null!;
    private Sample[] _samples = [];
    private Sample[] _active = [];

    public static int SamplesPerBatch => Servers * 8;

    [GlobalSetup]
    public void Setup()
    {
        var inventory = AlarmBenchInventory.Build(Servers, dependOnSwitch: false);
        var registry = new SeriesRegistry(inventory);
        _engine = new AlarmEngine(AlarmBenchInventory.Rules(), inventory, registry, new InMemoryAlarmStore(), new AlarmEngineOptions(), new ManualTime(), NullLogger<AlarmEngine>.Instance);
        _engine.Start();
        var samples = new List<Sample>();
        var over = new List<Sample>();
        foreach (var device in inventory.Devices.Where(d => d.Kind == DeviceKind.Server))
        {
            samples.Add(new Sample(registry.GetOrAdd(device.Index, "cpu.usage", -1), 0, 35));
            samples.Add(new Sample(registry.GetOrAdd(device.Index, "memory.usage", -1), 0, 60));
            over.Add(new Sample(registry.GetOrAdd(device.Index, "cpu.usage", -1), 0, 95));
            over.Add(new Sample(registry.GetOrAdd(device.Index, "memory.usage", -1), 0, 60));
            for (var port = 1; port <= 3; port++)
            {
                samples.Add(new Sample(registry.GetOrAdd(device.Index, "interface.admin_status", port), 0, 1));
                samples.Add(new Sample(registry.GetOrAdd(device.Index, "interface.oper_status", port), 0, 1));
                over.Add(new Sample(registry.GetOrAdd(device.Index, "interface.admin_status", port), 0, 1));
                over.Add(new Sample(registry.GetOrAdd(device.Index, "interface.oper_status", port), 0, 1));
            }
        }

        _samples = [.. samples];
        _active = [.. over];
        _engine.OnSamples(_samples); // resolve every series once: the benchmark measures the steady path
        Console.WriteLine($"// {_engine.InstanceCount} rule instances, {_samples.Length} samples per batch");
        if (_engine.InstanceCount < 10_000)
        {
            throw new InvalidOperationException($"expected at least 10,000 rule instances, got {_engine.InstanceCount}");
        }
    }

    /// <summary>Every series once, all healthy.</summary>
    [Benchmark(OperationsPerInvoke = Servers * 8)]
    public void Healthy() => _engine.OnSamples(_samples);

    /// <summary>Every series once while every server has an active CPU alarm (values update, no events).</summary>
    [Benchmark(OperationsPerInvoke = Servers * 8)]
    public void WithActiveAlarms() => _engine.OnSamples(_active);

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();
}

/// <summary>
/// Issue 7's storm: 1,000 servers behind one access switch (each on its own port) and the switch itself go silent at
/// once. One invocation = the clock passes the absence limit, one Tick detects all 1,001 silences and settles root
/// cause (1 alerting, 1,000 suppressed: the setup checks it), then every device reports again and everything clears.
/// The setup also prints how long the first storm took on a fresh engine (a single measurement, for comparison).
/// </summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet calls GlobalCleanup, which disposes the engine")]
public class AlarmStormBenchmarks
{
    private const int Servers = 1_000;
    private AlarmEngine _engine = null!;
    private ManualTime _time = null!;
    private Sample[] _heartbeat = [];
    private CountingSink _sink = null!;

    [GlobalSetup]
    public void Setup()
    {
        var inventory = AlarmBenchInventory.Build(Servers, dependOnSwitch: true);
        var registry = new SeriesRegistry(inventory);
        _time = new ManualTime();
        var options = new AlarmEngineOptions { TicketSeverities = [] };
        _engine = new AlarmEngine(AlarmBenchInventory.Rules(), inventory, registry, new DiscardingStore(), options, _time, NullLogger<AlarmEngine>.Instance);
        _engine.Start();
        _sink = new CountingSink();
        _engine.Subscribe(_sink);
        _heartbeat = [.. inventory.Devices.Select(d => new Sample(registry.GetOrAdd(d.Index, "cpu.usage", -1), 0, 35))];
        _engine.OnSamples(_heartbeat);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var events = Cycle();
        var firstStorm = clock.Elapsed;
        var active = _engine.Active;
        var alerting = active.Count(a => a.State == AlarmState.Raised && !a.Silent);
        var suppressed = active.Count(a => a.SuppressedBy is not null);
        Console.WriteLine($"// storm check: {alerting} alerting, {suppressed} suppressed, root suppresses {active.Where(a => a.SuppressedBy is null).Sum(a => a.Suppresses.Count)}; first storm on a fresh engine settled in {firstStorm.TotalMilliseconds:0.0} ms with {events} events");
        if (alerting != 1 || suppressed != Servers)
        {
            throw new InvalidOperationException($"storm settled wrong: {alerting} alerting, {suppressed} suppressed");
        }

        _engine.OnSamples(_heartbeat);
    }

    /// <summary>Silence, detection and root cause for 1,001 devices, then their recovery.</summary>
    [Benchmark]
    public void StormAndRecovery()
    {
        Cycle();
        _engine.OnSamples(_heartbeat);
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();

    private int Cycle()
    {
        _time.Now += TimeSpan.FromMinutes(20); // past the absence limit and any flapping window
        var before = _sink.Count;
        _engine.Tick();
        return _sink.Count - before;
    }

    private sealed class CountingSink : IAlarmEventSink
    {
        public int Count { get; private set; }

        public void OnAlarmEvent(AlarmEvent alarmEvent) => Count++;
    }
}

/// <summary>A store that keeps nothing, so a long benchmark run does not grow memory.</summary>
internal sealed class DiscardingStore : IAlarmStore
{
    public AlarmStoreState Load(DateTimeOffset now) => AlarmStoreState.Empty;

    public void Append(AlarmEvent alarmEvent)
    {
    }

    public void SaveMaintenance(MaintenanceWindow window, string? endedBy)
    {
    }

    public void SaveMute(MuteRecord mute, string? endedBy, DateTimeOffset? endedAt)
    {
    }

    public void Flush()
    {
    }

    public IReadOnlyList<AlarmSnapshot> Query(AlarmQuery query) => [];

    public IReadOnlyList<AlarmEvent> Timeline(long alarmId) => [];

    public IReadOnlyList<MuteRecord> Mutes(int limit) => [];
}

/// <summary>A clock the benchmarks move by hand.</summary>
internal sealed class ManualTime : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A synthetic room: one access switch and N servers (optionally each hanging from its own switch port).</summary>
internal static class AlarmBenchInventory
{
    public static Inventory Build(int servers, bool dependOnSwitch)
    {
        var serverModel = new DeviceModel
        {
            Id = "bench-server",
            Name = "Bench server",
            Kind = DeviceKind.Server,
            Ports = [.. Enumerable.Range(1, 3).Select(i => new PortDefinition(i, $"eth{i}", PortKind.Nic, 0, 0, 0, i))],
            Metrics =
            [
                new MetricDefinition { Name = "cpu.usage", Unit = "%" },
                new MetricDefinition { Name = "memory.usage", Unit = "%" },
                new MetricDefinition { Name = "interface.oper_status", Scope = MetricScope.Port },
                new MetricDefinition { Name = "interface.admin_status", Scope = MetricScope.Port },
            ],
        };
        var switchModel = serverModel with { Id = "bench-switch", Name = "Bench switch", Kind = DeviceKind.Switch, Ports = [] };
        var devices = new List<Device>
        {
            new() { Id = "sw-1", Name = "Bench switch", Model = switchModel, RoomId = "bench", Placement = PlacementKind.Floor, Index = 0 },
        };
        for (var i = 1; i <= servers; i++)
        {
            devices.Add(new Device
            {
                Id = $"srv-{i:D5}",
                Name = $"Server {i}",
                Model = serverModel,
                RoomId = "bench",
                Placement = PlacementKind.Floor,
                DependsOn = dependOnSwitch ? $"sw-1:{i}" : null,
                Index = i,
            });
        }

        var room = new Room { Id = "bench", Name = "Bench room", Size = new RoomSize(100, 100, 3), Devices = devices };
        return new Inventory([serverModel, switchModel], [room]);
    }

    public static AlarmRuleSet Rules() => new(
    [
        new AlarmRule
        {
            Id = "unreachable",
            Name = "设备不可达",
            Severity = AlarmSeverity.Critical,
            Kind = AlarmRuleKind.Absence,
            Down = true,
            Absence = new AbsenceCondition(null, TimeSpan.FromSeconds(90), null),
            Message = "{deviceName} unreachable",
            Scope = new AlarmRuleScope { Kinds = [DeviceKind.Switch] },
        },
        new AlarmRule
        {
            Id = "server-unreachable",
            Name = "服务器不可达",
            Severity = AlarmSeverity.Critical,
            Kind = AlarmRuleKind.Absence,
            Down = true,
            Absence = new AbsenceCondition(null, TimeSpan.FromSeconds(90), null),
            Message = "{deviceName} unreachable",
            Scope = new AlarmRuleScope { Kinds = [DeviceKind.Server] },
        },
        new AlarmRule
        {
            Id = "cpu-high",
            Name = "CPU 利用率过高",
            Severity = AlarmSeverity.Major,
            Kind = AlarmRuleKind.Threshold,
            Threshold = new ThresholdCondition("cpu.usage", 90, true, 80, TimeSpan.Zero),
            Message = "{deviceName} CPU {value}",
            Scope = new AlarmRuleScope { Kinds = [DeviceKind.Server] },
        },
        new AlarmRule
        {
            Id = "memory-high",
            Name = "内存利用率过高",
            Severity = AlarmSeverity.Minor,
            Kind = AlarmRuleKind.Threshold,
            Threshold = new ThresholdCondition("memory.usage", 95, true, 90, TimeSpan.FromMinutes(5)),
            Message = "{deviceName} memory {value}",
            Scope = new AlarmRuleScope { Kinds = [DeviceKind.Server] },
        },
        new AlarmRule
        {
            Id = "port-down",
            Name = "端口中断",
            Severity = AlarmSeverity.Major,
            Kind = AlarmRuleKind.State,
            Down = true,
            State = new StateCondition("interface.oper_status", new Dictionary<double, AlarmSeverity> { [2] = AlarmSeverity.Major }, "interface.admin_status", [1], TimeSpan.Zero),
            Message = "{deviceName} port {port} down",
            Scope = new AlarmRuleScope { Kinds = [DeviceKind.Server] },
        },
    ]);
}
