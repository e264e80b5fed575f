using System.Net;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Modbus.Registers;
using Monitoring.Core.Inventory;

namespace Monitoring.Simulator.Modbus;

/// <summary>
/// The demo room's Modbus devices as real Modbus TCP servers on loopback: one server per address of the room file, so
/// the sensors behind the gateway share one port with their unit ids, and every UPS, air conditioner and the alarm lamp
/// has its own. Values move with the clock, and two scripted events change them: a mains failure (every UPS goes on
/// battery, its charge falls and its runtime drops) and an air-conditioning failure (the units fault, supply air and
/// room temperatures climb). The room file's addresses stay real-world labels: <see cref="EndPointFor"/> says where each
/// device really answers.
/// </summary>
public sealed class ModbusDemoRoom : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly int _seed;
    private readonly Dictionary<string, (string Address, byte Unit, Device Device, ModbusProfile Profile)> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ModbusTcpServer> _servers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimulatedUnit> _units = new(StringComparer.Ordinal);
    // UTC ticks when the event began, 0 = not on; read by the servers' connection tasks, set by whoever scripts the demo
    private long _mainsFailedAt;
    private long _coolingFailedAt;
    // injected faults: a reading's offset (sensor drift) by device and metric, and the silent devices
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Device, string Metric), double> _offsets = new();
    private readonly HashSet<string> _silentDevices = new(StringComparer.Ordinal);

    public ModbusDemoRoom(Inventory inventory, IReadOnlyDictionary<string, ModbusProfile> profiles, int seed, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(profiles);
        _time = time ?? TimeProvider.System;
        _seed = seed;
        var taken = new HashSet<(string, byte)>();
        foreach (var device in inventory.Devices)
        {
            if (!device.Training && device.Profile is { } id && profiles.TryGetValue(id, out var profile) && device.Address is { Length: > 0 } address
                && device.UnitId is null or (>= 0 and <= 255) && taken.Add((address, (byte)(device.UnitId ?? 1))))
            {
                _devices[device.Id] = (address, (byte)(device.UnitId ?? 1), device, profile);
            }
        }

        ServedDeviceIds = _devices.Keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The devices whose values come from these servers (the line-protocol demo feed leaves them alone).</summary>
    public IReadOnlySet<string> ServedDeviceIds { get; }

    public bool IsStarted => _servers.Count > 0;

    /// <summary>The servers by the room file's address.</summary>
    public IReadOnlyDictionary<string, ModbusTcpServer> Servers => _servers;

    /// <summary>Mains power lost: every UPS on battery from now until <see cref="RestoreMains"/>.</summary>
    public void FailMains() => Interlocked.CompareExchange(ref _mainsFailedAt, _time.GetUtcNow().UtcTicks, 0);

    public void RestoreMains() => Interlocked.Exchange(ref _mainsFailedAt, 0);

    /// <summary>Air conditioning lost: the units fault and temperatures climb until <see cref="RestoreAirConditioning"/>.</summary>
    public void FailAirConditioning() => Interlocked.CompareExchange(ref _coolingFailedAt, _time.GetUtcNow().UtcTicks, 0);

    public void RestoreAirConditioning() => Interlocked.Exchange(ref _coolingFailedAt, 0);

    public bool MainsFailed => Interlocked.Read(ref _mainsFailedAt) != 0;

    public bool AirConditioningFailed => Interlocked.Read(ref _coolingFailedAt) != 0;

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsStarted)
        {
            return Task.CompletedTask;
        }

        foreach (var group in _devices.GroupBy(d => d.Value.Address, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var units = new Dictionary<byte, SimulatedUnit>();
            foreach (var (deviceId, (_, unitId, device, profile)) in group)
            {
                var unit = CreateUnit(device, profile);
                units[unitId] = unit;
                _units[deviceId] = unit;
            }

            var server = new ModbusTcpServer(units);
            lock (_silentDevices)
            {
                foreach (var (deviceId, (_, unitId, _, _)) in group)
                {
                    server.SetSilent(unitId, _silentDevices.Contains(deviceId));
                }

                server.Start();
                _servers[group.Key] = server;
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Where a served device really answers (a loopback port), or null for a device this room does not serve.</summary>
    public EndPoint? EndPointFor(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return _devices.TryGetValue(device.Id, out var entry) && _servers.TryGetValue(entry.Address, out var server) ? server.EndPoint : null;
    }

    /// <summary>Whether the device's profile serves <paramref name="metric"/> (a point of that name).</summary>
    public bool Serves(string deviceId, string metric) =>
        _devices.TryGetValue(deviceId, out var entry) && entry.Profile.Map.Points.Any(p => string.Equals(p.Name, metric, StringComparison.Ordinal));

    /// <summary>Offsets a reading the device serves by <paramref name="offset"/> (0 removes it): an injected sensor drift.</summary>
    public void SetOffset(string deviceId, string metric, double offset)
    {
        if (offset == 0)
        {
            _offsets.TryRemove((deviceId, metric), out _);
        }
        else
        {
            _offsets[(deviceId, metric)] = offset;
        }
    }

    /// <summary>A served device stops answering (its unit on its server gets no reply), or answers again (also before start).</summary>
    public bool SetSilent(string deviceId, bool silent)
    {
        if (!_devices.TryGetValue(deviceId, out var entry))
        {
            return false;
        }

        lock (_silentDevices)
        {
            if (silent)
            {
                _silentDevices.Add(deviceId);
            }
            else
            {
                _silentDevices.Remove(deviceId);
            }

            if (_servers.TryGetValue(entry.Address, out var server))
            {
                server.SetSilent(entry.Unit, silent);
            }
        }

        return true;
    }

    /// <summary>Removes every injected offset and makes every unit answer again.</summary>
    public void HealInjected()
    {
        _offsets.Clear();
        lock (_silentDevices)
        {
            _silentDevices.Clear();
        }

        foreach (var (_, (address, unit, _, _)) in _devices)
        {
            if (_servers.TryGetValue(address, out var server))
            {
                server.SetSilent(unit, false);
            }
        }
    }

    /// <summary>The unit id a served device answers on.</summary>
    public byte UnitIdOf(string deviceId) => _devices[deviceId].Unit;

    /// <summary>The tables of a served device, once started.</summary>
    public SimulatedUnit UnitOf(string deviceId) => _units[deviceId];

    /// <summary>The engineering value the simulator serves for a device's metric at <paramref name="at"/>.</summary>
    public double ValueAt(string deviceId, string metric, DateTimeOffset at) =>
        BaseValueAt(deviceId, metric, at) + (_offsets.IsEmpty ? 0 : _offsets.GetValueOrDefault((deviceId, metric)));

    private double BaseValueAt(string deviceId, string metric, DateTimeOffset at)
    {
        var device = _devices[deviceId].Device;
        var t = (at - DateTimeOffset.UnixEpoch).TotalSeconds;
        var phase = (Math.Abs(HashCode.Combine(_seed, StableHash(deviceId))) % 1000) / 1000.0 * 2 * Math.PI;
        var wave = Math.Sin((t / 300.0) + phase);
        var mains = Since(Interlocked.Read(ref _mainsFailedAt), at);
        var cooling = Since(Interlocked.Read(ref _coolingFailedAt), at);
        var battery = mains is { } s ? Math.Max(5, 100 - (s / 6)) : 100;
        var load = 42 + (6 * wave);
        return metric switch
        {
            "ups.input_voltage" => mains is null ? 220 + (2 * wave) : 0,
            "ups.output_voltage" => 220 + (0.5 * wave),
            "ups.load" => load,
            "ups.battery" => battery,
            "ups.runtime" => Math.Round(40 * (battery / 100) * (42 / load)),
            "ups.mode" => mains is null ? 1 : 2,
            "aircon.supply_temperature" => 18 + (0.4 * wave) + (cooling is { } a ? Math.Min(12, a / 20) : 0),
            "aircon.state" => cooling is null ? 1 : 2,
            "environment.temperature" => (device.Role == "environment" && device.Id.Contains("hot", StringComparison.Ordinal) ? 31 : 23)
                + (1.5 * wave) + (cooling is { } b ? Math.Min(15, b / 30) : 0),
            "environment.humidity" => 45 + (5 * Math.Cos((t / 420.0) + phase)),
            "lamp.green" => 1,
            _ => 0,
        };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers.Values)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }

        _servers.Clear();
    }

    private SimulatedUnit CreateUnit(Device device, ModbusProfile profile)
    {
        var points = profile.Map.Points;
        int Size(RegisterType type) => Math.Max(16, points.Where(p => p.RegisterType == type).Select(p => p.Address + p.Width).DefaultIfEmpty(0).Max() + 8);
        var registerPoints = points.Where(p => p.RegisterType is RegisterType.HoldingRegister or RegisterType.InputRegister).ToArray();
        var unit = new SimulatedUnit(Size(RegisterType.Coil), Size(RegisterType.DiscreteInput), Size(RegisterType.HoldingRegister), Size(RegisterType.InputRegister))
        {
            // coils are outputs the server writes (the alarm lamp): they keep what was written; registers follow the clock
            Refresh = u =>
            {
                var now = _time.GetUtcNow();
                foreach (var point in registerPoints)
                {
                    RegisterEncoder.Write(u, point, ValueAt(device.Id, point.Name, now));
                }
            },
        };
        var start = _time.GetUtcNow();
        foreach (var point in points)
        {
            RegisterEncoder.Write(unit, point, ValueAt(device.Id, point.Name, start));
        }

        return unit;
    }

    private static double? Since(long ticks, DateTimeOffset at) =>
        ticks == 0 ? null : Math.Max(0, (at.UtcTicks - ticks) / (double)TimeSpan.TicksPerSecond);

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }
}
