using Microsoft.Extensions.Options;
using Monitoring.Collectors;
using Monitoring.Collectors.Modbus.Polling;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Simulator.Modbus;

namespace Monitoring.Server.Hosting;

/// <summary>
/// Polls every Modbus device of the loaded rooms with its profile's register map, on the <see cref="PollScheduler"/>,
/// into the pipeline; each poll's outcome goes to <see cref="PollHealth"/> (shown in /healthz). With the demo simulator,
/// the simulated devices' loopback servers are started first and the collector connects to them instead of the room
/// file's addresses.
/// </summary>
internal sealed partial class ModbusCollectorService(
    Inventory inventory,
    SeriesRegistry registry,
    ModbusProfileSet profiles,
    SamplePipeline pipeline,
    PollHealth pollHealth,
    ComponentHealth health,
    TimeProvider time,
    ILoggerFactory loggers,
    IOptions<MonitoringOptions> options,
    ModbusDemoRoom? demo = null) : BackgroundService
{
    public const string Component = "modbus";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Modbus;
        var logger = loggers.CreateLogger<ModbusCollectorService>();
        if (!(settings.Enabled ?? demo is not null))
        {
            health.Report(Component, ComponentState.Disabled, "Modbus polling is off (Monitoring:Modbus:Enabled)");
            return;
        }

        var collectorOptions = new ModbusCollectorOptions
        {
            DefaultInterval = TimeSpan.FromSeconds(Math.Max(1, settings.DefaultIntervalSeconds)),
            DefaultTimeout = TimeSpan.FromMilliseconds(Math.Max(10, settings.DefaultTimeoutMs)),
        };
        if (demo is not null)
        {
            await demo.StartAsync(stoppingToken).ConfigureAwait(false);
            collectorOptions.EndPointOverride = demo.EndPointFor;
            LogSimulated(logger, demo.ServedDeviceIds.Count, demo.Servers.Count);
        }

        await using var collector = ModbusCollector.Create(inventory, registry, profiles.Profiles, collectorOptions, time, loggers);
        foreach (var problem in collector.Problems)
        {
            LogProblem(logger, problem);
        }

        if (collector.Pollers.Count == 0)
        {
            health.Report(Component, ComponentState.Disabled, "no Modbus devices in the loaded rooms");
            return;
        }

        health.Report(
            Component,
            collector.Problems.Count == 0 ? ComponentState.Ok : ComponentState.Degraded,
            collector.Problems.Count == 0
                ? $"{collector.Pollers.Count} devices over {collector.Connections} connections"
                : $"{collector.Pollers.Count} devices polled; {collector.Problems.Count} cannot be: {collector.Problems[0]}");
        LogStarted(logger, collector.Pollers.Count, collector.Connections);
        using var scheduler = new PollScheduler(time, pollHealth, pipeline.From(SampleSource.Modbus), loggers.CreateLogger<PollScheduler>());
        await scheduler.RunAsync(collector.Pollers, stoppingToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Modbus collector polling {Devices} devices over {Connections} connections")]
    private static partial void LogStarted(ILogger logger, int devices, int connections);

    [LoggerMessage(Level = LogLevel.Information, Message = "Modbus simulation serving {Devices} devices on {Servers} loopback servers")]
    private static partial void LogSimulated(ILogger logger, int devices, int servers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Modbus device not polled: {Problem}")]
    private static partial void LogProblem(ILogger logger, string problem);
}
