using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Snmp.Tests.Collector;

public class PortMapperTests
{
    private static PortDefinition[] Ports(params string[] names) =>
        names.Select((n, i) => new PortDefinition(i + 1, n, PortKind.Copper, 0, 0, 0, i)).ToArray();

    [Fact]
    public void Exact_names_map_ignoring_case()
    {
        var map = PortMapper.Map(Ports("GE1/0/1", "GE1/0/2"), [(7u, "ge1/0/2"), (3u, "GE1/0/1")], SnmpPortMatch.IfName, 0);
        Assert.Equal(2, map[7]);
        Assert.Equal(1, map[3]);
    }

    [Fact]
    public void Long_interface_names_map_by_their_slot_and_port_numbers()
    {
        var map = PortMapper.Map(
            Ports("GE0/0/1", "GE0/0/2", "10GE0/0/1"),
            [(5u, "GigabitEthernet0/0/2"), (4u, "GigabitEthernet0/0/1"), (1u, "NULL0"), (2u, "Vlanif1")],
            SnmpPortMatch.IfName,
            0);
        Assert.Equal(2, map[5]);
        Assert.False(map.ContainsKey(1)); // NULL0 ends in 0, which no port does alone
        Assert.False(map.ContainsKey(2)); // Vlanif1 ends in 1: ambiguous? no port ends in just "1"
        // GE0/0/1 and 10GE0/0/1 share the suffix 0/0/1, so the suffix is ambiguous: row 4 is not guessed
        Assert.False(map.ContainsKey(4));
    }

    [Fact]
    public void A_port_is_taken_by_one_row_only()
    {
        var map = PortMapper.Map(Ports("eth0", "eth1"), [(1u, "eth0"), (2u, "ETH0"), (3u, "eth1")], SnmpPortMatch.IfDescr, 0);
        Assert.Equal(1, map[1]);
        Assert.False(map.ContainsKey(2));
        Assert.Equal(2, map[3]);
    }

    [Fact]
    public void IfIndex_matching_applies_the_offset_and_skips_unknown_ports()
    {
        var map = PortMapper.Map(Ports("a", "b", "c"), [(10u, ""), (11u, ""), (12u, ""), (13u, "")], SnmpPortMatch.IfIndex, -9);
        Assert.Equal(1, map[10]);
        Assert.Equal(3, map[12]);
        Assert.False(map.ContainsKey(13));
    }

    [Theory]
    [InlineData("GE1/0/12", "1/0/12")]
    [InlineData("eth0", "0")]
    [InlineData("Ethernet", "")]
    [InlineData("Gi1/0/1.100", "1/0/1.100")]
    public void Numeric_suffix(string name, string suffix) => Assert.Equal(suffix, PortMapper.NumericSuffix(name));
}
