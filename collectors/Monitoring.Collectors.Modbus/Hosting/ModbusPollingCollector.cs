using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Modbus.Polling;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Modbus.Hosting;

/// <summary>
/// Polls every Modbus device of the loaded rooms with its profile's register map, on the <see cref="PollScheduler"/>,
/// into the pipeline; each poll's outcome goes to <see cref="PollHealth"/> (shown in /healthz). Devices are reached
/// where the Modbus <see cref="IDeviceEndpoints"/> says: the room file's address, or the demo simulator's loopback
/// servers (which it starts first).
/// </summary>
public sealed partial class ModbusPollingCollector(
    Inventory inventory,
    SeriesRegistry registry,
    ModbusProfileSet profiles,
    IOptions<ModbusOptions> options,
    [FromKeyedServices(ModbusModule.Protocol)] IDeviceEndpoints endpoints,
    RemoteZones remoteZones,
    ILogger<ModbusPollingCollector> logger) : ICollector
{
    public const string ComponentName = "modbus";

    public string Component => ComponentName;

    public SampleSource Source => SampleSource.Modbus;

    public string? DisabledReason => options.Value.Enabled ?? endpoints.Simulated ? null : "Modbus polling is off (Monitoring:Modbus:Enabled)";

    public async Task RunAsync(CollectorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = options.Value;
        var collectorOptions = new ModbusCollectorOptions
        {
            DefaultInterval = TimeSpan.FromSeconds(settings.DefaultIntervalSeconds),
            DefaultTimeout = TimeSpan.FromMilliseconds(settings.DefaultTimeoutMs),
        };
        await endpoints.StartAsync(cancellationToken).ConfigureAwait(false);
        if (endpoints.Served is { } served)
        {
            collectorOptions.EndPointOverride = device => endpoints.Find(device, _ => null);
            LogSimulated(logger, served.Count);
        }

        await using var collector = ModbusCollector.Create(
            inventory, registry, profiles.Profiles, collectorOptions, context.Time, context.Loggers, device => !remoteZones.IsRemote(device));
        await context.PollAsync(
            collector.Pollers,
            collector.Problems,
            $"{collector.Pollers.Count} devices over {collector.Connections} connections",
            "no Modbus devices in the loaded rooms",
            noneCanBePolled: null,
            cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Modbus simulation serving {Devices} devices on loopback servers")]
    private static partial void LogSimulated(ILogger logger, int devices);
}
