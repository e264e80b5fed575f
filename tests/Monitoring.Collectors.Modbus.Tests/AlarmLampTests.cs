using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Tests.Peers;

namespace Monitoring.Collectors.Modbus.Tests;

/// <summary>The alarm lamp helper against a pymodbus server standing in for a relay module.</summary>
public sealed class AlarmLampTests(PymodbusServer server) : IClassFixture<PymodbusServer>
{
    [Fact]
    public async Task Consecutive_coils_are_set_with_one_FC15_write_and_read_back_with_FC1()
    {
        await using var proxy = new CountingProxy(server.EndPoint);
        await using var client = new ModbusTcpClient(proxy.EndPoint);
        var lamp = new AlarmLamp(client, 2, AlarmLampCoils.Consecutive(100));

        await lamp.SetAsync(AlarmLampSignals.Red | AlarmLampSignals.Buzzer);

        Assert.False(lamp.UsesSingleCoilWrites);
        Assert.Equal(AlarmLampSignals.Red | AlarmLampSignals.Buzzer, await lamp.ReadAsync());
        var coils = new bool[4];
        await client.ReadCoilsAsync(2, 100, coils);
        Assert.Equal([true, false, false, true], coils);
        Assert.Equal([4, 4, 4], proxy.Quantities); // one FC15 of 4 coils, two FC1 reads of 4 coils

        await lamp.SetAsync(AlarmLampSignals.Green);
        Assert.Equal(AlarmLampSignals.Green, await lamp.ReadAsync());
    }

    [Fact]
    public async Task Scattered_coils_are_set_one_by_one_with_FC5()
    {
        await using var client = new ModbusTcpClient(server.EndPoint);
        var lamp = new AlarmLamp(client, 3, new AlarmLampCoils(Red: 215, Yellow: 200, Green: 210, Buzzer: 205));

        await lamp.SetAsync(AlarmLampSignals.Yellow | AlarmLampSignals.Green);

        Assert.True(lamp.UsesSingleCoilWrites);
        Assert.Equal(AlarmLampSignals.Yellow | AlarmLampSignals.Green, await lamp.ReadAsync());
        var coils = new bool[16];
        await client.ReadCoilsAsync(3, 200, coils);
        Assert.Equal([0, 10], coils.Select((on, i) => (on, i)).Where(x => x.on).Select(x => x.i));

        await lamp.SetAsync(AlarmLampSignals.None);
        Assert.Equal(AlarmLampSignals.None, await lamp.ReadAsync());
    }
}
