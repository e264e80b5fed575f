namespace Monitoring.Collectors.Mqtt.Hosting;

/// <summary>A message handed to the collector: topic and payload, valid for the call only.</summary>
public delegate void MqttMessageHandler(string topic, ReadOnlySpan<byte> payload);

/// <summary>
/// Where probes' messages come from besides an external broker: the embedded broker (Monitoring.Mqtt.Broker's
/// AddMqttBroker) registers itself as one and hands messages to the collector in-process. The collector subscribes
/// its topic filters once <see cref="Started"/> completes.
/// </summary>
public interface IMqttSource
{
    /// <summary>The key of the source's figures in the "mqtt" component of /healthz ("broker").</summary>
    string Name { get; }

    /// <summary>Completes once the source runs or failed to start (then <see cref="FailureReason"/> says why).</summary>
    Task Started { get; }

    /// <summary>True once the source runs (false when it is turned off, failed, or stopped).</summary>
    bool IsRunning { get; }

    /// <summary>Why the source could not start; null when it runs or is turned off.</summary>
    string? FailureReason { get; }

    /// <summary>Delivers messages on <paramref name="filter"/> to <paramref name="handler"/> until disposed.</summary>
    IDisposable Subscribe(string filter, MqttMessageHandler handler);

    /// <summary>The source's figures for /healthz (no secrets), or null before it runs.</summary>
    object? HealthData();
}
