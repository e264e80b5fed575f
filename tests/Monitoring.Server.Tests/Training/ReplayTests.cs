using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Core.Inventory;
using Monitoring.Server.Security;
using Monitoring.Server.Training;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Training;

/// <summary>
/// Issue 21's replay test. A live host on a fake clock records ten minutes of a switch port through the real line
/// protocol ingest, one write every 10 s (up, down from minute 3 to minute 6, one 10 s flap at minute 8, traffic all
/// along); after each write the port's status as GET /api/devices/{id} showed it (once the sample was applied) is the
/// truth for that instant. Then a replay session's host (a plain server with the session keys, the live host's
/// contributors applied by hand) plays the window at 60x: the replayed status at the clock's positions, and at seeks to
/// both edges of the fault and of the flap, equals the truth; the port-down alarm and a ticket step appear at the
/// instants the live host recorded them.
/// </summary>
public sealed class ReplayTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(10);

    // the live host's clock: the recording's ten minutes end a few minutes before the real now
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-15).Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero));
    private readonly string _liveData = Directory.CreateTempSubdirectory("replay-live-").FullName;
    private readonly string _sessionData = Directory.CreateTempSubdirectory("replay-session-").FullName;
    private WebApplication _live = null!;
    private SignedInClient _admin = null!;

    public async Task InitializeAsync()
    {
        _live = ServerHost.Build(
            ["--urls", "http://127.0.0.1:0", "--data", _liveData, "--simulator", "false"],
            builder => builder.Services.AddSingleton<TimeProvider>(_time));
        await _live.StartAsync();
        _admin = await TestSignIn.AsAsync(_live, new Uri(_live.Urls.First()), "tester", Role.Administrator);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _live.StopAsync();
        await _live.DisposeAsync();
        foreach (var directory in new[] { _liveData, _sessionData })
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The scripted oper status of step k (every 10 s): down from minute 3 to minute 6, and for one step at minute 8.</summary>
    private static int OperStatus(int k) => k is >= 18 and < 36 or 48 ? 2 : 1;

    [Fact]
    public async Task A_recorded_fault_replayed_at_60x_shows_the_port_as_the_live_host_showed_it_with_its_alarm_and_ticket_step()
    {
        var inventory = _live.Services.GetRequiredService<Inventory>();
        var sw = inventory.Devices.First(d => d.Kind == DeviceKind.Switch && d.Model.Ports.Count >= 48);
        var port = sw.Model.Ports[11].Index;
        var roomId = sw.RoomId;
        var t0 = _time.GetUtcNow();
        var truth = new List<(DateTimeOffset At, string Status)>();
        DateTimeOffset? raisedAt = null, clearedAt = null;
        long ticketId = 0;
        DateTimeOffset ticketAt = default;

        for (var k = 0; k <= 60; k++)
        {
            var at = t0 + (Step * k);
            _time.SetUtcNow(at);
            await WriteAsync($"interface,device={sw.Id},port={port} admin_status=1i,oper_status={OperStatus(k)}i,in_octets={k * 1_250_000L}i {Ns(at)}\n");
            // the truth: what the live host showed for the port once this sample was applied
            truth.Add((at, await LiveStatusOnceAppliedAsync(sw.Id, port, at)));
            if (k == 18)
            {
                raisedAt = (await WaitForValueAsync(() => PortAlarmAsync(sw.Id, port, "raised"), "the port-down alarm")).GetProperty("raisedAt").GetDateTimeOffset();
            }

            if (k == 20)
            {
                using var created = await _admin.Http.PostAsJsonAsync("/api/tickets", new { category = "fault", description = "replay: port down", deviceId = sw.Id });
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
                ticketId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("summary").GetProperty("id").GetInt64();
                ticketAt = at;
            }

            if (k == 36)
            {
                clearedAt = (await WaitForValueAsync(() => PortAlarmAsync(sw.Id, port, "cleared"), "the port-down alarm cleared")).GetProperty("clearedAt").GetDateTimeOffset();
            }
        }

        var end = truth[^1].At;
        Assert.Equal("down", Truth(truth, t0 + (Step * 18)));
        Assert.Equal("ok", Truth(truth, t0 + (Step * 17)));
        Assert.Equal(t0 + (Step * 18), raisedAt);
        Assert.Equal(t0 + (Step * 36), clearedAt);
        _time.Advance(TimeSpan.FromSeconds(2)); // the history's flush runs on this clock: it moves the last samples in

        // the live host's own replay has the whole window once the history and the alarm store hold it
        await WaitForValueAsync(async () => await StatusAtAsync(_admin.Http, roomId, sw.Id, port, end) == truth[^1].Status ? true : (bool?)null, "the last sample in the history");
        using (var live409 = await _admin.Http.GetAsync("/api/training/replay"))
        {
            Assert.Equal(HttpStatusCode.Conflict, live409.StatusCode);
            Assert.Contains("only in a training session", await live409.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var tooOld = await _admin.Http.GetAsync($"/api/replay/rooms/{roomId}/at?t={Iso(_time.GetUtcNow().AddHours(-25))}"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooOld.StatusCode);
            Assert.Contains("Monitoring:History:RawRetention", await tooOld.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // the replay session's host: the live host's contributors put the recorded past into it
        var session = new TrainingSessionOptions
        {
            Id = "replay-test",
            Kind = TrainingSessionKind.Replay,
            RoomId = roomId,
            ReplayFrom = t0,
            ReplayTo = end,
            Instructor = "lead",
        };
        await using var sessionHost = ServerHost.Build(
            [
                "--urls", "http://127.0.0.1:0", "--data", _sessionData, "--simulator", "false",
                "--Monitoring:Training:Session:Id", session.Id, "--Monitoring:Training:Session:Kind", "Replay",
                "--Monitoring:Training:Session:RoomId", roomId, "--Monitoring:Training:Session:ReplayFrom", IsoText(t0),
                "--Monitoring:Training:Session:ReplayTo", IsoText(end), "--Monitoring:Replay:MaxWindowHours", "0.05",
            ],
            builder =>
            {
                foreach (var contributor in _live.Services.GetServices<ISessionHostContributor>())
                {
                    contributor.Contribute(builder.Services, session);
                }
            });
        await sessionHost.StartAsync();
        var sessionBase = new Uri(sessionHost.Urls.First());
        using var lead = await TestSignIn.AsAsync(sessionHost, sessionBase, "lead", Role.DutyLead);
        using var viewer = await TestSignIn.AsAsync(sessionHost, sessionBase, "watcher", Role.Viewer);
        try
        {
            // the window bound of this host (3 min) is named; a viewer may not drive the clock
            using (var tooLong = await lead.Http.GetAsync($"/api/replay/rooms/{roomId}/changes?from={Iso(t0)}&to={Iso(end)}"))
            {
                Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
                Assert.Contains("Monitoring:Replay:MaxWindowHours", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            using (var refused = await viewer.Http.PostAsync("/api/training/replay/play", null))
            {
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            }

            var clock = await lead.Http.GetFromJsonAsync<JsonElement>("/api/training/replay");
            Assert.Equal(t0, clock.GetProperty("position").GetDateTimeOffset());
            Assert.False(clock.GetProperty("playing").GetBoolean());
            using (var bad = await lead.Http.PostAsJsonAsync("/api/training/replay/speed", new { speed = 61 }))
            {
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            }

            // play at 60x: ten recorded minutes in about ten seconds; compare wherever the clock stands
            await PostAsync(lead, "/api/training/replay/speed", new { speed = 60 });
            await PostAsync(lead, "/api/training/replay/play", new { });
            var compared = new List<DateTimeOffset>();
            var until = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (true)
            {
                Assert.True(DateTime.UtcNow < until, "the replay did not reach its end");
                var state = await viewer.Http.GetFromJsonAsync<JsonElement>("/api/training/replay");
                Assert.Equal(60, state.GetProperty("speed").GetDouble());
                var position = state.GetProperty("position").GetDateTimeOffset();
                Assert.Equal(Truth(truth, position), await StatusAtAsync(viewer.Http, roomId, sw.Id, port, position));
                compared.Add(position);
                if (state.GetProperty("ended").GetBoolean())
                {
                    break;
                }
            }

            Assert.True(compared.Count >= 3, $"only {compared.Count} positions compared");
            Assert.Contains(compared, p => p > t0 && p < end);
            Assert.Equal(end, compared[^1]);

            // both edges of the fault and of the flap, exactly, through the clock
            await PostAsync(lead, "/api/training/replay/pause", new { });
            foreach (var k in new[] { 17, 18, 35, 36, 47, 48, 49 })
            {
                foreach (var offset in new[] { TimeSpan.Zero, TimeSpan.FromSeconds(9) })
                {
                    var instant = t0 + (Step * k) + offset;
                    var seeked = await PostAsync(lead, "/api/training/replay/seek", new { t = instant });
                    Assert.Equal(instant, seeked.GetProperty("position").GetDateTimeOffset());
                    var position = (await viewer.Http.GetFromJsonAsync<JsonElement>("/api/training/replay")).GetProperty("position").GetDateTimeOffset();
                    Assert.Equal(instant, position);
                    Assert.Equal(truth[k].Status, await StatusAtAsync(viewer.Http, roomId, sw.Id, port, position));
                }
            }

            // the alarm: absent before the fault, raised during it, cleared after; the ticket step after it was taken
            Assert.DoesNotContain(await AlarmsAtAsync(viewer.Http, roomId, t0 + (Step * 17)), a => IsPort(a, sw.Id, port));
            Assert.Contains(await AlarmsAtAsync(viewer.Http, roomId, t0 + (Step * 18)), a => IsPort(a, sw.Id, port) && a.GetProperty("state").GetString() == "raised");
            Assert.Contains(await AlarmsAtAsync(viewer.Http, roomId, t0 + (Step * 30)), a => IsPort(a, sw.Id, port) && a.GetProperty("state").GetString() == "raised");
            Assert.DoesNotContain(await AlarmsAtAsync(viewer.Http, roomId, t0 + (Step * 40)), a => IsPort(a, sw.Id, port) && a.GetProperty("state").GetString() == "raised");
            var before = await viewer.Http.GetFromJsonAsync<JsonElement>($"/api/replay/rooms/{roomId}/at?t={Iso(ticketAt.AddSeconds(-1))}");
            Assert.DoesNotContain(before.GetProperty("ticketSteps").EnumerateArray(), s => s.GetProperty("ticketId").GetInt64() == ticketId);
            var after = await viewer.Http.GetFromJsonAsync<JsonElement>($"/api/replay/rooms/{roomId}/at?t={Iso(ticketAt)}");
            Assert.Contains(after.GetProperty("ticketSteps").EnumerateArray(), s => s.GetProperty("ticketId").GetInt64() == ticketId && s.GetProperty("at").GetDateTimeOffset() == ticketAt);
        }
        finally
        {
            await sessionHost.StopAsync();
        }

        // the live host's changes over the window: a player stepping through them meets the truth at every write
        var changes = await _admin.Http.GetFromJsonAsync<JsonElement>($"/api/replay/rooms/{roomId}/changes?from={Iso(t0)}&to={Iso(end)}");
        Assert.False(changes.GetProperty("truncated").GetBoolean());
        var start = changes.GetProperty("start").GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("device").GetString() == sw.Id && p.GetProperty("index").GetInt32() == port);
        var steps = changes.GetProperty("statuses").EnumerateArray()
            .Where(c => c.GetProperty("device").GetString() == sw.Id && c.TryGetProperty("port", out var p) && p.ValueKind == JsonValueKind.Number && p.GetInt32() == port)
            .Select(c => (At: c.GetProperty("at").GetDateTimeOffset(), Status: c.GetProperty("status").GetString()!)).ToList();
        Assert.Equal([(t0 + (Step * 18), "down"), (t0 + (Step * 36), "ok"), (t0 + (Step * 48), "down"), (t0 + (Step * 49), "ok")], steps);
        foreach (var (at, status) in truth)
        {
            var played = steps.Where(s => s.At <= at).Select(s => s.Status).DefaultIfEmpty(start.GetProperty("status").GetString()!).Last();
            Assert.Equal(status, played);
        }

        var events = changes.GetProperty("alarmEvents").EnumerateArray().Where(e => IsPort(e.GetProperty("alarm"), sw.Id, port)).ToList();
        Assert.Contains(events, e => e.GetProperty("kind").GetString() == "raised" && e.GetProperty("at").GetDateTimeOffset() == raisedAt);
        Assert.Contains(events, e => e.GetProperty("kind").GetString() == "cleared" && e.GetProperty("at").GetDateTimeOffset() == clearedAt);
        Assert.Contains(changes.GetProperty("ticketSteps").EnumerateArray(), s => s.GetProperty("ticketId").GetInt64() == ticketId && s.GetProperty("at").GetDateTimeOffset() == ticketAt);
    }

    private static string Truth(List<(DateTimeOffset At, string Status)> truth, DateTimeOffset at) => truth.Last(t => t.At <= at).Status;

    private static bool IsPort(JsonElement alarm, string device, int port) =>
        alarm.GetProperty("ruleId").GetString() == "port-down" && alarm.GetProperty("target").GetProperty("deviceId").GetString() == device
        && alarm.GetProperty("target").GetProperty("port").ValueKind == JsonValueKind.Number && alarm.GetProperty("target").GetProperty("port").GetInt32() == port;

    private static string Iso(DateTimeOffset at) => Uri.EscapeDataString(IsoText(at));

    private static string IsoText(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static long Ns(DateTimeOffset at) => (at - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static async Task<string> StatusAtAsync(HttpClient http, string roomId, string device, int port, DateTimeOffset at)
    {
        var room = await http.GetFromJsonAsync<JsonElement>($"/api/replay/rooms/{roomId}/at?t={Iso(at)}");
        Assert.Equal(at, room.GetProperty("at").GetDateTimeOffset());
        return room.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("device").GetString() == device && p.GetProperty("index").GetInt32() == port)
            .GetProperty("status").GetString()!;
    }

    private static async Task<List<JsonElement>> AlarmsAtAsync(HttpClient http, string roomId, DateTimeOffset at) =>
        [.. (await http.GetFromJsonAsync<JsonElement>($"/api/replay/rooms/{roomId}/at?t={Iso(at)}")).GetProperty("alarms").EnumerateArray()];

    private static async Task<JsonElement> PostAsync(SignedInClient client, string path, object body)
    {
        using var response = await client.Http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task WriteAsync(string lines)
    {
        using var content = new StringContent(lines);
        using var response = await _admin.Http.PostAsync(new Uri("/api/v2/write?bucket=b&precision=ns", UriKind.Relative), content);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"write answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The port's status on the live host once its oper status sample dated <paramref name="at"/> was applied.</summary>
    private async Task<string> LiveStatusOnceAppliedAsync(string device, int port, DateTimeOffset at) =>
        await WaitForAsync(
            async () =>
            {
                var detail = await _admin.Http.GetFromJsonAsync<JsonElement>($"/api/devices/{device}");
                var p = detail.GetProperty("ports").EnumerateArray().Single(x => x.GetProperty("index").GetInt32() == port);
                var applied = p.GetProperty("values").EnumerateArray().Any(v =>
                    v.GetProperty("metric").GetString() == "interface.oper_status" && v.GetProperty("timestamp").GetDateTimeOffset() == at);
                return applied ? p.GetProperty("status").GetString() : null;
            },
            $"the sample at {at:O} applied");

    private async Task<JsonElement?> PortAlarmAsync(string device, int port, string state)
    {
        var alarms = await _admin.Http.GetFromJsonAsync<JsonElement>("/api/alarms");
        foreach (var alarm in alarms.EnumerateArray())
        {
            if (IsPort(alarm, device, port) && alarm.GetProperty("state").GetString() == state)
            {
                return alarm.Clone();
            }
        }

        return null;
    }

    private static async Task<T> WaitForValueAsync<T>(Func<Task<T?>> probe, string what)
        where T : struct
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}");
            await Task.Yield();
        }
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, string what)
        where T : class
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}");
            await Task.Yield();
        }
    }
}
