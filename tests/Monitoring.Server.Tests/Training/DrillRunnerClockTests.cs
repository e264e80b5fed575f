using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Simulation;
using Monitoring.Core.Training;
using Monitoring.Server.Training;
using Monitoring.Server.Training.Drills;

namespace Monitoring.Server.Tests.Training;

/// <summary>
/// The drill runner's clock on a <see cref="FakeTimeProvider"/>: drill time is wall time × speed, frozen while paused;
/// steps fire in timeline order when drill time passes them (several due at once, in order); a step's <c>for</c> heals
/// in drill time; a failing injection is counted and shown but the timeline goes on; the state survives a restart.
/// The faults land in a recorder behind the simulator's seam (the server tests see them through the real collectors).
/// </summary>
public sealed class DrillRunnerClockTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 2, 0, 0, TimeSpan.Zero));
    private readonly RecordingFaults _faults = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("drill-runner-").FullName;

    private static readonly Drill Flap = new()
    {
        Id = "flap",
        Name = "端口抖动",
        NameEn = "Flap",
        Description = new DrillText("抖动", "flap"),
        RoomId = "demo",
        Duration = TimeSpan.FromMinutes(5),
        Timeline =
        [
            new DrillStep { Id = "a", At = TimeSpan.FromSeconds(30), Kind = DrillFaultKind.PortDown, DeviceId = "asw-a02", PortIndex = 14, For = TimeSpan.FromSeconds(20) },
            new DrillStep { Id = "b", At = TimeSpan.FromSeconds(60), Kind = DrillFaultKind.DeviceSilent, DeviceId = "th-b01" },
            new DrillStep { Id = "c", At = TimeSpan.FromSeconds(61), Kind = DrillFaultKind.ProbeLeak, DeviceId = "leak-1" },
            new DrillStep { Id = "d", At = TimeSpan.FromSeconds(90), Kind = DrillFaultKind.SensorDrift, DeviceId = "th-b01", Metric = "environment.temperature", By = 9, Over = TimeSpan.FromSeconds(60) },
        ],
    };

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private DrillRunner Runner(string sessionId = "s1") => new(
        new TrainingContext(new TrainingSessionOptions { Id = sessionId, RoomId = "demo" }),
        new DrillCatalog([Flap]),
        _faults,
        NoScenarios.Instance,
        _time,
        new DrillRunnerStore(Path.Combine(_folder, DrillRunnerStore.FileName), NullLogger<DrillRunnerStore>.Instance),
        NullLogger<DrillRunner>.Instance);

    private void Advance(DrillRunner runner, double seconds)
    {
        _time.Advance(TimeSpan.FromSeconds(seconds));
        runner.Tick();
    }

    [Fact]
    public void Drill_time_runs_at_the_speed_and_stops_while_paused()
    {
        var runner = Runner();
        runner.Start("flap", 2);
        Advance(runner, 10);
        Assert.Equal(TimeSpan.FromSeconds(20), runner.Now);

        runner.Pause();
        Advance(runner, 100);
        Assert.Equal(TimeSpan.FromSeconds(20), runner.Now);
        Assert.Equal("paused", runner.State().Status);
        Assert.Empty(_faults.Calls); // nothing fired while frozen (the first step is at 30 s)

        runner.Resume();
        runner.SetSpeed(5);
        Advance(runner, 1);
        Assert.Equal(TimeSpan.FromSeconds(25), runner.Now);
    }

    [Fact]
    public void Steps_fire_in_order_when_drill_time_passes_them_and_for_heals_in_drill_time()
    {
        var runner = Runner();
        runner.Start("flap", 10);
        Advance(runner, 2.9); // 29 s
        Assert.Empty(_faults.Calls);

        Advance(runner, 0.1); // 30 s: port down for 20 s of drill time
        Assert.Equal(["port asw-a02:14 down"], _faults.Calls);

        Advance(runner, 1.9); // 49 s
        Assert.Equal(["port asw-a02:14 down"], _faults.Calls);
        Advance(runner, 0.1); // 50 s: healed
        Assert.Equal(["port asw-a02:14 down", "port asw-a02:14 up"], _faults.Calls);

        Advance(runner, 3.5); // 85 s: two steps due at once, in order
        Assert.Equal(["port asw-a02:14 down", "port asw-a02:14 up", "silent th-b01 True", "leak leak-1 True"], _faults.Calls);
        var state = runner.State();
        Assert.Equal(["a", "b", "c"], state.Fired.Select(f => f.Step.Id));
        Assert.Equal([30.0, 85.0, 85.0], state.Fired.Select(f => f.DrillSeconds));
        Assert.Equal(["d"], state.Next.Select(s => s.Id));
    }

    [Fact]
    public void A_drift_creeps_over_its_time_and_the_drill_finishes_at_its_duration()
    {
        var runner = Runner();
        runner.Start("flap", 10);
        Advance(runner, 9); // 90 s: the drift begins at 0
        Advance(runner, 3); // 120 s: half way
        Assert.Equal(4.5, _faults.Drift, 6);
        Advance(runner, 6); // 180 s: all of it
        Assert.Equal(9, _faults.Drift, 6);

        Advance(runner, 12); // 300 s
        var state = runner.State();
        Assert.Equal(("finished", 300.0), (state.Status, state.DrillSeconds));
        Advance(runner, 60);
        Assert.Equal(TimeSpan.FromSeconds(300), runner.Now);
    }

    [Fact]
    public void A_failing_injection_is_counted_and_shown_and_the_timeline_goes_on()
    {
        _faults.Refuse = "th-b01";
        var runner = Runner();
        runner.Start("flap", 10);
        Advance(runner, 7);

        var state = runner.State();
        Assert.Equal(1, state.Failures);
        Assert.Equal([null, "refused th-b01", null], state.Fired.Select(f => f.Error));
        Assert.Contains("leak leak-1 True", _faults.Calls);
    }

    [Fact]
    public void Commands_are_bounded_and_named()
    {
        var runner = Runner();
        Assert.Equal(404, Assert.Throws<DrillCommandException>(() => runner.Start("nope", 1)).Status);
        var slow = Assert.Throws<DrillCommandException>(() => runner.Start("flap", 11));
        Assert.Equal(400, slow.Status);
        Assert.Contains("speed", slow.Message, StringComparison.Ordinal);
        Assert.Equal(409, Assert.Throws<DrillCommandException>(runner.Pause).Status);
        runner.Start("flap", 1);
        Assert.Equal(409, Assert.Throws<DrillCommandException>(() => runner.Start("flap", 1)).Status);
    }

    [Fact]
    public void A_restarted_host_resumes_the_drill_where_it_stood_with_its_faults_back()
    {
        var first = Runner();
        first.Start("flap", 10);
        Advance(first, 3.5); // 35 s: port down until 50 s
        first.Pause();

        _faults.Calls.Clear();
        _time.Advance(TimeSpan.FromMinutes(10)); // the host was down
        var second = Runner();
        second.Restore();

        var state = second.State();
        Assert.Equal(("flap", "paused", 35.0, 10.0), (state.DrillId, state.Status, state.DrillSeconds, state.Speed));
        Assert.Equal(["a"], state.Fired.Select(f => f.Step.Id));
        Assert.Equal(["port asw-a02:14 down"], _faults.Calls); // re-applied: its 20 s are not up

        second.Resume();
        Advance(second, 1.5); // 50 s
        Assert.Equal(["port asw-a02:14 down", "port asw-a02:14 up"], _faults.Calls);
    }

    [Fact]
    public void Reset_heals_everything_and_goes_back_to_idle()
    {
        var runner = Runner();
        runner.Start("flap", 10);
        Advance(runner, 9);
        var before = _faults.Heals;
        runner.Reset();

        Assert.Equal(before + 1, _faults.Heals);
        var state = runner.State();
        Assert.Equal(("idle", null, null), (state.Status, state.DrillId, state.DrillSeconds));
        Assert.Null(runner.Now);
    }

    private sealed class RecordingFaults : IFaultInjector
    {
        public List<string> Calls { get; } = [];

        public string? Refuse { get; set; }

        public double Drift { get; private set; }

        public int Heals { get; private set; }

        public bool Enabled => true;

        public FaultResult SetPortDown(string deviceId, int portIndex, bool down) => Record(deviceId, $"port {deviceId}:{portIndex} {(down ? "down" : "up")}");

        public FaultResult SetProbeLeak(string probeId, bool wet) => Record(probeId, $"leak {probeId} {wet}");

        public FaultResult SetDrift(string deviceId, string metric, double offset)
        {
            Drift = offset;
            return FaultResult.Done;
        }

        public FaultResult SetSilent(string deviceId, bool silent) => Record(deviceId, $"silent {deviceId} {silent}");

        public FaultResult SetTrapStorm(string deviceId, int perSecond) => Record(deviceId, $"storm {deviceId} {perSecond}");

        public void HealAll() => Heals++;

        private FaultResult Record(string device, string call)
        {
            if (device == Refuse)
            {
                return FaultResult.Refused("refused " + device);
            }

            Calls.Add(call);
            return FaultResult.Done;
        }
    }
}
