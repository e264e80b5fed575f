using Monitoring.Core.Inventory;

namespace Monitoring.Core.Tests.InventoryLoading;

/// <summary>Every kind of mistake in a room or model file is reported at the file, line and column of the node at fault.</summary>
public sealed class InventoryErrorTests : IDisposable
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
                  - { id: srv-1, name: 服务器, model: srv1u, u: 10, dependsOn: "sw-1:5" }
        """;

    private readonly TestProfiles _profiles = new();

    public void Dispose() => _profiles.Dispose();

    [Fact]
    public void The_baseline_room_is_valid()
    {
        _profiles.WithRoom(Room);
        var inventory = InventoryLoader.Load(_profiles.Root);
        Assert.Equal(["sw-1", "srv-1"], inventory.Devices.Select(d => d.Id));
        Assert.Equal([0, 1], inventory.Devices.Select(d => d.Index));
        Assert.Equal("a01", inventory.Devices[1].RackId);
        Assert.Equal(10, inventory.Devices[1].U);
    }

    [Fact]
    public void Indexes_run_over_rooms_in_file_name_order_and_devices_in_file_order()
    {
        _profiles.Model("test.yaml", TestProfiles.Models);
        _profiles.Room("b-second.yaml", Room);
        _profiles.Room("a-first.yaml", """
            id: r0
            name: 先加载的机房
            lamps:
              - { id: lamp-1, name: 告警灯, model: th, x: 1, y: 2, z: 1 }
            size: { width: 10, depth: 8, height: 3 }
            floorUnits:
              - { id: ups-1, name: UPS, model: ups, x: 5, z: 5 }
            rows:
              - id: row-a
                name: A列
                racks:
                  - { id: z01, name: Z01, x: 2, z: 2, devices: [ { id: srv-0, name: 服务器0, model: srv1u, u: 1 } ] }
            sensors:
              - { id: th-1, name: 温湿度, model: th, rack: z01, u: 20 }
            """);

        var errors = InventoryLoader.Validate(_profiles.Root);
        Assert.Equal("model 'th' is of kind sensor, but lamps must use a model of kind lamp", Assert.Single(errors).Message);

        File.WriteAllText(Path.Combine(_profiles.Root, "models", "lamp.yaml"), "id: lamp\nname: Lamp\nkind: lamp\n");
        var roomText = File.ReadAllText(Path.Combine(_profiles.Root, "rooms", "a-first.yaml")).Replace("model: th, x: 1", "model: lamp, x: 1", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_profiles.Root, "rooms", "a-first.yaml"), roomText);
        var inventory = InventoryLoader.Load(_profiles.Root);
        Assert.Equal(["lamp-1", "ups-1", "srv-0", "th-1", "sw-1", "srv-1"], inventory.Devices.Select(d => d.Id));
        Assert.Equal(Enumerable.Range(0, 6), inventory.Devices.Select(d => d.Index));
        Assert.Equal(["r0", "r1"], inventory.Rooms.Select(r => r.Id));
        Assert.Equal(PlacementKind.Point, inventory.Devices[0].Placement);
        Assert.Equal(PlacementKind.Floor, inventory.Devices[1].Placement);
        Assert.Equal((PlacementKind.Rack, "z01", 20), (inventory.Devices[3].Placement, inventory.Devices[3].RackId, inventory.Devices[3].U));
    }

    [Fact]
    public void Sensor_placed_both_in_a_rack_and_at_a_point_is_reported()
    {
        var yaml = Room + "\nsensors:\n  - { id: th-1, name: 温湿度, model: th, rack: a01, u: 30, x: 1, y: 1, z: 1 }\n";
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "1, y");
        Assert.Equal("a sensor is placed either in a rack ('rack', 'u') or at a point ('x', 'y', 'z'), not both", message);
    }

    [Theory]
    [InlineData("      - { id: sw-1, name: 交换机, model: sw, u: 20\n      - { id: sw-2, name: 交换机2, model: sw, u: 22 }\n")]
    [InlineData("      - { id: sw-1, name: 交换机, model: sw, u: 20\n")]
    [InlineData("      - { id: sw-1, name: \"a { b\", model: sw, tags: { k: v }, u: 20\n      - { id: sw-2, name: x, model: sw, u: 22 }\n")]
    public void A_syntax_error_points_at_the_unclosed_bracket_not_at_the_line_where_the_parser_gave_up(string devices)
    {
        var yaml = "id: r1\nname: R1\nsize: { width: 6, depth: 5, height: 3 }\nrows:\n  - id: a\n    name: A\n    racks:\n"
            + "      - { id: a01, name: A01, x: 1, z: 1 }\n    devices:\n" + devices;
        var file = _profiles.WithRoom(yaml);

        var error = Assert.Single(InventoryLoader.Validate(_profiles.Root), e => e.Message.StartsWith("YAML syntax error", StringComparison.Ordinal));

        var lines = File.ReadAllLines(file);
        var bracketLine = Array.FindIndex(lines, l => l.Contains("id: sw-1", StringComparison.Ordinal)) + 1;
        Assert.Equal(Path.GetFullPath(file), Path.GetFullPath(error.Location.File));
        Assert.Equal((bracketLine, lines[bracketLine - 1].IndexOf('{', StringComparison.Ordinal) + 1), (error.Location.Line, error.Location.Column));
        Assert.Contains("this '{' is never closed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_ends_inside_an_unclosed_bracket_is_a_syntax_error_not_a_crash()
    {
        var file = _profiles.WithRoom("id: r1\nname: [unclosed");

        var errors = InventoryLoader.Validate(_profiles.Root);

        var error = Assert.Single(errors);
        Assert.Equal(Path.GetFullPath(file), Path.GetFullPath(error.Location.File));
        Assert.StartsWith("YAML syntax error: ", error.Message, StringComparison.Ordinal);
        var unclosedLine = Array.FindIndex(File.ReadAllLines(file), l => l.Contains("[unclosed", StringComparison.Ordinal)) + 1;
        Assert.InRange(error.Location.Line, unclosedLine, unclosedLine + 1); // YamlDotNet notices at the end of the text
    }

    [Fact]
    public void Yaml_syntax_error_is_reported_where_the_parser_stopped()
    {
        var yaml = """
            id: r1
            name: 机房: 一
            size: { width: 10, depth: 8, height: 3 }
            """;
        var file = _profiles.WithRoom(yaml);
        var errors = InventoryLoader.Validate(_profiles.Root);
        var message = TestProfiles.ErrorAt(errors, file, yaml, ": 一");
        Assert.StartsWith("YAML syntax error: ", message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Line:", message, StringComparison.Ordinal);
        Assert.Single(errors);
    }

    [Fact]
    public void Duplicate_key_in_a_mapping_is_reported_at_the_second_key()
    {
        var yaml = Room.Replace("        z: 2\n", "        z: 2\n        x: 3\n", StringComparison.Ordinal);
        var file = _profiles.WithRoom(yaml);
        var errors = InventoryLoader.Validate(_profiles.Root);
        Assert.Contains("x", TestProfiles.ErrorAt(errors, file, yaml, "x: 3"), StringComparison.Ordinal);
        Assert.Single(errors);
    }

    [Fact]
    public void Unknown_key_names_the_key_and_suggests_the_right_one()
    {
        var yaml = Room.Replace("        z: 2\n", "        z: 2\n        hieghtU: 42\n", StringComparison.Ordinal);
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "hieghtU");
        Assert.StartsWith("unknown key 'hieghtU' in rack; did you mean 'heightU'?", message, StringComparison.Ordinal);
        Assert.Contains("facing", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_required_key_is_reported_at_the_mapping()
    {
        var yaml = Room + "\n          - { id: srv-2, name: 服务器2, u: 12 }\n";
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "{ id: srv-2");
        Assert.Equal("rack device is missing required key 'model'", message);
    }

    [Fact]
    public void Missing_required_key_in_a_model_is_reported_at_the_model()
    {
        var models = TestProfiles.Models + "\n- id: nokind\n  name: No kind\n  heightU: 1\n";
        var file = _profiles.Model("test.yaml", models);
        _profiles.Room("room.yaml", Room);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, models, "id: nokind");
        Assert.Equal("model is missing required key 'kind'", message);
    }

    [Fact]
    public void Wrong_types_and_enum_values_are_reported_with_what_is_allowed()
    {
        var yaml = Room
            .Replace("u: 40", "u: top", StringComparison.Ordinal)
            .Replace("        z: 2\n", "        z: 2\n        facing: up\n        heightU: \"42\"\n", StringComparison.Ordinal);
        var file = _profiles.WithRoom(yaml);
        var errors = InventoryLoader.Validate(_profiles.Root);
        Assert.Equal("'u' must be a whole number, found 'top'", TestProfiles.ErrorAt(errors, file, yaml, "top"));
        Assert.Equal("'facing' must be one of north, east, south, west; found 'up'", TestProfiles.ErrorAt(errors, file, yaml, "up\n"));
        Assert.Equal("'heightU' must be a whole number, found '42'", TestProfiles.ErrorAt(errors, file, yaml, "\"42\""));
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void Wrong_enum_value_in_a_model_lists_the_kinds()
    {
        var models = TestProfiles.Models.Replace("kind: sensor", "kind: thermometer", StringComparison.Ordinal);
        var file = _profiles.Model("test.yaml", models);
        _profiles.Room("room.yaml", Room);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, models, "thermometer");
        Assert.Equal(
            "'kind' must be one of switch, router, firewall, server, storage, patchPanel, pdu, ups, airConditioner, sensor, probe, lamp, other; found 'thermometer'",
            message);
    }

    [Fact]
    public void Unknown_model_is_reported_at_the_reference()
    {
        var yaml = Room.Replace("model: srv1u", "model: srv1", StringComparison.Ordinal);
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "srv1,");
        Assert.StartsWith("unknown model 'srv1'; did you mean 'srv1u'?", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_model_id_across_files_names_the_first_definition()
    {
        var first = _profiles.Model("a.yaml", TestProfiles.Models);
        var second = "id: sw48\nname: Another switch\nkind: switch\nheightU: 1\n";
        var file = _profiles.Model("b.yaml", second);
        _profiles.Room("room.yaml", Room);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, second, "sw48");
        var (line, column) = TestProfiles.Find(TestProfiles.Models, "sw48");
        Assert.Equal($"duplicate model id 'sw48'; first defined at {first}:{line}:{column}", message);
    }

    [Fact]
    public void Duplicate_rack_id_names_the_first_definition()
    {
        var yaml = Room + "\n      - { id: a01, name: A01 again, x: 3, z: 2 }\n";
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "a01", 2);
        var (line, column) = TestProfiles.Find(yaml, "a01");
        Assert.Equal($"duplicate rack id 'a01'; first defined at {file}:{line}:{column}", message);
    }

    [Fact]
    public void Duplicate_row_id_in_a_room_names_the_first_definition()
    {
        var yaml = Room + "\n  - { id: row-a, name: 又一个A列 }\n";
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "row-a", 2);
        var (line, column) = TestProfiles.Find(yaml, "row-a");
        Assert.Equal($"duplicate row id 'row-a' in room 'r1'; first defined at {file}:{line}:{column}", message);
    }

    [Fact]
    public void Duplicate_device_id_across_rooms_names_the_first_definition()
    {
        var first = _profiles.WithRoom(Room);
        var other = """
            id: r2
            name: 第二机房
            size: { width: 10, depth: 8, height: 3 }
            rows:
              - id: row-a
                name: A列
                racks:
                  - id: b01
                    name: B01
                    x: 2
                    z: 2
                    devices:
                      - { id: sw-1, name: 另一台交换机, model: sw48, u: 40 }
            """;
        var second = _profiles.Room("room2.yaml", other);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), second, other, "sw-1");
        var (line, column) = TestProfiles.Find(Room, "{ id: sw-1");
        Assert.Equal($"duplicate device id 'sw-1'; first defined at {first}:{line}:{column}", message);
    }

    [Fact]
    public void Sensor_in_an_unknown_rack_is_reported_at_the_rack_reference()
    {
        var yaml = Room + "\nsensors:\n  - { id: th-1, name: 温湿度, model: th, rack: a02, u: 30 }\n";
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "a02");
        Assert.Equal("device 'th-1' is in unknown rack 'a02'; did you mean 'a01'? (room 'r1')", message);
    }

    [Fact]
    public void Full_depth_devices_overlapping_in_a_rack_are_both_named()
    {
        var yaml = Room + "\n          - { id: srv-2, name: 服务器2, model: srv2u, u: 9 }\n";
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "9 }");
        var (line, column) = TestProfiles.Find(yaml, "{ id: srv-1");
        Assert.Equal($"device 'srv-2' (U9-U10, full depth) overlaps device 'srv-1' (U10, full depth, defined at {file}:{line}:{column}) in rack 'a01'", message);
    }

    [Fact]
    public void Half_depth_devices_share_a_unit_on_opposite_faces_but_not_on_the_same_face()
    {
        var rearIsFine = Room + "\n          - { id: sw-2, name: 交换机2, model: sw48, u: 40, face: rear }\n";
        _profiles.WithRoom(rearIsFine);
        Assert.Empty(InventoryLoader.Validate(_profiles.Root));

        var yaml = rearIsFine + "          - { id: sw-3, name: 交换机3, model: sw48, u: 40 }\n";
        var file = _profiles.Room("room.yaml", yaml);
        var errors = InventoryLoader.Validate(_profiles.Root);
        var message = TestProfiles.ErrorAt(errors, file, yaml, "40 }", 2);
        Assert.Contains("device 'sw-3' (U40, front, half depth) overlaps device 'sw-1' (U40, front, half depth", message, StringComparison.Ordinal);
        Assert.Single(errors);
    }

    [Fact]
    public void Full_depth_device_blocks_the_rear_face_too()
    {
        var yaml = Room + "\n          - { id: sw-2, name: 交换机2, model: sw48, u: 10, face: rear }\n";
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "10, face");
        Assert.StartsWith("device 'sw-2' (U10, rear, half depth) overlaps device 'srv-1' (U10, full depth", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Device_taller_than_the_space_left_or_below_U1_is_reported()
    {
        var yaml = Room
            + "\n          - { id: srv-top, name: 顶部服务器, model: srv2u, u: 42 }\n"
            + "          - { id: srv-low, name: 底部服务器, model: srv1u, u: 0, face: front }\n";
        var file = _profiles.WithRoom(yaml);
        var errors = InventoryLoader.Validate(_profiles.Root);
        Assert.Equal(
            "device 'srv-top' (2U) at U42 needs U42-U43, taller than the space left in rack 'a01' (42U)",
            TestProfiles.ErrorAt(errors, file, yaml, "42 }"));
        Assert.Equal(
            "device 'srv-low' at U0 is below the bottom of rack 'a01' (U positions start at 1)",
            TestProfiles.ErrorAt(errors, file, yaml, "0, face"));
        Assert.Equal(2, errors.Count);
    }

    [Fact]
    public void DependsOn_a_port_the_switch_does_not_have_is_reported()
    {
        var yaml = Room.Replace("\"sw-1:5\"", "\"sw-1:49\"", StringComparison.Ordinal);
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "\"sw-1:49\"");
        Assert.Equal("dependsOn 'sw-1:49': port 49 does not exist on model 'sw48' of device 'sw-1' (its ports: 1-48)", message);
    }

    [Fact]
    public void DependsOn_an_unknown_device_is_reported()
    {
        var yaml = Room.Replace("\"sw-1:5\"", "\"sw-9:5\"", StringComparison.Ordinal);
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "\"sw-9:5\"");
        Assert.StartsWith("dependsOn 'sw-9:5': no device 'sw-9'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Per_port_setting_for_a_port_the_model_does_not_have_is_reported()
    {
        var yaml = Room.Replace(
            "{ id: sw-1, name: 接入交换机, model: sw48, u: 40 }",
            "{ id: sw-1, name: 接入交换机, model: sw48, u: 40, ports: { 1: { description: 上联 }, 60: { monitored: false } } }",
            StringComparison.Ordinal);
        var file = _profiles.WithRoom(yaml);
        var errors = InventoryLoader.Validate(_profiles.Root);
        Assert.Equal("port 60 does not exist on model 'sw48' of device 'sw-1' (its ports: 1-48)", TestProfiles.ErrorAt(errors, file, yaml, "60"));
        Assert.Single(errors);
    }

    [Fact]
    public void Rack_outside_the_room_is_reported_at_its_coordinate()
    {
        var yaml = Room.Replace("        x: 2\n", "        x: 9.8\n", StringComparison.Ordinal);
        var file = _profiles.WithRoom(yaml);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(_profiles.Root), file, yaml, "9.8");
        Assert.Equal("rack 'a01' spans x 9.5..10.1 m, outside room 'r1' (width 10 m, x from 0 to 10)", message);
    }

    [Fact]
    public void Floor_unit_outside_the_room_is_reported_with_its_rotated_footprint()
    {
        var yaml = Room + "\nfloorUnits:\n  - { id: ups-1, name: UPS, model: ups, x: 5, z: 7.8, rotation: 90 }\n  - { id: ups-2, name: UPS2, model: ups, x: 5, z: 7.5 }\n";
        var file = _profiles.WithRoom(yaml);
        var errors = InventoryLoader.Validate(_profiles.Root);

        // Turned 90 degrees, the 0.6 m wide, 0.8 m deep UPS spans 0.6 m along z: 7.5..8.1 crosses the 8 m wall.
        Assert.Equal("floor unit 'ups-1' spans z 7.5..8.1 m, outside room 'r1' (depth 8 m, z from 0 to 8)", TestProfiles.ErrorAt(errors, file, yaml, "7.8"));

        // Unturned it spans 0.8 m along z: 7.1..7.9 fits.
        Assert.Single(errors);
    }

    [Fact]
    public void Probe_outside_the_room_is_reported()
    {
        var yaml = Room + "\nprobes:\n  - { id: smoke-1, name: 烟感, model: th, x: 5, y: 3.5, z: 4 }\n";
        var file = _profiles.WithRoom(yaml);
        var errors = InventoryLoader.Validate(_profiles.Root);
        Assert.Contains("outside room 'r1'", TestProfiles.ErrorAt(errors, file, yaml, "3.5"), StringComparison.Ordinal);
        Assert.Equal("model 'th' is of kind sensor, but probes must use a model of kind probe", TestProfiles.ErrorAt(errors, file, yaml, "th,"));
    }

    [Fact]
    public void Overlapping_port_indexes_in_a_model_are_reported()
    {
        var models = """
            id: bad-switch
            name: Bad switch
            kind: switch
            heightU: 1
            portGroups:
              - { kind: copper, count: 48, firstIndex: 1, name: "GE{n}" }
              - { kind: sfpPlus, count: 4, firstIndex: 48, name: "XGE{n}" }
            """;
        var file = _profiles.Model("bad.yaml", models);
        var message = TestProfiles.ErrorAt(InventoryLoader.Validate(file), file, models, "48, name");
        var (line, column) = TestProfiles.Find(models, "{ kind: copper");
        Assert.Equal($"port indexes 48-51 of this group overlap ports 1-48 of the group defined at {file}:{line}:{column}; port indexes must be unique within a model", message);
    }

    [Fact]
    public void Several_errors_in_one_file_are_all_reported_and_Load_throws_them_all()
    {
        var yaml = Room
            .Replace("        z: 2\n", "        z: 2\n        colour: black\n", StringComparison.Ordinal)
            .Replace("model: srv1u, u: 10", "model: srv1u, u: ten", StringComparison.Ordinal)
            + "\n          - { id: sw-2, name: 交换机2, model: nope, u: 20 }\n"
            + "          - { id: sw-3, name: 交换机3, model: sw48, u: 40 }\n";
        var file = _profiles.WithRoom(yaml);

        var errors = InventoryLoader.Validate(_profiles.Root);
        TestProfiles.ErrorAt(errors, file, yaml, "colour");
        TestProfiles.ErrorAt(errors, file, yaml, "ten");
        TestProfiles.ErrorAt(errors, file, yaml, "nope");
        TestProfiles.ErrorAt(errors, file, yaml, "40 }", 2);
        Assert.Equal(4, errors.Count);

        var thrown = Assert.Throws<ConfigException>(() => InventoryLoader.Load(_profiles.Root));
        Assert.Equal(errors, thrown.Errors);
        Assert.Contains($"{file}:", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_room_file_is_checked_against_the_sibling_models_folder()
    {
        var yaml = Room.Replace("model: srv1u", "model: srv9u", StringComparison.Ordinal);
        var file = _profiles.WithRoom(yaml);
        var errors = InventoryLoader.Validate(file);
        Assert.StartsWith("unknown model 'srv9u'", TestProfiles.ErrorAt(errors, file, yaml, "srv9u"), StringComparison.Ordinal);
        Assert.Single(errors);

        File.WriteAllText(file, Room);
        Assert.Empty(InventoryLoader.Validate(file));
    }

    [Fact]
    public void Missing_path_is_an_error_not_an_exception()
    {
        var path = Path.Combine(_profiles.Root, "nowhere");
        var error = Assert.Single(InventoryLoader.Validate(path));
        Assert.Equal(new SourceLocation(path, 1, 1), error.Location);
        Assert.Throws<ConfigException>(() => InventoryLoader.Load(path));
    }
}
