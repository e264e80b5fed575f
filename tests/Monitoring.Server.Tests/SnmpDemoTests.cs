using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Monitoring.Simulator.Snmp;

namespace Monitoring.Server.Tests;

/// <summary>The demo server with its simulator: the switches' and servers' values arrive through the SNMP collector over UDP.</summary>
public sealed class SnmpDemoFixture : ServerFixture
{
    public SnmpDemoFixture()
        : base(["--Monitoring:Simulator:IntervalSeconds", "1", "--Monitoring:Snmp:IntervalSeconds", "2"])
    {
    }

    public override bool Simulator => true;

    public SnmpDemoRoom Room => App.Services.GetRequiredService<SnmpDemoRoom>();
}

public sealed class SnmpDemoTests(SnmpDemoFixture server) : IClassFixture<SnmpDemoFixture>
{
    [Fact]
    public async Task The_switch_cpu_and_port_states_arrive_through_snmp_and_healthz_lists_the_collector_with_every_device_ok()
    {
        var served = server.Room.ServedDeviceIds;
        Assert.Contains("asw-a01", served);
        Assert.Contains("srv-b01-u04", served);

        var simulated = server.Room.DeviceOf("asw-a01");
        var sw = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/devices/asw-a01"),
            d => Value(d, "cpu.usage") is not null && Ports(d).All(p => PortValue(p, "interface.oper_status") is not null),
            "asw-a01 to show cpu.usage and every port's oper status",
            timeoutMs: 15_000);

        // SNMP gives whole percent (hwEntityCpuUsage is an INTEGER); the line-protocol feed would write one decimal
        var cpu = Value(sw, "cpu.usage")!.Value;
        Assert.Equal(Math.Round(cpu), cpu);
        var now = DateTimeOffset.UtcNow;
        Assert.InRange(cpu, simulated.CpuAt(now) - 6, simulated.CpuAt(now) + 6);

        var up = 0;
        var down = 0;
        foreach (var port in Ports(sw))
        {
            var index = port.GetProperty("index").GetInt32();
            var status = PortValue(port, "interface.oper_status");
            Assert.True(status is 1 or 2);
            if (simulated.IsUp(index, now) == simulated.IsUp(index, now.AddSeconds(-5)))
            {
                Assert.Equal(simulated.IsUp(index, now) ? 1 : 2, status);
            }

            up += status == 1 ? 1 : 0;
            down += status == 2 ? 1 : 0;
        }

        Assert.True(up > 0 && down > 0, $"{up} up, {down} down");

        var health = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/healthz"),
            h => Snmp(h) is { } m && m.GetProperty("devices").GetInt32() == served.Count && m.GetProperty("ok").GetInt32() == served.Count,
            "every SNMP device to have answered a poll",
            timeoutMs: 20_000);
        var snmp = Snmp(health)!.Value;
        Assert.Equal(0, snmp.GetProperty("failing").GetInt32());
        Assert.Equal("ok", health.GetProperty("components").GetProperty("snmp").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Server_memory_and_nic_traffic_arrive_as_rates()
    {
        var server1 = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/devices/srv-b01-u04"),
            d => Value(d, "memory.usage") is not null && Ports(d).Any(p => PortValue(p, "interface.in_bps") is > 0),
            "srv-b01-u04 to show memory and a NIC's inbound traffic",
            timeoutMs: 15_000);
        var memory = Value(server1, "memory.usage")!.Value;
        var expected = server.Room.DeviceOf("srv-b01-u04").MemoryAt(DateTimeOffset.UtcNow);
        Assert.InRange(memory, expected - 2, expected + 2);
    }

    private static IEnumerable<JsonElement> Ports(JsonElement device) => device.GetProperty("ports").EnumerateArray();

    private static double? Value(JsonElement device, string metric) => Find(device.GetProperty("values"), metric);

    private static double? PortValue(JsonElement port, string metric) => Find(port.GetProperty("values"), metric);

    private static double? Find(JsonElement values, string metric)
    {
        foreach (var value in values.EnumerateArray())
        {
            if (value.GetProperty("metric").GetString() == metric)
            {
                return value.GetProperty("value").GetDouble();
            }
        }

        return null;
    }

    private static JsonElement? Snmp(JsonElement health) =>
        health.GetProperty("components").GetProperty("collectors").GetProperty("collectors").TryGetProperty("snmp", out var m) ? m : null;
}
