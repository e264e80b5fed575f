using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Modbus.Polling;

/// <summary>Settings the collector applies where a profile says nothing.</summary>
public sealed class ModbusCollectorOptions
{
    public TimeSpan DefaultInterval { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Requests outstanding per connection; 1 (the default) suits gateways that cannot pipeline.</summary>
    public int MaxInFlight { get; set; } = 1;

    /// <summary>
    /// Where to really connect for a device, when not to its <see cref="Device.Address"/>: the demo hands the simulator's
    /// loopback end points here, so the room file keeps its real-world addresses. Null = every device's own address; when
    /// set, it is authoritative: a device it answers null for is not polled.
    /// </summary>
    public Func<Device, EndPoint?>? EndPointOverride { get; set; }
}

/// <summary>
/// The Modbus devices of an inventory as pollers: every device whose <c>profile</c> names a loaded Modbus profile
/// ("modbus/ups"), with an address <c>host:port</c> and a unit id. Devices behind one gateway address share its client
/// (and so its connection) through the pool. Owns the pool: dispose it to close every connection.
/// </summary>
public sealed class ModbusCollector : IAsyncDisposable
{
    private readonly ModbusTcpClientPool _pool;

    private ModbusCollector(ModbusTcpClientPool pool, IReadOnlyList<ModbusDevicePoller> pollers, IReadOnlyList<string> problems)
    {
        _pool = pool;
        Pollers = pollers;
        Problems = problems;
    }

    public IReadOnlyList<ModbusDevicePoller> Pollers { get; }

    /// <summary>Devices that name a Modbus profile but cannot be polled, each with the reason (unknown profile, bad address).</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>How many distinct connections the pollers share.</summary>
    public int Connections => _pool.Count;

    public static ModbusCollector Create(
        Inventory inventory,
        SeriesRegistry registry,
        IReadOnlyDictionary<string, ModbusProfile> profiles,
        ModbusCollectorOptions? options = null,
        TimeProvider? time = null,
        ILoggerFactory? loggers = null,
        Func<Device, bool>? include = null)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(profiles);
        options ??= new ModbusCollectorOptions();
        time ??= TimeProvider.System;

        var problems = new List<string>();
        var plans = new List<(Device Device, EndPoint EndPoint, byte Unit, ModbusProfile Profile)>();
        var timeouts = new Dictionary<EndPoint, TimeSpan>();
        foreach (var device in inventory.Devices)
        {
            if (device.Training || device.Profile is not { } profileId || !profileId.StartsWith(ModbusProfileLoader.IdPrefix, StringComparison.Ordinal)
                || (include is not null && !include(device)))
            {
                continue;
            }

            if (!profiles.TryGetValue(profileId, out var profile))
            {
                problems.Add($"{device.Id}: no Modbus profile '{profileId}' (looked in device-profiles/{ModbusProfileLoader.Folder}/)");
                continue;
            }

            var endPoint = options.EndPointOverride?.Invoke(device);
            if (endPoint is null && options.EndPointOverride is not null)
            {
                // the override is authoritative: a device it does not serve is skipped, never polled at its real address
                problems.Add($"{device.Id}: no end point from the override; not polled");
                continue;
            }

            if (endPoint is null && !TryParseEndPoint(device.Address, out endPoint))
            {
                problems.Add($"{device.Id}: address '{device.Address}' is not host:port");
                continue;
            }

            var unit = device.UnitId ?? 1;
            if (unit is < 0 or > 255)
            {
                problems.Add($"{device.Id}: unit id {unit} is outside 0..255");
                continue;
            }

            var timeout = profile.Timeout ?? options.DefaultTimeout;
            timeouts[endPoint] = timeouts.TryGetValue(endPoint, out var other) ? (other > timeout ? other : timeout) : timeout;
            plans.Add((device, endPoint, (byte)unit, profile));
        }

        var pool = new ModbusTcpClientPool(
            e => new ModbusTcpClientOptions
            {
                RequestTimeout = timeouts.GetValueOrDefault(e, options.DefaultTimeout),
                ConnectTimeout = timeouts.GetValueOrDefault(e, options.DefaultTimeout),
                MaxInFlight = options.MaxInFlight,
            },
            time,
            loggers);
        var pollers = plans.Select(p => new ModbusDevicePoller(
            p.Device.Id, p.Device.Index, pool.GetClient(p.EndPoint), p.Unit, p.Profile, registry, p.Profile.PollInterval ?? options.DefaultInterval, time)).ToList();
        return new ModbusCollector(pool, pollers, problems);
    }

    /// <summary>"10.10.9.30:502", "[::1]:502", "gateway.local:502"; the port defaults to 502.</summary>
    public static bool TryParseEndPoint(string? address, out EndPoint endPoint)
    {
        endPoint = null!;
        if (string.IsNullOrWhiteSpace(address))
        {
            return false;
        }

        if (IPEndPoint.TryParse(address, out var ip))
        {
            endPoint = ip.Port == 0 ? new IPEndPoint(ip.Address, 502) : ip;
            return true;
        }

        var colon = address.LastIndexOf(':');
        var host = colon < 0 ? address : address[..colon];
        var port = 502;
        if (colon >= 0 && !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            return false;
        }

        if (host.Length == 0 || port is < 1 or > 65535 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            return false;
        }

        endPoint = new DnsEndPoint(host, port);
        return true;
    }

    public ValueTask DisposeAsync() => _pool.DisposeAsync();
}
