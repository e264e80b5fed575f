using System.Text.Json;
using Monitoring.Collectors.Modbus.Hosting;
using Monitoring.Collectors.Mqtt.Hosting;
using Monitoring.Collectors.Snmp.Hosting;
using Monitoring.Mqtt.Broker.Hosting;
using Monitoring.Server.Cluster;
using Monitoring.Server.RemoteCollectors;
using Monitoring.Simulator.Hosting;

namespace Monitoring.Server;

/// <summary>
/// The composition root: one AddX per feature, one MapX per feature. A protocol is one line (its module owns its
/// options, profiles, credentials and hosting); the demo is one line (a plug-in that tells the collectors where its
/// simulated devices answer). Start order is explicit where it matters: the storage's StartupService is the start gate
/// (migrations once), and the pipeline's consumer waits until every observer has joined (PipelineService).
/// </summary>
public static class ServerHost
{
    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const string DefaultHttpsUrl = "https://127.0.0.1:5443";

    /// <summary>
    /// Builds the server from command-line arguments (--urls, --data DIR, --profiles DIR, --simulator true|false).
    /// Loads and validates the inventory first: throws <see cref="ConfigException"/> naming every error if it is invalid.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = ServerModules.CreateBuilder(args).AddInventory();
        configure?.Invoke(builder);
        builder.AddStorage().AddSecurity().AddSamplePipeline();
        builder.AddRemoteCollectors();
        builder.AddSnmp();
        builder.AddModbus();
        builder.AddMqttBroker();
        builder.AddMqtt();
        builder.AddDemoSimulator();
        builder.AddAlarms().AddTickets().AddMetricsEndpoint().AddWebConsole().AddConfigurationReferences();
        builder.AddTraining();
        builder.AddKnowledge();
        Cluster.ClusterModule.AddCluster(builder); // Monitoring:Cluster:Redis: nothing without it

        var app = builder.Build();
        Cluster.ClusterModule.UseCluster(app); // a standby forwards alarm and ticket requests to the leader
        app.UseWebConsole();
        app.MapSecured().MapMonitoring().MapTickets().MapAlarms().MapMetricsEndpoint(app).MapTraining().MapKnowledge().MapCollectors().MapCluster();
        return app;
    }

    internal static void Configure(JsonSerializerOptions json) => ServerModules.Configure(json);
}
