using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Protocol;
using Monitoring.Collectors.Modbus.Tests.Peers;

namespace Monitoring.Collectors.Modbus.Tests;

/// <summary>
/// How the client cuts responses out of the byte stream and matches them to requests, against a real socket server
/// that sends exactly the bytes each test scripts: split responses, several in one segment, unknown and late transaction
/// ids, exception responses, a server closing an idle connection.
/// </summary>
public sealed class FramingTests
{
    private static ModbusTcpClientOptions Options(double timeoutSeconds = 10, int maxInFlight = 1) => new()
    {
        RequestTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        MaxInFlight = maxInFlight,
        ReconnectDelay = TimeSpan.Zero,
        MaxReconnectDelay = TimeSpan.Zero,
    };

    [Fact]
    public async Task A_response_that_arrives_in_pieces_is_put_back_together()
    {
        await using var peer = new ScriptedModbusPeer();
        await using var client = new ModbusTcpClient(peer.EndPoint, Options());
        var registers = new ushort[5];

        var read = client.ReadHoldingRegistersAsync(1, 20, registers).AsTask();
        var connection = await peer.AcceptAsync();
        var request = await connection.ReadRequestAsync();
        var response = ScriptedModbusPeer.RegistersResponse(request, 20, 21, 22, 23, 24);
        // Header split after 3 bytes, the rest of the header alone, then the PDU in two pieces. The pauses only make
        // separate TCP segments (so separate reads) likely; the assertion holds however the bytes arrive.
        foreach (var piece in new[] { response[..3], response[3..7], response[7..10], response[10..] })
        {
            await connection.SendAsync(piece);
            await Task.Delay(30);
        }

        await read;
        Assert.Equal(new ushort[] { 20, 21, 22, 23, 24 }, registers);
    }

    [Fact]
    public async Task Two_responses_in_one_segment_answer_both_requests_whatever_their_order()
    {
        await using var peer = new ScriptedModbusPeer();
        await using var client = new ModbusTcpClient(peer.EndPoint, Options(maxInFlight: 2));
        var first = new ushort[2];
        var second = new ushort[3];

        var readFirst = client.ReadHoldingRegistersAsync(1, 100, first).AsTask();
        var connection = await peer.AcceptAsync();
        var readSecond = client.ReadInputRegistersAsync(2, 200, second).AsTask();
        var requests = new[] { await connection.ReadRequestAsync(), await connection.ReadRequestAsync() };
        var byAddress = requests.ToDictionary(ScriptedModbusPeer.Address);

        // The second request's answer first, and both in one write.
        var answer = ScriptedModbusPeer.RegistersResponse(byAddress[200], 7, 8, 9).Concat(ScriptedModbusPeer.RegistersResponse(byAddress[100], 5, 6)).ToArray();
        await connection.SendAsync(answer);

        await Task.WhenAll(readFirst, readSecond);
        Assert.Equal(new ushort[] { 5, 6 }, first);
        Assert.Equal(new ushort[] { 7, 8, 9 }, second);
        Assert.Equal(1, peer.Connections);
    }

    [Fact]
    public async Task A_response_nobody_asked_for_drops_the_connection_and_fails_what_was_outstanding()
    {
        await using var peer = new ScriptedModbusPeer();
        await using var client = new ModbusTcpClient(peer.EndPoint, Options(maxInFlight: 2));
        var answered = new ushort[1];
        var outstanding = new ushort[1];

        var readAnswered = client.ReadHoldingRegistersAsync(1, 1, answered).AsTask();
        var connection = await peer.AcceptAsync();
        var readOutstanding = client.ReadHoldingRegistersAsync(1, 2, outstanding).AsTask();
        var requests = new[] { await connection.ReadRequestAsync(), await connection.ReadRequestAsync() };
        var byAddress = requests.ToDictionary(ScriptedModbusPeer.Address);
        var stranger = ScriptedModbusPeer.RegistersResponse(byAddress[1], 99);
        stranger[0] ^= 0x80; // a transaction id neither request has
        Assert.DoesNotContain(ScriptedModbusPeer.TransactionId(stranger), requests.Select(ScriptedModbusPeer.TransactionId));

        await connection.SendAsync([.. ScriptedModbusPeer.RegistersResponse(byAddress[1], 11), .. stranger]);

        await readAnswered;
        Assert.Equal(11, answered[0]);
        var error = await Assert.ThrowsAsync<ModbusRequestException>(() => readOutstanding);
        Assert.Equal(ModbusErrorKind.InvalidResponse, error.Kind);
        Assert.Equal(ModbusDecodeStatus.TransactionIdMismatch, error.DecodeStatus);
        Assert.True(await connection.ClosedByClientAsync());

        // The next request opens a new connection.
        var again = client.ReadHoldingRegistersAsync(1, 3, answered).AsTask();
        var second = await peer.AcceptAsync();
        var request = await second.ReadRequestAsync();
        await second.SendAsync(ScriptedModbusPeer.RegistersResponse(request, 33));
        await again;
        Assert.Equal(33, answered[0]);
        Assert.Equal(2, peer.Connections);
    }

    [Fact]
    public async Task A_reply_after_the_timeout_is_discarded_and_the_connection_kept()
    {
        await using var peer = new ScriptedModbusPeer();
        await using var client = new ModbusTcpClient(peer.EndPoint, Options(timeoutSeconds: 0.3));
        var registers = new ushort[2];

        var slow = client.ReadHoldingRegistersAsync(1, 40, registers).AsTask();
        var connection = await peer.AcceptAsync();
        var slowRequest = await connection.ReadRequestAsync();
        var timedOut = await Assert.ThrowsAsync<ModbusRequestException>(() => slow);
        Assert.Equal(ModbusErrorKind.Timeout, timedOut.Kind);

        var next = client.ReadHoldingRegistersAsync(1, 50, registers).AsTask();
        var nextRequest = await connection.ReadRequestAsync();
        Assert.NotEqual(ScriptedModbusPeer.TransactionId(slowRequest), ScriptedModbusPeer.TransactionId(nextRequest));
        // The late reply (with other values) and then the real one, in one segment.
        await connection.SendAsync([.. ScriptedModbusPeer.RegistersResponse(slowRequest, 1, 1), .. ScriptedModbusPeer.RegistersResponse(nextRequest, 50, 51)]);

        await next;
        Assert.Equal(new ushort[] { 50, 51 }, registers);
        Assert.Equal(1, peer.Connections);
        Assert.True(peer.NoConnectionWaiting());
        Assert.Equal(0, client.ConsecutiveFailures);
    }

    [Fact]
    public async Task A_reply_after_a_cancellation_is_discarded_and_the_connection_kept()
    {
        await using var peer = new ScriptedModbusPeer();
        await using var client = new ModbusTcpClient(peer.EndPoint, Options());
        var registers = new ushort[1];
        using var cancel = new CancellationTokenSource();

        var cancelled = client.ReadHoldingRegistersAsync(1, 60, registers, cancel.Token).AsTask();
        var connection = await peer.AcceptAsync();
        var cancelledRequest = await connection.ReadRequestAsync();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        var next = client.ReadHoldingRegistersAsync(1, 61, registers).AsTask();
        var nextRequest = await connection.ReadRequestAsync();
        await connection.SendAsync(ScriptedModbusPeer.RegistersResponse(cancelledRequest, 1), ScriptedModbusPeer.RegistersResponse(nextRequest, 61));

        await next;
        Assert.Equal(61, registers[0]);
        Assert.Equal(1, peer.Connections);
    }

    [Fact]
    public async Task An_exception_response_is_a_device_exception_and_the_connection_stays()
    {
        await using var peer = new ScriptedModbusPeer();
        await using var client = new ModbusTcpClient(peer.EndPoint, Options());
        var registers = new ushort[1];

        var refused = client.ReadInputRegistersAsync(3, 9000, registers).AsTask();
        var connection = await peer.AcceptAsync();
        var request = await connection.ReadRequestAsync();
        var exception = ScriptedModbusPeer.ExceptionResponse(request, 2);
        await connection.SendAsync(exception[..5], exception[5..]);

        var error = await Assert.ThrowsAsync<ModbusRequestException>(() => refused);
        Assert.Equal(ModbusErrorKind.DeviceException, error.Kind);
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, error.ExceptionCode);
        Assert.Equal(3, error.UnitId);

        var next = client.ReadInputRegistersAsync(3, 1, registers).AsTask();
        await connection.SendAsync(ScriptedModbusPeer.RegistersResponse(await connection.ReadRequestAsync(), 4));
        await next;
        Assert.Equal(4, registers[0]);
        Assert.Equal(1, peer.Connections);
    }

    [Fact]
    public async Task A_server_that_closes_an_idle_connection_costs_no_request()
    {
        await using var peer = new ScriptedModbusPeer();
        await using var client = new ModbusTcpClient(peer.EndPoint, Options());
        var registers = new ushort[1];

        var first = client.ReadHoldingRegistersAsync(1, 5, registers).AsTask();
        var connection = await peer.AcceptAsync();
        await connection.SendAsync(ScriptedModbusPeer.RegistersResponse(await connection.ReadRequestAsync(), 5));
        await first;
        connection.Close();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (client.IsConnected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.False(client.IsConnected);
        var second = client.ReadHoldingRegistersAsync(1, 6, registers).AsTask();
        var reconnected = await peer.AcceptAsync();
        await reconnected.SendAsync(ScriptedModbusPeer.RegistersResponse(await reconnected.ReadRequestAsync(), 6));
        await second;
        Assert.Equal(6, registers[0]);
        Assert.Equal(0, client.ConsecutiveFailures);
    }

    [Fact]
    public async Task Disposing_the_client_in_the_continuation_of_its_own_response_neither_hangs_nor_throws()
    {
        await using var peer = new ScriptedModbusPeer();
        var client = new ModbusTcpClient(peer.EndPoint, Options());
        var registers = new ushort[1];

        var readThenDispose = ReadThenDisposeAsync();
        var connection = await peer.AcceptAsync();
        await connection.SendAsync(ScriptedModbusPeer.RegistersResponse(await connection.ReadRequestAsync(), 8));

        await readThenDispose.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(8, registers[0]);
        Assert.True(await connection.ClosedByClientAsync());

        async Task ReadThenDisposeAsync()
        {
            await client.ReadHoldingRegistersAsync(1, 8, registers);
            await client.DisposeAsync(); // runs on the thread that received the response
        }
    }
}
