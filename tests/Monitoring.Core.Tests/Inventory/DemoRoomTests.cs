using Monitoring.Core.Inventory;

namespace Monitoring.Core.Tests.InventoryLoading;

/// <summary>The shipped device-profiles/ load, and look like the small ICT machine room they describe.</summary>
public sealed class DemoRoomTests
{
    private static readonly Lazy<Core.Inventory.Inventory> Shipped = new(() => InventoryLoader.Load(TestProfiles.RepoProfiles));

    private static Core.Inventory.Inventory Inventory => Shipped.Value;

    private static Room Demo => Inventory.FindRoom("demo") ?? throw new InvalidOperationException("no room 'demo'");

    [Fact]
    public void Shipped_profiles_validate_without_errors_as_a_folder_and_file_by_file()
    {
        var root = TestProfiles.RepoProfiles;
        Assert.Empty(InventoryLoader.Validate(root));
        foreach (var file in Directory.GetFiles(Path.Combine(root, "models"), "*.yaml").Concat(Directory.GetFiles(Path.Combine(root, "rooms"), "*.yaml")))
        {
            var errors = InventoryLoader.Validate(file);
            Assert.True(errors.Count == 0, $"{file}:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
        }
    }

    [Fact]
    public void Demo_room_has_the_racks_rows_and_devices_of_a_small_machine_room()
    {
        var room = Demo;
        Assert.Equal("信息通信机房", room.Name);
        Assert.True(room.Rows.Count >= 2, $"{room.Rows.Count} rows");
        var racks = room.Racks.ToList();
        Assert.True(racks.Count >= 12, $"{racks.Count} racks");
        Assert.All(racks, r => Assert.Equal(42, r.HeightU));
        Assert.InRange(room.Devices.Count, 60, 120);

        int Count(DeviceKind kind) => room.Devices.Count(d => d.Kind == kind);
        Assert.Equal(2, room.Devices.Count(d => d.Role == "core" && d.Kind == DeviceKind.Switch));
        Assert.Equal(2, Count(DeviceKind.Ups));
        Assert.True(Count(DeviceKind.AirConditioner) >= 2);
        Assert.Equal(6, Count(DeviceKind.Sensor));
        Assert.Equal(5, Count(DeviceKind.Probe));
        Assert.Equal(1, Count(DeviceKind.Lamp));
        Assert.True(Count(DeviceKind.Storage) >= 1);
        Assert.True(Count(DeviceKind.PatchPanel) >= 1);
        Assert.True(Count(DeviceKind.Pdu) >= 1);
        Assert.True(Count(DeviceKind.Server) >= 20);

        var probeMetrics = room.Devices.Where(d => d.Kind == DeviceKind.Probe).SelectMany(d => d.Model.Metrics).Select(m => m.Name).Order().ToArray();
        Assert.Equal(["environment.temperature", "environment.temperature", "probe.door", "probe.leak", "probe.online", "probe.online", "probe.online", "probe.online", "probe.online", "probe.smoke"], probeMetrics);
        Assert.All(room.Devices.Where(d => d.Kind is DeviceKind.Ups or DeviceKind.AirConditioner), d => Assert.Equal(PlacementKind.Floor, d.Placement));
        Assert.All(room.Devices.Where(d => d.Kind is DeviceKind.Probe or DeviceKind.Lamp), d => Assert.Equal(PlacementKind.Point, d.Placement));
        Assert.Contains(room.Devices, d => d.Kind == DeviceKind.Sensor && d.Placement == PlacementKind.Rack);
    }

    [Fact]
    public void Every_rack_of_the_network_row_has_a_48_port_access_switch()
    {
        var networkRow = Demo.Rows[0];
        Assert.NotEmpty(networkRow.Racks);
        foreach (var rack in networkRow.Racks)
        {
            var access = Demo.Devices.Where(d => d.RackId == rack.Id && d.Role == "access").ToList();
            Assert.True(access.Count >= 1, $"rack {rack.Id} has no access switch");
            Assert.All(access, d => Assert.Equal(48, d.Model.Ports.Count(p => p.Kind == PortKind.Copper)));
        }
    }

    [Fact]
    public void Servers_depend_on_an_access_switch_port_and_access_switches_on_a_core_switch()
    {
        var devices = Demo.Devices;
        foreach (var server in devices.Where(d => d.Kind == DeviceKind.Server))
        {
            var (target, port) = SplitDependsOn(server);
            Assert.Equal("access", target.Role);
            Assert.NotNull(target.Model.FindPort(port!.Value));
        }

        foreach (var access in devices.Where(d => d.Role == "access"))
        {
            var (target, _) = SplitDependsOn(access);
            Assert.Equal("core", target.Role);
        }

        // No two servers are patched into the same switch port.
        var taken = devices.Where(d => d.Kind == DeviceKind.Server).Select(d => d.DependsOn).ToList();
        Assert.Equal(taken.Count, taken.Distinct().Count());
    }

    [Fact]
    public void Device_indexes_are_dense_and_follow_file_order()
    {
        var devices = Inventory.Devices;
        for (var i = 0; i < devices.Count; i++)
        {
            Assert.Equal(i, devices[i].Index);
            Assert.Same(devices[i], Inventory.FindDevice(devices[i].Id));
        }

        var lines = Demo.Devices.Select(d => (d.Source.Line, d.Source.Column)).ToList();
        Assert.Equal(lines.Order().ToList(), lines);
        Assert.Equal(devices.Count, devices.Select(d => d.Id).Distinct().Count());
    }

    [Fact]
    public void Access_switch_ports_are_laid_out_on_the_front_panel()
    {
        var model = Inventory.Models.Single(m => m.Id == "huawei-s5735-l48t4x");
        Assert.Equal(53, model.Ports.Count);
        Assert.Equal(model.Ports.Count, model.Ports.Select(p => p.Index).Distinct().Count());

        // 48 copper ports in two rows inside x 0.05..0.65, y 0.15..0.85: 24 columns of width 0.025, rows of height 0.35.
        var port1 = model.FindPort(1)!;
        Assert.Equal(("GigabitEthernet0/0/1", PortKind.Copper, 0, 0), (port1.Name, port1.Kind, port1.Row, port1.Column));
        Assert.Equal(0.0625, port1.PanelX, 9);
        Assert.Equal(0.675, port1.PanelY, 9);

        var port2 = model.FindPort(2)!;
        Assert.Equal((1, 0), (port2.Row, port2.Column));
        Assert.Equal(0.0625, port2.PanelX, 9);
        Assert.Equal(0.325, port2.PanelY, 9);

        var port48 = model.FindPort(48)!;
        Assert.Equal((1, 23), (port48.Row, port48.Column));
        Assert.Equal(0.6375, port48.PanelX, 9);

        var sfp49 = model.FindPort(49)!;
        Assert.Equal(("XGigabitEthernet0/0/49", PortKind.SfpPlus), (sfp49.Name, sfp49.Kind));
        Assert.Equal(0.725, sfp49.PanelX, 9);
        Assert.Equal(0.675, sfp49.PanelY, 9);
    }

    [Fact]
    public void Patch_panel_ports_run_left_to_right_in_one_row()
    {
        var model = Inventory.Models.Single(m => m.Kind == DeviceKind.PatchPanel);
        var ports = model.Ports.OrderBy(p => p.Index).ToList();
        Assert.Equal(Enumerable.Range(0, ports.Count), ports.Select(p => p.Column));
        Assert.All(ports, p => Assert.Equal(0.5, p.PanelY, 9));
        Assert.Empty(model.Metrics);
    }

    [Fact]
    public void Shipped_models_use_the_metric_contract()
    {
        Core.Inventory.DeviceModel Model(DeviceKind kind) => Inventory.Models.First(m => m.Kind == kind);

        var oper = Model(DeviceKind.Switch).FindMetric("interface.oper_status")!;
        Assert.Equal(MetricScope.Port, oper.Scope);
        Assert.Equal(Status.Ok, oper.States![1]);
        Assert.Equal(Status.Down, oper.States[2]);
        Assert.Equal(Status.Down, oper.States[7]);

        // Models that share their metric list through a YAML anchor each get the whole list.
        Assert.All(
            Inventory.Models.Where(m => m.Kind is DeviceKind.Switch or DeviceKind.Server),
            m => Assert.Equal(["cpu.usage", "memory.usage", "interface.oper_status"], m.Metrics.Take(3).Select(x => x.Name)));

        var temperature = Model(DeviceKind.Sensor).FindMetric("environment.temperature")!;
        Assert.Equal((27d, 32d), (temperature.Warning!.Value, temperature.Alarm!.Value));

        var ups = Model(DeviceKind.Ups);
        Assert.True(ups.FindMetric("ups.battery")!.LowIsBad);
        Assert.True(ups.FindMetric("ups.runtime")!.LowIsBad);
        Assert.Equal([Status.Ok, Status.Alarm, Status.Warning, Status.Down], ups.FindMetric("ups.mode")!.States!.OrderBy(s => s.Key).Select(s => s.Value));
        Assert.Equal(Status.Warning, Inventory.Models.SelectMany(m => m.Metrics).Single(m => m.Name == "probe.door").States![1]);
    }

    private static (Device Target, int? Port) SplitDependsOn(Device device)
    {
        Assert.NotNull(device.DependsOn);
        var parts = device.DependsOn.Split(':');
        var target = Inventory.FindDevice(parts[0]);
        Assert.True(target is not null, $"{device.Id} depends on unknown {device.DependsOn}");
        return (target, parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : null);
    }
}
