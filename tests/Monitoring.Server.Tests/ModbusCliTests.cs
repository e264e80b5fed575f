using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Core.Inventory;
using Monitoring.Server.Hosting;
using Monitoring.Simulator.Modbus;

namespace Monitoring.Server.Tests;

/// <summary>The verbs <c>poll DEVICE</c> and <c>modbus read</c>, run in-process against the demo room's simulated Modbus servers.</summary>
#pragma warning disable CA1001 // the room is disposed in DisposeAsync (IAsyncLifetime)
public sealed partial class ModbusCliTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private readonly FixedClock _clock = new(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
    private readonly string _profiles = PathResolver.ProfilesDirectory(new MonitoringOptions());
    private ModbusDemoRoom _room = null!;
    private Inventory _inventory = null!;

    public async Task InitializeAsync()
    {
        _inventory = InventoryLoader.Load(_profiles);
        _room = new ModbusDemoRoom(_inventory, ModbusProfileLoader.LoadFolder(_profiles), seed: 3, _clock);
        await _room.StartAsync();
    }

    public async Task DisposeAsync() => await _room.DisposeAsync();

    [Fact]
    public async Task Poll_prints_the_devices_values_as_line_protocol()
    {
        var endPoint = (IPEndPoint)_room.EndPointFor(_inventory.FindDevice("ups-1")!)!;

        var (code, output, error) = await RunAsync(ModbusCommands.PollAsync, "ups-1", "--profiles", _profiles, "--endpoint", $"127.0.0.1:{endPoint.Port}");

        Assert.True(code == 0, error);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var match = LineProtocol().Match(line);
        Assert.True(match.Success, line);
        Assert.Equal("ups", match.Groups["measurement"].Value);
        Assert.Equal("ups-1", match.Groups["device"].Value);
        var fields = match.Groups["fields"].Value.Split(',').Select(f => f.Split('=')).ToDictionary(f => f[0], f => double.Parse(f[1], CultureInfo.InvariantCulture));
        Assert.Equal(["battery", "input_voltage", "load", "mode", "output_voltage", "runtime"], fields.Keys.Order());
        var now = _clock.GetUtcNow();
        Assert.Equal(_room.ValueAt("ups-1", "ups.load", now), fields["load"], 0.051);
        Assert.Equal(_room.ValueAt("ups-1", "ups.input_voltage", now), fields["input_voltage"], 0.051);
        Assert.Equal(1, fields["mode"]);
    }

    [Fact]
    public async Task Poll_says_in_plain_words_why_a_device_cannot_be_polled()
    {
        int closed;
        using (var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            closed = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var (code, _, error) = await RunAsync(ModbusCommands.PollAsync, "th-a02", "--profiles", _profiles, "--endpoint", $"127.0.0.1:{closed}", "--timeout", "1000");
        Assert.Equal(1, code);
        Assert.Contains("cannot connect", error, StringComparison.Ordinal);

        var (unknown, _, unknownError) = await RunAsync(ModbusCommands.PollAsync, "no-such-device", "--profiles", _profiles);
        Assert.Equal(2, unknown);
        Assert.Contains("no device 'no-such-device'", unknownError, StringComparison.Ordinal);

        var (notModbus, _, notModbusError) = await RunAsync(ModbusCommands.PollAsync, "csw-1", "--profiles", _profiles);
        Assert.Equal(2, notModbus);
        Assert.Contains("no Modbus profile", notModbusError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Modbus_read_prints_raw_registers_and_coils_like_mbpoll()
    {
        var gateway = _room.Servers["10.10.9.30:502"].EndPoint.Port;
        var unit = _room.UnitIdOf("th-b04");

        var (code, output, error) = await RunAsync(
            ModbusCommands.ReadAsync, $"127.0.0.1:{gateway}", "--unit", unit.ToString(CultureInfo.InvariantCulture), "--table", "holding", "--address", "0", "--count", "2");

        Assert.True(code == 0, error);
        var now = _clock.GetUtcNow();
        var values = ValueLine().Matches(output).ToDictionary(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Equal(Math.Round(_room.ValueAt("th-b04", "environment.humidity", now) * 10), values[0]);
        Assert.Equal(Math.Round(_room.ValueAt("th-b04", "environment.temperature", now) * 10), values[1]);

        var lamp = (IPEndPoint)_room.EndPointFor(_inventory.FindDevice("lamp-1")!)!;
        var (coilCode, coils, _) = await RunAsync(ModbusCommands.ReadAsync, $"127.0.0.1:{lamp.Port}", "--unit", "1", "--table", "coil", "--address", "0", "--count", "4");
        Assert.Equal(0, coilCode);
        Assert.Equal(["0", "0", "1", "0"], ValueLine().Matches(coils).Select(m => m.Groups[2].Value));

        var (refused, _, refusedError) = await RunAsync(ModbusCommands.ReadAsync, $"127.0.0.1:{lamp.Port}", "--unit", "1", "--table", "input", "--address", "60000", "--count", "4");
        Assert.Equal(1, refused);
        Assert.Contains("exception", refusedError, StringComparison.OrdinalIgnoreCase);

        var (usage, _, usageError) = await RunAsync(ModbusCommands.ReadAsync, $"127.0.0.1:{lamp.Port}", "--unit", "1", "--table", "holdings", "--address", "0", "--count", "4");
        Assert.Equal(2, usage);
        Assert.Contains("usage:", usageError, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(
        Func<ReadOnlyMemory<string>, TextWriter, TextWriter, CancellationToken, Task<int>> verb, params string[] args)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);
        var code = await verb(args, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    [GeneratedRegex(@"^(?<measurement>[a-z_]+),device=(?<device>[^ ]+) (?<fields>\S+) (?<ts>\d+)$")]
    private static partial Regex LineProtocol();

    [GeneratedRegex(@"^\[(\d+)\]:\s+(-?\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ValueLine();

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
