using System.Globalization;
using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Collectors.Snmp.Security;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Snmp.Tests.Collector;

/// <summary>The poller against net-snmp's snmpd (IF-MIB, UCD-SNMP-MIB, HOST-RESOURCES-MIB): the loopback interface.</summary>
public sealed class SnmpPollerSnmpdTests(SnmpdFixture snmpd) : IClassFixture<SnmpdFixture>
{
    private static SnmpProfile Profile(string id) => SnmpProfileLoader.LoadFolder(Repo.Profiles)[id];

    [Fact]
    public async Task Polls_loopback_status_and_rates_and_ucd_cpu_and_memory()
    {
        var inventory = Repo.HostInventory("snmp/net-snmp", "lo");
        var registry = new SeriesRegistry(inventory);
        await using var client = new SnmpClient();
        var target = new SnmpTarget(snmpd.EndPoint, SnmpVersion.V2c, "public");
        var poller = new SnmpDevicePoller(inventory.Devices[0], Profile("snmp/net-snmp"), target, client, registry);
        var sink = new ListSink();

        var first = await poller.PollAsync(sink, CancellationToken.None);
        Assert.Equal(PollOutcome.Ok, first.Outcome);
        Assert.Equal(1, sink.Last(registry, 0, "interface.oper_status", 1)); // lo is up
        Assert.Equal(1, sink.Last(registry, 0, "interface.admin_status", 1));
        Assert.Null(sink.Last(registry, 0, "interface.in_bps", 1)); // a first reading gives no rate
        Assert.Null(sink.Last(registry, 0, "cpu.usage"));
        var memory = sink.Last(registry, 0, "memory.usage");
        Assert.NotNull(memory);
        Assert.InRange(memory!.Value, 0.1, 100);
        Assert.Equal(1, Assert.Single(poller.PortMap).Value);

        // snmpd refreshes interface counters every few seconds and its CPU tick counters every 5 s;
        // the polls themselves are loopback traffic
        double? inBps = null;
        for (var i = 0; i < 12 && (inBps is not > 0 || sink.Last(registry, 0, "cpu.usage") is null); i++)
        {
            await Task.Delay(1000);
            var next = await poller.PollAsync(sink, CancellationToken.None);
            Assert.Equal(PollOutcome.Ok, next.Outcome);
            inBps = sink.Last(registry, 0, "interface.in_bps", 1);
        }

        Assert.True(inBps > 0, $"in_bps on lo stayed {inBps}");
        Assert.InRange(sink.Last(registry, 0, "interface.out_bps", 1)!.Value, 0, 1e10);
        var cpu = sink.Last(registry, 0, "cpu.usage");
        Assert.NotNull(cpu);
        Assert.InRange(cpu!.Value, 0, 100);
        Assert.NotNull(sink.Last(registry, 0, "interface.in_errors", 1));
    }

    [Fact]
    public async Task Host_resources_profile_reads_processors_and_ram()
    {
        var inventory = Repo.HostInventory("snmp/host", "lo");
        var registry = new SeriesRegistry(inventory);
        await using var client = new SnmpClient();
        var poller = new SnmpDevicePoller(inventory.Devices[0], Profile("snmp/host"), new SnmpTarget(snmpd.EndPoint, SnmpVersion.V2c, "public"), client, registry);
        var sink = new ListSink();
        var result = await poller.PollAsync(sink, CancellationToken.None);
        Assert.Equal(PollOutcome.Ok, result.Outcome);
        Assert.InRange(sink.Last(registry, 0, "memory.usage")!.Value, 0.1, 100);

        // hrProcessorLoad: the average of the rows snmpbulkwalk sees; a container's snmpd may have none, and then no sample
        var (exit, output, errors) = await SnmpdFixture.RunToolAsync("snmpbulkwalk", "-v2c", "-c", "public", "-On", "-Oqv", snmpd.Target, "1.3.6.1.2.1.25.3.3.1.2");
        Assert.True(exit == 0, errors);
        var loads = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => int.TryParse(l, CultureInfo.InvariantCulture, out _)).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToList();
        var cpu = sink.Last(registry, 0, "cpu.usage");
        if (loads.Count == 0)
        {
            Assert.Null(cpu);
        }
        else
        {
            Assert.InRange(cpu!.Value, loads.Average() - 10, loads.Average() + 10);
        }
        Assert.Equal(1, sink.Last(registry, 0, "interface.oper_status", 1)); // ifName "lo" matches
    }

    [Fact]
    public async Task Credential_failures_are_named_in_plain_words()
    {
        var inventory = Repo.HostInventory("snmp/net-snmp", "lo");
        var registry = new SeriesRegistry(inventory);
        await using var client = new SnmpClient();
        var device = inventory.Devices[0];
        var profile = Profile("snmp/net-snmp");
        var fast = TimeSpan.FromMilliseconds(300);

        var community = await new SnmpDevicePoller(device, profile, new SnmpTarget(snmpd.EndPoint, SnmpVersion.V2c, "wrong") { Timeout = fast, Retries = 0 }, client, registry)
            .PollAsync(new ListSink(), CancellationToken.None);
        Assert.Equal(PollOutcome.Timeout, community.Outcome);
        Assert.Contains("community is wrong", community.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong\"", community.Message, StringComparison.Ordinal);

        var password = await new SnmpDevicePoller(device, profile, new SnmpTarget(snmpd.EndPoint, new UsmUser("usha", SnmpAuthProtocol.Sha1, "not-the-password", SnmpPrivProtocol.Aes128, "privpass1")) { Retries = 0 }, client, registry)
            .PollAsync(new ListSink(), CancellationToken.None);
        Assert.Equal(PollOutcome.AuthenticationFailed, password.Outcome);
        Assert.Contains("wrong authentication password", password.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", password.Message, StringComparison.Ordinal);

        var user = await new SnmpDevicePoller(device, profile, new SnmpTarget(snmpd.EndPoint, new UsmUser("nobody", SnmpAuthProtocol.Sha1, "authpass1", SnmpPrivProtocol.Aes128, "privpass1")) { Retries = 0 }, client, registry)
            .PollAsync(new ListSink(), CancellationToken.None);
        Assert.Equal(PollOutcome.AuthenticationFailed, user.Outcome);
        Assert.Contains("unknown user", user.Message, StringComparison.Ordinal);

        var v3 = await new SnmpDevicePoller(device, profile, new SnmpTarget(snmpd.EndPoint, new UsmUser("usha", SnmpAuthProtocol.Sha1, "authpass1", SnmpPrivProtocol.Aes128, "privpass1")), client, registry)
            .PollAsync(new ListSink(), CancellationToken.None);
        Assert.Equal(PollOutcome.Ok, v3.Outcome);
        Assert.True(v3.Samples > 0);
    }
}
