using Microsoft.Extensions.DependencyInjection;
using Monitoring.Core.Inventory;
using Monitoring.Core.Live;
using Monitoring.Core.Series;
using Monitoring.Mqtt.Broker.Hosting;

namespace Monitoring.Server.Tests.Mqtt;

/// <summary>Reads what the MQTT side delivered straight from the server's services, without the HTTP API.</summary>
internal static class LiveProbe
{
    /// <summary>The latest value of a device-scope metric in the live state, or null when none arrived yet.</summary>
    public static double? Value(IServiceProvider services, string deviceId, string metric)
    {
        var device = services.GetRequiredService<Inventory>().FindDevice(deviceId) ?? throw new ArgumentException($"no device {deviceId} in the room", nameof(deviceId));
        var registry = services.GetRequiredService<SeriesRegistry>();
        return registry.TryGet(device.Index, metric, -1, out var series) && services.GetRequiredService<LiveState>().TryGetLatest(series, out _, out var value)
            ? value
            : null;
    }

    /// <summary>The timestamp (ns) of the latest value of a device-scope metric, 0 when none arrived yet.</summary>
    public static long Timestamp(IServiceProvider services, string deviceId, string metric)
    {
        var device = services.GetRequiredService<Inventory>().FindDevice(deviceId) ?? throw new ArgumentException($"no device {deviceId} in the room", nameof(deviceId));
        return services.GetRequiredService<SeriesRegistry>().TryGet(device.Index, metric, -1, out var series) && services.GetRequiredService<LiveState>().TryGetLatest(series, out var timestamp, out _)
            ? timestamp
            : 0;
    }

    /// <summary>The embedded broker's port once it listens.</summary>
    public static async Task<int> BrokerPortAsync(IServiceProvider services)
    {
        var mqtt = services.GetRequiredService<EmbeddedMqttBroker>();
        var endPoint = await ServerFixture.EventuallyAsync(() => Task.FromResult(mqtt.Broker?.LocalEndPoint), e => e is not null, "the embedded MQTT broker to listen");
        return endPoint!.Port;
    }

    /// <summary>Polls a live value until the condition holds.</summary>
    public static Task<double?> EventuallyAsync(IServiceProvider services, string deviceId, string metric, Func<double?, bool> done, string what, int timeoutMs = 15_000) =>
        ServerFixture.EventuallyAsync(() => Task.FromResult(Value(services, deviceId, metric)), done, what, timeoutMs);
}
