using System.Net;
using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Tests.Peers;

namespace Monitoring.Collectors.Modbus.Tests;

/// <summary>Exponential backoff with jitter between reconnects, on an injected clock.</summary>
public class ReconnectBackoffTests
{
    /// <summary>A clock the test moves by hand; timers still run on real time, which these tests do not rely on.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = TimeSpan.FromDays(1).Ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    [Fact]
    public void Delays_double_per_failure_up_to_the_cap_within_the_jitter()
    {
        var options = new ModbusTcpClientOptions
        {
            ReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromSeconds(5),
            ReconnectJitter = 0.2,
        };

        Assert.Equal(TimeSpan.Zero, ModbusTcpClient.ReconnectDelay(0, options, 0.5));
        Assert.Equal(100, ModbusTcpClient.ReconnectDelay(1, options, 0.5).TotalMilliseconds, 6);
        Assert.Equal(200, ModbusTcpClient.ReconnectDelay(2, options, 0.5).TotalMilliseconds, 6);
        Assert.Equal(800, ModbusTcpClient.ReconnectDelay(4, options, 0.5).TotalMilliseconds, 6);
        Assert.Equal(5000, ModbusTcpClient.ReconnectDelay(50, options, 0.5).TotalMilliseconds, 6);
        Assert.Equal(80, ModbusTcpClient.ReconnectDelay(1, options, 0).TotalMilliseconds, 6);
        Assert.Equal(6000, ModbusTcpClient.ReconnectDelay(60, options, 1).TotalMilliseconds, 6);
    }

    [Fact]
    public async Task A_refused_connect_backs_off_and_the_next_attempt_waits_for_the_clock()
    {
        var clock = new ManualClock();
        var deadPort = FreePort.Next();
        await using var client = new ModbusTcpClient(
            new IPEndPoint(IPAddress.Loopback, deadPort),
            new ModbusTcpClientOptions { ReconnectDelay = TimeSpan.FromSeconds(10), MaxReconnectDelay = TimeSpan.FromMinutes(5), RequestTimeout = TimeSpan.FromSeconds(1) },
            clock);

        var first = await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ReadHoldingRegistersAsync(1, 0, new ushort[1]));
        Assert.Equal(ModbusErrorKind.ConnectFailed, first.Kind);
        Assert.Equal(1, client.ConsecutiveFailures);

        // Within the backoff the client does not touch the network: it fails fast, saying why.
        var backingOff = await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ReadHoldingRegistersAsync(1, 0, new ushort[1]));
        Assert.Equal(ModbusErrorKind.BackingOff, backingOff.Kind);
        Assert.Equal(1, client.ConsecutiveFailures);

        clock.Advance(TimeSpan.FromSeconds(13)); // past 10 s + 20 % jitter
        var second = await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ReadHoldingRegistersAsync(1, 0, new ushort[1]));
        Assert.Equal(ModbusErrorKind.ConnectFailed, second.Kind);
        Assert.Equal(2, client.ConsecutiveFailures);

        clock.Advance(TimeSpan.FromSeconds(13)); // the second delay is 20 s ± 20 %: still backing off
        var stillBackingOff = await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ReadHoldingRegistersAsync(1, 0, new ushort[1]));
        Assert.Equal(ModbusErrorKind.BackingOff, stillBackingOff.Kind);
    }

    [Fact]
    public async Task Once_the_server_is_back_the_client_reconnects_and_the_failures_reset()
    {
        var clock = new ManualClock();
        await using var server = new FakeModbusServer(FakeBehaviour.Close, FakeBehaviour.Close, FakeBehaviour.Answer);
        await using var client = new ModbusTcpClient(
            server.EndPoint,
            new ModbusTcpClientOptions { ReconnectDelay = TimeSpan.FromSeconds(10), MaxReconnectDelay = TimeSpan.FromMinutes(5), RequestTimeout = TimeSpan.FromSeconds(2) },
            clock);
        var registers = new ushort[1];

        Assert.Equal(ModbusErrorKind.ConnectionClosed, (await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ReadHoldingRegistersAsync(1, 7, registers))).Kind);
        Assert.Equal(ModbusErrorKind.BackingOff, (await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ReadHoldingRegistersAsync(1, 7, registers))).Kind);
        clock.Advance(TimeSpan.FromSeconds(13));
        Assert.Equal(ModbusErrorKind.ConnectionClosed, (await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ReadHoldingRegistersAsync(1, 7, registers))).Kind);
        Assert.Equal(2, client.ConsecutiveFailures);
        clock.Advance(TimeSpan.FromSeconds(25));

        await client.ReadHoldingRegistersAsync(1, 7, registers);

        Assert.Equal(7, registers[0]);
        Assert.Equal(0, client.ConsecutiveFailures);
        Assert.Equal(3, server.Connections);
    }

    [Fact]
    public async Task Cancellation_stops_a_request_that_is_waiting_for_an_answer()
    {
        await using var server = new FakeModbusServer(FakeBehaviour.Silent);
        await using var client = new ModbusTcpClient(server.EndPoint, new ModbusTcpClientOptions { RequestTimeout = TimeSpan.FromMinutes(1) });
        using var cancel = new CancellationTokenSource();

        var read = client.ReadHoldingRegistersAsync(1, 0, new ushort[1], cancel.Token).AsTask();
        while (server.Requests == 0)
        {
            await Task.Delay(10);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }
}
