using System.Globalization;
using Monitoring.Server.Hosting;
using Monitoring.Simulator.Modbus;

namespace Monitoring.Server.Tests.RemoteCollectors;

/// <summary>
/// A copy of device-profiles/ with one more room, "zones" (zone west on the room): temperature/humidity sensors that
/// answer on a real Modbus TCP server on loopback, two of them in zone east (<see cref="EastDevices"/>, the device's own
/// zone: key) and one left in west (units 1, 2 and 3). A one-second profile (modbus/th-fast) keeps the tests short.
/// <see cref="Create(string)"/> points the sensors at another Modbus server instead (a pymodbus peer).
/// </summary>
internal sealed class ZoneRoom : IAsyncDisposable
{
    public static readonly string[] EastDevices = ["th-east-1", "th-east-2"];
    public const string WestDevice = "th-west-1";
    private readonly ModbusTcpServer? _modbus;

    private ZoneRoom(string directory, ModbusTcpServer? modbus)
    {
        ProfilesDirectory = directory;
        _modbus = modbus;
    }

    public string ProfilesDirectory { get; }

    /// <summary>The simulator's Modbus server the sensors answer on (null when the room was made for another server).</summary>
    public ModbusTcpServer Modbus => _modbus ?? throw new InvalidOperationException("this room's sensors answer on another Modbus server");

    public static ZoneRoom Create()
    {
        var units = new Dictionary<byte, SimulatedUnit>();
        for (byte u = 1; u <= 3; u++)
        {
            var unit = new SimulatedUnit(4, 4, 4, 4);
            unit.HoldingRegisters[0] = (ushort)(450 + u);
            unit.HoldingRegisters[1] = (ushort)(220 + u);
            units[u] = unit;
        }

        var modbus = new ModbusTcpServer(units);
        modbus.Start();
        return new ZoneRoom(Write($"127.0.0.1:{modbus.EndPoint.Port.ToString(CultureInfo.InvariantCulture)}"), modbus);
    }

    /// <summary>The room with its sensors at <paramref name="modbusAddress"/> (host:port; units 1, 2, 3, holding registers 0 and 1).</summary>
    public static ZoneRoom Create(string modbusAddress) => new(Write(modbusAddress), null);

    private static string Write(string address)
    {
        var directory = Directory.CreateTempSubdirectory("monitoring-zones-").FullName;
        Copy(PathResolver.ProfilesDirectory(new MonitoringOptions()), directory);
        File.WriteAllText(Path.Combine(directory, "modbus", "th-fast.yaml"), """
            name: temperature/humidity transmitter polled every second (tests)
            pollIntervalSeconds: 1
            timeoutMs: 1000
            points:
              - { metric: environment.humidity, table: holding, address: 0, type: int16, scale: 0.1 }
              - { metric: environment.temperature, table: holding, address: 1, type: int16, scale: 0.1 }
            """);
        File.WriteAllText(Path.Combine(directory, "rooms", "zones.yaml"), $$"""
            id: zones
            name: Zone test room
            size: { width: 10, depth: 10, height: 3 }
            zone: west
            sensors:
              - { id: th-east-1, name: East 1, model: rs485-th-sensor, x: 1, y: 1, z: 1, address: "{{address}}", unitId: 1, profile: modbus/th-fast, zone: east }
              - { id: th-east-2, name: East 2, model: rs485-th-sensor, x: 2, y: 1, z: 1, address: "{{address}}", unitId: 2, profile: modbus/th-fast, zone: east }
              - { id: th-west-1, name: West 1, model: rs485-th-sensor, x: 3, y: 1, z: 1, address: "{{address}}", unitId: 3, profile: modbus/th-fast }
            """);
        return directory;
    }

    public async ValueTask DisposeAsync()
    {
        if (_modbus is not null)
        {
            await _modbus.DisposeAsync();
        }

        try
        {
            Directory.Delete(ProfilesDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void Copy(string from, string to)
    {
        foreach (var folder in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, folder)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}
