using System.Net;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Collectors.Snmp.Traps;
using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Snmp.Tests.Collector;

/// <summary>Notifications onto the demo room: source address → device, ifIndex → port, profile-mapped enterprise traps.</summary>
public sealed class SnmpTrapMapperTests : IDisposable
{
    private static readonly Oid LinkDown = Oid.Parse("1.3.6.1.6.3.1.1.5.3");
    private static readonly Oid LinkUp = Oid.Parse("1.3.6.1.6.3.1.1.5.4");
    private static readonly Oid ColdStart = Oid.Parse("1.3.6.1.6.3.1.1.5.1");
    private static readonly Oid FanFailed = Oid.Parse("1.3.6.1.4.1.2011.5.25.219.2.6.5");

    private readonly string _dir = Directory.CreateTempSubdirectory("snmp-trap-profile-").FullName;
    private readonly Inventory _inventory = Repo.DemoInventory();
    private readonly IReadOnlyDictionary<string, SnmpProfile> _profiles = SnmpProfileLoader.LoadFolder(Repo.Profiles);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Device Device(string id) => _inventory.FindDevice(id)!;

    private SnmpTrapDevice At(string id, string endPoint, SnmpProfile? profile = null) =>
        new(Device(id), IPEndPoint.Parse(endPoint), profile ?? _profiles[Device(id).Profile!]);

    private static SnmpNotification V2(string from, Oid trap, params VarBind[] bindings) =>
        new(IPEndPoint.Parse(from), SnmpVersion.V2c, SnmpPduType.TrapV2, trap, 1,
            [new VarBind(SnmpNotification.SysUpTime, SnmpValue.FromTimeTicks(1)), new VarBind(SnmpNotification.SnmpTrapOid, SnmpValue.FromOid(trap)), .. bindings], null, null);

    private static VarBind Int(string oid, int value) => new(Oid.Parse(oid), SnmpValue.FromInt32(value));

    [Fact]
    public void LinkDown_from_a_switchs_management_address_lands_on_its_port_with_oper_and_admin_status()
    {
        var mapper = new SnmpTrapMapper([At("asw-a01", "10.10.0.11:161"), At("asw-a02", "10.10.0.12:161")]);
        var m = mapper.Map(V2("10.10.0.12:40000", LinkDown, Int("1.3.6.1.2.1.2.2.1.1.5", 5), Int("1.3.6.1.2.1.2.2.1.7.5", 1), Int("1.3.6.1.2.1.2.2.1.8.5", 2)));

        Assert.Equal("asw-a02", m.Device?.Id);
        Assert.Equal(5u, m.IfIndex);
        Assert.Equal(5, m.PortIndex);
        Assert.Equal("linkDown", m.Name);
        Assert.Contains(new SnmpTrapSample(SnmpTrapMapper.OperStatusMetric, 5, 2), m.Samples);
        Assert.Contains(new SnmpTrapSample(SnmpTrapMapper.AdminStatusMetric, 5, 1), m.Samples);
    }

    [Fact]
    public void LinkUp_without_status_bindings_is_oper_status_up_and_takes_the_ifIndex_from_the_instance()
    {
        var mapper = new SnmpTrapMapper([At("asw-a01", "10.10.0.11:161")]);
        var m = mapper.Map(V2("10.10.0.11:161", LinkUp, Int("1.3.6.1.2.1.2.2.1.7.12", 1)));
        Assert.Equal(12, m.PortIndex);
        Assert.Contains(new SnmpTrapSample(SnmpTrapMapper.OperStatusMetric, 12, 1), m.Samples);
    }

    [Fact]
    public void The_map_the_poller_learnt_wins_over_the_index_offset()
    {
        var maps = new SnmpPortMaps();
        var learnt = new Dictionary<uint, int> { [10105] = 3 };
        maps.Register("asw-a01", () => learnt);
        var mapper = new SnmpTrapMapper([At("asw-a01", "10.10.0.11:161")], maps);

        Assert.Equal(3, mapper.Map(V2("10.10.0.11:5000", LinkDown, Int("1.3.6.1.2.1.2.2.1.1.10105", 10105))).PortIndex);
        Assert.Equal(4, mapper.Map(V2("10.10.0.11:5000", LinkDown, Int("1.3.6.1.2.1.2.2.1.1.4", 4))).PortIndex); // not learnt: offset 0
        var unknownRow = mapper.Map(V2("10.10.0.11:5000", LinkDown, Int("1.3.6.1.2.1.2.2.1.1.9999", 9999)));
        Assert.Null(unknownRow.PortIndex);
        Assert.Empty(unknownRow.Samples);
        Assert.Equal("asw-a01", unknownRow.Device?.Id); // still an event on the device
    }

    [Fact]
    public void Unknown_sources_and_addresses_shared_by_two_agents_name_no_device_unless_the_endpoint_is_exact()
    {
        var mapper = new SnmpTrapMapper([At("asw-a01", "127.0.0.1:16101"), At("asw-a02", "127.0.0.1:16102"), At("csw-1", "10.10.0.1:161")]);
        var stranger = mapper.Map(V2("192.0.2.9:162", LinkDown, Int("1.3.6.1.2.1.2.2.1.1.1", 1)));
        Assert.Null(stranger.Device);
        Assert.Empty(stranger.Samples);
        Assert.Equal(1u, stranger.IfIndex);

        Assert.Null(mapper.Map(V2("127.0.0.1:5555", ColdStart)).Device); // two agents at 127.0.0.1: ambiguous
        Assert.Equal("asw-a02", mapper.Map(V2("127.0.0.1:16102", ColdStart)).Device?.Id);
        Assert.Equal("csw-1", mapper.Map(V2("[::ffff:10.10.0.1]:999", ColdStart)).Device?.Id);
    }

    [Fact]
    public void A_v1_trap_is_matched_by_its_agent_addr_field()
    {
        var mapper = new SnmpTrapMapper([At("asw-a01", "10.10.0.11:161"), At("csw-1", "10.10.0.1:161")]);
        var header = new TrapV1Header(Oid.Parse("1.3.6.1.4.1.2011"), [10, 10, 0, 1], 2, 0, 5);
        var v1 = new SnmpNotification(IPEndPoint.Parse("10.10.0.11:1234"), SnmpVersion.V1, SnmpPduType.TrapV1, LinkDown, 5,
            [Int("1.3.6.1.2.1.2.2.1.1.2", 2)], header, null);
        var m = mapper.Map(v1);
        Assert.Equal("csw-1", m.Device?.Id); // sent through another box, the agent-addr names the device
        Assert.Equal(2, m.PortIndex);
    }

    [Fact]
    public void ColdStart_is_an_event_without_samples()
    {
        var mapper = new SnmpTrapMapper([At("asw-a01", "10.10.0.11:161")]);
        var m = mapper.Map(V2("10.10.0.11:161", ColdStart));
        Assert.Equal("coldStart", m.Name);
        Assert.Null(m.PortIndex);
        Assert.Empty(m.Samples);
    }

    [Fact]
    public void An_enterprise_trap_named_in_the_profile_becomes_its_event_and_sample()
    {
        var path = Path.Combine(_dir, "huawei-traps.yaml");
        File.WriteAllText(path, """
            name: Huawei with traps
            ports:
              metrics:
                - { metric: interface.oper_status, compute: value, oid: ifOperStatus }
            traps:
              - { oid: 1.3.6.1.4.1.2011.5.25.219.2.6.5, event: fanFailure, severity: major, metric: interface.oper_status, value: 2 }
              - { oid: 1.3.6.1.4.1.2011.5.25.219.2.6.6, event: fanRecovered, severity: info }
            """);
        var profile = SnmpProfileLoader.LoadFile(path);
        Assert.Equal(2, profile.Traps.Count);
        Assert.Equal(SnmpTrapSeverity.Info, profile.Traps[1].Severity);

        var mapper = new SnmpTrapMapper([At("asw-a01", "10.10.0.11:161", profile)]);
        var m = mapper.Map(V2("10.10.0.11:161", FanFailed, Int("1.3.6.1.2.1.2.2.1.1.8", 8)));
        Assert.Equal("fanFailure", m.Name);
        Assert.Equal(SnmpTrapSeverity.Major, m.Severity);
        Assert.Equal([new SnmpTrapSample("interface.oper_status", 8, 2)], m.Samples);

        var other = mapper.Map(V2("10.10.0.11:161", Oid.Parse("1.3.6.1.4.1.2011.5.25.219.2.6.7")));
        Assert.Equal("1.3.6.1.4.1.2011.5.25.219.2.6.7", other.Name); // not in the profile: named by its OID
        Assert.Empty(other.Samples);
    }

    [Fact]
    public void A_bad_traps_section_is_reported_with_file_line_and_column()
    {
        var path = Path.Combine(_dir, "bad-traps.yaml");
        File.WriteAllText(path, """
            name: Bad traps
            ports:
              metrics:
                - { metric: interface.oper_status, compute: value, oid: ifOperStatus }
            traps:
              - { oid: 1.3.6.1.4.1.9.9.1, severity: loud, metric: fan.state }
            """);
        var ex = Assert.Throws<ConfigException>(() => SnmpProfileLoader.LoadFile(path));
        var text = ex.Message;
        Assert.Contains("event", text, StringComparison.Ordinal);
        Assert.Contains("loud", text, StringComparison.Ordinal);
        Assert.Contains("value", text, StringComparison.Ordinal);
        Assert.Contains("bad-traps.yaml:6:", text, StringComparison.Ordinal);
    }
}
