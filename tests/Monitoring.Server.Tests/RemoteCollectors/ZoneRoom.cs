using System.Globalization;
using Monitoring.Server.Hosting;
using Monitoring.Simulator.Modbus;

namespace Monitoring.Server.Tests.RemoteCollectors;

/// <summary>
/// A copy of device-profiles/ with one more room, "zones" (zone west on the room): temperature/humidity sensors that
/// answer on a real Modbus TCP server on loopback, two of them in zone east (<see cref="EastDevices"/>, the device's own
/// zone: key) and one left in west. A one-second profile (modbus/th-fast) keeps the tests short.
/// </summary>
internal sealed class ZoneRoom : IAsyncDisposable
{
    public static readonly string[] EastDevices = ["th-east-1", "th-east-2"];
    public const string WestDevice = "th-west-1";

    private ZoneRoom(string directory, ModbusTcpServer modbus)
    {
        ProfilesDirectory = directory;
        Modbus = modbus;
    }

    public string ProfilesDirectory { get; }

    public ModbusTcpServer Modbus { get; }

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
        var address = $"127.0.0.1:{modbus.EndPoint.Port.ToString(CultureInfo.InvariantCulture)}";
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
        return new ZoneRoom(directory, modbus);
    }

    public async ValueTask DisposeAsync()
    {
        await Modbus.DisposeAsync();
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
