using System.Net;
using Monitoring.Collectors.Modbus.Polling;

namespace Monitoring.Collectors.Modbus.Tests;

public sealed class EndPointParsingTests
{
    [Theory]
    [InlineData("10.10.9.30:502", "10.10.9.30:502")]
    [InlineData("10.10.9.30", "10.10.9.30:502")]
    [InlineData("[::1]:1502", "[::1]:1502")]
    [InlineData("gateway.local:503", "gateway.local:503")]
    public void Room_addresses_become_end_points_with_port_502_by_default(string address, string expected)
    {
        Assert.True(ModbusCollector.TryParseEndPoint(address, out var endPoint));
        var text = endPoint switch
        {
            IPEndPoint ip => ip.ToString(),
            DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
            _ => endPoint.ToString(),
        };
        Assert.Equal(expected, text);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("gateway:port")]
    [InlineData("gateway:70000")]
    [InlineData(":502")]
    public void Anything_else_is_refused(string? address) =>
        Assert.False(ModbusCollector.TryParseEndPoint(address, out _));
}
