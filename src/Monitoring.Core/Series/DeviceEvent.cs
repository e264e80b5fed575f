namespace Monitoring.Core.Series;

/// <summary>
/// Something a device said rather than measured (an SNMP trap such as linkDown or coldStart, an MQTT probe's last
/// will): it travels in a <see cref="SampleBatch"/> through the pipeline, after the batch's samples, to every
/// <see cref="IDeviceEventObserver"/> (the alarm engine's event rules raise or clear on it at once).
/// </summary>
public sealed record DeviceEvent(string DeviceId, int? Port, string Name, DateTimeOffset At, string? Text = null);

/// <summary>A stage that sees every device event, on the pipeline's consumer thread after the batch's samples; must not block.</summary>
public interface IDeviceEventObserver
{
    void OnDeviceEvent(DeviceEvent deviceEvent);
}
