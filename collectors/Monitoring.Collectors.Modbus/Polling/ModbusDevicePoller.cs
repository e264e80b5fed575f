using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Modbus.Protocol;
using Monitoring.Collectors.Modbus.Registers;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Modbus.Polling;

/// <summary>
/// One Modbus device of the inventory: reads its profile's register map from its unit id through the (possibly shared)
/// client and writes one sample per point that answered. Series ids are interned once, here, not per poll; the values
/// buffer is reused, so a poll allocates only what the client needs for its requests.
/// </summary>
public sealed class ModbusDevicePoller : IDevicePoller
{
    public const string CollectorName = "modbus";

    private readonly ModbusTcpClient _client;
    private readonly byte _unitId;
    private readonly RegisterMap _map;
    private readonly int[] _seriesIds;
    private readonly double[] _values;
    private readonly TimeProvider _time;

    public ModbusDevicePoller(
        string deviceId, int deviceIndex, ModbusTcpClient client, byte unitId, ModbusProfile profile, SeriesRegistry registry, TimeSpan interval, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(registry);
        DeviceId = deviceId;
        DeviceIndex = deviceIndex;
        Profile = profile;
        Interval = interval;
        _client = client;
        _unitId = unitId;
        _map = profile.Map;
        _time = time ?? TimeProvider.System;
        _values = new double[_map.Points.Count];
        _seriesIds = new int[_map.Points.Count];
        for (var i = 0; i < _seriesIds.Length; i++)
        {
            _seriesIds[i] = registry.GetOrAdd(deviceIndex, _map.Points[i].Name, -1);
        }
    }

    public string DeviceId { get; }

    public int DeviceIndex { get; }

    public string Collector => CollectorName;

    public TimeSpan Interval { get; }

    public ModbusProfile Profile { get; }

    public byte UnitId => _unitId;

    public ModbusTcpClient Client => _client;

    /// <summary>The values of the last poll, indexed like the profile's <see cref="RegisterMap.Points"/>; NaN where a read failed.</summary>
    public ReadOnlySpan<double> LastValues => _values;

    public async ValueTask<PollResult> PollAsync(ISampleSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var read = await _client.ReadAsync(_unitId, _map, _values, cancellationToken).ConfigureAwait(false);
        if (read.BlocksRead == 0 && read.FirstError is { } error)
        {
            return PollResult.Failure(Outcome(error), Describe(error));
        }

        var timestamp = (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
        var batch = SampleBatch.Rent(_values.Length);
        for (var i = 0; i < _values.Length; i++)
        {
            if (!double.IsNaN(_values[i]))
            {
                batch.Add(_seriesIds[i], timestamp, _values[i]);
            }
        }

        var samples = batch.Count;
        await sink.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        return read.FirstError is { } partial
            ? new PollResult(PollOutcome.Ok, $"{read.BlocksFailed} of {read.BlocksFailed + read.BlocksRead} reads failed: {Describe(partial)}", samples)
            : PollResult.Success(samples);
    }

    public static PollOutcome Outcome(ModbusRequestException error) => error.Kind switch
    {
        ModbusErrorKind.Timeout => PollOutcome.Timeout,
        ModbusErrorKind.ConnectFailed or ModbusErrorKind.BackingOff or ModbusErrorKind.ConnectionClosed => PollOutcome.Unreachable,
        ModbusErrorKind.DeviceException or ModbusErrorKind.InvalidResponse => PollOutcome.ProtocolError,
        _ => PollOutcome.Error,
    };

    /// <summary>Plain words for the operator: what failed, without the stack of a socket exception.</summary>
    public static string Describe(ModbusRequestException error) => error.Kind switch
    {
        ModbusErrorKind.DeviceException =>
            $"the device refused the read of function 0x{error.FunctionCode:X2} with exception {(byte)error.ExceptionCode} ({error.ExceptionCode.Describe()})",
        ModbusErrorKind.Timeout => $"no answer from {error.EndPoint} unit {error.UnitId}: {Detail(error)} (timeout)",
        ModbusErrorKind.ConnectFailed when error.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused } =>
            $"cannot connect to {error.EndPoint}: connection refused (nothing listens on that TCP port)",
        ModbusErrorKind.ConnectFailed when error.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.NetworkUnreachable } =>
            $"cannot connect to {error.EndPoint}: host unreachable (ICMP)",
        ModbusErrorKind.ConnectFailed when error.InnerException is OperationCanceledException => $"cannot connect to {error.EndPoint}: no response within the connect timeout",
        ModbusErrorKind.ConnectFailed => $"cannot connect to {error.EndPoint} ({error.InnerException?.Message ?? "connection failed"})",
        ModbusErrorKind.BackingOff => $"{error.EndPoint} is unreachable; waiting before the next connection attempt",
        ModbusErrorKind.ConnectionClosed => $"{error.EndPoint} closed the connection during the read",
        ModbusErrorKind.InvalidResponse => $"{error.EndPoint} unit {error.UnitId} answered with a malformed response ({error.DecodeStatus})",
        _ => error.Message,
    };

    /// <summary>The client's own words after "function 0x..: " ("no response within 2000 ms").</summary>
    private static string Detail(ModbusRequestException error)
    {
        var at = error.Message.IndexOf(": ", StringComparison.Ordinal);
        return at < 0 ? error.Message : error.Message[(at + 2)..];
    }
}
