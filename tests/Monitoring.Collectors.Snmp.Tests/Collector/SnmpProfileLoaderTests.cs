using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Snmp.Tests.Collector;

public sealed class SnmpProfileLoaderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "snmp-profiles-" + Guid.NewGuid().ToString("N")[..8]);

    public SnmpProfileLoaderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_shipped_profiles_load_and_cover_the_demo_rooms_snmp_profiles()
    {
        var profiles = SnmpProfileLoader.LoadFolder(Repo.Profiles);
        Assert.Contains("snmp/if-mib", profiles.Keys);
        Assert.Contains("snmp/host", profiles.Keys);
        Assert.Contains("snmp/cisco-ios", profiles.Keys);
        Assert.Contains("snmp/h3c-comware", profiles.Keys);
        Assert.Contains("snmp/net-snmp", profiles.Keys);

        var sw = profiles["snmp/if-mib"];
        var cpu = Assert.Single(sw.DeviceMetrics, m => m.Metric == "cpu.usage");
        Assert.Equal(SnmpDeviceCompute.Max, cpu.Compute);
        Assert.Equal(Oid.Parse("1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5"), cpu.Oid);
        var util = Assert.Single(sw.PortMetrics, m => m.Metric == "interface.utilisation");
        Assert.Equal(Oid.Parse("1.3.6.1.2.1.31.1.1.1.6"), util.Column);
        Assert.Equal(Oid.Parse("1.3.6.1.2.1.31.1.1.1.15"), util.HighSpeed);
        Assert.Equal("demo-v2c", sw.Credentials);

        var cisco = profiles["snmp/cisco-ios"];
        Assert.Equal(Oid.Parse("1.3.6.1.4.1.9.9.109.1.1.1.1.8.1"), cisco.DeviceMetrics[0].Oid);

        // every metric a profile writes for the demo's models is one those models declare
        var inventory = Repo.DemoInventory();
        foreach (var device in inventory.Devices.Where(d => d.Profile is not null && profiles.ContainsKey(d.Profile)))
        {
            var profile = profiles[device.Profile!];
            foreach (var metric in profile.DeviceMetrics.Select(m => m.Metric).Where(m => m is "cpu.usage" or "memory.usage"))
            {
                Assert.NotNull(device.Model.FindMetric(metric));
            }
        }
    }

    [Fact]
    public void Errors_name_file_line_and_column_and_all_are_reported_together()
    {
        var path = Write("bad.yaml", """
            name: Bad
            colour: blue
            device:
              - { metric: cpu.usage, compute: maximum, oid: hrProcessorLoad }
              - { metric: cpu, compute: value, oid: sysUpTime.0 }
              - { metric: memory.usage, compute: value, oid: notAnObject.0 }
              - { metric: memory.usage, compute: totalAvailable, total: memTotalReal.0 }
            ports:
              match: byMagic
              metrics:
                - { metric: interface.in_bps, compute: bitRate }
            """);
        var errors = SnmpProfileLoader.Validate(path);
        Assert.Contains(errors, e => e.Location.Line == 2 && e.Location.Column == 1 && e.Message.Contains("colour", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Location.Line == 4 && e.Message.Contains("maximum", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Location.Line == 5 && e.Message.Contains("measurement.field", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Location.Line == 6 && e.Location.Column > 40 && e.Message.Contains("notAnObject.0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Location.Line == 7 && e.Message.Contains("'available'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Location.Line == 9 && e.Message.Contains("byMagic", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Location.Line == 11 && e.Message.Contains("'oid'", StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Equal(path, e.Location.File));
        var ex = Assert.Throws<ConfigException>(() => SnmpProfileLoader.LoadFile(path));
        Assert.Equal(errors.Count, ex.Errors.Count);
    }

    [Fact]
    public void Yaml_syntax_errors_and_empty_profiles_are_reported()
    {
        var broken = Write("broken.yaml", "name: Bad\n- a list item where a key belongs\n");
        var error = Assert.Single(SnmpProfileLoader.Validate(broken));
        Assert.Contains("YAML syntax error", error.Message, StringComparison.Ordinal);
        Assert.True(error.Location.Line >= 1);

        var empty = Write("empty.yaml", "name: Nothing\n");
        var none = Assert.Single(SnmpProfileLoader.Validate(empty));
        Assert.Contains("at least one metric", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_with_one_bad_file_throws_with_every_error()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "snmp"));
        Write("snmp/good.yaml", "name: Good\ndevice:\n  - { metric: cpu.usage, compute: value, oid: 1.3.6.1.4.1.9.9.109.1.1.1.1.8.1 }\n");
        Write("snmp/bad.yaml", "name: Bad\ndevice:\n  - { metric: cpu.usage, compute: cpuTicks, idle: ssCpuRawIdle.0 }\n");
        var ex = Assert.Throws<ConfigException>(() => SnmpProfileLoader.LoadFolder(_dir));
        var error = Assert.Single(ex.Errors);
        Assert.EndsWith("bad.yaml", error.Location.File, StringComparison.Ordinal);
        Assert.Contains("busy", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sysUpTime.0", "1.3.6.1.2.1.1.3.0")]
    [InlineData("ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6")]
    [InlineData(".1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.5.0")]
    [InlineData("hh3cEntityExtCpuUsage", "1.3.6.1.4.1.25506.2.6.1.1.1.1.6")]
    public void Names_resolve_to_their_oids(string text, string expected)
    {
        Assert.True(MibNames.TryResolve(text, out var oid));
        Assert.Equal(Oid.Parse(expected), oid);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
