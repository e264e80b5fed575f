using System.Net;
using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Polling;
using Monitoring.Collectors.Modbus.Protocol;
using Monitoring.Collectors.Modbus.Tests.Peers;
using Monitoring.Core.Series;
using Monitoring.Simulator.Modbus;

namespace Monitoring.Collectors.Modbus.Tests;

/// <summary>The collector polling the demo room's simulated Modbus devices over real TCP on loopback.</summary>
#pragma warning disable CA1001 // the room and collector are disposed in DisposeAsync (IAsyncLifetime)
public sealed class SimulatorCollectorTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero));
    private ModbusDemoRoom _room = null!;
    private ModbusCollector _collector = null!;
    private SeriesRegistry _registry = null!;

    public async Task InitializeAsync()
    {
        _room = new ModbusDemoRoom(DemoProfiles.Inventory, DemoProfiles.Profiles, seed: 7, _clock);
        await _room.StartAsync();
        _registry = new SeriesRegistry(DemoProfiles.Inventory);
        _collector = ModbusCollector.Create(
            DemoProfiles.Inventory, _registry, DemoProfiles.Profiles, new ModbusCollectorOptions { EndPointOverride = _room.EndPointFor, DefaultTimeout = TimeSpan.FromMilliseconds(500) });
    }

    public async Task DisposeAsync()
    {
        await _collector.DisposeAsync();
        await _room.DisposeAsync();
    }

    [Fact]
    public void Every_modbus_device_of_the_demo_room_is_polled_and_the_gateway_sensors_share_one_connection()
    {
        var modbus = DemoProfiles.Inventory.Devices.Where(d => d.Profile?.StartsWith("modbus/", StringComparison.Ordinal) == true).Select(d => d.Id).Order().ToArray();

        Assert.Equal(modbus, _collector.Pollers.Select(p => p.DeviceId).Order().ToArray());
        Assert.Empty(_collector.Problems);
        Assert.Equal(modbus.ToHashSet(), _room.ServedDeviceIds.ToHashSet());
        var sensors = _collector.Pollers.Where(p => p.Profile.Id == "modbus/th-sensor").ToList();
        Assert.Equal(6, sensors.Count);
        Assert.Single(sensors.Select(p => p.Client).Distinct());
        Assert.Equal(6, sensors.Select(p => p.UnitId).Distinct().Count());
        var addresses = DemoProfiles.Inventory.Devices.Where(d => modbus.Contains(d.Id)).Select(d => d.Address).Distinct().Count();
        Assert.Equal(addresses, _collector.Connections);
    }

    [Fact]
    public async Task Each_device_reports_the_values_the_simulator_serves()
    {
        var sink = new RecordingSink();
        foreach (var poller in _collector.Pollers)
        {
            var result = await poller.PollAsync(sink, CancellationToken.None);
            Assert.True(result.Outcome == PollOutcome.Ok, $"{poller.DeviceId}: {result.Outcome} {result.Message}");
            Assert.Equal(poller.Profile.Map.Points.Count, result.Samples);
        }

        var now = _clock.GetUtcNow();
        foreach (var sample in sink.Samples)
        {
            var series = _registry[sample.SeriesId];
            var device = DemoProfiles.Inventory.Devices[series.DeviceIndex];
            var expected = _room.ValueAt(device.Id, series.Metric, now);
            var resolution = series.Metric.StartsWith("lamp.", StringComparison.Ordinal) || series.Metric is "ups.runtime" or "ups.mode" or "aircon.state" ? 0.5 : 0.051;
            Assert.True(Math.Abs(expected - sample.Value) <= resolution, $"{device.Id} {series.Metric}: served {expected}, collected {sample.Value}");
            Assert.InRange(DateTimeOffset.UnixEpoch.AddTicks(sample.TimestampNs / 100), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
        }

        var ups = sink.Samples.Where(s => _registry[s.SeriesId].Metric == "ups.mode").ToList();
        Assert.Equal(2, ups.Count);
        Assert.All(ups, s => Assert.Equal(1, s.Value)); // online
        var hot = sink.Samples.Single(s => _registry[s.SeriesId].Metric == "environment.temperature" && DemoProfiles.Inventory.Devices[_registry[s.SeriesId].DeviceIndex].Id == "th-hot-aisle");
        Assert.InRange(hot.Value, 25, 40);
    }

    [Fact]
    public async Task A_mains_failure_puts_the_ups_on_battery_and_its_charge_and_runtime_fall()
    {
        var ups = _collector.Pollers.Single(p => p.DeviceId == "ups-1");
        var map = ups.Profile.Map;
        var sink = new RecordingSink();
        await ups.PollAsync(sink, CancellationToken.None);
        var before = ups.LastValues.ToArray();
        Assert.Equal(1, before[map.IndexOf("ups.mode")]);
        Assert.Equal(100, before[map.IndexOf("ups.battery")], 1);

        _room.FailMains();
        _clock.Advance(TimeSpan.FromMinutes(2));
        await ups.PollAsync(sink, CancellationToken.None);
        var after = ups.LastValues.ToArray();

        Assert.Equal(2, after[map.IndexOf("ups.mode")]); // on battery
        Assert.True(map.Points[map.IndexOf("ups.mode")].TryGetState(after[map.IndexOf("ups.mode")], out var state));
        Assert.Equal("on battery", state);
        Assert.Equal(0, after[map.IndexOf("ups.input_voltage")]);
        Assert.True(after[map.IndexOf("ups.battery")] < before[map.IndexOf("ups.battery")] - 10, $"battery {after[map.IndexOf("ups.battery")]}");
        Assert.True(after[map.IndexOf("ups.runtime")] < before[map.IndexOf("ups.runtime")], $"runtime {after[map.IndexOf("ups.runtime")]}");

        _room.RestoreMains();
        await ups.PollAsync(sink, CancellationToken.None);
        Assert.Equal(1, ups.LastValues[map.IndexOf("ups.mode")]);
    }

    [Fact]
    public async Task An_air_conditioning_failure_faults_the_units_and_temperatures_climb()
    {
        var sensor = _collector.Pollers.Single(p => p.DeviceId == "th-a02");
        var ac = _collector.Pollers.Single(p => p.DeviceId == "ac-1");
        var sink = new RecordingSink();
        await sensor.PollAsync(sink, CancellationToken.None);
        var before = sensor.LastValues[sensor.Profile.Map.IndexOf("environment.temperature")];

        _room.FailAirConditioning();
        _clock.Advance(TimeSpan.FromMinutes(5));
        await sensor.PollAsync(sink, CancellationToken.None);
        await ac.PollAsync(sink, CancellationToken.None);

        Assert.True(sensor.LastValues[sensor.Profile.Map.IndexOf("environment.temperature")] > before + 5);
        Assert.Equal(2, ac.LastValues[ac.Profile.Map.IndexOf("aircon.state")]);
    }

    [Fact]
    public async Task Failures_are_results_in_plain_words()
    {
        var sensor = _collector.Pollers.Single(p => p.DeviceId == "th-b01");
        var gateway = _room.Servers["10.10.9.30:502"];
        var sink = new RecordingSink();

        gateway.SetSilent(sensor.UnitId, true);
        var silent = await sensor.PollAsync(sink, CancellationToken.None);
        gateway.SetSilent(sensor.UnitId, false);
        Assert.Equal(PollOutcome.Timeout, silent.Outcome);
        Assert.Contains("no answer", silent.Message, StringComparison.Ordinal);
        Assert.Contains("timeout", silent.Message, StringComparison.Ordinal);
        Assert.Contains("no response within", silent.Message, StringComparison.Ordinal); // the words the CLI prints

        // a unit id nobody serves behind the gateway: the gateway answers exception 0x0B
        var ghost = new ModbusDevicePoller("ghost", 0, sensor.Client, 42, sensor.Profile, new SeriesRegistry(), TimeSpan.FromSeconds(5));
        var refused = await ghost.PollAsync(sink, CancellationToken.None);
        Assert.Equal(PollOutcome.ProtocolError, refused.Outcome);
        Assert.Contains("exception 11", refused.Message, StringComparison.Ordinal);
        Assert.Contains("gateway", refused.Message, StringComparison.OrdinalIgnoreCase);

        // a port where nothing listens
        int closedPort;
        using (var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        await using var nowhere = new ModbusTcpClient(new IPEndPoint(IPAddress.Loopback, closedPort), new ModbusTcpClientOptions { ConnectTimeout = TimeSpan.FromSeconds(1) });
        var unreachable = await new ModbusDevicePoller("gone", 0, nowhere, 1, sensor.Profile, new SeriesRegistry(), TimeSpan.FromSeconds(5)).PollAsync(sink, CancellationToken.None);
        Assert.Equal(PollOutcome.Unreachable, unreachable.Outcome);
        Assert.Contains("cannot connect", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("connection refused", unreachable.Message, StringComparison.Ordinal);

        // the sensor itself still answers afterwards on the shared connection
        var again = await sensor.PollAsync(sink, CancellationToken.None);
        Assert.Equal(PollOutcome.Ok, again.Outcome);
    }

    [Fact]
    public async Task The_scheduler_polls_every_device_into_the_sink_and_records_health()
    {
        var health = new PollHealth();
        var sink = new RecordingSink();
        using var scheduler = new PollScheduler(TimeProvider.System, health, sink, Microsoft.Extensions.Logging.Abstractions.NullLogger<PollScheduler>.Instance);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = scheduler.RunAsync(_collector.Pollers, stop.Token);
        while (health.Snapshot().Count < _collector.Pollers.Count && !stop.IsCancellationRequested)
        {
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await run;
        var states = health.Snapshot();
        Assert.Equal(_collector.Pollers.Count, states.Count);
        Assert.All(states, s => Assert.True(s.LastOutcome == PollOutcome.Ok, $"{s.DeviceId}: {s.LastMessage}"));
        Assert.All(states, s => Assert.Equal(ModbusDevicePoller.CollectorName, s.Collector));
        Assert.True(sink.Samples.Count >= _collector.Pollers.Sum(p => p.Profile.Map.Points.Count));
    }

    [Fact]
    public async Task Mbpoll_reads_from_the_simulator_the_registers_the_simulator_says_it_serves()
    {
        var now = _clock.GetUtcNow();
        var ups = DemoProfiles.Inventory.FindDevice("ups-2")!;
        var port = ((IPEndPoint)_room.EndPointFor(ups)!).Port;

        var values = await Mbpoll.ReadAsync(port, _room.UnitIdOf("ups-2"), 0, 5, "3");

        string[] metrics = ["ups.input_voltage", "ups.output_voltage", "ups.load", "ups.battery"];
        for (var i = 0; i < metrics.Length; i++)
        {
            Assert.Equal(Math.Round(_room.ValueAt("ups-2", metrics[i], now) * 10), values[i]);
        }

        Assert.Equal(Math.Round(_room.ValueAt("ups-2", "ups.runtime", now)), values[4]);

        // the sensors behind the gateway: holding registers, int16 x10, one port, unit ids 1..6
        var gatewayPort = ((IPEndPoint)_room.Servers["10.10.9.30:502"].EndPoint).Port;
        var sensor = await Mbpoll.ReadAsync(gatewayPort, _room.UnitIdOf("th-c05"), 0, 2, "4");
        Assert.Equal(Math.Round(_room.ValueAt("th-c05", "environment.humidity", now) * 10), sensor[0]);
        Assert.Equal(Math.Round(_room.ValueAt("th-c05", "environment.temperature", now) * 10), sensor[1]);

        // the lamp's coils: green on at start
        var lamp = DemoProfiles.Inventory.FindDevice("lamp-1")!;
        var coils = await Mbpoll.ReadAsync(((IPEndPoint)_room.EndPointFor(lamp)!).Port, 1, 0, 4, "0");
        Assert.Equal([0.0, 0.0, 1.0, 0.0], coils);
    }

    [Fact]
    public async Task The_simulated_lamp_takes_coil_writes_and_the_lamp_driver_reads_them_back()
    {
        var lampDevice = DemoProfiles.Inventory.FindDevice("lamp-1")!;
        var client = _collector.Pollers.Single(p => p.DeviceId == "lamp-1").Client;
        var lamp = new AlarmLamp(client, 1, AlarmLampCoils.Consecutive(0));

        await lamp.SetAsync(AlarmLampSignals.Red | AlarmLampSignals.Buzzer);

        Assert.Equal(AlarmLampSignals.Red | AlarmLampSignals.Buzzer, await lamp.ReadAsync());
        Assert.Equal([true, false, false, true], _room.UnitOf(lampDevice.Id).Coils[..4]);
        var sink = new RecordingSink();
        var poller = _collector.Pollers.Single(p => p.DeviceId == "lamp-1");
        await poller.PollAsync(sink, CancellationToken.None);
        Assert.Equal(1, poller.LastValues[poller.Profile.Map.IndexOf("lamp.red")]);
        Assert.Equal(0, poller.LastValues[poller.Profile.Map.IndexOf("lamp.green")]);
    }

    [Fact]
    public async Task The_simulator_server_speaks_every_function_code_and_refuses_bad_requests()
    {
        var ups = DemoProfiles.Inventory.FindDevice("ups-1")!;
        await using var client = new ModbusTcpClient(_room.EndPointFor(ups)!);

        await client.WriteSingleRegisterAsync(1, 3, 1234);
        await client.WriteMultipleRegistersAsync(1, 5, new ushort[] { 7, 8, 9 });
        var holding = new ushort[6];
        await client.ReadHoldingRegistersAsync(1, 3, holding);
        Assert.Equal(new ushort[] { 1234, 0, 7, 8, 9, 0 }, holding);

        await client.WriteSingleCoilAsync(1, 2, true);
        await client.WriteMultipleCoilsAsync(1, 4, new[] { true, false, true });
        var coils = new bool[6];
        await client.ReadCoilsAsync(1, 2, coils);
        Assert.Equal(new[] { true, false, true, false, true, false }, coils);
        var inputs = new bool[4];
        await client.ReadDiscreteInputsAsync(1, 0, inputs);
        Assert.All(inputs, Assert.False);

        var tooFar = await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ReadInputRegistersAsync(1, 60_000, new ushort[2]));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, tooFar.ExceptionCode);
        var unknownFunction = await Assert.ThrowsAsync<ModbusRequestException>(async () => await client.ExecuteRawAsync(1, 0x2B, new byte[] { 0x0E, 0x01, 0x00 }));
        Assert.Equal(ModbusExceptionCode.IllegalFunction, unknownFunction.ExceptionCode);

        // still serving after the refusals
        var registers = new ushort[1];
        await client.ReadInputRegistersAsync(1, 10, registers);
        Assert.Equal(1, registers[0]);
    }
}
