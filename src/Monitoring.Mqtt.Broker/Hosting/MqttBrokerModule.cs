using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Mqtt.Hosting;

namespace Monitoring.Mqtt.Broker.Hosting;

public static class MqttBrokerModule
{
    /// <summary>
    /// The embedded MQTT broker (<c>Monitoring:Mqtt:Broker</c>, validated at start), a source of the MQTT collector
    /// (AddMqtt) and the broker the demo's probes publish to. Off by default when <c>Monitoring:Mqtt:External:Url</c> is set.
    /// </summary>
    public static IHostApplicationBuilder AddMqttBroker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddValidatedOptions<MqttBrokerSettings>(MqttBrokerSettings.Section, MqttBrokerSettings.Validate);
        // with an external broker (the cluster's mosquitto) the embedded one is off unless Broker:Enabled says otherwise:
        // probes publish to the site's broker, and a second broker on every node would split them
        if (!string.IsNullOrWhiteSpace(builder.Configuration[$"{MqttExternalSettings.Section}:Url"])
            && builder.Configuration[$"{MqttBrokerSettings.Section}:Enabled"] is null)
        {
            services.PostConfigure<MqttBrokerSettings>(settings => settings.Enabled = false);
        }

        services.AddSingleton<EmbeddedMqttBroker>();
        services.AddSingleton<IMqttSource>(sp => sp.GetRequiredService<EmbeddedMqttBroker>());
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedMqttBroker>());
        return builder;
    }
}
