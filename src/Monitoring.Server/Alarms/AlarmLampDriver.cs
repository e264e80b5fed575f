using System.Net;
using Microsoft.Extensions.Options;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Modbus;
using Monitoring.Collectors.Modbus.Client;
using Monitoring.Collectors.Modbus.Hosting;
using Monitoring.Collectors.Modbus.Polling;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;

namespace Monitoring.Server.Alarms;

/// <summary>
/// Drives the room's sound-and-light alarm lamp over Modbus coils: red for an unacknowledged, alerting critical or
/// major alarm, yellow for minor or warning, green when there is none; the buzzer while a critical one is
/// unacknowledged and the console is not muted. Writes when the wanted state changes, again every
/// <see cref="AlarmLampOptions.ReassertSeconds"/>, and keeps retrying (with backoff) while the lamp is unreachable, so it
/// shows the right state as soon as it is back.
/// </summary>
internal sealed partial class AlarmLampDriver(
    IAlarmService alarms,
    Inventory inventory,
    ComponentHealth health,
    TimeProvider time,
    ILoggerFactory loggers,
    IOptions<ModbusOptions> modbus,
    IOptions<AlarmOptions> options,
    [FromKeyedServices(ModbusModule.Protocol)] IDeviceEndpoints endpoints) : BackgroundService, IAlarmEventSink
{
    public const string Component = "alarmLamp";

    // never disposed: without its wait handle a SemaphoreSlim holds nothing to free, and the engine may still poke at shutdown
#pragma warning disable CA2213
    private readonly SemaphoreSlim _wake = new(0, 1);
#pragma warning restore CA2213
    private int _written = -1;

    /// <summary>What the lamp was last told successfully; null before the first write.</summary>
    public AlarmLampSignals? Written => Volatile.Read(ref _written) is var w and >= 0 ? (AlarmLampSignals)w : null;

    /// <summary>The signals the lamp should show for the current alarms and mute.</summary>
    public static AlarmLampSignals Wanted(AlarmSeverity? highest, bool muted) => highest switch
    {
        AlarmSeverity.Critical => AlarmLampSignals.Red | (muted ? AlarmLampSignals.None : AlarmLampSignals.Buzzer),
        AlarmSeverity.Major => AlarmLampSignals.Red,
        AlarmSeverity.Minor or AlarmSeverity.Warning => AlarmLampSignals.Yellow,
        _ => AlarmLampSignals.Green,
    };

    public void OnAlarmEvent(AlarmEvent alarmEvent) => Poke();

    /// <summary>Something changed (an alarm, the mute): re-evaluate now rather than at the next second.</summary>
    public void Poke()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var logger = loggers.CreateLogger<AlarmLampDriver>();
        var settings = options.Value.Lamp;
        if (!(settings.Enabled ?? modbus.Value.Enabled ?? endpoints.Simulated))
        {
            health.Report(Component, ComponentState.Disabled, "the alarm lamp is off (Monitoring:Alarms:Lamp:Enabled)");
            return;
        }

        var lamps = inventory.Devices
            .Where(d => !d.Training && (settings.DeviceId is { } id ? d.Id == id : d.Kind == DeviceKind.Lamp && d.Profile is { } p && p.StartsWith("modbus/", StringComparison.Ordinal)))
            .ToList();
        if (lamps.Count == 0)
        {
            health.Report(Component, ComponentState.Disabled, settings.DeviceId is { } missing ? $"no device '{missing}'" : "no Modbus alarm lamp in the loaded rooms");
            return;
        }

        var device = lamps[0];
        // where the lamp answers: its room address, or the demo's loopback server (started here if the collector has not yet)
        await endpoints.StartAsync(stoppingToken).ConfigureAwait(false);
        var endPoint = endpoints.Find(device, address => ModbusCollector.TryParseEndPoint(address, out var parsed) ? parsed : null);
        if (endPoint is null)
        {
            health.Report(Component, ComponentState.Degraded, $"{device.Id}: no reachable address ('{device.Address}')");
            return;
        }

        var clientOptions = new ModbusTcpClientOptions { RequestTimeout = TimeSpan.FromSeconds(1), ConnectTimeout = TimeSpan.FromSeconds(1) };
        await using var client = new ModbusTcpClient(endPoint, clientOptions, time, loggers.CreateLogger<ModbusTcpClient>());
        var lamp = new AlarmLamp(client, (byte)(device.UnitId ?? 1), AlarmLampCoils.Consecutive(settings.FirstCoil));
        var reassert = TimeSpan.FromSeconds(Math.Max(1, settings.ReassertSeconds));
        var baseRetry = TimeSpan.FromMilliseconds(Math.Max(50, settings.RetryMilliseconds));
        var retry = baseRetry;
        var lastWrite = DateTimeOffset.MinValue;
        var failing = false;
        LogDriving(logger, device.Id, endPoint);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wanted = Wanted(alarms.HighestUnacknowledged, alarms.CurrentMute is not null);
            var now = time.GetUtcNow();
            TimeSpan wait = TimeSpan.FromSeconds(1);
            if (failing || Written != wanted || now - lastWrite >= reassert)
            {
                try
                {
                    await lamp.SetAsync(wanted, stoppingToken).ConfigureAwait(false);
                    Volatile.Write(ref _written, (int)wanted);
                    lastWrite = now;
                    if (failing)
                    {
                        LogRecovered(logger, device.Id);
                    }

                    failing = false;
                    retry = baseRetry;
                    health.Report(Component, ComponentState.Ok, $"{device.Id} shows {wanted}", new Dictionary<string, object?>(StringComparer.Ordinal)
                    {
                        ["device"] = device.Id,
                        ["signals"] = wanted.ToString(),
                    });
                }
#pragma warning disable CA1031 // an unreachable lamp is reported and retried; it must not stop alarms
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    if (!failing)
                    {
                        LogUnreachable(logger, device.Id, ex.Message);
                    }

                    failing = true;
                    health.Report(Component, ComponentState.Degraded, $"{device.Id} unreachable: {ex.Message}; retrying every {retry.TotalSeconds:0.#} s");
                    wait = retry;
                    retry = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(30).Ticks, retry.Ticks * 2));
                }
            }

            try
            {
                if (failing)
                {
                    await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
                }
                else
                {
                    await _wake.WaitAsync(wait, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alarm lamp {Device} driven at {EndPoint}")]
    private static partial void LogDriving(ILogger logger, string device, EndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alarm lamp {Device} unreachable ({Reason}); retrying")]
    private static partial void LogUnreachable(ILogger logger, string device, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alarm lamp {Device} reachable again; state re-asserted")]
    private static partial void LogRecovered(ILogger logger, string device);
}
