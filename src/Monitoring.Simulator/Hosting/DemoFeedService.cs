using System.Buffers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Monitoring.Collectors.Hosting;
using Monitoring.Core.Inventory;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Pipeline;
using Monitoring.Simulator.Modbus;
using Monitoring.Simulator.Snmp;

namespace Monitoring.Simulator.Hosting;

/// <summary>
/// The demo's built-in source: every interval the simulator writes line protocol for every device of the loaded
/// rooms, and it enters through the same ingest path as a real push.
/// </summary>
internal sealed partial class DemoFeedService(
    Inventory inventory, ILineProtocolWriter ingest, IOptions<SimulatorOptions> options, TimeProvider time,
    ComponentHealth health, ILogger<DemoFeedService> logger, ModbusDemoRoom modbusDemo, SnmpDemoRoom snmpDemo, ICollectorPlacement? placement = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (placement is not null)
        {
            // a cluster: the demo feeds like a polling collector, on the alarm leader only
            health.Report("simulator", ComponentState.Ok, placement.WaitingDetail);
            await placement.WhenPollingAsync(stoppingToken).ConfigureAwait(false);
        }

        // devices a protocol simulator serves get their values through their collector, not this feed
        var served = new HashSet<string>(modbusDemo.ServedDeviceIds, StringComparer.Ordinal);
        served.UnionWith(snmpDemo.ServedDeviceIds);
        var feed = new DemoFeed(inventory, settings.Seed, served);
        var buffer = new ArrayBufferWriter<byte>(256 * 1024);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.IntervalSeconds), time);
        LogStarted(logger, inventory.Devices.Count, settings.IntervalSeconds);
        do
        {
            buffer.Clear();
            var lines = feed.WriteTick(buffer, time.GetUtcNow());
            var result = await ingest.IngestAsync(buffer.WrittenMemory, TimestampPrecision.Nanoseconds, stoppingToken, waitWhenBusy: true, source: SampleSource.Demo).ConfigureAwait(false);
            health.Report("simulator", result.Errors.Count == 0 ? ComponentState.Ok : ComponentState.Degraded,
                result.Errors.Count == 0 ? $"{lines} lines per {settings.IntervalSeconds} s" : result.Errors[0].ToString());
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo simulator feeding {Devices} devices every {Interval} s")]
    private static partial void LogStarted(ILogger logger, int devices, int interval);
}
