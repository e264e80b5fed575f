using Monitoring.Core.Inventory;

namespace Monitoring.Core.Tests.InventoryLoading;

/// <summary>0U devices (vertical PDUs): in a rack without a U, in its left or right side channel, at the rear.</summary>
public sealed class ZeroUPlacementTests : IDisposable
{
    private const string PduModels = """
        - id: pdu0u
          name: Test 0U PDU
          kind: pdu
          size: { width: 0.055, depth: 0.05, height: 1.7 }
          portGroups:
            - { kind: outlet, count: 24, rows: 24, firstIndex: 1, name: "Outlet{n}" }
        - id: pdu1u
          name: Test 1U PDU
          kind: pdu
          heightU: 1
        """;

    private readonly TestProfiles _profiles = new();

    public void Dispose() => _profiles.Dispose();

    [Fact]
    public void A_pdu_without_u_hangs_in_its_racks_side_channel_at_the_rear_and_takes_no_rack_units()
    {
        _profiles.Model("pdu.yaml", PduModels);
        _profiles.WithRoom(RoomWith("""
                  - { id: sw-1, name: 交换机, model: sw48, u: 42 }
                  - { id: srv-1, name: 服务器, model: srv1u, u: 1 }
                  - { id: pdu-a, name: A 路 PDU, model: pdu0u }
                  - { id: pdu-b, name: B 路 PDU, model: pdu0u, zeroU: right }
        """));

        var inventory = InventoryLoader.Load(_profiles.Root);

        var a = inventory.FindDevice("pdu-a")!;
        Assert.Equal((PlacementKind.Rack, "a01", 0, ZeroUSide.Left, MountFace.Rear), (a.Placement, a.RackId, a.U, a.ZeroU, a.Face));
        var b = inventory.FindDevice("pdu-b")!;
        Assert.Equal((PlacementKind.Rack, "a01", 0, ZeroUSide.Right, MountFace.Rear), (b.Placement, b.RackId, b.U, b.ZeroU, b.Face));
        Assert.Equal(24, b.Model.Ports.Count);
        // the U-mounted devices keep their units and have no side channel; U1 and U42 are free of the PDUs
        Assert.Null(inventory.FindDevice("sw-1")!.ZeroU);
        Assert.Equal(42, inventory.FindDevice("sw-1")!.U);
    }

    [Fact]
    public void Zero_u_mistakes_are_reported_where_they_are()
    {
        _profiles.Model("pdu.yaml", PduModels);
        var yaml = RoomWith("""
                  - { id: pdu-a, name: A, model: pdu0u, zeroU: left }
                  - { id: pdu-b, name: B, model: pdu0u }
                  - { id: pdu-c, name: C, model: pdu1u, zeroU: right }
                  - { id: pdu-d, name: D, model: pdu0u, u: 3, zeroU: right }
        """);
        var file = _profiles.WithRoom(yaml);

        var errors = InventoryLoader.Validate(_profiles.Root);

        Assert.Contains("already takes", TestProfiles.ErrorAt(errors, file, yaml, "{ id: pdu-b"), StringComparison.Ordinal);
        Assert.Contains("is 1U", TestProfiles.ErrorAt(errors, file, yaml, "right }", occurrence: 1), StringComparison.Ordinal);
        Assert.Contains("'zeroU' is for a 0U device without 'u'", TestProfiles.ErrorAt(errors, file, yaml, "right }", occurrence: 2), StringComparison.Ordinal);
    }

    private static string RoomWith(string devices) => """
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

        """ + devices;
}
