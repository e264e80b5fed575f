using Monitoring.Core.Inventory;

namespace Monitoring.Core.Tests.InventoryLoading;

/// <summary>A room file's <c>links:</c> (cables between two ports): resolved to ports of the room, every mistake at its file:line:column.</summary>
public sealed class LinkLoadingTests : IDisposable
{
    private const string Room = """
        id: r1
        name: 测试机房
        size: { width: 10, depth: 8, height: 3 }
        rows:
          - id: row-a
            name: A列
            racks:
              - id: a01
                name: A01
                x: 2
                z: 2
                devices:
                  - { id: sw-1, name: 接入交换机, model: sw48, u: 40 }
                  - { id: sw-2, name: 汇聚交换机, model: sw48, u: 38 }
              - id: a02
                name: A02
                x: 4
                z: 2
                devices:
                  - { id: srv-1, name: 服务器, model: srv1u, u: 10 }

        """;

    private readonly TestProfiles _profiles = new();

    public void Dispose() => _profiles.Dispose();

    [Fact]
    public void Links_resolve_to_ports_of_the_room_also_across_racks()
    {
        var yaml = Room + "links:\n  - [sw-1:48, sw-2:1]\n  - [ srv-1:1 , sw-1:1 ]\n";
        _profiles.WithRoom(yaml);
        var room = InventoryLoader.Load(_profiles.Root).FindRoom("r1")!;
        Assert.Equal(2, room.Links.Count);
        Assert.Equal((new PortEnd("sw-1", 48), new PortEnd("sw-2", 1)), (room.Links[0].A, room.Links[0].B));
        Assert.Equal((new PortEnd("srv-1", 1), new PortEnd("sw-1", 1)), (room.Links[1].A, room.Links[1].B));
        Assert.Equal(new PortEnd("srv-1", 1), room.Links[1].PeerOf(new PortEnd("sw-1", 1)));
        Assert.Null(room.Links[1].PeerOf(new PortEnd("sw-1", 2)));
        Assert.Equal(TestProfiles.Find(yaml, "[sw-1:48"), (room.Links[0].Source.Line, room.Links[0].Source.Column));
    }

    [Fact]
    public void A_room_without_links_has_none()
    {
        _profiles.WithRoom(Room);
        Assert.Empty(InventoryLoader.Load(_profiles.Root).FindRoom("r1")!.Links);
    }

    [Theory]
    [InlineData("  - [sw-1:1, sw-9:2]\n", "sw-9:2", "link end 'sw-9:2': no device 'sw-9'; did you mean 'sw-1'?")]
    [InlineData("  - [sw-1:49, sw-2:2]\n", "sw-1:49", "link end 'sw-1:49': port 49 does not exist on model 'sw48' of device 'sw-1' (its ports: 1-48)")]
    [InlineData("  - [sw-1, sw-2:2]\n", "sw-1, sw-2:2", "link end 'sw-1' must be 'device:port' (a device id and a port index, e.g. asw-a01:49)")]
    [InlineData("  - [sw-1:x, sw-2:2]\n", "sw-1:x", "link end 'sw-1:x' must be 'device:port' (a device id and a port index, e.g. asw-a01:49)")]
    [InlineData("  - [sw-1:1, sw-2:2, srv-1:1]\n", "[sw-1:1, sw-2:2, srv", "a link is a list of two port ends, e.g. [asw-a01:49, csw-1:1]; found a list")]
    [InlineData("  - sw-1:1\n", "sw-1:1", "a link is a list of two port ends, e.g. [asw-a01:49, csw-1:1]; found 'sw-1:1'")]
    [InlineData("  - [sw-1:1, 7]\n", "7]", "a link end is 'device:port' (a device id and a port index), found the number 7")]
    public void A_bad_link_is_reported_at_its_file_line_and_column(string links, string needle, string expected)
    {
        var yaml = Room + "links:\n" + links;
        var file = _profiles.WithRoom(yaml);
        var errors = InventoryLoader.Validate(_profiles.Root);
        Assert.Equal(expected, TestProfiles.ErrorAt(errors, file, yaml, needle));
        Assert.Single(errors);
    }

    [Fact]
    public void A_port_in_two_links_is_reported_where_it_comes_the_second_time_naming_the_first()
    {
        var yaml = Room + "links:\n  - [sw-1:48, sw-2:1]\n  - [sw-2:2, sw-1:48]\n";
        var file = _profiles.WithRoom(yaml);
        var errors = InventoryLoader.Validate(_profiles.Root);
        var (line, column) = TestProfiles.Find(yaml, "sw-1:48");
        Assert.Equal($"port sw-1:48 is already linked at {file}:{line}:{column}; a port takes one cable", TestProfiles.ErrorAt(errors, file, yaml, "sw-1:48", occurrence: 2));
        Assert.Single(errors);
        Assert.Throws<ConfigException>(() => InventoryLoader.Load(_profiles.Root));
    }

    [Fact]
    public void A_link_from_a_port_to_itself_is_a_duplicate_port()
    {
        var yaml = Room + "links:\n  - [sw-1:3, sw-1:3]\n";
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "sw-1:3", occurrence: 2);
        Assert.StartsWith("port sw-1:3 is already linked at ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_to_a_device_of_another_room_is_refused()
    {
        var yaml = Room + "links:\n  - [sw-1:1, far-1:1]\n";
        var file = _profiles.WithRoom(yaml);
        _profiles.Room("other.yaml", """
            id: r2
            name: 另一机房
            size: { width: 10, depth: 8, height: 3 }
            rows:
              - id: row-a
                name: A列
                racks:
                  - { id: z01, name: Z01, x: 2, z: 2, devices: [ { id: far-1, name: 远端, model: sw48, u: 1 } ] }
            """);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "far-1:1");
        Assert.StartsWith("link end 'far-1:1': device 'far-1' is in another room (defined at ", message, StringComparison.Ordinal);
        Assert.EndsWith("); links join ports of one room", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_room_links_every_access_uplink_to_the_core_as_its_port_descriptions_say()
    {
        var room = InventoryLoader.Load(TestProfiles.RepoProfiles).FindRoom("demo")!;
        Assert.NotEmpty(room.Links);
        var devices = room.Devices.ToDictionary(d => d.Id, StringComparer.Ordinal);
        foreach (var link in room.Links)
        {
            foreach (var (end, peer) in new[] { (link.A, link.B), (link.B, link.A) })
            {
                var description = devices[end.DeviceId].PortSettings.GetValueOrDefault(end.Port)?.Description;
                var peerName = devices[peer.DeviceId].Model.FindPort(peer.Port)!.Name;
                if (description is not null)
                {
                    Assert.True(description.Contains($"{peer.DeviceId} {peerName}", StringComparison.Ordinal), $"{end}: description '{description}' does not name {peer.DeviceId} {peerName}");
                }
            }
        }

        Assert.Contains(room.Links, l => l.A == new PortEnd("asw-a01", 49) && l.B == new PortEnd("csw-1", 1));
    }
}
