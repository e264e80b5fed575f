using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Mqtt.Hosting;

namespace Monitoring.Mqtt.Broker.Hosting;

public static class MqttBrokerModule
{
    /// <summary>
    /// The embedded MQTT broker (<c>Monitoring:Mqtt:Broker</c>, validated at start), a source of the MQTT collector
    /// (AddMqtt) and the broker the demo's probes publish to.
    /// </summary>
    public static IHostApplicationBuilder AddMqttBroker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddValidatedOptions<MqttBrokerSettings>(MqttBrokerSettings.Section, MqttBrokerSettings.Validate);
        services.AddSingleton<EmbeddedMqttBroker>();
        services.AddSingleton<IMqttSource>(sp => sp.GetRequiredService<EmbeddedMqttBroker>());
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedMqttBroker>());
        return builder;
    }
}
