using Monitoring.Collectors.Modbus.Registers;

namespace Monitoring.Collectors.Modbus.Tests;

/// <summary>Read planning and decoding without a server.</summary>
public class RegisterMapTests
{
    private static RegisterPoint Holding(string name, ushort address, ModbusDataType type) =>
        new(name, RegisterType.HoldingRegister, address, type);

    [Fact]
    public void Points_close_together_share_a_read_and_far_ones_start_a_new_one()
    {
        var map = new RegisterMap(
            [
                Holding("far", 200, ModbusDataType.Int64),
                Holding("a", 0, ModbusDataType.Int16),
                Holding("b", 2, ModbusDataType.Float32),
                Holding("c", 40, ModbusDataType.UInt16),
                new RegisterPoint("input", RegisterType.InputRegister, 3, ModbusDataType.UInt16),
                new RegisterPoint("door", RegisterType.DiscreteInput, 7, ModbusDataType.Bit),
                new RegisterPoint("relay", RegisterType.Coil, 5, ModbusDataType.Bit),
                new RegisterPoint("relay2", RegisterType.Coil, 90, ModbusDataType.Bit),
            ],
            new RegisterMapOptions { MaxRegisterGap = 16, MaxBitGap = 100 });

        Assert.Equal(
            [
                new ReadBlock(RegisterType.Coil, 5, 86, 0, 2),
                new ReadBlock(RegisterType.DiscreteInput, 7, 1, 2, 1),
                new ReadBlock(RegisterType.HoldingRegister, 0, 4, 3, 2),
                new ReadBlock(RegisterType.HoldingRegister, 40, 1, 5, 1),
                new ReadBlock(RegisterType.HoldingRegister, 200, 4, 6, 1),
                new ReadBlock(RegisterType.InputRegister, 3, 1, 7, 1),
            ],
            map.Blocks);
        Assert.Equal("far", map.Points[map.Blocks[4].FirstPoint].Name);
    }

    [Fact]
    public void A_larger_gap_allowance_merges_reads()
    {
        RegisterPoint[] points = [Holding("a", 0, ModbusDataType.Int16), Holding("b", 2, ModbusDataType.Float32), Holding("c", 40, ModbusDataType.UInt16)];
        Assert.Equal(2, new RegisterMap(points, new RegisterMapOptions { MaxRegisterGap = 10 }).Blocks.Count);
        var merged = Assert.Single(new RegisterMap(points, new RegisterMapOptions { MaxRegisterGap = 36 }).Blocks);
        Assert.Equal(41, merged.Count);
    }

    [Fact]
    public void No_read_exceeds_125_registers_even_with_no_gaps()
    {
        var points = Enumerable.Range(0, 200).Select(i => Holding($"p{i}", (ushort)(i * 2), ModbusDataType.Float32)).ToList();
        var map = new RegisterMap(points, new RegisterMapOptions { MaxRegisterGap = 1000 });
        Assert.All(map.Blocks, b => Assert.InRange(b.Count, 1, 125));
        Assert.Equal(400, map.Blocks.Sum(b => b.Count));
        Assert.Equal(200, map.Blocks.Sum(b => b.PointCount));
        Assert.Equal(4, map.Blocks.Count); // 62 float32 per read (124 registers), 200 points → 4 reads.
    }

    [Fact]
    public void Decoding_applies_scale_offset_and_bits_and_names_states()
    {
        var map = new RegisterMap(
            [
                Holding("voltage", 0, ModbusDataType.UInt16) with { Scale = 0.1 },
                Holding("temperature", 1, ModbusDataType.Int16) with { Scale = 0.01, Offset = -40 },
                Holding("alarm bit 0", 2, ModbusDataType.Bit) with { BitIndex = 0 },
                Holding("alarm bit 15", 2, ModbusDataType.Bit) with { BitIndex = 15 },
                Holding("alarm bit 1", 2, ModbusDataType.Bit) with { BitIndex = 1 },
                Holding("mode", 3, ModbusDataType.UInt16) with { States = new Dictionary<long, string> { [0] = "online", [1] = "on battery" } },
            ]);
        var values = new double[map.Points.Count];
        map.Decode(map.Blocks[0], [2305, 0xF830, 0x8001, 1], values);

        Assert.Equal(230.5, values[map.IndexOf("voltage")], 9);
        Assert.Equal((-2000 * 0.01) - 40, values[map.IndexOf("temperature")], 9);
        Assert.Equal(1, values[map.IndexOf("alarm bit 0")]);
        Assert.Equal(0, values[map.IndexOf("alarm bit 1")]);
        Assert.Equal(1, values[map.IndexOf("alarm bit 15")]);
        var mode = map.Points[map.IndexOf("mode")];
        Assert.True(mode.TryGetState(values[map.IndexOf("mode")], out var state));
        Assert.Equal("on battery", state);
        Assert.False(mode.TryGetState(7, out _));
    }

    [Theory]
    [InlineData(WordOrder.BigEndian, new ushort[] { 0xAABB, 0xCCDD })]
    [InlineData(WordOrder.LittleEndian, new ushort[] { 0xDDCC, 0xBBAA })]
    [InlineData(WordOrder.ByteSwapped, new ushort[] { 0xBBAA, 0xDDCC })]
    [InlineData(WordOrder.WordSwapped, new ushort[] { 0xCCDD, 0xAABB })]
    public void Every_word_order_assembles_the_same_value(WordOrder order, ushort[] registers)
    {
        Assert.Equal(0xAABBCCDDUL, RegisterDecoder.Assemble(registers, order));
    }

    [Fact]
    public void Decoding_a_whole_map_allocates_nothing()
    {
        var map = new RegisterMap(Enumerable.Range(0, 30).Select(i => Holding($"p{i}", (ushort)(i * 4), (ModbusDataType)(i % 8)) with { WordOrder = (WordOrder)(i % 4) }));
        var registers = Enumerable.Range(0, 125).Select(i => (ushort)(i * 977)).ToArray();
        var values = new double[map.Points.Count];
        var block = map.Blocks[0];
        map.Decode(block, registers, values);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            map.Decode(block, registers, values);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(30, block.PointCount);
    }

    [Fact]
    public void Invalid_points_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new RegisterMap([new RegisterPoint("c", RegisterType.Coil, 0, ModbusDataType.Int16)]));
        Assert.Throws<ArgumentException>(() => new RegisterMap([Holding("b", 0, ModbusDataType.Bit) with { BitIndex = 16 }]));
        Assert.Throws<ArgumentException>(() => new RegisterMap([Holding("x", 65535, ModbusDataType.Float32)]));
        Assert.Throws<ArgumentException>(() => new RegisterMap([Holding("x", 0, ModbusDataType.Int16), Holding("x", 1, ModbusDataType.Int16)]));
    }
}
