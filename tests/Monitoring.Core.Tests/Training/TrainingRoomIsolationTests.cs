using System.Text;
using Monitoring.Core.Alarms;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Series;
using Monitoring.Core.Tests.Alarms;

namespace Monitoring.Core.Tests.Training;

/// <summary>
/// The shipped training room (rooms/training.yaml, <c>training: true</c>) lives beside the live demo room, but the
/// live engine never evaluates its devices and the live ingest takes no samples for them: before this, a leak on the
/// training room's probe raised a live alarm, and its never-fed devices went "offline" in the live console.
/// </summary>
public sealed class TrainingRoomIsolationTests
{
    private const string Rules = """
        rules:
          - id: water-leak
            name: 漏水
            severity: critical
            scope: { kind: probe }
            state: { metric: probe.leak, values: [1] }
            message: "{deviceName} 漏水"
          - id: device-unreachable
            name: 不可达
            severity: critical
            down: true
            scope: { kind: [switch, server, ups, probe] }
            absence: { after: 2m }
            message: "{deviceName} 不可达"
        """;

    [Fact]
    public void The_live_alarm_engine_raises_nothing_on_a_training_room_device()
    {
        using var h = new AlarmHarness(Rules);
        Assert.True(h.Inventory.FindRoom("training")!.Training);
        var trainingDevices = h.Inventory.Devices.Where(d => d.Training).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("tr-leak-1", trainingDevices);
        Assert.DoesNotContain(h.Inventory.Devices, d => d.Training && d.RoomId != "training");

        h.Heartbeat();
        h.Feed("leak-1", "probe.leak", 1);
        h.Feed("tr-leak-1", "probe.leak", 1);
        h.Advance(TimeSpan.FromMinutes(5));

        // the live room's leak is an alarm; the training probe's is not, and nothing of the training room went unreachable
        Assert.NotNull(h.FindActive("water-leak", "leak-1"));
        Assert.DoesNotContain(h.Engine.Active, a => trainingDevices.Contains(a.Target.DeviceId));
        Assert.DoesNotContain(h.Events, e => trainingDevices.Contains(e.Alarm.Target.DeviceId));
    }

    [Fact]
    public void The_live_ingest_refuses_a_line_for_a_training_room_device_and_names_the_room()
    {
        var inventory = AlarmHarness.Demo;
        var registry = new SeriesRegistry(inventory);
        var ingestor = new LineProtocolIngestor(inventory, registry);
        using var batch = SampleBatch.Rent(16);
        const long now = 1_700_000_000_000_000_000;

        var result = ingestor.Ingest(Encoding.UTF8.GetBytes("probe,device=tr-leak-1 leak=1i\nprobe,device=leak-1 leak=0i\n"), TimestampPrecision.Nanoseconds, now, batch);

        Assert.Equal((1, 1, 1), (result.LinesWritten, result.SamplesWritten, result.LinesRejected));
        var error = Assert.Single(result.Errors);
        Assert.Equal(1, error.Line);
        Assert.Contains("device 'tr-leak-1' is in training room 'training'", error.Message, StringComparison.Ordinal);
        Assert.Equal(inventory.FindDevice("leak-1")!.Index, registry[batch.Samples[0].SeriesId].DeviceIndex);
    }
}
