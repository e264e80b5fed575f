using Monitoring.Collectors.Snmp.Collector;

namespace Monitoring.Collectors.Snmp.Tests.Collector;

public class CounterStateTests
{
    [Fact]
    public void First_reading_gives_no_rate_and_the_second_gives_delta_over_agent_time()
    {
        var state = default(CounterState);
        Assert.False(state.Next(1_000, 10_000, is64Bit: true, out _));
        Assert.True(state.Next(6_000, 10_500, is64Bit: true, out var rate)); // 5,000 in 5 s
        Assert.Equal(1_000, rate, 6);
    }

    [Fact]
    public void Counter32_wraps_at_two_to_the_32()
    {
        var state = default(CounterState);
        state.Next(uint.MaxValue - 99, 100, is64Bit: false, out _);
        Assert.True(state.Next(400, 200, is64Bit: false, out var rate)); // 100 to the top, 401 after it (0..400), in 1 s
        Assert.Equal(500, rate, 6);
    }

    [Fact]
    public void Counter64_wraps_at_two_to_the_64()
    {
        var state = default(CounterState);
        state.Next(ulong.MaxValue - 9, 0, is64Bit: true, out _);
        Assert.True(state.Next(10, 1_000, is64Bit: true, out var rate)); // 20 in 10 s
        Assert.Equal(2, rate, 6);
    }

    [Fact]
    public void Counter32_values_read_as_32_bit_ignore_high_bits_when_wrapping()
    {
        var state = default(CounterState);
        state.Next(4_000_000_000, 0, is64Bit: false, out _);
        Assert.True(state.Next(100_000_000, 100, is64Bit: false, out var rate));
        Assert.Equal((4_294_967_296.0 - 4_000_000_000) + 100_000_000, rate, 3);
    }

    [Fact]
    public void Agent_restart_sysUpTime_going_back_gives_no_rate_then_rates_resume()
    {
        var state = default(CounterState);
        state.Next(900_000_000_000, 500_000, is64Bit: true, out _);
        Assert.False(state.Next(1_000, 300, is64Bit: true, out var rate)); // rebooted: counters from zero
        Assert.Equal(0, rate);
        Assert.True(state.Next(3_000, 400, is64Bit: true, out rate));
        Assert.Equal(2_000, rate, 6);
    }

    [Fact]
    public void No_time_passed_gives_no_rate()
    {
        var state = default(CounterState);
        state.Next(10, 700, is64Bit: true, out _);
        Assert.False(state.Next(20, 700, is64Bit: true, out _));
    }

    [Fact]
    public void Reset_forgets_the_last_reading()
    {
        var state = default(CounterState);
        state.Next(10, 700, is64Bit: true, out _);
        state.Reset();
        Assert.False(state.HasValue);
        Assert.False(state.Next(20, 800, is64Bit: true, out _));
    }

    [Fact]
    public void Utilisation_uses_the_busier_direction_and_caps_at_100()
    {
        Assert.Equal(25, SnmpDevicePoller.Utilisation(250_000_000, 100_000_000, 1_000_000_000), 6);
        Assert.Equal(100, SnmpDevicePoller.Utilisation(2_000_000_000, 0, 1_000_000_000), 6);
        Assert.Equal(0, SnmpDevicePoller.Utilisation(5, 5, 0));
        Assert.Equal(25, SnmpDevicePoller.UsedFree(25, 75)!.Value, 6);
        Assert.Equal(40, SnmpDevicePoller.TotalAvailable(1000, 600)!.Value, 6);
        Assert.Null(SnmpDevicePoller.TotalAvailable(0, 0));
    }
}
