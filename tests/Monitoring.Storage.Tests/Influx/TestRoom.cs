using Monitoring.Core.Inventory;

namespace Monitoring.Storage.Tests.Influx;

/// <summary>A one-room inventory whose names hold everything line protocol must escape, and Chinese.</summary>
internal static class TestRoom
{
    public const string RoomId = "机房 A,1";
    public const string RackId = "机柜 B=2";
    public const string DeviceId = "core sw,1=a";
    public const string DeviceName = "核心交换机 一号, 主=用";
    public const string ModelId = "华为 S5735";
    public const string PortName = "GE 1/0/1,上联=核心";

    public static Inventory Create()
    {
        var model = new DeviceModel
        {
            Id = ModelId,
            Name = "S5735",
            Kind = DeviceKind.Switch,
            Ports = [new PortDefinition(1, PortName, PortKind.Copper, 0, 0, 0, 0), new PortDefinition(2, "GE 1/0/2", PortKind.Copper, 0, 0, 0, 1)],
        };
        var device = new Device { Id = DeviceId, Name = DeviceName, Model = model, RoomId = RoomId, RackId = RackId, Index = 0 };
        var sensor = new Device { Id = "th-01", Name = "温湿度 1", Model = model, RoomId = RoomId, Index = 1 };
        var room = new Room { Id = RoomId, Name = "机房", Size = new RoomSize(10, 10, 3), Devices = [device, sensor] };
        return new Inventory([model], [room]);
    }
}
