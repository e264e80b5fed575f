using Monitoring.Core.Inventory;

namespace Monitoring.Core.Tests.LineProtocol;

/// <summary>A small machine room built in code: a 48-port switch, a server and a UPS.</summary>
internal static class TestInventory
{
    public static DeviceModel Switch { get; } = new()
    {
        Id = "s5735-48",
        Name = "S5735-L48T4S",
        Kind = DeviceKind.Switch,
        HeightU = 1,
        Ports = Enumerable.Range(1, 48)
            .Select(n => new PortDefinition(n, $"GE1/0/{n}", PortKind.Copper, n / 50.0, 0.5, 0, n))
            .ToArray(),
        Metrics =
        [
            new MetricDefinition { Name = "cpu.usage", Unit = "%", Warning = 80, Alarm = 95 },
            new MetricDefinition { Name = "interface.oper_status", Scope = MetricScope.Port },
        ],
    };

    public static DeviceModel Server { get; } = new()
    {
        Id = "srv-2u",
        Name = "2U server",
        Kind = DeviceKind.Server,
        HeightU = 2,
        Ports = [new PortDefinition(0, "eth0", PortKind.Nic, 0.1, 0.1, 0, 0), new PortDefinition(1, "eth1", PortKind.Nic, 0.2, 0.1, 0, 1)],
    };

    public static DeviceModel Ups { get; } = new() { Id = "ups-10k", Name = "UPS 10 kVA", Kind = DeviceKind.Ups };

    public static Inventory.Inventory Create()
    {
        Device[] devices =
        [
            new() { Id = "sw-a1", Name = "Access switch A1", Model = Switch, RoomId = "room-1", Index = 0 },
            new() { Id = "srv-01", Name = "Server 01", Model = Server, RoomId = "room-1", Index = 1 },
            new() { Id = "ups-1", Name = "UPS 1", Model = Ups, RoomId = "room-1", Index = 2 },
            new() { Id = "温湿度-01", Name = "温湿度传感器 01", Model = Ups, RoomId = "room-1", Index = 3 },
        ];
        var room = new Room
        {
            Id = "room-1",
            Name = "信息通信机房",
            Size = new RoomSize(10, 8, 3),
            Devices = devices,
        };
        return new Inventory.Inventory([Switch, Server, Ups], [room]);
    }
}
