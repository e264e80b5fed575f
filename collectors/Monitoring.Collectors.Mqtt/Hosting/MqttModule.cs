using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Mqtt.Probes;

namespace Monitoring.Collectors.Mqtt.Hosting;

/// <summary>MQTT probes as one module: topic schemas (device-profiles/mqtt/), the external broker's options, the collector.</summary>
public static class MqttModule
{
    /// <summary>
    /// Takes the probes' readings from every <see cref="IMqttSource"/> (the embedded broker: AddMqttBroker) and from
    /// <c>Monitoring:Mqtt:External</c> (validated at start). Needs <see cref="DeviceProfilesBuilder.AddDeviceProfiles"/> first.
    /// </summary>
    public static IHostApplicationBuilder AddMqtt(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var profiles = builder.DeviceProfiles().Get(directory => new ProbeProfileSet(ProbeProfileLoader.LoadFolder(directory)));
        var services = builder.Services;
        services.AddValidatedOptions<MqttExternalSettings>(MqttExternalSettings.Section, MqttExternalSettings.Validate);
        services.TryAddSingleton(profiles);
        services.AddCollector<MqttCollector>();
        return builder;
    }
}
