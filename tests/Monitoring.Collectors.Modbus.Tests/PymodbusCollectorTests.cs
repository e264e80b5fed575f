using System.Globalization;
using System.Text;
using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Polling;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Modbus.Tests.Peers;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Modbus.Tests;

/// <summary>The collector's poller reading a profile from a real pymodbus server: values encoded by Python, not by us.</summary>
public sealed class PymodbusCollectorTests(PymodbusServer server) : IClassFixture<PymodbusServer>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modbus-pymodbus-profile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_profile_with_every_type_and_word_order_polls_to_the_values_python_encoded()
    {
        var yaml = new StringBuilder("name: pymodbus cases\nmaxRegisterGap: 8\npoints:\n");
        foreach (var c in server.Cases)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ metric: case.{c.Name}, table: holding, address: {c.Address}, type: {c.DataType.ToString().ToLowerInvariant()}, wordOrder: {c.OrderName} }}\n");
        }

        yaml.Append("  - { metric: plain.scaled, table: input, address: 7, type: uint16, scale: 0.5, offset: -3 }\n");
        yaml.Append("  - { metric: plain.discrete, table: discrete, address: 2 }\n");
        var path = Path.Combine(_dir, "cases.yaml");
        await File.WriteAllTextAsync(path, yaml.ToString());
        var profile = ModbusProfileLoader.LoadFile(path);

        await using var client = new ModbusTcpClient(server.EndPoint);
        var registry = new SeriesRegistry();
        var poller = new ModbusDevicePoller("pymodbus-1", 0, client, 1, profile, registry, TimeSpan.FromSeconds(10));
        var sink = new RecordingSink();

        var result = await poller.PollAsync(sink, CancellationToken.None);

        Assert.Equal(PollOutcome.Ok, result.Outcome);
        Assert.Equal(profile.Map.Points.Count, result.Samples);
        var byMetric = sink.Samples.ToDictionary(s => registry[s.SeriesId].Metric, s => s.Value);
        foreach (var c in server.Cases)
        {
            Assert.Equal(c.Expected, byMetric[$"case.{c.Name}"], c.DataType == Registers.ModbusDataType.Float32 ? 1e-3 : 1e-9);
        }

        Assert.Equal((PymodbusServer.InputValue(1, 7) * 0.5) - 3, byMetric["plain.scaled"]);
        Assert.Equal(PymodbusServer.DiscreteValue(1, 2) ? 1 : 0, byMetric["plain.discrete"]);
    }

    [Fact]
    public async Task Devices_behind_one_address_share_its_client_and_each_reads_its_own_unit()
    {
        var path = Path.Combine(_dir, "units.yaml");
        await File.WriteAllTextAsync(path, "name: units\npoints:\n  - { metric: x.first, table: holding, address: 4 }\n  - { metric: x.second, table: input, address: 9 }\n");
        var profile = ModbusProfileLoader.LoadFile(path);
        await using var pool = new ModbusTcpClientPool();
        var registry = new SeriesRegistry();
        var pollers = new byte[] { 1, 2, 3 }.Select(u => new ModbusDevicePoller($"unit-{u}", u, pool.GetClient(server.EndPoint), u, profile, registry, TimeSpan.FromSeconds(10))).ToList();
        var sink = new RecordingSink();

        var results = await Task.WhenAll(pollers.Select(p => p.PollAsync(sink, CancellationToken.None).AsTask()));

        Assert.All(results, r => Assert.Equal(PollOutcome.Ok, r.Outcome));
        Assert.Equal(1, pool.Count);
        foreach (var poller in pollers)
        {
            Assert.Equal(PymodbusServer.HoldingValue(poller.UnitId, 4), poller.LastValues[profile.Map.IndexOf("x.first")]);
            Assert.Equal(PymodbusServer.InputValue(poller.UnitId, 9), poller.LastValues[profile.Map.IndexOf("x.second")]);
        }
    }

    [Fact]
    public async Task A_read_past_the_servers_table_is_a_device_exception_in_plain_words()
    {
        var path = Path.Combine(_dir, "far.yaml");
        await File.WriteAllTextAsync(path, $"name: far\npoints:\n  - {{ metric: x.far, table: holding, address: {PymodbusServer.TableSize + 100} }}\n");
        await using var client = new ModbusTcpClient(server.EndPoint);
        var poller = new ModbusDevicePoller("far", 0, client, 1, ModbusProfileLoader.LoadFile(path), new SeriesRegistry(), TimeSpan.FromSeconds(10));

        var result = await poller.PollAsync(new RecordingSink(), CancellationToken.None);

        Assert.Equal(PollOutcome.ProtocolError, result.Outcome);
        Assert.Contains("exception 2", result.Message, StringComparison.Ordinal);
        Assert.Contains("address", result.Message, StringComparison.OrdinalIgnoreCase);
    }
}
