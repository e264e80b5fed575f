using System.Net;
using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Protocol;
using Monitoring.Collectors.Modbus.Tests.Peers;

namespace Monitoring.Collectors.Modbus.Tests;

/// <summary>Every function code against a real pymodbus server: what is written is read back, refusals become typed errors.</summary>
public sealed class PymodbusClientTests(PymodbusServer server) : IClassFixture<PymodbusServer>
{
    private ModbusTcpClient Connect() =>
        new(server.EndPoint, new ModbusTcpClientOptions { MaxInFlight = 4, RequestTimeout = TimeSpan.FromSeconds(5) });

    [Fact]
    public async Task FC3_and_FC4_read_the_registers_the_server_holds()
    {
        await using var client = Connect();
        var holding = new ushort[10];
        var input = new ushort[10];
        await client.ReadHoldingRegistersAsync(2, 5, holding);
        await client.ReadInputRegistersAsync(2, 5, input);
        Assert.Equal(Enumerable.Range(5, 10).Select(a => PymodbusServer.HoldingValue(2, a)), holding);
        Assert.Equal(Enumerable.Range(5, 10).Select(a => PymodbusServer.InputValue(2, a)), input);
    }

    [Fact]
    public async Task FC2_reads_discrete_inputs()
    {
        await using var client = Connect();
        var inputs = new bool[37];
        await client.ReadDiscreteInputsAsync(3, 11, inputs);
        Assert.Equal(Enumerable.Range(11, 37).Select(a => PymodbusServer.DiscreteValue(3, a)), inputs);
    }

    [Fact]
    public async Task FC6_and_FC16_writes_are_read_back_with_FC3()
    {
        await using var client = Connect();
        await client.WriteSingleRegisterAsync(1, 500, 0xBEEF);
        var many = Enumerable.Range(0, 40).Select(i => (ushort)(i * 1111)).ToArray();
        await client.WriteMultipleRegistersAsync(1, 501, many);

        var back = new ushort[41];
        await client.ReadHoldingRegistersAsync(1, 500, back);
        Assert.Equal(0xBEEF, back[0]);
        Assert.Equal(many, back[1..]);
    }

    [Fact]
    public async Task FC5_and_FC15_writes_are_read_back_with_FC1()
    {
        await using var client = Connect();
        await client.WriteSingleCoilAsync(1, 10, true);
        await client.WriteSingleCoilAsync(1, 11, false);
        await client.WriteSingleCoilAsync(1, 12, true);
        var pattern = Enumerable.Range(0, 21).Select(i => i % 4 == 1).ToArray();
        await client.WriteMultipleCoilsAsync(1, 20, pattern);

        var back = new bool[31];
        await client.ReadCoilsAsync(1, 10, back);
        Assert.Equal([true, false, true], back[..3]);
        Assert.All(back[3..10], Assert.False);
        Assert.Equal(pattern, back[10..]);

        await client.WriteSingleCoilAsync(1, 10, false);
        await client.ReadCoilsAsync(1, 10, back.AsMemory(0, 1));
        Assert.False(back[0]);
    }

    [Fact]
    public async Task Writes_larger_than_the_standard_allows_are_split_and_land_whole()
    {
        await using var client = Connect();
        var registers = Enumerable.Range(0, 300).Select(i => (ushort)(60000 - i)).ToArray();
        await client.WriteMultipleRegistersAsync(2, 1200, registers); // 123 + 123 + 54
        var coils = Enumerable.Range(0, 2500).Select(i => i % 7 == 0 || i % 5 == 0).ToArray();
        await client.WriteMultipleCoilsAsync(2, 0, coils); // 1968 + 532

        var registersBack = new ushort[300];
        await client.ReadHoldingRegistersAsync(2, 1200, registersBack);
        var coilsBack = new bool[2500];
        await client.ReadCoilsAsync(2, 0, coilsBack); // 2000 + 500
        Assert.Equal(registers, registersBack);
        Assert.Equal(coils, coilsBack);
    }

    [Fact]
    public async Task A_300_register_read_is_split_into_three_requests()
    {
        await using var proxy = new CountingProxy(server.EndPoint);
        await using var client = new ModbusTcpClient(proxy.EndPoint);
        var registers = new ushort[300];
        await client.ReadHoldingRegistersAsync(1, 0, registers);

        Assert.Equal(Enumerable.Range(0, 300).Select(a => PymodbusServer.HoldingValue(1, a)), registers);
        Assert.Equal([125, 125, 50], proxy.Quantities);
    }

    [Fact]
    public async Task Reading_past_the_datastore_is_an_illegal_data_address_error()
    {
        await using var client = Connect();
        var error = await Assert.ThrowsAsync<ModbusRequestException>(
            async () => await client.ReadHoldingRegistersAsync(1, PymodbusServer.TableSize - 2, new ushort[5]));
        Assert.Equal(ModbusErrorKind.DeviceException, error.Kind);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, error.ExceptionCode);
        Assert.Equal(1, error.UnitId);
        Assert.Contains("illegal data address", error.Message, StringComparison.Ordinal);

        // The connection is still good after the refusal.
        var ok = new ushort[1];
        await client.ReadHoldingRegistersAsync(1, 0, ok);
        Assert.Equal(PymodbusServer.HoldingValue(1, 0), ok[0]);
    }

    [Fact]
    public async Task An_unsupported_function_is_an_illegal_function_error()
    {
        await using var client = Connect();
        var error = await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ExecuteRawAsync(1, 0x41, new byte[] { 0, 0 }));
        Assert.Equal(ModbusErrorKind.DeviceException, error.Kind);
        Assert.Equal(ModbusExceptionCode.IllegalFunction, error.ExceptionCode);
        Assert.Equal(0x41, error.FunctionCode);
    }

    [Fact]
    public async Task Several_units_behind_one_address_share_one_connection()
    {
        await using var proxy = new CountingProxy(server.EndPoint);
        await using var client = new ModbusTcpClient(proxy.EndPoint, new ModbusTcpClientOptions { MaxInFlight = 3 });
        var reads = new[] { (byte)1, (byte)2, (byte)3 }.Select(async unit =>
        {
            var registers = new ushort[4];
            await client.ReadHoldingRegistersAsync(unit, 100, registers);
            return (unit, registers);
        }).ToList();

        foreach (var (unit, registers) in await Task.WhenAll(reads))
        {
            Assert.Equal(Enumerable.Range(100, 4).Select(a => PymodbusServer.HoldingValue(unit, a)), registers);
        }

        Assert.Equal(1, proxy.Connections);
        Assert.Equal([1, 2, 3], proxy.Units.Order());
    }

    [Fact]
    public async Task Pipelined_requests_are_matched_by_transaction_id()
    {
        await using var client = new ModbusTcpClient(server.EndPoint, new ModbusTcpClientOptions { MaxInFlight = 8 });
        var reads = Enumerable.Range(0, 64).Select(async i =>
        {
            var unit = (byte)((i % 3) + 1);
            var registers = new ushort[3];
            await client.ReadInputRegistersAsync(unit, (ushort)i, registers);
            return (unit, address: i, registers);
        }).ToList();

        foreach (var (unit, address, registers) in await Task.WhenAll(reads))
        {
            Assert.Equal(Enumerable.Range(address, 3).Select(a => PymodbusServer.InputValue(unit, a)), registers);
        }
    }

    [Fact]
    public async Task The_pool_gives_every_device_behind_one_address_the_same_client_and_connection()
    {
        await using var proxy = new CountingProxy(server.EndPoint);
        await using var other = new CountingProxy(server.EndPoint);
        await using var pool = new ModbusTcpClientPool(_ => new ModbusTcpClientOptions { MaxInFlight = 2 });
        var upsOnGateway = pool.GetClient(new IPEndPoint(IPAddress.Loopback, proxy.EndPoint.Port));
        var sensorOnGateway = pool.GetClient(new IPEndPoint(IPAddress.Loopback, proxy.EndPoint.Port));
        var elsewhere = pool.GetClient(other.EndPoint);
        var registers = new ushort[1];

        await upsOnGateway.ReadHoldingRegistersAsync(1, 0, registers);
        await sensorOnGateway.ReadHoldingRegistersAsync(2, 0, registers);
        await elsewhere.ReadHoldingRegistersAsync(3, 0, registers);

        Assert.Same(upsOnGateway, sensorOnGateway);
        Assert.NotSame(upsOnGateway, elsewhere);
        Assert.Equal(2, pool.Count);
        Assert.Equal(1, proxy.Connections);
        Assert.Equal([1, 2], proxy.Units);
        Assert.Equal(PymodbusServer.HoldingValue(3, 0), registers[0]);
    }
}
