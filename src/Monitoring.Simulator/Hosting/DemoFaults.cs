using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Monitoring.Collectors.Snmp;
using Monitoring.Core.Simulation;
using Monitoring.Simulator.Modbus;
using Monitoring.Simulator.Mqtt;
using Monitoring.Simulator.Snmp;

namespace Monitoring.Simulator.Hosting;

/// <summary>
/// The demo's injected faults behind <see cref="IFaultInjector"/>, in the real simulated agents: a port's ifOperStatus
/// goes down in its switch's SNMP agent (and the agent sends linkDown, then linkUp, to the server's trap listener when
/// <c>Monitoring:Snmp:Traps:Listen</c> is set); a silent SNMP agent or Modbus unit drops every request (the poller
/// times out), a silent MQTT probe drops off the network (its will is sent); a Modbus reading is offset (drift); a
/// trap storm sends authenticationFailure notifications from the device's agent at a rate; a leak probe turns wet.
/// </summary>
internal sealed partial class DemoFaults : IFaultInjector, IAsyncDisposable
{
    public const int MaxTrapsPerSecond = 1000;

    private static readonly Oid LinkDown = Oid.Parse("1.3.6.1.6.3.1.1.5.3");
    private static readonly Oid LinkUp = Oid.Parse("1.3.6.1.6.3.1.1.5.4");
    private static readonly Oid AuthenticationFailure = Oid.Parse("1.3.6.1.6.3.1.1.5.5");
    private static readonly Oid IfIndex = Oid.Parse("1.3.6.1.2.1.2.2.1.1");
    private static readonly Oid IfAdminStatus = Oid.Parse("1.3.6.1.2.1.2.2.1.7");
    private static readonly Oid IfOperStatus = Oid.Parse("1.3.6.1.2.1.2.2.1.8");

    private readonly SnmpDemoRoom _snmp;
    private readonly ModbusDemoRoom _modbus;
    private readonly MqttDemoProbes _probes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IPEndPoint? _trapTarget;
    private readonly ConcurrentDictionary<string, (CancellationTokenSource Stop, Task Loop)> _storms = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _wetProbes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _deadProbes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();
    private int _disposedOnce;

    public DemoFaults(SnmpDemoRoom snmp, ModbusDemoRoom modbus, MqttDemoProbes probes, IConfiguration configuration, TimeProvider time, ILogger<DemoFaults> logger)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _snmp = snmp;
        _modbus = modbus;
        _probes = probes;
        _time = time;
        _logger = logger;
        _trapTarget = TrapTarget(configuration["Monitoring:Snmp:Traps:Listen"]);
    }

    public bool Enabled => true;

    /// <summary>Where the agents send notifications: the server's own trap listener (its wildcard address as loopback), or null when it is off.</summary>
    internal static IPEndPoint? TrapTarget(string? listen)
    {
        if (!IPEndPoint.TryParse((listen ?? string.Empty).Trim(), out var endPoint) || endPoint.Port == 0)
        {
            return null;
        }

        if (endPoint.Address.Equals(IPAddress.Any))
        {
            return new IPEndPoint(IPAddress.Loopback, endPoint.Port);
        }

        return endPoint.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.IPv6Loopback, endPoint.Port) : endPoint;
    }

    public FaultResult SetPortDown(string deviceId, int portIndex, bool down)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        if (!_snmp.ServedDeviceIds.Contains(deviceId))
        {
            return FaultResult.Refused($"device '{deviceId}' is no simulated SNMP device with ports");
        }

        var device = _snmp.DeviceOf(deviceId);
        var ifIndex = device.IfIndexOf(portIndex);
        if (ifIndex <= 0)
        {
            return FaultResult.Refused($"port {portIndex} is no port of device '{deviceId}'");
        }

        device.SetForcedDown(portIndex, down);
        LogPort(_logger, deviceId, portIndex, down ? "down" : "up");
        if (_trapTarget is { } target && _snmp.Agents.TryGetValue(deviceId, out var agent))
        {
            // a real switch tells its manager at once (RFC 2863 linkDown/linkUp with ifIndex, ifAdminStatus, ifOperStatus)
            var index = (uint)ifIndex;
            Send(agent, target, down ? LinkDown : LinkUp, [
                new VarBind(IfIndex.Append(index), SnmpValue.FromInt32(ifIndex)),
                new VarBind(IfAdminStatus.Append(index), SnmpValue.FromInt32(1)),
                new VarBind(IfOperStatus.Append(index), SnmpValue.FromInt32(device.IsUp(portIndex, _time.GetUtcNow()) ? 1 : 2)),
            ]);
        }

        return FaultResult.Done;
    }

    public FaultResult SetProbeLeak(string probeId, bool wet)
    {
        ArgumentNullException.ThrowIfNull(probeId);
        if (!_probes.SetLeak(probeId, wet))
        {
            return FaultResult.Refused($"device '{probeId}' is no simulated leak probe");
        }

        if (wet)
        {
            _wetProbes[probeId] = 0;
        }
        else
        {
            _wetProbes.TryRemove(probeId, out _);
        }

        return FaultResult.Done;
    }

    public FaultResult SetDrift(string deviceId, string metric, double offset)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        ArgumentNullException.ThrowIfNull(metric);
        if (!_modbus.ServedDeviceIds.Contains(deviceId))
        {
            return FaultResult.Refused($"device '{deviceId}' is no simulated Modbus device (sensor drift acts on Modbus readings)");
        }

        if (!_modbus.Serves(deviceId, metric))
        {
            return FaultResult.Refused($"device '{deviceId}' serves no metric '{metric}'");
        }

        if (!double.IsFinite(offset))
        {
            return FaultResult.Refused("the drift's offset must be a finite number");
        }

        _modbus.SetOffset(deviceId, metric, offset);
        return FaultResult.Done;
    }

    public FaultResult SetSilent(string deviceId, bool silent)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        if (_snmp.ServedDeviceIds.Contains(deviceId))
        {
            _snmp.DeviceOf(deviceId).Silent = silent;
        }
        else if (_modbus.ServedDeviceIds.Contains(deviceId))
        {
            _modbus.SetSilent(deviceId, silent);
        }
        else if (_probes.ServedDeviceIds.Contains(deviceId))
        {
            if (silent)
            {
                _probes.KillProbe(deviceId);
                _deadProbes[deviceId] = 0;
            }
            else
            {
                _probes.ReviveProbe(deviceId);
                _deadProbes.TryRemove(deviceId, out _);
            }
        }
        else
        {
            return FaultResult.Refused($"device '{deviceId}' is no simulated polled device or probe");
        }

        LogSilent(_logger, deviceId, silent);
        return FaultResult.Done;
    }

    public FaultResult SetTrapStorm(string deviceId, int perSecond)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        if (perSecond is < 0 or > MaxTrapsPerSecond)
        {
            return FaultResult.Refused($"rate must be 0 to {MaxTrapsPerSecond} notifications a second; it is {perSecond}");
        }

        if (!_snmp.ServedDeviceIds.Contains(deviceId))
        {
            return FaultResult.Refused($"device '{deviceId}' is no simulated SNMP device");
        }

        if (_storms.TryRemove(deviceId, out var running))
        {
            running.Stop.Cancel();
            running.Stop.Dispose();
        }

        if (perSecond == 0)
        {
            return FaultResult.Done;
        }

        if (_trapTarget is not { } target)
        {
            return FaultResult.Refused("the SNMP trap listener is off (Monitoring:Snmp:Traps:Listen): there is nothing to storm");
        }

        if (!_snmp.Agents.TryGetValue(deviceId, out var agent))
        {
            return FaultResult.Refused($"the SNMP agent of '{deviceId}' is not started yet");
        }

        var stop = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
        _storms[deviceId] = (stop, Task.Run(() => StormAsync(agent, target, perSecond, stop.Token)));
        LogStorm(_logger, deviceId, perSecond);
        return FaultResult.Done;
    }

    public void HealAll()
    {
        foreach (var id in _snmp.ServedDeviceIds)
        {
            var device = _snmp.DeviceOf(id);
            foreach (var port in device.ForcedDown)
            {
                SetPortDown(id, port, false);
            }

            device.Silent = false;
        }

        foreach (var id in _storms.Keys)
        {
            SetTrapStorm(id, 0);
        }

        _modbus.HealInjected();
        foreach (var id in _wetProbes.Keys)
        {
            SetProbeLeak(id, false);
        }

        foreach (var id in _deadProbes.Keys)
        {
            SetSilent(id, false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposedOnce, 1) != 0)
        {
            return; // registered twice (itself and as IFaultInjector): the container disposes it twice
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        foreach (var (stop, loop) in _storms.Values)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            stop.Dispose();
        }

        _storms.Clear();
        _disposed.Dispose();
    }

    private async Task StormAsync(SnmpAgent agent, IPEndPoint target, int perSecond, CancellationToken cancellationToken)
    {
        // ten ticks a second, each sending what the rate owes so far (a fraction carried over)
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100), _time);
        var started = _time.GetTimestamp();
        long sent = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var due = (long)(_time.GetElapsedTime(started).TotalSeconds * perSecond);
                for (; sent < due && !cancellationToken.IsCancellationRequested; sent++)
                {
                    await agent.SendTrapAsync(target, AuthenticationFailure, [], cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Send(SnmpAgent agent, IPEndPoint target, Oid trap, IReadOnlyList<VarBind> bindings) =>
        _ = SendLoggedAsync(agent, target, trap, bindings);

    private async Task SendLoggedAsync(SnmpAgent agent, IPEndPoint target, Oid trap, IReadOnlyList<VarBind> bindings)
    {
        if (!await agent.SendTrapAsync(target, trap, bindings, _disposed.Token).ConfigureAwait(false))
        {
            LogTrapNotSent(_logger, trap.ToString(), target);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Injected fault: port {Port} of {Device} {State}")]
    private static partial void LogPort(ILogger logger, string device, int port, string state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Injected fault: {Device} silent {Silent}")]
    private static partial void LogSilent(ILogger logger, string device, bool silent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Injected fault: trap storm of {Rate}/s from {Device}")]
    private static partial void LogStorm(ILogger logger, string device, int rate);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Simulated notification {Trap} could not be sent to {Target}")]
    private static partial void LogTrapNotSent(ILogger logger, string trap, IPEndPoint target);
}
