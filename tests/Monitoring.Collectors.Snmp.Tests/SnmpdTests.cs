using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Security;

namespace Monitoring.Collectors.Snmp.Tests;

/// <summary>The client against a real net-snmp agent started by the fixture.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The client is disposed in IAsyncLifetime.DisposeAsync.")]
public sealed partial class SnmpdTests : IClassFixture<SnmpdFixture>, IAsyncLifetime
{
    private static readonly Oid SysDescr = Oid.Parse("1.3.6.1.2.1.1.1.0");
    private static readonly Oid SysUpTime = Oid.Parse("1.3.6.1.2.1.1.3.0");
    private static readonly Oid SysName = Oid.Parse("1.3.6.1.2.1.1.5.0");
    private static readonly Oid SysLocation = Oid.Parse("1.3.6.1.2.1.1.6.0");
    private static readonly Oid System = Oid.Parse("1.3.6.1.2.1.1");
    private static readonly Oid IfTable = Oid.Parse("1.3.6.1.2.1.2.2");

    private readonly SnmpdFixture _agent;
    private readonly SnmpClient _client = new();

    public SnmpdTests(SnmpdFixture agent) => _agent = agent;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _client.DisposeAsync();

    private SnmpTarget Community(SnmpVersion version, string community = "public", TimeSpan? timeout = null) =>
        new(_agent.EndPoint, version, community) { Timeout = timeout ?? TimeSpan.FromSeconds(2), Retries = 1 };

    private SnmpTarget V3(string user, SnmpAuthProtocol auth, SnmpPrivProtocol priv, string authPassword = "authpass1", string privPassword = "privpass1") =>
        new(_agent.EndPoint, new UsmUser(user, auth, authPassword, priv, priv == SnmpPrivProtocol.None ? null : privPassword)) { Timeout = TimeSpan.FromSeconds(2), Retries = 1 };

    [Theory]
    [InlineData(SnmpVersion.V1)]
    [InlineData(SnmpVersion.V2c)]
    public async Task Get_of_system_scalars_matches_snmpget(SnmpVersion version)
    {
        var result = await _client.GetAsync(Community(version), [SysDescr, SysUpTime, SysName]);
        Assert.True(result.IsSuccess, result.Error?.Message);
        var vbs = result.Value;
        Assert.Equal([SysDescr, SysUpTime, SysName], vbs.Select(v => v.Oid));
        Assert.Equal(SnmpValueType.TimeTicks, vbs[1].Value.Type);
        Assert.Equal("testhost", vbs[2].Value.AsText());

        var (_, output, _) = await SnmpdFixture.RunToolAsync("snmpget", "-v2c", "-c", "public", "-On", "-Ov", _agent.Target, "1.3.6.1.2.1.1.1.0");
        Assert.Equal(output.Trim(), "STRING: \"" + vbs[0].Value.AsText() + "\"");
    }

    [Fact]
    public async Task GetNext_returns_the_following_object()
    {
        foreach (var version in new[] { SnmpVersion.V1, SnmpVersion.V2c })
        {
            var result = await _client.GetNextAsync(Community(version), [Oid.Parse("1.3.6.1.2.1.1.4"), Oid.Parse("1.3.6.1.2.1.1.5")]);
            Assert.True(result.IsSuccess, result.Error?.Message);
            Assert.Equal(Oid.Parse("1.3.6.1.2.1.1.4.0"), result.Value[0].Oid);
            Assert.Equal(SysName, result.Value[1].Oid);
            Assert.Equal("testhost", result.Value[1].Value.AsText());
        }
    }

    [Fact]
    public async Task Missing_objects_are_noSuchName_in_v1_and_noSuchObject_in_v2c()
    {
        var missing = Oid.Parse("1.3.6.1.2.1.1.99.0");
        var v1 = await _client.GetAsync(Community(SnmpVersion.V1), [SysName, missing]);
        Assert.False(v1.IsSuccess);
        Assert.Equal(SnmpErrorKind.ErrorStatus, v1.Error!.Kind);
        Assert.Equal(SnmpErrorStatus.NoSuchName, v1.Error.Status);
        Assert.Equal(2, v1.Error.ErrorIndex);
        Assert.Contains("noSuchName", v1.Error.Message, StringComparison.Ordinal);

        var v2 = await _client.GetAsync(Community(SnmpVersion.V2c), [SysName, missing]);
        Assert.True(v2.IsSuccess, v2.Error?.Message);
        Assert.Equal(SnmpValueType.NoSuchObject, v2.Value[1].Value.Type);
    }

    [Fact]
    public async Task Bulk_walk_of_ifTable_equals_what_snmpbulkwalk_prints()
    {
        var (exit, output, _) = await SnmpdFixture.RunToolAsync("snmpbulkwalk", "-v2c", "-c", "public", "-On", "-Oe", _agent.Target, "1.3.6.1.2.1.2.2");
        Assert.Equal(0, exit);
        var expected = ParseToolOutput(output);
        Assert.True(expected.Count >= 22, $"snmpbulkwalk printed only {expected.Count} lines:\n{output}");

        var walk = await _client.WalkAsync(new SnmpTarget(_agent.EndPoint, SnmpVersion.V2c, "public") { MaxRepetitions = 7 }, IfTable);
        Assert.True(walk.IsComplete, walk.Error?.Message);
        Assert.Equal(expected.Select(e => e.Oid), walk.VarBinds.Select(v => v.Oid));
        for (var i = 0; i < expected.Count; i++)
        {
            AssertSameValue(expected[i], walk.VarBinds[i]);
        }
    }

    [Fact]
    public async Task V1_walk_uses_getnext_and_matches_snmpwalk()
    {
        var (exit, output, _) = await SnmpdFixture.RunToolAsync("snmpwalk", "-v1", "-c", "public", "-On", "-Oe", _agent.Target, "1.3.6.1.2.1.1");
        Assert.Equal(0, exit);
        var expected = ParseToolOutput(output);
        var walk = await _client.WalkAsync(Community(SnmpVersion.V1), System);
        Assert.True(walk.IsComplete, walk.Error?.Message);
        Assert.Equal(expected.Select(e => e.Oid), walk.VarBinds.Select(v => v.Oid));
        for (var i = 0; i < expected.Count; i++)
        {
            AssertSameValue(expected[i], walk.VarBinds[i]);
        }
    }

    [Theory]
    [InlineData("uauth", SnmpAuthProtocol.Sha1, SnmpPrivProtocol.None)]
    [InlineData("usha", SnmpAuthProtocol.Sha1, SnmpPrivProtocol.Aes128)]
    [InlineData("usha256", SnmpAuthProtocol.Sha256, SnmpPrivProtocol.Aes128)]
    [InlineData("umd5", SnmpAuthProtocol.Md5, SnmpPrivProtocol.Des)]
    public async Task V3_get_and_walk_at_each_security_level(string user, SnmpAuthProtocol auth, SnmpPrivProtocol priv)
    {
        var target = V3(user, auth, priv);
        var result = await _client.GetAsync(target, [SysName, SysLocation, SysUpTime]);
        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal("testhost", result.Value[0].Value.AsText());
        Assert.Equal("machine room 1", result.Value[1].Value.AsText());

        var walk = await _client.WalkAsync(target, System);
        Assert.True(walk.IsComplete, walk.Error?.Message);
        Assert.Contains(walk.VarBinds, v => v.Oid == SysName && v.Value.AsText() == "testhost");
        Assert.True(walk.VarBinds.Count > 10);
    }

    [Fact]
    public async Task V3_client_resynchronises_boots_and_time_after_notInTimeWindow()
    {
        var clock = new ShiftableTimeProvider();
        await using var client = new SnmpClient(timeProvider: clock);
        var target = V3("usha", SnmpAuthProtocol.Sha1, SnmpPrivProtocol.Aes128);
        Assert.True((await client.GetAsync(target, [SysName])).IsSuccess);

        // Our clock runs 1000 s ahead: the engine-time estimate leaves the agent's 150 s window, the agent
        // answers with an authenticated usmStatsNotInTimeWindows report, and the client adopts its boots/time.
        clock.Shift = TimeSpan.FromSeconds(1000);
        var afterJump = await client.GetAsync(target, [SysName]);
        Assert.True(afterJump.IsSuccess, afterJump.Error?.Message);
        Assert.Equal("testhost", afterJump.Value[0].Value.AsText());
    }

    private sealed class ShiftableTimeProvider : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override long GetTimestamp() => base.GetTimestamp() + (long)(Shift.TotalSeconds * TimestampFrequency);
    }

    [Fact]
    public async Task Wrong_community_times_out_and_says_a_wrong_community_looks_like_that()
    {
        var result = await _client.GetAsync(Community(SnmpVersion.V2c, "not-the-community", TimeSpan.FromMilliseconds(300)), [SysName]);
        Assert.False(result.IsSuccess);
        Assert.Equal(SnmpErrorKind.Timeout, result.Error!.Kind);
        Assert.Contains("wrong community", result.Error.Message, StringComparison.Ordinal);
        Assert.Contains("2 attempt(s)", result.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-community", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_authentication_password_is_reported_as_wrong_digest()
    {
        var result = await _client.GetAsync(V3("uauth", SnmpAuthProtocol.Sha1, SnmpPrivProtocol.None, authPassword: "wrongpass1"), [SysName]);
        Assert.False(result.IsSuccess);
        Assert.Equal(SnmpErrorKind.WrongDigest, result.Error!.Kind);
        Assert.Contains("wrong authentication password", result.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrongpass1", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_user_is_reported_as_such()
    {
        var result = await _client.GetAsync(V3("nobody", SnmpAuthProtocol.Sha1, SnmpPrivProtocol.None), [SysName]);
        Assert.False(result.IsSuccess);
        Assert.Equal(SnmpErrorKind.UnknownUserName, result.Error!.Kind);
        Assert.Contains("does not know user 'nobody'", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_privacy_password_times_out_and_says_so()
    {
        // net-snmp (like snmpget against it) sends no decryptionErrors report: it drops what it cannot decrypt.
        var target = new SnmpTarget(_agent.EndPoint, new UsmUser("usha", SnmpAuthProtocol.Sha1, "authpass1", SnmpPrivProtocol.Aes128, "wrongpriv1"))
        {
            Timeout = TimeSpan.FromMilliseconds(300),
            Retries = 0,
        };
        var result = await _client.GetAsync(target, [SysName]);
        Assert.False(result.IsSuccess);
        Assert.Equal(SnmpErrorKind.Timeout, result.Error!.Kind);
        Assert.Contains("wrong privacy password", result.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrongpriv1", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_security_level_the_user_lacks_is_reported_as_unsupported()
    {
        // uauth has no privacy key in the agent.
        var result = await _client.GetAsync(V3("uauth", SnmpAuthProtocol.Sha1, SnmpPrivProtocol.Aes128), [SysName]);
        Assert.False(result.IsSuccess);
        Assert.Equal(SnmpErrorKind.UnsupportedSecurityLevel, result.Error!.Kind);
    }

    [Fact]
    public async Task A_get_too_big_for_the_message_size_is_split_after_tooBig()
    {
        // A v3 manager announcing the minimum msgMaxSize (484) makes the agent answer tooBig to a large GET.
        await using var small = new SnmpClient(new SnmpClientOptions { MaxMessageSize = 484 });
        var target = new SnmpTarget(_agent.EndPoint, new UsmUser("uauth", SnmpAuthProtocol.Sha1, "authpass1")) { MaxVarBindsPerRequest = 40 };
        var oids = Enumerable.Range(0, 12).SelectMany(_ => new[] { SysDescr, SysName }).ToArray();

        var single = await small.SendAsync(target, SnmpPduType.GetRequest, 0, 0, oids.Select(VarBind.ForRequest).ToArray());
        Assert.False(single.IsSuccess);
        Assert.Equal(SnmpErrorStatus.TooBig, single.Error!.Status);

        var split = await small.GetAsync(target, oids);
        Assert.True(split.IsSuccess, split.Error?.Message);
        Assert.Equal(oids, split.Value.Select(v => v.Oid));
        Assert.All(split.Value.Where(v => v.Oid == SysName), v => Assert.Equal("testhost", v.Value.AsText()));
    }

    [Fact]
    public async Task An_agent_that_stops_answering_mid_walk_gives_the_partial_result_and_a_timeout()
    {
        using var relay = new UdpDroppingRelay(_agent.EndPoint, forwardCount: 3);
        var target = new SnmpTarget(relay.EndPoint, SnmpVersion.V2c, "public") { MaxRepetitions = 5, Timeout = TimeSpan.FromSeconds(1), Retries = 1 };
        var walk = await _client.WalkAsync(target, Oid.Parse("1.3.6.1.2.1"));
        Assert.False(walk.IsComplete);
        Assert.Equal(SnmpErrorKind.Timeout, walk.Error!.Kind);
        Assert.Equal(15, walk.VarBinds.Count); // three answered GETBULKs of five
        Assert.Equal(5, relay.Forwarded); // three forwarded, then the attempt and its retry dropped
    }

    [Fact]
    public async Task Many_concurrent_requests_over_one_socket_each_get_their_own_answer()
    {
        var targets = new[]
        {
            Community(SnmpVersion.V1),
            Community(SnmpVersion.V2c),
            V3("usha", SnmpAuthProtocol.Sha1, SnmpPrivProtocol.Aes128),
            V3("umd5", SnmpAuthProtocol.Md5, SnmpPrivProtocol.Des),
        };
        var oids = new[] { SysDescr, SysName, SysLocation, Oid.Parse("1.3.6.1.2.1.1.2.0") };
        var tasks = Enumerable.Range(0, 200).Select(async i =>
        {
            var oid = oids[i % oids.Length];
            var result = await _client.GetAsync(targets[i % targets.Length], [oid]);
            return (oid, result);
        }).ToArray();
        foreach (var (oid, result) in await Task.WhenAll(tasks))
        {
            Assert.True(result.IsSuccess, result.Error?.Message);
            Assert.Equal(oid, result.Value.Single().Oid);
        }
    }

    [Fact]
    public async Task GetBulk_honours_non_repeaters_and_max_repetitions()
    {
        var result = await _client.GetBulkAsync(Community(SnmpVersion.V2c), 1, 3, [Oid.Parse("1.3.6.1.2.1.1.3.0"), Oid.Parse("1.3.6.1.2.1.2.2.1.2")]);
        Assert.True(result.IsSuccess, result.Error?.Message);
        var vbs = result.Value;
        Assert.Equal(4, vbs.Count);
        Assert.Equal(Oid.Parse("1.3.6.1.2.1.1.4.0"), vbs[0].Oid);
        Assert.All(vbs.Skip(1), v => Assert.True(v.Oid.IsDescendantOf(Oid.Parse("1.3.6.1.2.1.2.2.1.2"))));
        Assert.Equal("lo", vbs[1].Value.AsText());
    }

    [Fact]
    public async Task Requests_beyond_the_per_target_cap_wait_for_a_free_slot()
    {
        using var relay = new UdpDroppingRelay(_agent.EndPoint, forwardCount: 0);
        await using var client = new SnmpClient(new SnmpClientOptions { MaxOutstandingPerTarget = 2 });
        var target = new SnmpTarget(relay.EndPoint, SnmpVersion.V2c, "public") { Timeout = TimeSpan.FromSeconds(1), Retries = 0 };
        var requests = Enumerable.Range(0, 6).Select(_ => client.GetAsync(target, [SysName])).ToArray();

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (relay.Forwarded < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.Equal(2, relay.Forwarded); // the other four wait until a timeout frees a slot
        var results = await Task.WhenAll(requests);
        Assert.All(results, r => Assert.Equal(SnmpErrorKind.Timeout, r.Error!.Kind));
        Assert.Equal(6, relay.Forwarded);
    }

    [Fact]
    public async Task Cancellation_ends_a_pending_request_promptly()
    {
        using var relay = new UdpDroppingRelay(_agent.EndPoint, forwardCount: 0);
        var target = new SnmpTarget(relay.EndPoint, SnmpVersion.V2c, "public") { Timeout = TimeSpan.FromSeconds(30) };
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = DateTime.UtcNow;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.GetAsync(target, [SysName], cts.Token));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    private sealed record ToolLine(Oid Oid, string Type, string Text);

    private static List<ToolLine> ParseToolOutput(string output)
    {
        var lines = new List<ToolLine>();
        foreach (var raw in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = ToolLineRegex().Match(raw.TrimEnd());
            Assert.True(m.Success, $"Unparsed tool line: {raw}");
            var value = m.Groups["value"].Value;
            var colon = value.IndexOf(": ", StringComparison.Ordinal);
            lines.Add(value == "\"\""
                ? new ToolLine(Oid.Parse(m.Groups["oid"].Value), "STRING", "\"\"")
                : new ToolLine(Oid.Parse(m.Groups["oid"].Value), value[..colon], value[(colon + 2)..]));
        }

        return lines;
    }

    private static void AssertSameValue(ToolLine expected, VarBind actual)
    {
        var v = actual.Value;
        switch (expected.Type)
        {
            case "INTEGER":
                Assert.Equal(int.Parse(expected.Text, CultureInfo.InvariantCulture), v.AsInt32());
                break;
            case "STRING":
                Assert.Equal(SnmpValueType.OctetString, v.Type);
                Assert.Equal(expected.Text[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal), v.AsText());
                break;
            case "Hex-STRING":
                Assert.Equal(SnmpValueType.OctetString, v.Type);
                Assert.Equal(expected.Text.Replace(" ", string.Empty, StringComparison.Ordinal), Convert.ToHexString(v.Bytes));
                break;
            case "Gauge32":
                Assert.Equal(SnmpValueType.Gauge32, v.Type);
                Assert.Equal(uint.Parse(expected.Text, CultureInfo.InvariantCulture), v.AsUInt32());
                break;
            case "Counter32":
                // Counters keep counting between the tool's walk and ours: ours is never lower.
                Assert.Equal(SnmpValueType.Counter32, v.Type);
                Assert.True(v.AsUInt32() >= uint.Parse(expected.Text, CultureInfo.InvariantCulture), $"{actual.Oid}: {v} < {expected.Text}");
                break;
            case "Timeticks":
                Assert.Equal(SnmpValueType.TimeTicks, v.Type);
                var ticks = uint.Parse(expected.Text[1..expected.Text.IndexOf(')', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                Assert.True(v.AsUInt32() >= ticks);
                break;
            case "OID":
                Assert.Equal(Oid.Parse(expected.Text), v.AsOid());
                break;
            default:
                Assert.Fail($"Unexpected type {expected.Type} at {expected.Oid}");
                break;
        }
    }

    [GeneratedRegex(@"^(?<oid>\.[0-9.]+) = (?<value>.*)$")]
    private static partial Regex ToolLineRegex();
}
