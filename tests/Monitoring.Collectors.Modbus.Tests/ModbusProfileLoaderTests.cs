using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Modbus.Registers;
using Monitoring.Collectors.Modbus.Tests.Peers;
using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Modbus.Tests;

public sealed class ModbusProfileLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modbus-profiles-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_shipped_profile_loads_and_maps_only_metrics_its_models_declare()
    {
        var profiles = DemoProfiles.Profiles;
        Assert.Contains("modbus/ups", profiles.Keys);
        Assert.Contains("modbus/th-sensor", profiles.Keys);
        Assert.Contains("modbus/alarm-lamp", profiles.Keys);
        Assert.Contains("modbus/aircon", profiles.Keys);
        Assert.Contains("modbus/tripplite-modbuscard", profiles.Keys);

        // every device of the demo room that names a Modbus profile finds it, and every point is one of its model's metrics
        var modbusDevices = DemoProfiles.Inventory.Devices.Where(d => d.Profile?.StartsWith("modbus/", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(modbusDevices);
        foreach (var device in modbusDevices)
        {
            Assert.True(profiles.TryGetValue(device.Profile!, out var profile), $"{device.Id}: no profile {device.Profile}");
            foreach (var point in profile.Map.Points)
            {
                Assert.True(device.Model.FindMetric(point.Name) is not null, $"{profile.Id}: {point.Name} is not a metric of {device.Model.Id}");
            }
        }
    }

    [Fact]
    public void The_generic_ups_map_reads_as_one_block_with_the_mode_states()
    {
        var ups = DemoProfiles.Profiles["modbus/ups"];

        Assert.Single(ups.Map.Blocks);
        Assert.Equal(RegisterType.InputRegister, ups.Map.Blocks[0].RegisterType);
        var mode = ups.Map.Points[ups.Map.IndexOf("ups.mode")];
        Assert.True(mode.TryGetState(2, out var state));
        Assert.Equal("on battery", state);
        Assert.Equal(0.1, ups.Map.Points[ups.Map.IndexOf("ups.load")].Scale);
        Assert.Equal(TimeSpan.FromSeconds(5), ups.PollInterval);

        var sensor = DemoProfiles.Profiles["modbus/th-sensor"];
        var temperature = sensor.Map.Points[sensor.Map.IndexOf("environment.temperature")];
        Assert.Equal(ModbusDataType.Int16, temperature.DataType);
        Assert.Equal(1, temperature.Address);
    }

    [Fact]
    public void A_small_max_gap_splits_the_reads()
    {
        var path = Write("gaps.yaml", """
            name: gaps
            maxRegisterGap: 2
            points:
              - { metric: a.one, table: holding, address: 0 }
              - { metric: a.two, table: holding, address: 3 }
              - { metric: a.three, table: holding, address: 10, type: float32, wordOrder: CDAB }
            """);

        var profile = ModbusProfileLoader.LoadFile(path);

        Assert.Equal("modbus/gaps", profile.Id);
        Assert.Equal(2, profile.Map.Blocks.Count);
        Assert.Equal(WordOrder.WordSwapped, profile.Map.Points[2].WordOrder);
    }

    [Theory]
    [InlineData("name: x\npoints:\n  - { metric: a.b, table: holding, address: 1, adress: 1 }\n", 3, 48, "unknown key 'adress' in register point; did you mean 'address'?")]
    [InlineData("name: x\npoints:\n  - { metric: a.b, table: holdings, address: 1 }\n", 3, 27, "'table' must be one of holding, input, coil, discrete")]
    [InlineData("name: x\npoints:\n  - { metric: a.b, table: coil, address: 1, type: int16 }\n", 3, 51, "a coil is one bit")]
    [InlineData("name: x\npoints:\n  - { metric: a.b, table: input, address: 70000 }\n", 3, 43, "'address' must be from 0 to 65535")]
    [InlineData("name: x\npoints:\n  - { metric: a.b, table: input, address: 65535, type: float32 }\n", 3, 43, "runs past register 65535")]
    [InlineData("name: x\npoints:\n  - { metric: a.b, table: input, address: 1, scale: 0 }\n", 3, 53, "'scale' cannot be 0")]
    [InlineData("name: x\npoints:\n  - { metric: a.b, table: input, address: 1 }\n  - { metric: a.b, table: input, address: 2 }\n", 4, 5, "metric 'a.b' is mapped twice")]
    [InlineData("name: x\npoints:\n  - { metric: a.b, table: input, address: 1, states: { one: online } }\n", 3, 56, "state keys are whole raw values")]
    [InlineData("name: x\npoints: []\n", 2, 9, "at least one register point")]
    [InlineData("points:\n  - { metric: a.b, table: input, address: 1 }\n", 1, 1, "missing required key 'name'")]
    [InlineData("name: x\npoints:\n  - { metric: a.b, table: input, address: 1\n", 3, 5, "YAML syntax error")]
    [InlineData("name: x\npoints:\n  - { metric: a.b, table: input, address: 1, type: bit }\n", 3, 5, "needs 'bit'")]
    public void Bad_files_are_reported_at_file_line_and_column(string yaml, int line, int column, string message)
    {
        var path = Write("bad.yaml", yaml);

        var errors = ModbusProfileLoader.Validate(path);

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Location.File);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Location.Line, error.Location.Column));
    }

    [Fact]
    public void A_folder_with_bad_files_reports_all_of_their_errors_together()
    {
        var modbus = Directory.CreateDirectory(Path.Combine(_dir, "modbus")).FullName;
        File.WriteAllText(Path.Combine(modbus, "one.yaml"), "name: one\npoints:\n  - { metric: a.b, table: nope, address: 1 }\n");
        File.WriteAllText(Path.Combine(modbus, "two.yaml"), "name: two\npoints:\n  - { metric: a.b, table: input, address: -1 }\n");

        var ex = Assert.Throws<ConfigException>(() => ModbusProfileLoader.LoadFolder(_dir));

        Assert.Equal(2, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.Location.File.EndsWith("one.yaml", StringComparison.Ordinal) && e.Message.Contains("'table'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Location.File.EndsWith("two.yaml", StringComparison.Ordinal) && e.Message.Contains("'address'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_json_schema_lists_exactly_the_keys_the_loader_accepts()
    {
        using var schema = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(DemoProfiles.Root, "schema", "modbus.schema.json")));
        var defs = schema.RootElement.GetProperty("$defs");
        string[] Keys(string def) => [.. defs.GetProperty(def).GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

        // a file using every key the schema lists loads without error: the loader knows them all
        var path = Write("all-keys.yaml", """
            name: all keys
            document: a manual
            pollIntervalSeconds: 2.5
            timeoutMs: 500
            maxRegisterGap: 4
            maxBitGap: 8
            maxRegistersPerRead: 50
            points:
              - { metric: a.b, table: holding, address: 1, type: bit, wordOrder: ABCD, bit: 3, scale: 2, offset: 1, states: { 0: off, 1: on } }
            """);
        Assert.Empty(ModbusProfileLoader.Validate(path));
        Assert.Equal(["document", "maxBitGap", "maxRegisterGap", "maxRegistersPerRead", "name", "points", "pollIntervalSeconds", "timeoutMs"], Keys("profile"));
        Assert.Equal(["address", "bit", "metric", "offset", "scale", "states", "table", "type", "wordOrder"], Keys("point"));

        // and a key outside the schema is refused
        var extra = Write("extra.yaml", "name: x\nunits: 3\npoints:\n  - { metric: a.b, table: input, address: 1 }\n");
        Assert.Contains("unknown key 'units'", Assert.Single(ModbusProfileLoader.Validate(extra)).Message, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
