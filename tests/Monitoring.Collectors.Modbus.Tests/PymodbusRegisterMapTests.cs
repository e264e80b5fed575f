using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Registers;
using Monitoring.Collectors.Modbus.Tests.Peers;

namespace Monitoring.Collectors.Modbus.Tests;

/// <summary>
/// Values the pymodbus server stores with Python's struct.pack, in every data type and word order, decoded by the register
/// map; and the same registers read by mbpoll, a Modbus master nobody here wrote.
/// </summary>
public sealed class PymodbusRegisterMapTests(PymodbusServer server) : IClassFixture<PymodbusServer>
{
    private ModbusTcpClient Connect() => new(server.EndPoint, new ModbusTcpClientOptions { RequestTimeout = TimeSpan.FromSeconds(5) });

    [Theory]
    [InlineData(RegisterType.HoldingRegister)]
    [InlineData(RegisterType.InputRegister)]
    public async Task Every_data_type_in_every_word_order_decodes_to_the_value_python_encoded(RegisterType table)
    {
        var points = server.Cases.Select(c => new RegisterPoint(c.Name, table, c.Address, c.DataType) { WordOrder = c.Order }).ToList();
        var map = new RegisterMap(points, new RegisterMapOptions { MaxRegisterGap = 3 });
        var values = new double[map.Points.Count];
        await using var client = Connect();

        var result = await client.ReadAsync(1, map, values);

        Assert.Equal(0, result.BlocksFailed);
        Assert.Equal(map.Blocks.Count, result.BlocksRead);
        Assert.Equal(2, map.Blocks.Count); // 32 cases x 4 registers = 128 registers: 125 is the most one read may take.
        var wrong = server.Cases
            .Select(c => (c.Name, c.Expected, Actual: values[map.IndexOf(c.Name)]))
            .Where(x => x.Expected != x.Actual)
            .Select(x => $"{x.Name}: expected {x.Expected:R}, decoded {x.Actual:R}")
            .ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task Bits_scale_offset_and_mixed_tables_decode_from_one_map()
    {
        var map = new RegisterMap(
            [
                new RegisterPoint("flag0", RegisterType.HoldingRegister, PymodbusServer.BitRegisterAddress, ModbusDataType.Bit) { BitIndex = 0 },
                new RegisterPoint("flag1", RegisterType.HoldingRegister, PymodbusServer.BitRegisterAddress, ModbusDataType.Bit) { BitIndex = 1 },
                new RegisterPoint("flag2", RegisterType.HoldingRegister, PymodbusServer.BitRegisterAddress, ModbusDataType.Bit) { BitIndex = 2 },
                new RegisterPoint("flag15", RegisterType.HoldingRegister, PymodbusServer.BitRegisterAddress, ModbusDataType.Bit) { BitIndex = 15 },
                new RegisterPoint("scaled", RegisterType.InputRegister, 10, ModbusDataType.UInt16) { Scale = 0.1, Offset = -5 },
                new RegisterPoint("di4", RegisterType.DiscreteInput, 4, ModbusDataType.Bit),
                new RegisterPoint("di5", RegisterType.DiscreteInput, 5, ModbusDataType.Bit),
            ]);
        var values = new double[map.Points.Count];
        await using var client = Connect();

        var result = await client.ReadAsync(1, map, values);

        Assert.Equal(0, result.BlocksFailed);
        Assert.Equal([1, 0, 1, 1], new[] { "flag0", "flag1", "flag2", "flag15" }.Select(n => values[map.IndexOf(n)]));
        Assert.Equal((PymodbusServer.InputValue(1, 10) * 0.1) - 5, values[map.IndexOf("scaled")], 9);
        Assert.Equal(PymodbusServer.DiscreteValue(1, 4) ? 1 : 0, values[map.IndexOf("di4")]);
        Assert.Equal(PymodbusServer.DiscreteValue(1, 5) ? 1 : 0, values[map.IndexOf("di5")]);
    }

    [Fact]
    public async Task A_block_the_device_refuses_leaves_its_points_unknown_and_the_rest_read()
    {
        var map = new RegisterMap(
            [
                new RegisterPoint("ok", RegisterType.HoldingRegister, 7, ModbusDataType.UInt16),
                new RegisterPoint("missing", RegisterType.HoldingRegister, PymodbusServer.TableSize + 10, ModbusDataType.UInt16),
            ]);
        var values = new double[2];
        await using var client = Connect();

        var result = await client.ReadAsync(3, map, values);

        Assert.Equal(1, result.BlocksRead);
        Assert.Equal(1, result.BlocksFailed);
        Assert.Equal(Protocol.ModbusExceptionCode.IllegalDataAddress, result.FirstError?.ExceptionCode);
        Assert.Equal(PymodbusServer.HoldingValue(3, 7), values[map.IndexOf("ok")]);
        Assert.True(double.IsNaN(values[map.IndexOf("missing")]));
    }

    [Fact]
    public async Task Mbpoll_and_our_client_read_the_same_values_from_the_same_server()
    {
        await using var client = Connect();
        var holding = new ushort[10];
        var input = new ushort[10];
        var discrete = new bool[16];
        await client.ReadHoldingRegistersAsync(2, 20, holding);
        await client.ReadInputRegistersAsync(3, 30, input);
        await client.ReadDiscreteInputsAsync(1, 40, discrete);

        Assert.Equal(holding.Select(v => (double)v), await Mbpoll.ReadAsync(server.Port, 2, 20, 10, "4"));
        Assert.Equal(input.Select(v => (double)v), await Mbpoll.ReadAsync(server.Port, 3, 30, 10, "3"));
        Assert.Equal(discrete.Select(v => v ? 1.0 : 0.0), await Mbpoll.ReadAsync(server.Port, 1, 40, 16, "1"));
        // Neither client is trivially right: both agree with what the Python script stored.
        Assert.Equal(PymodbusServer.HoldingValue(2, 20), holding[0]);
    }

    [Theory]
    [InlineData(ModbusDataType.Float32, WordOrder.BigEndian, "4:float", true)]
    [InlineData(ModbusDataType.Float32, WordOrder.WordSwapped, "4:float", false)]
    [InlineData(ModbusDataType.Int32, WordOrder.BigEndian, "4:int", true)]
    [InlineData(ModbusDataType.Int32, WordOrder.WordSwapped, "4:int", false)]
    public async Task Mbpoll_and_our_decoder_agree_on_32_bit_values(ModbusDataType type, WordOrder order, string mbpollType, bool bigEndianWords)
    {
        var valueCase = server.Cases.Single(c => c.DataType == type && c.Order == order);
        var map = new RegisterMap([new RegisterPoint("v", RegisterType.HoldingRegister, valueCase.Address, type) { WordOrder = order }]);
        var values = new double[1];
        await using var client = Connect();
        await client.ReadAsync(1, map, values);

        var theirs = Assert.Single(await Mbpoll.ReadAsync(server.Port, 1, valueCase.Address, 1, mbpollType, bigEndianWords));

        Assert.Equal(valueCase.Expected, values[0]);
        Assert.Equal(theirs, values[0], Math.Abs(theirs) * 1e-5); // mbpoll prints six significant digits
    }
}
