using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Modbus.Hosting;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Snmp.Hosting;
using Monitoring.Core.Inventory;
using Monitoring.Core.Simulation;
using Monitoring.Simulator.Modbus;
using Monitoring.Simulator.Mqtt;
using Monitoring.Simulator.Snmp;

namespace Monitoring.Simulator.Hosting;

/// <summary>The "Monitoring:Simulator" section, validated at start.</summary>
public sealed class SimulatorOptions
{
    public const string Section = "Monitoring:Simulator";

    /// <summary>Feed the loaded rooms with believable live values (the demo). Off in production.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Seconds between two demo feeds and two probe publishes (at least 1).</summary>
    public int IntervalSeconds { get; set; } = 5;

    public int Seed { get; set; } = 20261122;

    internal static IEnumerable<string> Validate(SimulatorOptions options)
    {
        if (options.IntervalSeconds < 1)
        {
            yield return $"{Section}:IntervalSeconds must be at least 1 (seconds); it is {options.IntervalSeconds}";
        }
    }
}

/// <summary>
/// The demo as a plug-in. With <c>Monitoring:Simulator:Enabled</c> (the default) the room's Modbus devices answer from
/// loopback servers and its SNMP devices from loopback agents, and the collectors reach them there (this module
/// replaces the "modbus" and "snmp" <see cref="IDeviceEndpoints"/>); the MQTT probes publish to the broker; every
/// other device is fed line protocol through the ingest path; the fault scenarios answer the server's
/// <see cref="IScenarioSource"/> (<see cref="DemoScenarios"/>). Off, nothing of the demo is registered.
/// </summary>
public static class DemoSimulatorModule
{
    public static IHostApplicationBuilder AddDemoSimulator(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddValidatedOptions<SimulatorOptions>(SimulatorOptions.Section, SimulatorOptions.Validate);
        var settings = builder.Configuration.GetSection(SimulatorOptions.Section).Get<SimulatorOptions>() ?? new SimulatorOptions();
        if (!settings.Enabled)
        {
            services.AddHostedService<DemoOff>();
            return builder;
        }

        var profiles = builder.DeviceProfiles();
        services.AddSingleton(sp => new ModbusDemoRoom(
            profiles.Inventory, sp.GetRequiredService<ModbusProfileSet>().Profiles, Seed(sp), sp.GetRequiredService<TimeProvider>()));
        // the demo's agents: v2c with the "demo-v2c" community and v3 authPriv with the "demo-v3" user
        services.AddSingleton(sp =>
        {
            var (v2c, v3) = sp.GetRequiredService<SnmpCredentialStore>().EnsureDemo();
            return new SnmpDemoRoom(profiles.Inventory, sp.GetRequiredService<SnmpProfileSet>().Profiles.Keys, Seed(sp), v2c.CommunitySecret!, v3.User, sp.GetRequiredService<TimeProvider>());
        });
        // the demo's probes are MQTT clients that publish to the embedded broker over TCP
        services.AddSingleton(sp => new MqttDemoProbes(
            profiles.Inventory, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(),
            TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<SimulatorOptions>>().Value.IntervalSeconds)));
        services.AddSingleton<MqttDemoUser>();
        services.AddSingleton(sp => sp.GetRequiredService<MqttDemoUser>().ToBrokerUser());
        services.AddHostedService<MqttDemoService>();
        services.ReplaceDeviceEndpoints(ModbusModule.Protocol, sp => new ModbusDemoEndpoints(sp.GetRequiredService<ModbusDemoRoom>()));
        services.ReplaceDeviceEndpoints(SnmpModule.Protocol, sp => new SnmpDemoEndpoints(sp.GetRequiredService<SnmpDemoRoom>()));
        services.AddHostedService<DemoFeedService>();
        // the server's one seam to the scenarios (GET/POST /api/simulator): replaces its "no scenarios" default
        services.RemoveAll<IScenarioSource>();
        services.AddSingleton<IScenarioSource, DemoScenarios>();
        // and to the faults below the scenarios (a drill's port-down, drift, silent device, trap storm, probe leak)
        services.RemoveAll<IFaultInjector>();
        services.AddSingleton<DemoFaults>();
        services.AddSingleton<IFaultInjector>(sp => sp.GetRequiredService<DemoFaults>());
        return builder;
    }

    private static int Seed(IServiceProvider services) => services.GetRequiredService<IOptions<SimulatorOptions>>().Value.Seed;

    /// <summary>The demo room's Modbus devices, on the loopback servers it starts once for every collector that asks.</summary>
    private sealed class ModbusDemoEndpoints(ModbusDemoRoom room) : IDeviceEndpoints
    {
        private readonly Lazy<Task> _started = new(() => room.StartAsync(CancellationToken.None));

        public bool Simulated => true;

        public IReadOnlySet<string>? Served => room.ServedDeviceIds;

        public Task StartAsync(CancellationToken cancellationToken) => _started.Value.WaitAsync(cancellationToken);

        public EndPoint? Find(Device device, Func<string?, EndPoint?> roomAddress) => room.EndPointFor(device);
    }

    /// <summary>The demo room's SNMP devices, on the loopback agents it starts once for every collector that asks.</summary>
    private sealed class SnmpDemoEndpoints(SnmpDemoRoom room) : IDeviceEndpoints
    {
        private readonly Lazy<Task> _started = new(() =>
        {
            room.Start();
            return Task.CompletedTask;
        });

        public bool Simulated => true;

        public IReadOnlySet<string>? Served => room.ServedDeviceIds;

        public Task StartAsync(CancellationToken cancellationToken) => _started.Value.WaitAsync(cancellationToken);

        public EndPoint? Find(Device device, Func<string?, EndPoint?> roomAddress)
        {
            ArgumentNullException.ThrowIfNull(device);
            return room.EndPointFor(device.Id);
        }
    }

    /// <summary>Says in /healthz that the demo is off.</summary>
    private sealed class DemoOff(ComponentHealth health) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            health.Report("simulator", ComponentState.Disabled);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
