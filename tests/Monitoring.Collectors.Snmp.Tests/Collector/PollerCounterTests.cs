using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Series;
using Monitoring.Simulator.Snmp;

namespace Monitoring.Collectors.Snmp.Tests.Collector;

/// <summary>The poller's counter handling end to end, against an agent whose objects the test sets poll by poll.</summary>
public sealed class PollerCounterTests
{
    private static readonly Oid SysUpTime = Oid.Parse("1.3.6.1.2.1.1.3.0");
    private static readonly Oid IfInOctets = Oid.Parse("1.3.6.1.2.1.2.2.1.10.1");
    private static readonly Oid IfHcOut = Oid.Parse("1.3.6.1.2.1.31.1.1.1.10.1");
    private static readonly Oid IfOper = Oid.Parse("1.3.6.1.2.1.2.2.1.8.1");
    private static readonly Oid IfDescr = Oid.Parse("1.3.6.1.2.1.2.2.1.2.1");

    private static SnmpProfile Profile() => new()
    {
        Id = "snmp/test",
        Name = "test",
        PortMatch = SnmpPortMatch.IfDescr,
        PortMetrics =
        [
            new SnmpPortMetric { Metric = "interface.oper_status", Compute = SnmpPortCompute.Value, Column = Oid.Parse("1.3.6.1.2.1.2.2.1.8") },
            new SnmpPortMetric { Metric = "interface.in_bps", Compute = SnmpPortCompute.BitRate, Column = Oid.Parse("1.3.6.1.2.1.2.2.1.10") },
            new SnmpPortMetric { Metric = "interface.out_bps", Compute = SnmpPortCompute.BitRate, Column = Oid.Parse("1.3.6.1.2.1.31.1.1.1.10") },
        ],
    };

    [Fact]
    public async Task Wraps_give_the_true_rate_and_an_agent_restart_gives_no_spike()
    {
        var state = new MibView([]);
        void Set(uint uptime, uint inOctets, ulong outOctets) => state = new MibView(
        [
            new(SysUpTime, SnmpValue.FromTimeTicks(uptime)),
            new(IfDescr, SnmpValue.FromText("eth0")),
            new(IfOper, SnmpValue.FromInt32(1)),
            new(IfInOctets, SnmpValue.FromCounter32(inOctets)),
            new(IfHcOut, SnmpValue.FromCounter64(outOctets)),
        ]);

        await using var agent = new SnmpAgent(() => state, "c");
        var inventory = Repo.HostInventory("snmp/test", "eth0");
        var registry = new SeriesRegistry(inventory);
        await using var client = new SnmpClient();
        var poller = new SnmpDevicePoller(inventory.Devices[0], Profile(), new SnmpTarget(agent.EndPoint, SnmpVersion.V2c, "c"), client, registry);
        var sink = new ListSink();

        Set(100_000, uint.MaxValue - 999, ulong.MaxValue - 499);
        Assert.Equal(PollOutcome.Ok, (await poller.PollAsync(sink, CancellationToken.None)).Outcome);
        Assert.Null(sink.Last(registry, 0, "interface.in_bps", 1)); // first reading: no rate
        Assert.Equal(1, sink.Last(registry, 0, "interface.oper_status", 1));

        Set(101_000, 9_000, 9_500); // 10 s later: both counters wrapped (32 and 64 bit)
        await poller.PollAsync(sink, CancellationToken.None);
        Assert.Equal(10_000 * 8 / 10.0, sink.Last(registry, 0, "interface.in_bps", 1)!.Value, 6);
        Assert.Equal(10_000 * 8 / 10.0, sink.Last(registry, 0, "interface.out_bps", 1)!.Value, 6);

        sink.Clear();
        Set(500, 100, 200); // the agent restarted: sysUpTime went back, counters from zero
        await poller.PollAsync(sink, CancellationToken.None);
        Assert.Null(sink.Last(registry, 0, "interface.in_bps", 1));
        Assert.Null(sink.Last(registry, 0, "interface.out_bps", 1));
        Assert.Equal(1, sink.Last(registry, 0, "interface.oper_status", 1));

        Set(1_500, 100 + 1_250_000, 200); // 10 s after the restart: 1 Mbit/s in
        await poller.PollAsync(sink, CancellationToken.None);
        Assert.Equal(1_000_000, sink.Last(registry, 0, "interface.in_bps", 1)!.Value, 6);
        Assert.Equal(0, sink.Last(registry, 0, "interface.out_bps", 1)!.Value, 6);
    }

    [Fact]
    public async Task An_agent_without_sysUpTime_is_a_protocol_error_in_plain_words()
    {
        await using var agent = new SnmpAgent(() => new MibView([new(IfOper, SnmpValue.FromInt32(1))]), "c");
        var inventory = Repo.HostInventory("snmp/test", "eth0");
        var registry = new SeriesRegistry(inventory);
        await using var client = new SnmpClient();
        var poller = new SnmpDevicePoller(inventory.Devices[0], Profile(), new SnmpTarget(agent.EndPoint, SnmpVersion.V2c, "c"), client, registry);
        var result = await poller.PollAsync(new ListSink(), CancellationToken.None);
        Assert.Equal(PollOutcome.ProtocolError, result.Outcome);
        Assert.Contains("sysUpTime", result.Message, StringComparison.Ordinal);
    }
}
