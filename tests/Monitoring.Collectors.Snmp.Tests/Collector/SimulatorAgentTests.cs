using System.Globalization;
using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Collectors.Snmp.Security;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;
using Monitoring.Simulator.Snmp;

namespace Monitoring.Collectors.Snmp.Tests.Collector;

/// <summary>The simulator's agents: polled by this poller, by net-snmp's tools, over v2c and v3 authPriv.</summary>
#pragma warning disable CA1001 // the room is disposed by IAsyncLifetime.DisposeAsync
public sealed class SimulatorAgentTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private readonly Inventory _inventory = Repo.DemoInventory();
    private readonly IReadOnlyDictionary<string, SnmpProfile> _profiles = SnmpProfileLoader.LoadFolder(Repo.Profiles);
    private SnmpDemoRoom _room = null!;

    public Task InitializeAsync()
    {
        _room = new SnmpDemoRoom(_inventory, _profiles.Keys, seed: 20261122, community: "demo-community",
            new UsmUser("demo", SnmpAuthProtocol.Sha256, "demo-auth-pass", SnmpPrivProtocol.Aes128, "demo-priv-pass"));
        _room.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _room.DisposeAsync();

    [Fact]
    public void The_room_serves_its_switches_servers_pdus_and_storage_and_leaves_the_rest_to_the_feed()
    {
        Assert.Contains("asw-a01", _room.ServedDeviceIds);
        Assert.Contains("csw-1", _room.ServedDeviceIds);
        Assert.Contains("srv-b01-u04", _room.ServedDeviceIds);
        Assert.Contains("pdu-a01", _room.ServedDeviceIds); // snmp/pdu: APC PowerNet-MIB
        Assert.Contains("pdu-b01", _room.ServedDeviceIds); // snmp/pdu-entity-sensor: ENTITY-SENSOR-MIB
        Assert.Contains("stor-c01", _room.ServedDeviceIds); // snmp/oceanstor: ISM-STORAGE-SVC-MIB
        Assert.DoesNotContain("ups-1", _room.ServedDeviceIds); // Modbus, not SNMP
        Assert.All(_room.ServedDeviceIds, id => Assert.Equal(System.Net.IPAddress.Loopback, _room.EndPointFor(id)!.Address));
        Assert.Equal(_room.ServedDeviceIds.Count, _room.ServedDeviceIds.Select(id => _room.EndPointFor(id)!.Port).Distinct().Count());
    }

    [Fact]
    public async Task Poller_reads_switch_cpu_memory_and_every_port_state_from_the_agent()
    {
        var device = _inventory.FindDevice("asw-a01")!;
        var registry = new SeriesRegistry(_inventory);
        await using var client = new SnmpClient();
        var target = new SnmpTarget(_room.EndPointFor(device.Id)!, SnmpVersion.V2c, "demo-community");
        var poller = new SnmpDevicePoller(device, _profiles["snmp/if-mib"], target, client, registry);
        var sink = new ListSink();
        var before = DateTimeOffset.UtcNow;
        var result = await poller.PollAsync(sink, CancellationToken.None);
        var after = DateTimeOffset.UtcNow;
        Assert.Equal(PollOutcome.Ok, result.Outcome);

        var simulated = _room.DeviceOf(device.Id);
        var cpu = sink.Last(registry, device.Index, "cpu.usage");
        Assert.Contains(cpu, new double?[] { simulated.CpuAt(before), simulated.CpuAt(after) });
        Assert.Contains(sink.Last(registry, device.Index, "memory.usage"), new double?[] { simulated.MemoryAt(before), simulated.MemoryAt(after) });

        Assert.Equal(device.Model.Ports.Count, poller.PortMap.Count); // every front-panel port found by ifName
        foreach (var port in device.Model.Ports)
        {
            var status = sink.Last(registry, device.Index, "interface.oper_status", port.Index);
            var up = simulated.IsUp(port.Index, before) || simulated.IsUp(port.Index, after);
            Assert.True(status is 1 or 2, $"port {port.Name}: {status}");
            if (simulated.IsUp(port.Index, before) == simulated.IsUp(port.Index, after))
            {
                Assert.Equal(up ? 1 : 2, status);
            }
        }

        Assert.Contains(device.Model.Ports, p => sink.Last(registry, device.Index, "interface.oper_status", p.Index) == 2);
        Assert.Contains(device.Model.Ports, p => sink.Last(registry, device.Index, "interface.oper_status", p.Index) == 1);
    }

    [Fact]
    public async Task Rates_and_utilisation_follow_the_simulated_counters()
    {
        var device = _inventory.FindDevice("srv-b01-u04")!;
        var registry = new SeriesRegistry(_inventory);
        await using var client = new SnmpClient();
        var target = new SnmpTarget(_room.EndPointFor(device.Id)!, SnmpVersion.V2c, "demo-community");
        var poller = new SnmpDevicePoller(device, _profiles["snmp/host"], target, client, registry);
        var sink = new ListSink();
        var before1 = DateTimeOffset.UtcNow;
        Assert.Equal(PollOutcome.Ok, (await poller.PollAsync(sink, CancellationToken.None)).Outcome);
        var after1 = DateTimeOffset.UtcNow;
        await Task.Delay(1200);
        var before2 = DateTimeOffset.UtcNow;
        Assert.Equal(PollOutcome.Ok, (await poller.PollAsync(sink, CancellationToken.None)).Outcome);
        var after2 = DateTimeOffset.UtcNow;

        var simulated = _room.DeviceOf(device.Id);
        var now = after2;
        var rated = 0;
        foreach (var port in device.Model.Ports)
        {
            var inBps = sink.Last(registry, device.Index, "interface.in_bps", port.Index);
            if (!simulated.IsUp(port.Index, now) || !simulated.IsUp(port.Index, now.AddSeconds(-2)))
            {
                continue;
            }

            Assert.NotNull(inBps);

            rated++;

            // The agent read its counter at some instant of each poll's window and the poller divides by the agent's own
            // sysUpTime difference, so the rate lies between the slowest and the fastest the windows allow, whatever the
            // load on this machine did to the timing (plus a little for sysUpTime's 10 ms ticks).
            var lowest = (simulated.InOctets(port.Index, before2) - simulated.InOctets(port.Index, after1)) * 8.0 / (after2 - before1).TotalSeconds;
            var highest = (simulated.InOctets(port.Index, after2) - simulated.InOctets(port.Index, before1)) * 8.0 / (before2 - after1).TotalSeconds;
            Assert.InRange(inBps.Value, lowest * 0.97, highest * 1.03);
            var util = sink.Last(registry, device.Index, "interface.utilisation", port.Index)!.Value;
            var outBps = sink.Last(registry, device.Index, "interface.out_bps", port.Index)!.Value;
            Assert.Equal(100 * Math.Max(inBps.Value, outBps) / SimulatedSnmpDevice.SpeedOf(port.Kind), util, 6);
        }

        Assert.True(rated > 0);
        Assert.InRange(sink.Last(registry, device.Index, "memory.usage")!.Value, simulated.MemoryAt(now) - 1.5, simulated.MemoryAt(now) + 1.5);
    }

    [Fact]
    public async Task V3_authPriv_works_and_a_wrong_password_or_user_is_refused()
    {
        var device = _inventory.FindDevice("csw-1")!;
        var registry = new SeriesRegistry(_inventory);
        await using var client = new SnmpClient();
        var endPoint = _room.EndPointFor(device.Id)!;
        var good = new SnmpDevicePoller(device, _profiles["snmp/if-mib"], new SnmpTarget(endPoint, new UsmUser("demo", SnmpAuthProtocol.Sha256, "demo-auth-pass", SnmpPrivProtocol.Aes128, "demo-priv-pass")), client, registry);
        var sink = new ListSink();
        var ok = await good.PollAsync(sink, CancellationToken.None);
        Assert.Equal(PollOutcome.Ok, ok.Outcome);
        Assert.NotNull(sink.Last(registry, device.Index, "cpu.usage"));

        var wrong = await new SnmpDevicePoller(device, _profiles["snmp/if-mib"], new SnmpTarget(endPoint, new UsmUser("demo", SnmpAuthProtocol.Sha256, "not-it-at-all", SnmpPrivProtocol.Aes128, "demo-priv-pass")) { Retries = 0, Timeout = TimeSpan.FromMilliseconds(500) }, client, registry)
            .PollAsync(new ListSink(), CancellationToken.None);
        Assert.Equal(PollOutcome.AuthenticationFailed, wrong.Outcome);

        var unknown = await new SnmpDevicePoller(device, _profiles["snmp/if-mib"], new SnmpTarget(endPoint, new UsmUser("mallory", SnmpAuthProtocol.Sha256, "demo-auth-pass", SnmpPrivProtocol.Aes128, "demo-priv-pass")) { Retries = 0, Timeout = TimeSpan.FromMilliseconds(500) }, client, registry)
            .PollAsync(new ListSink(), CancellationToken.None);
        Assert.Equal(PollOutcome.AuthenticationFailed, unknown.Outcome);
        Assert.Contains("unknown user", unknown.Message, StringComparison.Ordinal);

        // net-snmp's own client agrees
        var (exit, output, errors) = await SnmpdFixture.RunToolAsync("snmpget", "-v3", "-l", "authPriv", "-u", "demo", "-a", "SHA-256", "-A", "demo-auth-pass", "-x", "AES", "-X", "demo-priv-pass",
            "-On", "-r0", "-t", "2", $"127.0.0.1:{endPoint.Port}", "1.3.6.1.2.1.1.5.0");
        Assert.True(exit == 0, errors);
        Assert.Contains("\"csw-1\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Snmpbulkwalk_returns_the_iftable_the_simulator_serves()
    {
        var endPoint = _room.EndPointFor("asw-a02")!;
        var (exit, output, errors) = await SnmpdFixture.RunToolAsync("snmpbulkwalk", "-v2c", "-c", "demo-community", "-On", "-Oe", "-r0", "-t", "2", $"127.0.0.1:{endPoint.Port}", "1.3.6.1.2.1.2.2.1");
        Assert.True(exit == 0, errors);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var view = _room.DeviceOf("asw-a02").ViewAt(DateTimeOffset.UtcNow);
        var ifTable = Oid.Parse("1.3.6.1.2.1.2.2.1");
        var served = view.All.Where(vb => vb.Oid.IsDescendantOf(ifTable)).ToList();
        Assert.Equal(served.Count, lines.Length);
        for (var i = 0; i < served.Count; i++)
        {
            Assert.StartsWith("." + served[i].Oid.ToString() + " = ", lines[i], StringComparison.Ordinal);
            var vb = served[i];
            if (vb.Value.Type is SnmpValueType.Integer32)
            {
                Assert.EndsWith(": " + vb.Value.AsInt32().ToString(CultureInfo.InvariantCulture), lines[i], StringComparison.Ordinal);
            }
            else if (vb.Value.Type is SnmpValueType.OctetString)
            {
                Assert.EndsWith("\"" + vb.Value.AsText() + "\"", lines[i], StringComparison.Ordinal);
            }
        }

        var ports = _inventory.FindDevice("asw-a02")!.Model.Ports;
        Assert.Equal(ports.Count * 12, lines.Length); // twelve ifTable columns per port
        Assert.Contains(lines, l => l.EndsWith("\"" + ports[0].Name + "\"", StringComparison.Ordinal));
    }
}
