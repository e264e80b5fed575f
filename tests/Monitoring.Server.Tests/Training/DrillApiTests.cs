using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Server.Security;

namespace Monitoring.Server.Tests.Training;

/// <summary>
/// Issue 21 groundwork: the instructor role reads the drills the server loaded from device-profiles/drills (the three
/// shipped ones, both languages), with each timeline and its expectations as parsed; roles without it are refused.
/// </summary>
public sealed class DrillApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task An_instructor_lists_the_three_demo_drills_in_both_languages()
    {
        using var instructor = await server.SignInAsync("drill.instructor", Role.Instructor);

        var drills = await instructor.Http.GetFromJsonAsync<JsonElement>("/api/training/drills");

        Assert.Equal(
            ["access-port-flapping", "raised-floor-leak", "ups-on-battery-night"],
            drills.EnumerateArray().Select(d => d.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        foreach (var drill in drills.EnumerateArray())
        {
            Assert.Equal("demo", drill.GetProperty("roomId").GetString());
            Assert.False(string.IsNullOrWhiteSpace(drill.GetProperty("name").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(drill.GetProperty("nameEn").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(drill.GetProperty("description").GetProperty("zh").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(drill.GetProperty("description").GetProperty("en").GetString()));
            Assert.True(drill.GetProperty("faults").GetInt32() > 0);
            Assert.True(drill.GetProperty("expectations").GetInt32() > 0);
        }

        var night = drills.EnumerateArray().Single(d => d.GetProperty("id").GetString() == "ups-on-battery-night");
        Assert.Equal(("02:30", 1200.0), (night.GetProperty("timeOfDay").GetString(), night.GetProperty("durationSeconds").GetDouble()));
    }

    [Fact]
    public async Task One_drill_carries_its_parsed_timeline_and_expectations()
    {
        using var instructor = await server.SignInAsync("drill.reader", Role.Instructor);

        var drill = await instructor.Http.GetFromJsonAsync<JsonElement>("/api/training/drills/access-port-flapping");

        var timeline = drill.GetProperty("timeline").EnumerateArray().ToList();
        var first = timeline[0];
        Assert.Equal(
            ("first-drop", 30.0, "port-down", "asw-a02", 14, 20.0),
            (first.GetProperty("id").GetString(), first.GetProperty("atSeconds").GetDouble(), first.GetProperty("kind").GetString(),
                first.GetProperty("deviceId").GetString(), first.GetProperty("port").GetInt32(), first.GetProperty("forSeconds").GetDouble()));
        Assert.False(string.IsNullOrEmpty(first.GetProperty("portName").GetString()));
        Assert.Equal(JsonValueKind.Null, first.GetProperty("simulator").ValueKind);
        Assert.Equal("port-up", timeline[^1].GetProperty("kind").GetString());

        var expectations = drill.GetProperty("expectations").EnumerateArray().ToDictionary(e => e.GetProperty("id").GetString()!);
        var locate = expectations["locate-port"];
        Assert.Equal(("locate", "asw-a02", 14, 30.0, 210.0, 20), (locate.GetProperty("kind").GetString(), locate.GetProperty("deviceId").GetString(),
            locate.GetProperty("port").GetInt32(), locate.GetProperty("fromSeconds").GetDouble(), locate.GetProperty("deadlineSeconds").GetDouble(), locate.GetProperty("points").GetInt32()));
        var dispatch = expectations["dispatch"];
        Assert.Equal(("ticket", "fault", "team-network"), (dispatch.GetProperty("kind").GetString(), dispatch.GetProperty("category").GetString(), dispatch.GetProperty("teamId").GetString()));
        Assert.False(expectations["keep-sound"].GetProperty("mute").GetBoolean());
        var close = expectations["close"];
        Assert.Equal(("close", "port-down", "cord-replaced", 480.0, 780.0), (close.GetProperty("kind").GetString(), close.GetProperty("ruleId").GetString(),
            close.GetProperty("after").GetString(), close.GetProperty("fromSeconds").GetDouble(), close.GetProperty("deadlineSeconds").GetDouble()));

        // a step the demo simulator plays today names its scenario
        var leak = await instructor.Http.GetFromJsonAsync<JsonElement>("/api/training/drills/raised-floor-leak");
        var wet = leak.GetProperty("timeline")[0];
        Assert.Equal(("probe-leak", "leak"), (wet.GetProperty("kind").GetString(), wet.GetProperty("simulator").GetProperty("scenario").GetString()));

        using var missing = await instructor.Http.GetAsync("/api/training/drills/no-such-drill");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no drill 'no-such-drill'", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Role.Operator)]
    [InlineData(Role.Technician)]
    [InlineData(Role.Trainee)]
    [InlineData(Role.Viewer)]
    public async Task Roles_that_do_not_train_are_refused(Role role)
    {
        using var user = await server.SignInAsync("drill.no." + Permissions.RoleName(role), role);

        using var list = await user.Http.GetAsync("/api/training/drills");
        using var one = await user.Http.GetAsync("/api/training/drills/raised-floor-leak");

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (list.StatusCode, one.StatusCode));
    }

    [Fact]
    public async Task A_duty_lead_reads_the_drills_too_and_an_instructor_opens_every_room()
    {
        using var lead = await server.SignInAsync("drill.lead", Role.DutyLead);
        using var instructor = await server.SignInAsync("drill.rooms", Role.Instructor);

        using var list = await lead.Http.GetAsync("/api/training/drills");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var rooms = await instructor.Http.GetFromJsonAsync<JsonElement>("/api/rooms");
        Assert.Equal(["demo", "training"], rooms.EnumerateArray().Select(r => r.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_live_host_says_it_is_no_training_session()
    {
        using var trainee = await server.SignInAsync("context.trainee", Role.Trainee);

        var context = await trainee.Http.GetFromJsonAsync<JsonElement>("/api/training/context");

        Assert.Equal(JsonValueKind.Null, context.GetProperty("session").ValueKind);
    }
}
