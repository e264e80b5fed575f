using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Protocol;
using Monitoring.Collectors.Modbus.Tests.Peers;

namespace Monitoring.Collectors.Modbus.Tests;

/// <summary>Servers that close, stay silent or answer wrongly on purpose; the healthy device is a real pymodbus server.</summary>
public sealed class MisbehavingServerTests(PymodbusServer healthy) : IClassFixture<PymodbusServer>
{
    private static ModbusTcpClientOptions Options(double timeoutSeconds = 2, int maxInFlight = 1) => new()
    {
        RequestTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        MaxInFlight = maxInFlight,
        ReconnectDelay = TimeSpan.FromMilliseconds(20),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public async Task A_server_that_closes_mid_request_fails_that_request_and_the_next_one_reconnects()
    {
        await using var server = new FakeModbusServer(FakeBehaviour.Close, FakeBehaviour.Answer);
        await using var client = new ModbusTcpClient(server.EndPoint, Options());
        var registers = new ushort[3];

        var error = await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ReadHoldingRegistersAsync(4, 10, registers));
        Assert.Equal(ModbusErrorKind.ConnectionClosed, error.Kind);
        Assert.Equal(4, error.UnitId);

        await client.ReadHoldingRegistersAsync(4, 10, registers);
        Assert.Equal(new ushort[] { 10, 11, 12 }, registers);
        Assert.Equal(2, server.Connections);
        Assert.Equal(0, client.ConsecutiveFailures);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_while_a_healthy_device_is_polled_on_time()
    {
        await using var silentServer = new FakeModbusServer(FakeBehaviour.Silent);
        await using var silentClient = new ModbusTcpClient(silentServer.EndPoint, Options(timeoutSeconds: 5));
        await using var healthyClient = new ModbusTcpClient(healthy.EndPoint, Options(timeoutSeconds: 2));

        var silent = silentClient.ReadHoldingRegistersAsync(1, 0, new ushort[2]).AsTask();
        var registers = new ushort[2];
        for (var poll = 0; poll < 3; poll++)
        {
            // Each healthy poll has its own 2 s timeout: it could not succeed if the silent device held it up.
            await healthyClient.ReadHoldingRegistersAsync(1, 0, registers);
            Assert.Equal(PymodbusServer.HoldingValue(1, 0), registers[0]);
        }

        Assert.False(silent.IsCompleted);
        var error = await Assert.ThrowsAsync<ModbusRequestException>(() => silent);
        Assert.Equal(ModbusErrorKind.Timeout, error.Kind);
        Assert.Equal(1, silentServer.Requests);
    }

    [Fact]
    public async Task A_unit_that_never_answers_behind_a_gateway_times_out_without_holding_up_the_other_units()
    {
        await using var gateway = new FakeModbusServer(FakeBehaviour.Answer) { SilentUnit = 9 };
        await using var client = new ModbusTcpClient(gateway.EndPoint, Options(timeoutSeconds: 3, maxInFlight: 4));

        var silent = client.ReadHoldingRegistersAsync(9, 0, new ushort[1]).AsTask();
        var registers = new ushort[2];
        await client.ReadHoldingRegistersAsync(1, 40, registers);
        await client.ReadHoldingRegistersAsync(2, 50, registers);

        Assert.False(silent.IsCompleted);
        Assert.Equal(new ushort[] { 50, 51 }, registers);
        var error = await Assert.ThrowsAsync<ModbusRequestException>(() => silent);
        Assert.Equal(ModbusErrorKind.Timeout, error.Kind);
        Assert.Equal(9, error.UnitId);
        Assert.Equal(1, gateway.Connections);
    }

    [Theory]
    [InlineData(FakeBehaviour.WrongUnitId, ModbusDecodeStatus.UnitIdMismatch, false)]
    [InlineData(FakeBehaviour.WrongFunction, ModbusDecodeStatus.FunctionCodeMismatch, false)]
    [InlineData(FakeBehaviour.WrongByteCount, ModbusDecodeStatus.ByteCountMismatch, false)]
    [InlineData(FakeBehaviour.ShortPdu, ModbusDecodeStatus.LengthMismatch, false)]
    [InlineData(FakeBehaviour.WrongTransactionId, ModbusDecodeStatus.TransactionIdMismatch, true)]
    [InlineData(FakeBehaviour.WrongProtocolId, ModbusDecodeStatus.ProtocolIdInvalid, true)]
    [InlineData(FakeBehaviour.OversizedLength, ModbusDecodeStatus.LengthMismatch, true)]
    public async Task A_response_that_does_not_match_the_request_is_rejected(FakeBehaviour wrong, ModbusDecodeStatus expected, bool dropsConnection)
    {
        await using var server = new FakeModbusServer(wrong, FakeBehaviour.Answer);
        await using var client = new ModbusTcpClient(server.EndPoint, Options());
        var registers = new ushort[4];

        var error = await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ReadHoldingRegistersAsync(1, 100, registers));
        Assert.Equal(ModbusErrorKind.InvalidResponse, error.Kind);
        Assert.Equal(expected, error.DecodeStatus);
        Assert.All(registers, r => Assert.Equal(0, r));

        // A well-framed but wrong answer leaves the stream in step; a framing error or an unknown transaction does not,
        // so the client drops that connection and the next request opens a new one.
        await client.ReadHoldingRegistersAsync(1, 100, registers);
        Assert.Equal(new ushort[] { 100, 101, 102, 103 }, registers);
        Assert.Equal(dropsConnection ? 2 : 1, server.Connections);
    }

    [Fact]
    public async Task Garbage_answers_only_ever_surface_as_typed_errors()
    {
        await using var server = new FakeModbusServer(FakeBehaviour.Garbage);
        await using var client = new ModbusTcpClient(server.EndPoint, Options(timeoutSeconds: 0.3));
        var kinds = new HashSet<ModbusErrorKind>();
        for (var i = 0; i < 40; i++)
        {
            var error = await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ReadInputRegistersAsync(1, 0, new ushort[2]));
            kinds.Add(error.Kind);
        }

        Assert.True(server.Requests >= 10, $"only {server.Requests} requests reached the server");
        Assert.Contains(ModbusErrorKind.InvalidResponse, kinds);
        Assert.Subset(new HashSet<ModbusErrorKind> { ModbusErrorKind.InvalidResponse, ModbusErrorKind.Timeout, ModbusErrorKind.ConnectionClosed, ModbusErrorKind.BackingOff }, kinds);
    }
}
