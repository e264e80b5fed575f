using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Monitoring.Collectors.Mqtt.Client;
using Monitoring.Collectors.Mqtt.Protocol;
using Monitoring.Server.Tests.Mqtt;
using Monitoring.Server.Tests.RemoteCollectors;
using Monitoring.Testing;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests.Cluster;

/// <summary>
/// Issue 22's done-when, every part a real process on loopback: PostgreSQL, Redis, mosquitto, VictoriaMetrics, the zone's
/// sensors on a real pymodbus server, two server nodes (children) and one remote collector node (a child). The collector
/// of zone east pushes to node B, the standby; B forwards to A, the alarm leader, whose pipeline evaluates and writes
/// VictoriaMetrics and mirrors the samples into B's live state. So a polled sample reaches a console on A (the node the
/// collector does not talk to) and one on B; probe messages that mosquitto's shared subscription hands to B raise their
/// alarms on A. Acknowledgements and ticket notes go through both nodes; then A is killed (SIGKILL): B takes over, the
/// collector's next reading raises the next alarm on B, every acknowledgement and note answered 2xx is still there and no
/// ticket was opened twice. The times are printed, not asserted (docs/DEPLOYMENT.md gathers them).
/// </summary>
public sealed class ClusterEndToEndTests(PostgresPeerFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresPeerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);
    private readonly string _root = Directory.CreateTempSubdirectory("cluster-e2e-").FullName;
    private readonly List<IDisposable> _processes = [];
    private PymodbusZonePeer _modbus = null!;
    private ZoneRoom _room = null!;
    private MosquittoPeer _mosquitto = null!;
    private PeerProcess _vm = null!;

    public async Task InitializeAsync()
    {
        _modbus = await PymodbusZonePeer.StartAsync();
        _room = ZoneRoom.Create(_modbus.Address);
        _mosquitto = await MosquittoPeer.StartAsync();
        // the charts hide VictoriaMetrics' newest 30 s by default; 1 s keeps the test short
        _vm = await PeerProcess.StartVictoriaMetricsAsync(Directory.CreateDirectory(Path.Combine(_root, "vm")).FullName, "-search.latencyOffset=1s");
    }

    public async Task DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            process.Dispose();
        }

        _vm.Dispose();
        await _mosquitto.DisposeAsync();
        _modbus.Dispose();
        await _room.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_collector_sample_reaches_both_nodes_consoles_standby_probe_messages_raise_alarms_and_a_kill_9_of_the_leader_loses_nothing()
    {
        var settings = new Dictionary<string, string>
        {
            ["Monitoring__Alarms__Engine__PollInterval"] = "00:00:01",
            ["Monitoring__Alarms__Engine__TicketAfter"] = "00:00:05",
            ["Monitoring__Mqtt__External__Url"] = $"mqtt://127.0.0.1:{_mosquitto.Port}",
            ["Monitoring__Influx__Targets__0__Name"] = "vm",
            ["Monitoring__Influx__Targets__0__Url"] = _vm.Url,
            ["Monitoring__Influx__Targets__0__Version"] = "2",
            ["Monitoring__Influx__Targets__0__Org"] = "noc",
            ["Monitoring__Influx__Targets__0__Bucket"] = "noc",
            ["Monitoring__Influx__Targets__0__FlushIntervalMs"] = "100",
            ["Monitoring__History__ReadFrom"] = "VictoriaMetrics",
            ["Monitoring__History__Remote__Url"] = _vm.Url,
            ["Monitoring__Collectors__RemoteZones__0"] = "east",
            ["Monitoring__Collectors__LateSeconds"] = "5",
            ["Monitoring__Collectors__LostSeconds"] = "15",
            ["Monitoring__Collectors__HeartbeatSeconds"] = "1",
            ["Monitoring__Modbus__Enabled"] = "true",
        };
        using var nodes = await TwoNodes.StartAsync(postgres, "cluster-e2e", output, settings, ["--profiles", _room.ProfilesDirectory]);
        var (nodeA, nodeB) = (nodes.A, nodes.B);
        ChildCollector? collector = null;
        try
        {
            var (onA, onB) = await nodes.SignInAsync();
            using var disposeA = onA;
            using var disposeB = onB;

            // consoles on both nodes, watching the zone room and th-east-1's values
            await using var hubOnA = await HubClient.ConnectAsync(nodeA.Address!, "/hubs/live", onA.Cookies);
            await using var hubOnB = await HubClient.ConnectAsync(nodeB.Address!, "/hubs/live", onB.Cookies);
            foreach (var hub in new[] { hubOnA, hubOnB })
            {
                await hub.InvokeAsync("JoinRoom", "zones");
                await hub.InvokeAsync("SubscribeDevices", [new[] { "th-east-1" }]);
            }

            var valueOnA = hubOnA.WaitForAsync("changes", m => Temperature(m, "th-east-1") is not null, Generous);
            var valueOnB = hubOnB.WaitForAsync("changes", m => Temperature(m, "th-east-1") is not null, Generous);

            // the collector node of zone east, talking to B only
            using var created = await onA.Http.PostAsJsonAsync("/api/tokens", new { name = "collector east", scopes = new[] { "collector" }, zone = "east" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
            await ServerFixture.EventuallyAsync(
                async () =>
                {
                    using var probe = new HttpClient { BaseAddress = nodeB.Address };
                    probe.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                    using var answer = await probe.GetAsync(new Uri("/api/collectors/config?zone=east", UriKind.Relative));
                    return answer.StatusCode;
                },
                s => s == HttpStatusCode.OK,
                "the collector token (made on A) accepted by B",
                (int)Generous.TotalMilliseconds);
            collector = Track(ChildCollector.Start(nodeB.Address!, token, "east", Path.Combine(_root, "collector"), Path.Combine(_root, "written.lp")));

            // a polled sample: on A's console (the node the collector does not talk to) and on B's (mirrored from A)
            var clock = Stopwatch.StartNew();
            var first = Temperature(await valueOnA, "th-east-1")!.Value;
            output.WriteLine($"th-east-1 {first.Value} °C on node A's console {clock.Elapsed.TotalSeconds:F1} s after the collector started");
            Assert.Equal(22.1, first.Value, 3);
            Assert.Equal(22.1, Temperature(await valueOnB, "th-east-1")!.Value.Value, 3);

            // and in VictoriaMetrics, written once by the leader: B's trend chart reads it there
            var points = await ServerFixture.EventuallyAsync(
                async () =>
                {
                    using var answer = await onB.Http.GetAsync(new Uri("/api/series?device=th-east-1&metric=environment.temperature", UriKind.Relative));
                    return answer.IsSuccessStatusCode ? (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("points").GetArrayLength() : -(int)answer.StatusCode;
                },
                n => n > 0,
                "th-east-1's temperature in B's chart (VictoriaMetrics)",
                (int)Generous.TotalMilliseconds);
            output.WriteLine($"B's chart of th-east-1: {points} points from VictoriaMetrics");

            // both nodes show zone east healthy (the heartbeats reach B; the bus tells A)
            foreach (var node in new[] { nodeA, nodeB })
            {
                await ServerFixture.EventuallyAsync(() => ZoneStateAsync(node.Address!), s => s == "ok", $"zone east ok on {node.Address}", (int)Generous.TotalMilliseconds);
            }

            // probe messages through mosquitto's shared subscription: one to each node (round robin); each raises its alarm
            await using (var publisher = new MqttClient(new MqttClientOptions { Port = _mosquitto.Port, ClientId = "cluster-e2e-probes" }))
            {
                await publisher.ConnectAsync(CancellationToken.None);
                foreach (var (probe, payload) in new[] { ("smoke-1", """{"smoke":"smoke"}"""), ("leak-1", """{"leak":"wet"}""") })
                {
                    var code = await publisher.PublishAsync($"site/demo/probe/{probe}/state", Encoding.UTF8.GetBytes(payload), MqttQualityOfService.AtLeastOnce);
                    Assert.False(MqttReasonCodes.IsFailure(code), $"mosquitto refused {probe}'s message: {code}");
                }
            }

            var probeAlarms = await ServerFixture.EventuallyAsync(
                async () => (await AlarmsAsync(onA.Http)).Where(a => a.Rule is "smoke" or "water-leak").ToList(),
                list => list.Any(a => a.Rule == "smoke" && a.Device == "smoke-1") && list.Any(a => a.Rule == "water-leak" && a.Device == "leak-1"),
                "the smoke and the leak alarms raised by the leader",
                (int)Generous.TotalMilliseconds);
            // B's /healthz figures are refreshed every second or two: wait for them to show what B did (or fail naming it)
            var (messagesB, forwardedB) = await ServerFixture.EventuallyAsync(
                () => MqttOnStandbyAsync(nodeB.Address!), f => f.Messages >= 1 && f.Forwarded >= 1, "B's /healthz: probe messages taken and forwarded to A", 20_000);
            output.WriteLine($"B took {messagesB} of the probe messages and forwarded {forwardedB} batches to A");
            Assert.True(messagesB >= 1, "mosquitto handed none of the two probe messages to B: the standby's path was not exercised");
            Assert.True(forwardedB >= 1, $"B took {messagesB} probe messages but forwarded nothing to the leader");

            // acknowledgements through both nodes (B forwards them to A)
            var open = await ServerFixture.EventuallyAsync(
                async () => (await AlarmsAsync(onB.Http)).Where(a => !a.Acknowledged).ToList(),
                list => list.Count >= 6,
                "six unacknowledged alarms",
                (int)Generous.TotalMilliseconds);
            var acknowledged = new Dictionary<long, string>();
            foreach (var (alarm, i) in probeAlarms.Concat(open.Where(a => probeAlarms.All(p => p.Id != a.Id))).Take(6).Select((a, i) => (a, i)))
            {
                var client = i % 2 == 0 ? onA : onB;
                var comment = $"ack {i} via {(i % 2 == 0 ? "A" : "B")}";
                using var ack = await client.Http.PostAsJsonAsync($"/api/alarms/{alarm.Id}/ack", new { comment });
                Assert.True(ack.StatusCode == HttpStatusCode.OK, $"ack of {alarm.Id} answered {(int)ack.StatusCode}: {await ack.Content.ReadAsStringAsync()}");
                acknowledged[alarm.Id] = comment;
            }

            // ticket notes through both nodes, on a ticket the leader opened (TicketAfter 5 s)
            var ticket = (await ServerFixture.EventuallyAsync(() => TwoNodes.TicketIdsAsync(onA.Http), t => t.Count >= 1, "a ticket opened by the leader", (int)Generous.TotalMilliseconds))[0];
            var notes = new List<string>();
            for (var i = 0; i < 4; i++)
            {
                var client = i % 2 == 0 ? onA : onB;
                var text = $"note {i} via {(i % 2 == 0 ? "A" : "B")}";
                using var note = await client.Http.PostAsJsonAsync($"/api/tickets/{ticket}/notes", new { text });
                Assert.True(note.IsSuccessStatusCode, $"note {i} answered {(int)note.StatusCode}: {await note.Content.ReadAsStringAsync()}");
                notes.Add(text);
            }

            var ticketsBefore = await TwoNodes.TicketIdsAsync(onA.Http);
            var incidentsBefore = (await TwoNodes.IncidentsAsync(onA.Http, open: true)).Select(i => i.Id).ToHashSet();

            // kill -9 of the alarm leader
            clock.Restart();
            await nodeA.KillAsync();
            await TwoNodes.WaitRoleAsync(nodeB.Address!, "leader");
            var takeover = clock.Elapsed;

            // the collector keeps pushing to B, which now evaluates: a reading polled after the takeover is B's own ...
            var leaderSince = await LeaderSinceAsync(nodeB.Address!);
            await hubOnB.WaitForAsync("changes", m => Temperature(m, "th-east-1") is { } t && t.At > leaderSince.AddSeconds(2), Generous);
            var baseline = clock.Elapsed;

            // ... and the next one, 30 °C, is a rise of 7.9 °C within seconds: the standby-turned-leader raises the alarm
            var raised = hubOnB.WaitForAsync(
                "alarm",
                m => m.GetProperty("kind").GetString() == "raised" && m.GetProperty("alarm").GetProperty("ruleId").GetString() == "temperature-rising"
                    && m.GetProperty("alarm").GetProperty("target").GetProperty("deviceId").GetString() == "th-east-1",
                Generous);
            var written = clock.Elapsed;
            await _modbus.WriteRegisterAsync(1, 1, 300);
            await raised;
            var alarmAt = clock.Elapsed;
            output.WriteLine(
                $"kill -9 of A: B leader after {takeover.TotalSeconds:F2} s; B's own reading after {baseline.TotalSeconds:F2} s; " +
                $"the rise written at {written.TotalSeconds:F2} s raised on B at {alarmAt.TotalSeconds:F2} s ({(alarmAt - written).TotalSeconds:F2} s after the write)");

            // every acknowledgement answered 200 is there, with its comment
            foreach (var (id, comment) in acknowledged)
            {
                var alarm = (await onB.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}")).GetProperty("alarm");
                Assert.True(alarm.TryGetProperty("acknowledgement", out var ack) && ack.ValueKind == JsonValueKind.Object, $"alarm {id} was acknowledged (200) but is not after the takeover");
                Assert.Equal(comment, ack.GetProperty("comment").GetString());
            }

            // every note answered 2xx is in the ticket
            var detail = await onB.Http.GetFromJsonAsync<JsonElement>($"/api/tickets/{ticket}");
            var kept = detail.GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("text").GetString()).ToList();
            Assert.All(notes, text => Assert.Contains(text, kept));

            // every incident open on the new leader, raised before the kill or after it (the rise), gets its one ticket
            await ServerFixture.EventuallyAsync(
                () => TwoNodes.IncidentsAsync(onB.Http, open: true),
                list => list.Count > 0 && list.All(i => i.TicketId is not null) && incidentsBefore.All(id => list.Any(i => i.Id == id)),
                "every incident open on the new leader with its ticket",
                (int)Generous.TotalMilliseconds);

            // no ticket twice: every ticket is the one ticket of exactly one incident (open or ended: an incident records one
            // ticket, so a second one opened for it would be nobody's), and the old leader's tickets are all there
            await TwoNodes.AssertNoTicketTwiceAsync(onB.Http, ticketsBefore);
        }
        catch
        {
            nodes.WriteOutput(output);
            if (collector is not null)
            {
                output.WriteLine("collector:\n" + string.Join('\n', collector.Output.TakeLast(100)));
            }

            throw;
        }
    }

    private T Track<T>(T process)
        where T : IDisposable
    {
        _processes.Add(process);
        return process;
    }

    /// <summary>th-east-1's temperature in a "changes" message, with its time; null when the message has none.</summary>
    private static (double Value, DateTimeOffset At)? Temperature(JsonElement changes, string device)
    {
        foreach (var value in changes.GetProperty("values").EnumerateArray())
        {
            if (value.GetProperty("device").GetString() == device && value.GetProperty("metric").GetString() == "environment.temperature")
            {
                return (value.GetProperty("value").GetDouble(), value.GetProperty("timestamp").GetDateTimeOffset());
            }
        }

        return null;
    }

    private sealed record AlarmRow(long Id, string Rule, string Device, bool Acknowledged);

    private static async Task<List<AlarmRow>> AlarmsAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray()
            .Select(a => new AlarmRow(
                a.GetProperty("id").GetInt64(),
                a.GetProperty("ruleId").GetString()!,
                a.GetProperty("target").GetProperty("deviceId").GetString()!,
                a.TryGetProperty("acknowledgement", out var ack) && ack.ValueKind == JsonValueKind.Object))
            .ToList();

    private static async Task<JsonElement> HealthAsync(Uri node)
    {
        using var http = new HttpClient { BaseAddress = node, Timeout = TimeSpan.FromSeconds(10) };
        using var answer = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        return (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("components").Clone();
    }

    private static async Task<string?> ZoneStateAsync(Uri node) =>
        (await HealthAsync(node)).GetProperty("collectors").GetProperty("zones").TryGetProperty("east", out var zone) ? zone.GetProperty("state").GetString() : null;

    /// <summary>How many probe messages B took from mosquitto, and how many batches it forwarded to the leader.</summary>
    private static async Task<(long Messages, long Forwarded)> MqttOnStandbyAsync(Uri node)
    {
        var components = await HealthAsync(node);
        var messages = components.GetProperty("mqtt").GetProperty("data").GetProperty("external").GetProperty("messages").GetInt64();
        var forwarded = components.GetProperty("clusterSamples").GetProperty("data").GetProperty("forwardedBatches").GetInt64();
        return (messages, forwarded);
    }

    private static async Task<DateTimeOffset> LeaderSinceAsync(Uri node) =>
        (await HealthAsync(node)).GetProperty("leadership").GetProperty("data").GetProperty("leaderSince").GetDateTimeOffset();
}
